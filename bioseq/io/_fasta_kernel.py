"""Numba kernel that turns a block of FASTA bytes into residue codes in one pass.

The kernel walks the block line by line: a line that starts with ``>`` opens a
record, other non-blank lines are sequence data, looked up byte by byte in the
alphabet's 256-entry table. It records where each header starts and ends, the
line number of each header, the first code of each record and per-record
counts, and stops at the first fault, which it reports through ``result`` so
that the caller can raise an error naming the file, line and record.
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

#: Code the lookup table gives ``*`` when the alphabet is protein.
STOP_CODE = 253
INVALID_CODE = 254


@njit(cache=True, nogil=True)
def scan_block(
    buf,
    table,
    alias_mask,
    target_mask,
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
    record_target,
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
        # Find the end of this line; ``stop`` excludes the newline.
        j = i
        while j < n and buf[j] != 10:
            j += 1
        stop = j
        if stop > i and buf[stop - 1] == 13:
            stop -= 1
            crlf += 1
        if stop == i:
            # Blank line: between records it is ignored; inside one it is remembered.
            if n_records > 0 and pending_blank == 0:
                pending_blank = line
        elif buf[i] == 62:
            # Header line: '>' at the start of a line opens a record.
            r = n_records
            header_start[r] = i + 1
            header_end[r] = stop
            header_line[r] = line
            k = i + 1
            # The id is the first whitespace-separated token, so "> seq 0" has id "seq".
            while k < stop and (buf[k] == 32 or buf[k] == 9):
                k += 1
            id_start[r] = k
            while k < stop and buf[k] != 32 and buf[k] != 9:
                if buf[k] == 13:
                    result[R_ERROR] = E_LONE_CR
                    result[R_ERROR_LINE] = line
                    result[R_RECORDS] = n_records
                    result[R_CODES] = n_codes
                    return
                k += 1
            id_end[r] = k
            while k < stop and (buf[k] == 32 or buf[k] == 9):
                k += 1
            description_start[r] = k
            for m in range(k, stop):
                if buf[m] == 13:
                    result[R_ERROR] = E_LONE_CR
                    result[R_ERROR_LINE] = line
                    result[R_RECORDS] = n_records
                    result[R_CODES] = n_codes
                    return
            record_start[r] = n_codes
            record_alias[r] = 0
            record_target[r] = 0
            record_lines[r] = 0
            n_records += 1
            pending_blank = 0
        elif allow_comments and (buf[i] == 35 or buf[i] == 59):
            comments += 1
        elif n_records == 0:
            result[R_ERROR] = E_DATA_BEFORE_HEADER
            result[R_ERROR_LINE] = line
            result[R_RECORDS] = 0
            result[R_CODES] = 0
            return
        else:
            r = n_records - 1
            if pending_blank != 0:
                if not join_blank:
                    result[R_ERROR] = E_BLANK_IN_RECORD
                    result[R_ERROR_LINE] = pending_blank
                    result[R_ERROR_RECORD] = r
                    result[R_RECORDS] = n_records
                    result[R_CODES] = n_codes
                    return
                blank_joined += 1
                pending_blank = 0
            record_lines[r] += 1
            if three_line and record_lines[r] >= 2:
                # Three-line layout: the second line is a per-residue annotation.
                if record_lines[r] > 2:
                    result[R_ERROR] = E_EXTRA_LINE
                    result[R_ERROR_LINE] = line
                    result[R_ERROR_RECORD] = r
                    result[R_RECORDS] = n_records
                    result[R_CODES] = n_codes
                    return
                if stop - i != first_length:
                    result[R_ERROR] = E_ANNOTATION_LENGTH
                    result[R_ERROR_LINE] = line
                    result[R_ERROR_RECORD] = r
                    result[R_ERROR_POSITION] = stop - i
                    result[R_RECORDS] = n_records
                    result[R_CODES] = n_codes
                    return
            else:
                first_length = stop - i
                for k in range(i, stop):
                    byte = buf[k]
                    code = table[byte]
                    if code >= STOP_CODE:
                        if code == STOP_CODE:
                            stops += 1
                        else:
                            result[R_ERROR] = E_LONE_CR if byte == 13 else E_INVALID_CHARACTER
                            result[R_ERROR_LINE] = line
                            result[R_ERROR_RECORD] = r
                            result[R_ERROR_POSITION] = n_codes - record_start[r] + 1
                            result[R_ERROR_BYTE] = byte
                            result[R_RECORDS] = n_records
                            result[R_CODES] = n_codes
                            return
                    if byte >= 97:
                        lowercase += 1
                    if alias_mask[byte]:
                        record_alias[r] += 1
                    elif target_mask[byte]:
                        record_target[r] += 1
                    if keep_softmask:
                        softmask_out[n_codes] = byte >= 97
                    codes_out[n_codes] = code
                    n_codes += 1
        i = j + 1
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


def gather_strings(buf: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> list[str]:
    """Decode the byte ranges ``buf[starts[i]:ends[i]]`` into a list of strings.

    The ranges are gathered into one newline-separated buffer and decoded in
    one call, which is far faster than slicing and decoding each range.
    """
    count = len(starts)
    if count == 0:
        return []
    lengths = (ends - starts).astype(np.int64)
    out_ends = np.cumsum(lengths + 1)
    out_starts = out_ends - lengths - 1
    total = int(out_ends[-1])
    index = np.repeat(starts.astype(np.int64) - out_starts, lengths + 1) + np.arange(total)
    np.clip(index, 0, buf.shape[0] - 1, out=index)
    joined = buf[index]
    joined[out_ends - 1] = 10
    return joined[:-1].tobytes().decode("utf-8", errors="replace").split("\n")
