"""Encoders: sequences to codes, one-hot arrays, k-mer counts and tokens."""
