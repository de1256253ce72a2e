"""Exception and warning classes raised on purpose by bioseq.

Every error derives from :class:`BioseqError` and from the builtin that fits
the fault, so callers can catch either. The command line turns a
``BioseqError`` into exit code 1 and prints its message without a traceback.
"""

from __future__ import annotations


class BioseqError(Exception):
    """Base class of every error that bioseq raises on purpose."""


class BioseqWarning(UserWarning):
    """Warning about input that bioseq accepted but transformed or doubts."""


class FormatError(BioseqError, ValueError):
    """Malformed input file (FASTA, CSV/TSV, HDF5 store, model file)."""


class FastaFormatError(FormatError):
    """Malformed FASTA file; the message names ``path:line`` and the record."""


class TableFormatError(FormatError):
    """Malformed CSV/TSV table; the message names the file, row and column."""


class SequenceError(BioseqError, ValueError):
    """Invalid residue, length or content in an otherwise well-formed record."""


class LabelError(BioseqError, ValueError):
    """Missing, unknown or out-of-range labels."""


class StoreError(BioseqError, OSError):
    """HDF5 store that is missing, truncated, locked, incomplete or incompatible."""


class ModelFileError(BioseqError, ValueError):
    """Model file that is corrupt, foreign or from an incompatible bioseq version."""


class ConfigError(BioseqError, ValueError):
    """Invalid configuration: unknown key, wrong type or value out of range."""


class DeviceError(BioseqError, RuntimeError):
    """Requested device or launch layout that this machine or job cannot provide."""


class OutputError(BioseqError, OSError):
    """Output file or folder that cannot be created or written."""
