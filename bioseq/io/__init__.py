"""Readers and writers: FASTA, CSV/TSV tables and the HDF5 store."""
