"""Alphabets for DNA, RNA and protein, with IUPAC ambiguity codes.

An :class:`Alphabet` turns residues into ``uint8`` codes, the storage format
that every later step reads. Code ``i`` stands for ``alphabet.symbols[i]``.
The first ``alphabet.size`` symbols are the canonical residues, one one-hot
channel each; the remaining symbols are ambiguity codes that expand to
several canonical residues. :data:`PAD_CODE` marks padding.

Rules (the same for every reader):

- Case: lowercase (soft-masked) residues are the same residues as uppercase.
  They get the same code, and readers count them as ``uppercased``.
- DNA reads ``U`` as ``T`` and RNA reads ``T`` as ``U``; readers count
  these as ``u_to_t`` and ``t_to_u``.
- Protein: ``X`` is any residue, ``B`` is D or N, ``Z`` is E or Q and ``J``
  is I or L. Selenocysteine ``U`` and pyrrolysine ``O`` are encoded as ``X``
  and counted. A terminal stop ``*`` is removed by the readers (counted); a
  stop inside a sequence is an error.
- Any other character is invalid and raises :class:`~bioseq.errors.SequenceError`.

Examples
--------
>>> from bioseq.alphabet import DNA
>>> DNA.encode("ACGTn").tolist()
[0, 1, 2, 3, 4]
>>> DNA.decode(DNA.encode("acgtRYN"))
'ACGTRYN'
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from bioseq.errors import SequenceError

AlphabetName = Literal["dna", "rna", "protein"]

#: Code written for padding positions; it expands to an all-zero one-hot column.
PAD_CODE: int = 255
#: Value of the byte lookup table for characters outside the alphabet.
INVALID_CODE: int = 254

_NUCLEOTIDE_AMBIGUITY = {
    "N": "ACGT",
    "R": "AG",
    "Y": "CT",
    "S": "CG",
    "W": "AT",
    "K": "GT",
    "M": "AC",
    "B": "CGT",
    "D": "AGT",
    "H": "ACT",
    "V": "ACG",
}
_DNA_COMPLEMENT = {
    "A": "T", "C": "G", "G": "C", "T": "A", "N": "N", "R": "Y", "Y": "R", "S": "S",
    "W": "W", "K": "M", "M": "K", "B": "V", "D": "H", "H": "D", "V": "B",
}
_PROTEIN_LETTERS = "ACDEFGHIKLMNPQRSTVWY"
_PROTEIN_AMBIGUITY = {"X": _PROTEIN_LETTERS, "B": "DN", "Z": "EQ", "J": "IL"}


@dataclass(frozen=True)
class Alphabet:
    """A residue alphabet with its codes, ambiguity expansions and complement.

    Parameters
    ----------
    name : {"dna", "rna", "protein"}
        Short name, stored in model files and HDF5 stores.
    letters : str
        Canonical residues in one-hot channel order.
    ambiguity : dict of str to str
        Ambiguity code to the canonical residues it stands for.
    complement : dict of str to str or None
        Complement of every symbol, for nucleic acids; None for protein.
    aliases : dict of str to str
        Characters read as another symbol, with the name of the transformation
        that readers count (for example ``{"U": ("T", "u_to_t")}``).
    unknown : str
        The symbol for "any residue" (``N`` or ``X``).
    """

    name: AlphabetName
    letters: str
    ambiguity: dict[str, str]
    complement: dict[str, str] | None
    aliases: dict[str, tuple[str, str]] = field(default_factory=dict)
    unknown: str = "N"

    @property
    def symbols(self) -> str:
        """Every symbol in code order: canonical letters, then ambiguity codes."""
        return self.letters + "".join(self.ambiguity)

    @property
    def size(self) -> int:
        """Number of canonical residues, that is one-hot channels ``A``."""
        return len(self.letters)

    @property
    def n_symbols(self) -> int:
        """Number of distinct codes in use (canonical plus ambiguity)."""
        return len(self.symbols)

    @property
    def is_nucleic(self) -> bool:
        """Whether the alphabet has a complement (DNA or RNA)."""
        return self.complement is not None

    @property
    def unknown_code(self) -> int:
        """Code of the "any residue" symbol."""
        return self.symbols.index(self.unknown)

    def byte_table(self) -> np.ndarray:
        """Build the 256-entry lookup from an ASCII byte to a code.

        Upper and lower case map to the same code, and aliases map to their
        target. Every other byte maps to :data:`INVALID_CODE`.

        Returns
        -------
        numpy.ndarray of shape (256,), dtype uint8
        """
        table = np.full(256, INVALID_CODE, dtype=np.uint8)
        for code, symbol in enumerate(self.symbols):
            table[ord(symbol)] = code
            table[ord(symbol.lower())] = code
        for alias, (target, _) in self.aliases.items():
            code = self.symbols.index(target)
            table[ord(alias)] = code
            table[ord(alias.lower())] = code
        return table

    def decode_table(self) -> np.ndarray:
        """Build the lookup from a code to its uppercase ASCII byte (``-`` for padding)."""
        table = np.full(256, ord("?"), dtype=np.uint8)
        for code, symbol in enumerate(self.symbols):
            table[code] = ord(symbol)
        table[PAD_CODE] = ord("-")
        return table

    def onehot_table(
        self, ambiguity: Literal["fractional", "zeros"] = "fractional"
    ) -> np.ndarray:
        """Build the code-to-column table used by one-hot encoding.

        Parameters
        ----------
        ambiguity : {"fractional", "zeros"}, default="fractional"
            ``"fractional"`` spreads an ambiguity code evenly over the residues
            it stands for (R = 0.5 A + 0.5 G, N = 0.25 each). ``"zeros"``
            encodes every ambiguity code as an all-zero column.

        Returns
        -------
        numpy.ndarray of shape (256, A), dtype float32
            Row ``c`` is the one-hot column for code ``c``; the
            :data:`PAD_CODE` row and unused rows are zero.
        """
        if ambiguity not in ("fractional", "zeros"):
            raise ValueError(
                f"invalid ambiguity policy {ambiguity!r}; expected 'fractional' or 'zeros'"
            )
        table = np.zeros((256, self.size), dtype=np.float32)
        # Canonical residue i has code i and one-hot channel i.
        table[np.arange(self.size), np.arange(self.size)] = 1.0
        if ambiguity == "fractional":
            for offset, members in enumerate(self.ambiguity.values()):
                code = self.size + offset
                for letter in members:
                    table[code, self.letters.index(letter)] = 1.0 / len(members)
        return table

    def complement_codes(self) -> np.ndarray:
        """Build the code-to-complement-code lookup (padding maps to padding).

        Raises
        ------
        SequenceError
            If the alphabet has no complement (protein).
        """
        if self.complement is None:
            raise SequenceError(
                f"the {self.name} alphabet has no complement; "
                "reverse complement applies to DNA and RNA only"
            )
        table = np.arange(256, dtype=np.uint8)
        symbols = self.symbols
        for symbol, partner in self.complement.items():
            table[symbols.index(symbol)] = symbols.index(partner)
        return table

    def encode(self, sequence: str) -> np.ndarray:
        """Encode one sequence string into codes.

        Parameters
        ----------
        sequence : str
            Residues; case is ignored and aliases apply.

        Returns
        -------
        numpy.ndarray of shape (L,), dtype uint8

        Raises
        ------
        SequenceError
            If a character is not in the alphabet; the message gives the
            position (1-based) and the character.
        """
        raw = np.frombuffer(sequence.encode("ascii", errors="replace"), dtype=np.uint8)
        codes = self.byte_table()[raw]
        bad = np.flatnonzero(codes == INVALID_CODE)
        if bad.size:
            position = int(bad[0])
            raise SequenceError(
                f"invalid {self.name} character {sequence[position]!r} at position "
                f"{position + 1}; allowed: {self.symbols} (either case)"
            )
        return codes

    def decode(self, codes: np.ndarray) -> str:
        """Decode codes back into an uppercase string (padding becomes ``-``).

        ``decode(encode(s)) == s.upper()`` for every string of symbols, the
        unknown symbol included; aliases decode to their target
        (DNA ``U`` comes back as ``T``).
        """
        array = np.asarray(codes, dtype=np.uint8)
        return self.decode_table()[array].tobytes().decode("ascii")


DNA = Alphabet(
    name="dna",
    letters="ACGT",
    ambiguity=dict(_NUCLEOTIDE_AMBIGUITY),
    complement=dict(_DNA_COMPLEMENT),
    aliases={"U": ("T", "u_to_t")},
    unknown="N",
)

RNA = Alphabet(
    name="rna",
    letters="ACGU",
    ambiguity={code: members.replace("T", "U") for code, members in _NUCLEOTIDE_AMBIGUITY.items()},
    complement={
        key.replace("T", "U"): value.replace("T", "U") for key, value in _DNA_COMPLEMENT.items()
    },
    aliases={"T": ("U", "t_to_u")},
    unknown="N",
)

PROTEIN = Alphabet(
    name="protein",
    letters=_PROTEIN_LETTERS,
    ambiguity=dict(_PROTEIN_AMBIGUITY),
    complement=None,
    aliases={"U": ("X", "rare_to_x"), "O": ("X", "rare_to_x")},
    unknown="X",
)

ALPHABETS: dict[str, Alphabet] = {"dna": DNA, "rna": RNA, "protein": PROTEIN}


def get_alphabet(name: str | Alphabet) -> Alphabet:
    """Look up an alphabet by name.

    Parameters
    ----------
    name : str or Alphabet
        ``"dna"``, ``"rna"`` or ``"protein"`` (any case); an Alphabet is
        returned unchanged.

    Raises
    ------
    ValueError
        If the name is unknown; the message lists the known names.

    Examples
    --------
    >>> get_alphabet("DNA").letters
    'ACGT'
    """
    if isinstance(name, Alphabet):
        return name
    key = str(name).lower()
    if key not in ALPHABETS:
        raise ValueError(f"unknown alphabet {name!r}; choose one of {sorted(ALPHABETS)}")
    return ALPHABETS[key]


def guess_alphabet(sample: str) -> Alphabet:
    """Guess DNA, RNA or protein from a sample of residues.

    DNA when at least 90% of the letters are A, C, G, T or N; RNA when they
    are A, C, G, U or N and U occurs; protein otherwise.

    Examples
    --------
    >>> guess_alphabet("ACGTTGCAnn").name
    'dna'
    >>> guess_alphabet("MKVLAAGIW").name
    'protein'
    """
    letters = [c for c in sample.upper() if c.isalpha()]
    if not letters:
        return DNA
    nucleic = sum(c in "ACGTUN" for c in letters) / len(letters)
    if nucleic >= 0.9:
        has_u = "U" in letters
        has_t = "T" in letters
        return RNA if has_u and not has_t else DNA
    return PROTEIN
