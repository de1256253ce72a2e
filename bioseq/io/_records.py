"""Rules every reader applies to records once their residues are coded.

Stops, ``U``/``T`` conversion, empty records and duplicate ids are handled
the same way for FASTA and for tables; messages name ``path:line`` and the record.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import numpy as np

from bioseq.alphabet import INVALID_CODE, Alphabet
from bioseq.errors import FastaFormatError, SequenceError
from bioseq.io import _fasta_kernel as kernel
from bioseq.sequences import SequenceSet

logger = logging.getLogger(__name__)


def lookup_tables(alphabet: Alphabet) -> tuple[np.ndarray, np.ndarray]:
    """Build the byte-to-code table (``*`` gives the stop code for protein) and the alias-byte mask."""
    table = alphabet.byte_table()
    if alphabet.name == "protein":
        table[ord("*")] = kernel.STOP_CODE
    alias_mask = np.zeros(256, dtype=np.bool_)
    for alias in alphabet.aliases:
        for letter in (alias, alias.lower()):
            alias_mask[ord(letter)] = True
    return table, alias_mask



def handle_stops(
    path: Path, records: SequenceSet, lines: np.ndarray, keep: np.ndarray, policy: str
) -> tuple[SequenceSet, np.ndarray]:
    positions = np.flatnonzero(records.codes == kernel.STOP_CODE)
    owners = np.searchsorted(records.offsets, positions, side="right") - 1
    terminal = positions == records.offsets[owners + 1] - 1
    internal = ~terminal
    if internal.any():
        bad = np.unique(owners[internal])
        if policy == "error":
            r = int(owners[internal][0])
            position = int(positions[internal][0] - records.offsets[r]) + 1
            raise SequenceError(
                f"{path}:{int(lines[r])}: record {records.ids[r]}: stop '*' at position {position} "
                f"inside the sequence ({len(bad)} records have one); fix the records, or pass "
                "internal_stop='drop' (--internal-stop drop) to drop them"
            )
        keep = keep.copy()
        keep[bad] = False
        records.transforms["internal_stop_dropped"] += len(bad)
        logger.warning("%s: dropped %d records with a stop '*' inside the sequence", path.name, len(bad))
    # Remove terminal stops: drop those code positions and shorten their records.
    drop = positions[terminal]
    mask = np.ones(records.codes.shape[0], dtype=bool)
    mask[drop] = False
    removed = np.zeros(len(records) + 1, dtype=np.int64)
    np.add.at(removed, owners[terminal] + 1, 1)
    offsets = records.offsets - np.cumsum(removed)
    n_terminal = int(terminal.sum())
    if n_terminal:
        records.transforms["terminal_stop_removed"] += n_terminal
    softmask = None if records.softmask is None else records.softmask[mask]
    updated = SequenceSet(
        ids=records.ids, codes=records.codes[mask], offsets=offsets, alphabet=records.alphabet,
        descriptions=records.descriptions, softmask=softmask, transforms=records.transforms,
        sources=records.sources,
    )
    return updated, keep


def handle_aliases(
    path: Path, records: SequenceSet, lines: np.ndarray, alias_counts: np.ndarray, u_policy: str,
) -> None:
    """Count alias residues (DNA ``U``, RNA ``T``, protein ``U``/``O``) and flag records mixing T and U.

    ``alias_counts`` contains the number of alias characters read in each record.

    Raises
    ------
    SequenceError
        If ``u_policy="error"`` and a nucleic-acid record contains its alias letter.
    """
    alphabet = records.alphabet
    total = int(alias_counts.sum())
    if not total:
        return
    alias, (target, name) = next(iter(alphabet.aliases.items()))
    if not alphabet.is_nucleic:
        # Protein aliases (U and O, read as X) share one counter.
        records.transforms[name] += total
        return
    with_alias = np.flatnonzero(alias_counts)
    if u_policy == "error":
        r = int(with_alias[0])
        raise SequenceError(
            f"{path}:{int(lines[r])}: record {records.ids[r]} contains {alias} in {alphabet.name} "
            f"input ({len(with_alias)} records do); convert it, or use "
            f"u_policy='convert' (--u-policy convert) to read {alias} as {target}"
        )
    records.transforms[name] += total
    # The alias was coded as its target, so the target letters read are the rest of that code.
    target_code = alphabet.symbols.index(target)
    mixed = [
        int(r) for r in with_alias
        if int((records.codes_of(int(r)) == target_code).sum()) > int(alias_counts[r])
    ]
    if mixed:
        flagged_ids = [str(records.ids[r]) for r in mixed]
        records.flagged.setdefault("mixed_t_u", []).extend(flagged_ids)
        logger.warning(
            "%s: %d records mix T and U: %s", path.name, len(flagged_ids),
            ", ".join(flagged_ids[:10]) + (" ..." if len(flagged_ids) > 10 else ""),
        )


def handle_empty(
    path: Path, records: SequenceSet, lines: np.ndarray, policy: str,
    error: type[Exception] = FastaFormatError,
) -> np.ndarray:
    """Raise for records without residues, or mark them to drop; return the records to keep."""
    empty = records.lengths == 0
    if not empty.any():
        return np.ones(len(records), dtype=bool)
    rows = np.flatnonzero(empty)
    if policy == "error":
        r = int(rows[0])
        raise error(
            f"{path}:{int(lines[r])}: empty record {records.ids[r]} (no sequence; {len(rows)} "
            "empty records in this part of the input); remove it, or pass empty='drop' "
            "(--drop-empty) to drop empty records"
        )
    records.transforms["empty_dropped"] += len(rows)
    logger.warning("%s: dropped %d empty records (first: %s)", path.name, len(rows), records.ids[rows[0]])
    return ~empty


def encode_strings(
    sequences: list[str],
    alphabet: Alphabet,
    where: Callable[[int], str],
    ids: list[str],
    keep_softmask: bool = False,
) -> tuple[SequenceSet, np.ndarray]:
    """Encode Python strings with the reader rules; return the set and per-record alias counts.

    ``where(i)`` gives ``path:line`` of record ``i`` for messages. Stops are
    left as :data:`~bioseq.io._fasta_kernel.STOP_CODE` for :func:`handle_stops`.

    Raises
    ------
    SequenceError
        For a character outside the alphabet, naming the record, 1-based
        position and character.
    """
    table, alias_mask = lookup_tables(alphabet)
    raw = np.frombuffer("".join(sequences).encode("ascii", errors="replace"), dtype=np.uint8)
    lengths = np.fromiter((len(text) for text in sequences), dtype=np.int64, count=len(sequences))
    offsets = np.zeros(len(sequences) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    codes = table[raw]
    bad = np.flatnonzero(codes == INVALID_CODE)
    if bad.size:
        index = int(bad[0])
        row = int(np.searchsorted(offsets, index, side="right") - 1)
        position = index - int(offsets[row]) + 1
        character = sequences[row][position - 1]
        raise SequenceError(
            f"{where(row)}: record {ids[row]}: invalid {alphabet.name} character {character!r} at "
            f"position {position}; allowed: {alphabet.symbols} (either case). Check the alphabet option"
        )
    owners = np.repeat(np.arange(len(sequences)), lengths)
    alias_counts = np.bincount(owners[alias_mask[raw]], minlength=len(sequences))
    lowercase = raw >= 97
    records = SequenceSet(
        ids=np.array(ids, dtype=object), codes=codes, offsets=offsets, alphabet=alphabet,
        softmask=lowercase.copy() if keep_softmask else None,
    )
    n_lower = int(lowercase.sum())
    if n_lower:
        records.transforms["uppercased"] += n_lower
    return records, alias_counts


def duplicate_keep(
    ids: np.ndarray,
    policy: str,
    path: str,
    describe: Callable[[int, int], str],
    transforms: dict,
    error: type[Exception] = FastaFormatError,
) -> tuple[np.ndarray | None, np.ndarray]:
    """Apply a duplicate-id policy; return the records to keep (None for all) and the ids.

    ``describe(first, repeat)`` builds the error message for the first
    repeated id when the policy is ``"error"``.
    """
    names = ids.tolist()
    if len(set(names)) == len(names):
        return None, ids
    first_seen: dict[str, int] = {}
    repeats: list[int] = []
    for index, name in enumerate(names):
        if name in first_seen:
            repeats.append(index)
        else:
            first_seen[name] = index
    if policy == "error":
        index = repeats[0]
        raise error(describe(first_seen[names[index]], index))
    transforms[f"duplicates_{policy}"] = transforms.get(f"duplicates_{policy}", 0) + len(repeats)
    logger.warning("%s: %d repeated record ids handled with duplicates=%r (first: %s)",
                   Path(path).name, len(repeats), policy, names[repeats[0]])
    if policy == "rename":
        return None, rename_duplicates(names)
    if policy == "first":
        return np.array(sorted(first_seen.values()), dtype=np.int64), ids
    last_seen = {name: index for index, name in enumerate(names)}
    return np.array(sorted(last_seen.values()), dtype=np.int64), ids


def rename_duplicates(names: list[str]) -> np.ndarray:
    """Append ``_2``, ``_3``... to repeated ids, skipping suffixes already in use."""
    used = set(names)
    counts: dict[str, int] = {}
    out = []
    for name in names:
        counts[name] = counts.get(name, 0) + 1
        if counts[name] == 1:
            out.append(name)
            continue
        suffix = counts[name]
        candidate = f"{name}_{suffix}"
        while candidate in used:
            suffix += 1
            candidate = f"{name}_{suffix}"
        used.add(candidate)
        out.append(candidate)
    return np.array(out, dtype=object)
