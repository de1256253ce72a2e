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
"""

from __future__ import annotations

import heapq

import numpy as np
from numba import njit

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


@njit(cache=True, nogil=True)
def _histogram(data, counts):  # pragma: no cover
    """Add the byte counts of ``data`` to ``counts``.

    Four partial tables break the store-to-load chain that one table has when
    the same byte value repeats, which it does all the time in residue codes.
    """
    partial = np.zeros((4, 256), dtype=np.int64)
    n = len(data)
    i = 0
    while i + 4 <= n:
        partial[0, data[i]] += 1
        partial[1, data[i + 1]] += 1
        partial[2, data[i + 2]] += 1
        partial[3, data[i + 3]] += 1
        i += 4
    while i < n:
        partial[0, data[i]] += 1
        i += 1
    for value in range(256):
        counts[value] += partial[0, value] + partial[1, value] + partial[2, value] + partial[3, value]


@njit(cache=True, nogil=True)
def _put(out, position, accumulator, n_bits, value, width):  # pragma: no cover
    """Add ``width`` bits of ``value`` and move whole bytes to ``out``."""
    accumulator |= value << n_bits
    n_bits += width
    while n_bits >= 8:
        out[position] = accumulator & 0xFF
        position += 1
        accumulator >>= 8
        n_bits -= 8
    return position, accumulator, n_bits


@njit(cache=True, nogil=True)
def _encode(data, codes, widths, pair_codes, pair_widths, head_values, head_widths,
            out):  # pragma: no cover
    """Write the zlib header, the block header fields, the coded data and the end of block.

    The data are coded two bytes at a time through ``pair_codes`` and
    ``pair_widths`` (indexed by ``first + 256 * second``), one pair between
    two moves of 32 bits to ``out``. :func:`code_lengths` limits codes to 15
    bits, so a pair is at most 30 bits and the 64-bit accumulator never
    overflows. Returns the number of bytes written to ``out``.
    """
    out[0] = 0x78
    out[1] = 0x01
    position = 2
    accumulator = np.int64(0)
    n_bits = np.int64(0)
    for i in range(len(head_values)):
        position, accumulator, n_bits = _put(out, position, accumulator, n_bits,
                                             np.int64(head_values[i]), np.int64(head_widths[i]))
    n = len(data)
    i = 0
    while i + 2 <= n:
        pair = np.int64(data[i]) | (np.int64(data[i + 1]) << 8)
        accumulator |= np.int64(pair_codes[pair]) << n_bits
        n_bits += np.int64(pair_widths[pair])
        if n_bits >= 32:
            out[position] = accumulator & 0xFF
            out[position + 1] = (accumulator >> 8) & 0xFF
            out[position + 2] = (accumulator >> 16) & 0xFF
            out[position + 3] = (accumulator >> 24) & 0xFF
            position += 4
            accumulator >>= 32
            n_bits -= 32
        i += 2
    while i < n:
        value = data[i]
        position, accumulator, n_bits = _put(out, position, accumulator, n_bits,
                                             np.int64(codes[value]), np.int64(widths[value]))
        i += 1
    position, accumulator, n_bits = _put(out, position, accumulator, n_bits,
                                         np.int64(codes[_END_OF_BLOCK]),
                                         np.int64(widths[_END_OF_BLOCK]))
    if n_bits > 0:
        out[position] = accumulator & 0xFF
        position += 1
    return position


def code_lengths(counts: np.ndarray, limit: int) -> np.ndarray:
    """Return Huffman code lengths for symbol ``counts``, none longer than ``limit`` bits.

    Symbols with a zero count get length 0. At least two symbols must have a
    non-zero count. When the optimal code is too deep, the counts are
    flattened (halved, plus one) until it fits; the code stays complete.
    """
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


def _tree_depths(weights: np.ndarray) -> np.ndarray:
    # Nodes 0..n-1 are the leaves; merged nodes get the next numbers.
    heap = [(int(weight), index) for index, weight in enumerate(weights)]
    heapq.heapify(heap)
    parent = list(range(len(weights)))
    next_node = len(weights)
    while len(heap) > 1:
        first_weight, first = heapq.heappop(heap)
        second_weight, second = heapq.heappop(heap)
        parent.append(next_node)
        parent[first] = parent[second] = next_node
        heapq.heappush(heap, (first_weight + second_weight, next_node))
        next_node += 1
    depth = [0] * next_node
    # Parents always have larger numbers than their children, so walking down from the
    # root gives each node its depth in one pass.
    for node in range(next_node - 2, -1, -1):
        depth[node] = depth[parent[node]] + 1
    return np.array(depth[: len(weights)], dtype=np.int64)


def canonical_codes(lengths: np.ndarray) -> np.ndarray:
    """Assign canonical Huffman codes (RFC 1951, 3.2.2), bit-reversed for LSB-first output."""
    count = np.bincount(lengths, minlength=_MAX_BITS + 1)
    count[0] = 0
    next_code = np.zeros(_MAX_BITS + 2, dtype=np.int64)
    code = 0
    for bits in range(1, _MAX_BITS + 1):
        code = (code + int(count[bits - 1])) << 1
        next_code[bits] = code
    codes = np.zeros(len(lengths), dtype=np.uint32)
    for symbol, width in enumerate(lengths.tolist()):
        if width:
            value = int(next_code[width])
            next_code[width] += 1
            codes[symbol] = int(f"{value:0{width}b}"[::-1], 2)
    return codes


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


def _block_header(lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Build the bit fields of a final dynamic block header: values and widths."""
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
    fields = [(1, 1), (2, 2), (_N_LITERALS - 257, 5), (0, 5), (n_sent - 4, 4)]
    fields += [(int(length_widths[symbol]), 3) for symbol in _LENGTH_ORDER[:n_sent]]
    for symbol, extra, extra_bits in items:
        fields.append((int(length_codes[symbol]), int(length_widths[symbol])))
        if extra_bits:
            fields.append((extra, extra_bits))
    values, widths = zip(*fields, strict=True)
    return np.array(values, dtype=np.int64), np.array(widths, dtype=np.int64)


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
    counts = np.zeros(_N_LITERALS, dtype=np.int64)
    if len(data):
        # Every value up to the largest gets a code, so counts from a sample of the bytes
        # are enough: a value the sample misses keeps a count of 1 and a long code.
        _histogram(data[::_SAMPLE_STEP], counts)
        counts[: int(data.max()) + 1] += 1
    counts[_END_OF_BLOCK] = 1
    if np.count_nonzero(counts) < 2:
        counts[0 if counts[0] == 0 else 1] = 1
    widths = code_lengths(counts, _MAX_BITS)
    codes = canonical_codes(widths)
    head_values, head_widths = _block_header(widths)
    bound = 2 + (int(head_widths.sum()) + len(data) * _MAX_BITS + _MAX_BITS) // 8 + 2
    out = np.empty(bound + 4, dtype=np.uint8)
    # Pair tables over the byte values that have a code; other pairs never occur in the chunk.
    used = np.flatnonzero(counts[:256])
    pair_codes = np.zeros(1 << 16, dtype=np.uint32)
    pair_widths = np.zeros(1 << 16, dtype=np.uint8)
    first, second = np.meshgrid(used, used, indexing="ij")
    pairs = first + 256 * second
    pair_codes[pairs] = codes[first] | (codes[second] << widths[first].astype(np.uint32))
    pair_widths[pairs] = widths[first] + widths[second]
    size = _encode(data, codes, widths.astype(np.uint8), pair_codes, pair_widths, head_values,
                   head_widths, out)
    out[size : size + 4] = np.frombuffer(adler32(data).to_bytes(4, "big"), dtype=np.uint8)
    return out[: size + 4].tobytes()
