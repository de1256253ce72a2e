"""Numba kernel that turns a block of FASTA bytes into residue codes in one pass.

The kernel walks the block line by line: a line that starts with ``>`` opens a
record, other non-blank lines are sequence data, looked up byte by byte in the
alphabet's 256-entry table. It records where each header starts and ends, the
line number of each header, the first code of each record and per-record
counts. It stops at the first fault and reports it through ``result``, so that
the caller can raise an error naming the file, line and record.

NOTE: the compiled code is cached on disk, but the first call in a process
still pays numba's own start-up, which measured about 1 s of CPU time on the
shared 2-core development machine, so that fixed cost dominates for small files.
"""

from __future__ import annotations

import numpy as np
from numba import njit

# Indices into the kernel's int64 ``result`` array.
R_RECORDS = 0
R_CODES = 1
R_ERROR = 2
R_ERROR_LINE = 3
R_ERROR_RECORD = 4
R_ERROR_POSITION = 5
R_ERROR_BYTE = 6
R_LOWERCASE = 7
R_CRLF = 8
R_BLANK_JOINED = 9
R_COMMENTS = 10
R_LINES = 11
R_STOPS = 12
RESULT_SIZE = 13

# Fault kinds stored in ``result[R_ERROR]``.
E_NONE = 0
E_DATA_BEFORE_HEADER = 1
E_INVALID_CHARACTER = 2
E_LONE_CR = 3
E_BLANK_IN_RECORD = 4
E_EXTRA_LINE = 5
E_ANNOTATION_LENGTH = 6
E_CAPACITY = 7

#: Code the lookup table gives ``*`` when the alphabet is protein.
STOP_CODE = 253
INVALID_CODE = 254


#: Bits of the per-byte ``flags`` table; a byte with no bit set takes the fast path.
F_LOWER = 1
F_ALIAS = 2
F_SPECIAL = 4


def fast_codes(table: np.ndarray, flags: np.ndarray) -> np.ndarray:
    """Build the fast-path table: the code of a byte without flags, 255 for any other byte."""
    fast = table.copy()
    fast[flags != 0] = 255
    return fast


def byte_flags(table: np.ndarray, alias_mask: np.ndarray) -> np.ndarray:
    """Build the per-byte flags: lowercase residue, alias, or special (stop, invalid, CR)."""
    flags = np.zeros(256, dtype=np.uint8)
    special = table >= STOP_CODE
    flags[special] |= F_SPECIAL
    lower = np.zeros(256, dtype=bool)
    lower[97:123] = True
    flags[lower & ~special] |= F_LOWER
    flags[alias_mask & ~special] |= F_ALIAS
    flags[13] |= F_SPECIAL
    return flags


@njit(cache=True, nogil=True)
def _fail(result, kind, line, record, position, byte, n_records, n_codes):  # pragma: no cover
    result[R_ERROR] = kind
    result[R_ERROR_LINE] = line
    result[R_ERROR_RECORD] = record
    result[R_ERROR_POSITION] = position
    result[R_ERROR_BYTE] = byte
    result[R_RECORDS] = n_records
    result[R_CODES] = n_codes


@njit(cache=True, nogil=True)
def _line_end(buf, i, n):  # pragma: no cover
    j = i
    while j < n and buf[j] != 10:
        j += 1
    return j


@njit(cache=True, nogil=True)
def scan_block(
    buf,
    table,
    fast,
    flags,
    three_line,
    allow_comments,
    join_blank,
    keep_softmask,
    first_line,
    codes_out,
    softmask_out,
    header_start,
    header_end,
    id_start,
    id_end,
    description_start,
    header_line,
    record_start,
    record_alias,
    record_lines,
    result,
):  # pragma: no cover - compiled; exercised through read_fasta
    n = buf.shape[0]
    i = 0
    line = first_line
    n_records = 0
    n_codes = 0
    lowercase = 0
    crlf = 0
    blank_joined = 0
    comments = 0
    stops = 0
    pending_blank = 0  # line number of a blank line seen inside the current record
    first_length = 0
    while i < n:
        first = buf[i]
        if first == 10 or (first == 13 and i + 1 < n and buf[i + 1] == 10):
            # Blank line: between records it is ignored; inside one it is remembered.
            if first == 13:
                crlf += 1
                i += 1
            if n_records > 0 and pending_blank == 0:
                pending_blank = line
            i += 1
            line += 1
            continue
        if first == 62:
            # Header line: '>' at the start of a line opens a record.
            j = _line_end(buf, i, n)
            stop = j
            if stop > i and buf[stop - 1] == 13:
                stop -= 1
                crlf += 1
            for m in range(i, stop):
                if buf[m] == 13:
                    _fail(result, E_LONE_CR, line, n_records, 0, 13, n_records, n_codes)
                    return
            r = n_records
            if r == header_start.shape[0]:
                _fail(result, E_CAPACITY, line, r, 0, 0, n_records, n_codes)
                return
            header_start[r] = i + 1
            header_end[r] = stop
            header_line[r] = line
            # The id is the first whitespace-separated token, so "> seq 0" has id "seq".
            k = i + 1
            while k < stop and (buf[k] == 32 or buf[k] == 9):
                k += 1
            id_start[r] = k
            while k < stop and buf[k] != 32 and buf[k] != 9:
                k += 1
            id_end[r] = k
            while k < stop and (buf[k] == 32 or buf[k] == 9):
                k += 1
            description_start[r] = k
            record_start[r] = n_codes
            record_alias[r] = 0
            record_lines[r] = 0
            n_records += 1
            pending_blank = 0
            i = j + 1
            line += 1
            continue
        if allow_comments and (first == 35 or first == 59):
            comments += 1
            i = _line_end(buf, i, n) + 1
            line += 1
            continue
        if n_records == 0:
            _fail(result, E_DATA_BEFORE_HEADER, line, -1, 0, first, 0, 0)
            return
        r = n_records - 1
        if pending_blank != 0:
            if not join_blank:
                _fail(result, E_BLANK_IN_RECORD, pending_blank, r, 0, 0, n_records, n_codes)
                return
            blank_joined += 1
            pending_blank = 0
        record_lines[r] += 1
        if three_line and record_lines[r] >= 2:
            # Three-line layout: the second line is a per-residue annotation, checked and skipped.
            j = _line_end(buf, i, n)
            stop = j
            if stop > i and buf[stop - 1] == 13:
                stop -= 1
                crlf += 1
            if record_lines[r] > 2:
                _fail(result, E_EXTRA_LINE, line, r, 0, 0, n_records, n_codes)
                return
            if stop - i != first_length:
                _fail(result, E_ANNOTATION_LENGTH, line, r, stop - i, 0, n_records, n_codes)
                return
            i = j + 1
            line += 1
            continue
        # Sequence line: the common byte (uppercase residue, no alias) takes the fast path.
        line_codes = n_codes
        k = i
        while k < n:
            byte = buf[k]
            code = fast[byte]
            if code != 255:
                codes_out[n_codes] = code
                n_codes += 1
                k += 1
                continue
            if byte == 10:
                break
            flag = flags[byte]
            if flag & F_SPECIAL:
                if byte == 13:
                    if k + 1 < n and buf[k + 1] == 10:
                        crlf += 1
                        k += 1
                        break
                    _fail(result, E_LONE_CR, line, r, 0, 13, n_records, n_codes)
                    return
                if table[byte] != STOP_CODE:
                    _fail(result, E_INVALID_CHARACTER, line, r, n_codes - record_start[r] + 1,
                          byte, n_records, n_codes)
                    return
                stops += 1
            if flag & F_LOWER:
                lowercase += 1
            if flag & F_ALIAS:
                record_alias[r] += 1
            codes_out[n_codes] = table[byte]
            n_codes += 1
            k += 1
        if keep_softmask:
            for m in range(line_codes, n_codes):
                softmask_out[m] = buf[i + m - line_codes] >= 97
        first_length = n_codes - line_codes
        i = k + 1
        line += 1
    result[R_RECORDS] = n_records
    result[R_CODES] = n_codes
    result[R_LOWERCASE] = lowercase
    result[R_CRLF] = crlf
    result[R_BLANK_JOINED] = blank_joined
    result[R_COMMENTS] = comments
    result[R_STOPS] = stops
    result[R_LINES] = line - first_line
    result[R_ERROR] = E_NONE


@njit(cache=True, nogil=True)
def _join_ranges(buf, starts, ends, out):  # pragma: no cover - compiled
    position = 0
    for r in range(starts.shape[0]):
        for k in range(starts[r], ends[r]):
            out[position] = buf[k]
            position += 1
        out[position] = 10
        position += 1


def gather_strings(buf: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> list[str]:
    """Decode the byte ranges ``buf[starts[i]:ends[i]]`` into a list of strings.

    The ranges are copied into one newline-separated buffer and decoded in
    one call, which is far faster than slicing and decoding each range.

    Raises
    ------
    UnicodeDecodeError
        If a range is not valid UTF-8; the caller finds the line.
    """
    if len(starts) == 0:
        return []
    out = np.empty(int((ends - starts).sum()) + len(starts), dtype=np.uint8)
    _join_ranges(buf, starts, ends, out)
    return out[:-1].tobytes().decode("utf-8").split("\n")


_FNV_OFFSET = np.uint64(0xCBF29CE484222325)
_FNV_PRIME = np.uint64(0x100000001B3)
_MIX_1 = np.uint64(0xFF51AFD7ED558CCD)
_MIX_2 = np.uint64(0xC4CEB9FE1A85EC53)


@njit(cache=True, nogil=True)
def _finish_hash(h, length):  # pragma: no cover - compiled
    # FNV-1a state, then the length and a 64-bit avalanche step (MurmurHash3's finalizer).
    h ^= np.uint64(length)
    h ^= h >> np.uint64(33)
    h *= _MIX_1
    h ^= h >> np.uint64(33)
    h *= _MIX_2
    h ^= h >> np.uint64(33)
    return h


@njit(cache=True, nogil=True)
def _hash_lines(buf, out):  # pragma: no cover - compiled
    count = 0
    h = _FNV_OFFSET
    length = 0
    for i in range(buf.shape[0]):
        byte = buf[i]
        if byte == 10:
            if count < out.shape[0]:
                out[count] = _finish_hash(h, length)
            count += 1
            h = _FNV_OFFSET
            length = 0
        else:
            h = (h ^ np.uint64(byte)) * _FNV_PRIME
            length += 1
    if count < out.shape[0]:
        out[count] = _finish_hash(h, length)
    return count + 1


def hash_strings(values: list[str]) -> np.ndarray:
    """Return a stable 64-bit hash (``uint64``) of each string's UTF-8 bytes.

    The same string gives the same hash in every process, unlike Python's
    salted ``hash``. All strings are joined into one buffer and hashed in one
    compiled pass; a string that contains a line feed is hashed on its own.
    """
    out = np.empty(len(values), dtype=np.uint64)
    if not values:
        return out
    joined = "\n".join(values).encode("utf-8", errors="surrogatepass")
    if _hash_lines(np.frombuffer(joined, dtype=np.uint8), out) != len(values):
        for index, value in enumerate(values):
            one = np.empty(1, dtype=np.uint64)
            _hash_lines(np.frombuffer(value.replace("\n", "\r").encode("utf-8", errors="surrogatepass"),
                                      dtype=np.uint8), one)
            out[index] = one[0]
    return out


@njit(cache=True, nogil=True)
def merge_sorted(keys_a, values_a, keys_b, values_b, keys_out, values_out):  # pragma: no cover
    """Merge two key-sorted runs (keys with a value each) into the ``*_out`` arrays.

    On equal keys the entry of run ``a`` comes first. Only the outputs are
    allocated (by the caller), unlike a concatenate-and-argsort merge.
    """
    i = 0
    j = 0
    k = 0
    n_a = keys_a.shape[0]
    n_b = keys_b.shape[0]
    while i < n_a and j < n_b:
        if keys_b[j] < keys_a[i]:
            keys_out[k] = keys_b[j]
            values_out[k] = values_b[j]
            j += 1
        else:
            keys_out[k] = keys_a[i]
            values_out[k] = values_a[i]
            i += 1
        k += 1
    while i < n_a:
        keys_out[k] = keys_a[i]
        values_out[k] = values_a[i]
        i += 1
        k += 1
    while j < n_b:
        keys_out[k] = keys_b[j]
        values_out[k] = values_b[j]
        j += 1
        k += 1
