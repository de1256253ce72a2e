"""Huffman-only deflate for the ``codes`` chunks of a store.

Residue codes have little repetition that string matching can use, but their
byte values are few and skewed: a DNA chunk uses 4 or 5 of the 256. One
deflate block with a Huffman code fit to the chunk and no back-references
stores them close to their entropy (about 2 bits a base for uniform DNA),
smaller than isal's level 1, at several times its speed. The output is a
standard zlib stream, so HDF5's gzip filter, and so any HDF5 reader,
decompresses it.

Format: RFC 1950 (zlib wrapper) around one RFC 1951 block of type 2 (dynamic
Huffman codes). Bit fields are written least significant bit first;
Huffman codes are written most significant bit first, so they are stored
bit-reversed and then written like the other fields.

The store compresses chunks in a thread pool while the main thread reads
FASTA, so the per-chunk work that holds the GIL is kept small. Fitting the
code and coding the bytes run in numba kernels that release the GIL. The
block header and the pair table depend only on the code lengths, and
neighbouring chunks of one data set often get the same lengths, so they are
built once per set of lengths and kept in a small cache.
"""

from __future__ import annotations

import functools
import sys
from typing import NamedTuple

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.extending import intrinsic

try:
    from isal.isal_zlib import adler32
except ImportError:  # isal has no wheels for some platforms
    from zlib import adler32

_END_OF_BLOCK = 256
_N_LITERALS = 257  # bytes 0-255 and the end-of-block symbol; no length symbols are used
_MAX_BITS = 15
_MAX_LENGTH_BITS = 7
# Every _SAMPLE_STEP-th byte is counted to fit the code. Every value up to the largest gets a
# code anyway, so the sample sets only the code lengths.
_SAMPLE_STEP = 16
# Order in which the lengths of the code-length code are sent (RFC 1951, 3.2.7).
_LENGTH_ORDER = (16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15)
# zlib header: deflate with a 32 KiB window, "fastest" level; (0x78 * 256 + 0x01) % 31 == 0.
_ZLIB_HEADER = (0x78, 0x01)
# The coder reads the chunk as 64-bit words and takes its byte pairs from the low bits up,
# which is the byte order in memory only on little-endian machines. Elsewhere it reads pairs
# byte by byte, which gives the same stream more slowly.
_LITTLE_ENDIAN = sys.byteorder == "little"
# Sets of code lengths whose tables are kept. One cache entry is about 0.5 MiB, mostly the
# pair table. Uniform DNA chunks give 4 sets, one for each base that gets the 3-bit code.
_CACHE_SIZE = 16
# After a flush the 64-bit accumulator has 56 bits free. An 8-byte word is flushed once when its
# 4 pair codes fit there, twice (2 pairs each) when 2 fit, and else after every pair.
_FREE_BITS = 56


@njit(cache=True, nogil=True)
def _count_sample(data, counts):  # pragma: no cover
    """Add the counts of every ``_SAMPLE_STEP``-th byte to ``counts`` and return the max byte.

    The max is taken over every byte, not only the sample, and is -1 for an
    empty chunk. Four partial tables break the store-to-load chain that one
    table has when the same byte value repeats, which it does all the time
    in residue codes.
    """
    partial = np.zeros((4, 256), dtype=np.int64)
    n = len(data)
    step = _SAMPLE_STEP
    i = 0
    while i + 3 * step < n:
        partial[0, data[i]] += 1
        partial[1, data[i + step]] += 1
        partial[2, data[i + 2 * step]] += 1
        partial[3, data[i + 3 * step]] += 1
        i += 4 * step
    while i < n:
        partial[0, data[i]] += 1
        i += step
    for value in range(256):
        counts[value] += (partial[0, value] + partial[1, value] + partial[2, value]
                          + partial[3, value])
    largest = np.uint8(0)
    for value in data:
        largest = max(largest, value)
    return np.int64(largest) if n else np.int64(-1)


@njit(cache=True, nogil=True)
def _tree_depths(weights):  # pragma: no cover
    """Return the depth of each leaf in a Huffman tree over ``weights`` (at least two).

    Two queues replace a heap: the leaves sorted by weight, and the merged
    nodes, which are made in order of weight. On equal weights the leaf, and
    among leaves the lower index, is taken first, so the tree is the one that
    ``heapq`` over ``(weight, node number)`` would build.
    """
    n = len(weights)
    order = np.argsort(weights, kind="mergesort")
    node_weight = np.empty(2 * n - 1, dtype=np.int64)
    node_weight[:n] = weights
    parent = np.zeros(2 * n - 1, dtype=np.int64)
    next_leaf = 0
    next_merged = n
    for node in range(n, 2 * n - 1):
        weight = np.int64(0)
        for _ in range(2):
            if next_leaf < n and (next_merged == node
                                  or weights[order[next_leaf]] <= node_weight[next_merged]):
                child = order[next_leaf]
                next_leaf += 1
            else:
                child = next_merged
                next_merged += 1
            parent[child] = node
            weight += node_weight[child]
        node_weight[node] = weight
    # Parents always have larger numbers than their children, so walking down from the
    # root gives each node its depth in one pass.
    depth = np.zeros(2 * n - 1, dtype=np.int64)
    for node in range(2 * n - 3, -1, -1):
        depth[node] = depth[parent[node]] + 1
    return depth[:n]


@njit(cache=True, nogil=True)
def _limited_lengths(counts, limit):  # pragma: no cover
    symbols = np.flatnonzero(counts)
    weights = counts[symbols].astype(np.int64)
    while True:
        depths = _tree_depths(weights)
        if depths.max() <= limit:
            break
        weights = weights // 2 + 1
    lengths = np.zeros(len(counts), dtype=np.int64)
    lengths[symbols] = depths
    return lengths


@njit(cache=True, nogil=True)
def _fit_code(data):  # pragma: no cover
    """Return the literal code lengths (``uint8``, 257) fit to ``data``."""
    counts = np.zeros(_N_LITERALS, dtype=np.int64)
    largest = _count_sample(data, counts)
    # Every value up to the largest gets a code, so counts from a sample of the bytes are
    # enough: a value the sample misses keeps a count of 1 and a long code.
    counts[: largest + 1] += 1
    counts[_END_OF_BLOCK] = 1
    if np.count_nonzero(counts) < 2:
        counts[0 if counts[0] == 0 else 1] = 1
    return _limited_lengths(counts, _MAX_BITS).astype(np.uint8)


@njit(cache=True, nogil=True)
def _canonical_codes(lengths):  # pragma: no cover
    count = np.zeros(_MAX_BITS + 1, dtype=np.int64)
    for width in lengths:
        count[width] += 1
    count[0] = 0
    next_code = np.zeros(_MAX_BITS + 2, dtype=np.int64)
    code = 0
    for bits in range(1, _MAX_BITS + 1):
        code = (code + count[bits - 1]) << 1
        next_code[bits] = code
    codes = np.zeros(len(lengths), dtype=np.uint32)
    for symbol in range(len(lengths)):
        width = lengths[symbol]
        if width:
            value = next_code[width]
            next_code[width] += 1
            reversed_value = 0
            for _ in range(width):
                reversed_value = (reversed_value << 1) | (value & 1)
                value >>= 1
            codes[symbol] = reversed_value
    return codes


@njit(cache=True, nogil=True)
def _pair_table(codes, lengths):  # pragma: no cover
    """Return the codes of byte pairs, indexed by ``first | second << 8``.

    An entry is the code of ``first`` followed by that of ``second``, shifted
    up 8 bits, with the total width in the low 8 bits. Pairs with a byte that
    has no code stay 0, so they write nothing.
    """
    table = np.zeros(1 << 16, dtype=np.uint64)
    for first in range(256):
        if lengths[first] == 0:
            continue
        for second in range(256):
            if lengths[second] == 0:
                continue
            code = np.uint64(codes[first]) | (np.uint64(codes[second]) << np.uint64(lengths[first]))
            width = np.uint64(lengths[first]) + np.uint64(lengths[second])
            table[first | (second << 8)] = (code << np.uint64(8)) | width
    return table


@intrinsic
def _store_word(typingctx, out, position, word):  # pragma: no cover
    """Store ``word`` at byte ``position`` of ``uint8`` ``out``, unaligned, in native byte order.

    numba has no unaligned store of its own. With numba 0.68, LLVM merged 8
    single-byte stores into one in some loops of :func:`_encode` but not in others.
    """

    def codegen(context, builder, signature, args):
        array = context.make_array(signature.args[0])(context, builder, args[0])
        address = builder.gep(array.data, [args[1]])
        builder.store(args[2], builder.bitcast(address, ir.IntType(64).as_pointer()), align=1)
        return context.get_dummy_value()

    return types.void(out, types.uint64, types.uint64), codegen


@njit(cache=True, nogil=True)
def _flush(out, position, accumulator, n_bits):  # pragma: no cover
    """Store the 8 low bytes of ``accumulator`` and keep the bits after the whole bytes.

    All 8 bytes are written whether or not they are complete, so no branch
    is taken. The next flush overwrites the incomplete ones. ``out`` needs 8
    bytes of room past the end of the stream.
    """
    if _LITTLE_ENDIAN:
        _store_word(out, position, accumulator)
    else:
        for byte in range(8):
            out[position + np.uint64(byte)] = np.uint8((accumulator >> np.uint64(8 * byte))
                                                       & np.uint64(0xFF))
    position += n_bits >> np.uint64(3)
    accumulator >>= n_bits & np.uint64(0x38)
    n_bits &= np.uint64(7)
    return position, accumulator, n_bits


@njit(cache=True, nogil=True, inline="always")
def _split(entry):  # pragma: no cover
    """Return the code and the width of a pair table entry."""
    return entry >> np.uint64(8), entry & np.uint64(0xFF)


@njit(cache=True, nogil=True)
def _encode(data, header, header_bits, pairs, codes, lengths, pairs_per_flush,
            checksum):  # pragma: no cover
    """Return the whole zlib stream of ``data`` as a ``uint8`` array.

    ``header`` holds the zlib header and the block header, ``header_bits``
    bits of it. The data are coded 8 bytes at a time through the ``pairs``
    table, flushing after every ``pairs_per_flush`` pairs (4, 2 or 1), which
    the caller chooses so that their codes fit in the accumulator's free
    bits. ``checksum`` is the adler32 of ``data``, written last.
    """
    n = len(data)
    max_width = 0
    for width in lengths:
        max_width = max(max_width, np.int64(width))
    # Room for every bit, the 8 bytes that a flush writes ahead, and the checksum.
    out = np.empty((header_bits + (n + 1) * max_width) // 8 + 1 + 8 + 4, dtype=np.uint8)
    position = np.uint64(header_bits // 8)
    out[:position] = header[:position]
    accumulator = np.uint64(header[position]) if header_bits % 8 else np.uint64(0)
    n_bits = np.uint64(header_bits % 8)

    n_words = n // 8 if _LITTLE_ENDIAN else 0
    words = data[: 8 * n_words].view(np.uint64)
    mask = np.uint64(0xFFFF)
    if pairs_per_flush == 4:
        for word in words:
            code0, width0 = _split(pairs[word & mask])
            code1, width1 = _split(pairs[(word >> np.uint64(16)) & mask])
            code2, width2 = _split(pairs[(word >> np.uint64(32)) & mask])
            code3, width3 = _split(pairs[word >> np.uint64(48)])
            # The two halves are joined apart from the accumulator, so only one shift and
            # one add a word wait on the bits before them.
            low = code0 | (code1 << width0)
            high = code2 | (code3 << width2)
            low_width = width0 + width1
            accumulator |= (low | (high << low_width)) << n_bits
            n_bits += low_width + width2 + width3
            position, accumulator, n_bits = _flush(out, position, accumulator, n_bits)
    elif pairs_per_flush == 2:
        for word in words:
            code0, width0 = _split(pairs[word & mask])
            code1, width1 = _split(pairs[(word >> np.uint64(16)) & mask])
            code2, width2 = _split(pairs[(word >> np.uint64(32)) & mask])
            code3, width3 = _split(pairs[word >> np.uint64(48)])
            accumulator |= (code0 | (code1 << width0)) << n_bits
            n_bits += width0 + width1
            position, accumulator, n_bits = _flush(out, position, accumulator, n_bits)
            accumulator |= (code2 | (code3 << width2)) << n_bits
            n_bits += width2 + width3
            position, accumulator, n_bits = _flush(out, position, accumulator, n_bits)
    else:
        for word in words:
            for shift in range(0, 64, 16):
                code, width = _split(pairs[(word >> np.uint64(shift)) & mask])
                accumulator |= code << n_bits
                n_bits += width
                position, accumulator, n_bits = _flush(out, position, accumulator, n_bits)

    # The bytes after the last whole word (all of them on big-endian machines), one at a time.
    for i in range(8 * n_words, n):
        value = data[i]
        accumulator |= np.uint64(codes[value]) << n_bits
        n_bits += np.uint64(lengths[value])
        position, accumulator, n_bits = _flush(out, position, accumulator, n_bits)
    accumulator |= np.uint64(codes[_END_OF_BLOCK]) << n_bits
    n_bits += np.uint64(lengths[_END_OF_BLOCK])
    position, accumulator, n_bits = _flush(out, position, accumulator, n_bits)
    if n_bits > 0:
        position += np.uint64(1)

    for byte in range(4):
        out[position + np.uint64(byte)] = (checksum >> (24 - 8 * byte)) & 0xFF
    return out[: position + np.uint64(4)]


def code_lengths(counts: np.ndarray, limit: int) -> np.ndarray:
    """Return Huffman code lengths for symbol ``counts``, none longer than ``limit`` bits.

    Symbols with a zero count get length 0. At least two symbols must have a
    non-zero count. When the optimal code is too deep, the counts are
    flattened (halved, plus one) until it fits; the code stays complete.
    """
    return _limited_lengths(np.asarray(counts, dtype=np.int64), limit)


def canonical_codes(lengths: np.ndarray) -> np.ndarray:
    """Assign canonical Huffman codes (RFC 1951, 3.2.2), bit-reversed for LSB-first output."""
    return _canonical_codes(np.asarray(lengths, dtype=np.int64))


def _run_length(lengths: list[int]) -> list[tuple[int, int, int]]:
    """Code a list of code lengths as (symbol, extra value, extra bits) with zero runs folded."""
    items: list[tuple[int, int, int]] = []
    position = 0
    while position < len(lengths):
        value = lengths[position]
        run = 1
        while position + run < len(lengths) and lengths[position + run] == value:
            run += 1
        if value == 0 and run >= 3:
            run = min(run, 138)
            items.append((18, run - 11, 7) if run >= 11 else (17, run - 3, 3))
        else:
            run = 1
            items.append((value, 0, 0))
        position += run
    return items


def _block_header(lengths: np.ndarray) -> tuple[np.ndarray, int]:
    """Pack the zlib header and the header of a final dynamic block, LSB first.

    Returns the bytes, with the last one zero-padded, and the number of bits.
    """
    # One distance code of length 1; no distance is ever used, and inflate accepts this.
    items = _run_length([*lengths.tolist(), 1])
    length_counts = np.zeros(19, dtype=np.int64)
    for symbol, _, _ in items:
        length_counts[symbol] += 1
    if np.count_nonzero(length_counts) < 2:
        # A Huffman code needs two symbols; give an unused one a count.
        length_counts[0 if length_counts[0] == 0 else 1] += 1
    length_widths = code_lengths(length_counts, _MAX_LENGTH_BITS)
    length_codes = canonical_codes(length_widths)
    n_sent = 19
    while n_sent > 4 and length_widths[_LENGTH_ORDER[n_sent - 1]] == 0:
        n_sent -= 1
    fields = [(_ZLIB_HEADER[0], 8), (_ZLIB_HEADER[1], 8)]
    fields += [(1, 1), (2, 2), (_N_LITERALS - 257, 5), (0, 5), (n_sent - 4, 4)]
    fields += [(int(length_widths[symbol]), 3) for symbol in _LENGTH_ORDER[:n_sent]]
    for symbol, extra, extra_bits in items:
        fields.append((int(length_codes[symbol]), int(length_widths[symbol])))
        if extra_bits:
            fields.append((extra, extra_bits))
    packed = 0
    n_bits = 0
    for value, width in fields:
        packed |= value << n_bits
        n_bits += width
    header = np.frombuffer(packed.to_bytes(n_bits // 8 + 1, "little"), dtype=np.uint8)
    return header, n_bits


class _CoderTables(NamedTuple):
    """Everything that coding a chunk needs besides its bytes, for one set of code lengths."""

    header: np.ndarray  # zlib and block header, uint8, read-only
    header_bits: int
    pairs: np.ndarray  # see _pair_table; uint64, read-only
    codes: np.ndarray  # bit-reversed literal codes, uint32, read-only
    lengths: np.ndarray  # literal code lengths, uint8, read-only
    pairs_per_flush: int


@functools.lru_cache(maxsize=_CACHE_SIZE)
def _coder_tables(key: bytes) -> _CoderTables:
    """Build the tables for the code lengths in ``key`` (``uint8``, 257 bytes).

    ``lru_cache`` keeps its dictionary consistent when two threads call at
    once; both may then build the same entry, which is harmless. The arrays
    are shared by every caller, so they are made read-only.
    """
    lengths = np.frombuffer(key, dtype=np.uint8)
    codes = _canonical_codes(lengths)
    header, header_bits = _block_header(lengths.astype(np.int64))
    pairs = _pair_table(codes, lengths)
    pair_width = 2 * int(lengths[:_END_OF_BLOCK].max())
    if 4 * pair_width <= _FREE_BITS:
        pairs_per_flush = 4
    elif 2 * pair_width <= _FREE_BITS:
        pairs_per_flush = 2
    else:
        pairs_per_flush = 1
    for array in (codes, pairs):
        array.flags.writeable = False
    return _CoderTables(header, header_bits, pairs, codes, lengths, pairs_per_flush)


def compress_huffman(data: np.ndarray) -> bytes:
    """Compress a ``uint8`` array into a zlib stream of one Huffman-only deflate block.

    Examples
    --------
    >>> import zlib
    >>> chunk = np.array([0, 1, 2, 3, 3, 3], dtype=np.uint8)
    >>> zlib.decompress(compress_huffman(chunk)) == chunk.tobytes()
    True
    """
    data = np.ascontiguousarray(data, dtype=np.uint8).reshape(-1)
    lengths = _fit_code(data)
    tables = _coder_tables(lengths.tobytes())
    stream = _encode(data, tables.header, tables.header_bits, tables.pairs, tables.codes,
                     tables.lengths, tables.pairs_per_flush, adler32(data))
    return stream.tobytes()
