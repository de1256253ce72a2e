"""The Huffman-only deflate coder of store chunks, checked against zlib, isal and HDF5."""

import heapq
import zlib
from concurrent.futures import ThreadPoolExecutor

import h5py
import numpy as np
import pytest

from bioseq.io._huffman import (
    _coder_tables,
    _fit_code,
    canonical_codes,
    code_lengths,
    compress_huffman,
)
from bioseq.io.store import open_store, read_codes
from bioseq.io.store_writer import compress_chunk, write_store
from bioseq.sequences import SequenceSet

RNG = np.random.default_rng(7)


def _skewed(size: int) -> np.ndarray:
    # Counts that grow like the Fibonacci numbers force an optimal code deeper than 15 bits.
    parts = [np.full(int(1.618**i) + 1, i, dtype=np.uint8) for i in range(30)]
    return np.concatenate(parts)[:size]


def _fifteen_bit_code() -> np.ndarray:
    # The coder counts every 16th byte. Sampled counts of one less than the Fibonacci numbers
    # (each value up to the largest gets one more count) make the longest code exactly 15 bits.
    fibonacci = [1, 2]
    while len(fibonacci) < 15:
        fibonacci.append(fibonacci[-1] + fibonacci[-2])
    runs = [np.full(16 * (count - 1), value, dtype=np.uint8)
            for value, count in enumerate(fibonacci)]
    return np.concatenate([*runs, np.array([14], dtype=np.uint8)])


CHUNKS = {
    "empty": np.zeros(0, dtype=np.uint8),
    "one byte": np.array([3], dtype=np.uint8),
    "one value repeated": np.full(1000, 2, dtype=np.uint8),
    "highest byte value only": np.full(10, 255, dtype=np.uint8),
    "odd length": RNG.integers(0, 4, 1001, dtype=np.uint8),
    "DNA with N": np.where(RNG.random(1 << 20) < 0.001, 4, RNG.integers(0, 4, 1 << 20)).astype(np.uint8),
    "protein": RNG.integers(0, 25, 100_001, dtype=np.uint8),
    "every byte value": RNG.integers(0, 256, 5000, dtype=np.uint8),
    "skewed, deep code": _skewed(1 << 20),
    "15-bit code": _fifteen_bit_code(),
    "padding run": np.concatenate([RNG.integers(0, 4, 3000), np.zeros(1 << 16)]).astype(np.uint8),
}


@pytest.mark.parametrize("name", CHUNKS)
def test_zlib_and_isal_inflate_the_stream(name):
    chunk = CHUNKS[name]
    stream = compress_huffman(chunk)
    assert zlib.decompress(stream) == chunk.tobytes()
    isal_zlib = pytest.importorskip("isal.isal_zlib")
    assert isal_zlib.decompress(stream) == chunk.tobytes()


def test_uniform_dna_size_near_entropy():
    chunk = RNG.integers(0, 4, 1 << 20, dtype=np.uint8)
    size = len(compress_huffman(chunk))
    # Four equally common values and the end-of-block symbol: the best complete code gives
    # three values 2 bits and one value 3 bits, 2.25 bits a base on average.
    assert 0.28 * len(chunk) < size < 0.285 * len(chunk)
    assert size < len(zlib.compress(chunk.tobytes(), 1))


def test_code_lengths_respect_the_limit_and_stay_complete():
    counts = np.bincount(_skewed(1 << 20), minlength=30).astype(np.int64)
    lengths = code_lengths(counts, 15)
    assert lengths.max() <= 15
    used = lengths[lengths > 0]
    # A complete prefix code fills the Kraft sum exactly.
    assert np.sum(2.0 ** -used) == pytest.approx(1.0)
    codes = canonical_codes(lengths)
    words = {format(int(codes[s]), f"0{lengths[s]}b")[::-1] for s in np.flatnonzero(lengths)}
    assert len(words) == len(used)
    assert not any(a != b and b.startswith(a) for a in words for b in words)


def test_level_one_chunks_read_back_through_hdf5(tmp_path):
    lengths = RNG.integers(50, 400, 3000)
    text = ["".join(RNG.choice(list("ACGTN"), p=[0.24, 0.25, 0.25, 0.25, 0.01], size=n))
            for n in lengths]
    records = SequenceSet.from_strings(text, alphabet="dna")
    path = tmp_path / "huffman.h5"
    write_store(path, [records], compression_level=1)
    # Plain h5py, with HDF5's own gzip filter, reads what bioseq wrote.
    with h5py.File(path, "r") as handle:
        assert np.array_equal(handle["codes"][:], records.codes)
    with open_store(path) as store:
        assert np.array_equal(read_codes(path, store.handle["codes"], 0, len(records.codes)),
                              records.codes)


@pytest.mark.parametrize("level", [0, 1, 2, 6])
def test_every_level_gives_a_stream_that_zlib_reads(level):
    chunk = CHUNKS["DNA with N"]
    assert zlib.decompress(compress_chunk(chunk, level)) == chunk.tobytes()


def _random_chunk(n_values: int, size: int, skew: float) -> np.ndarray:
    # Dirichlet weights: a small skew gives a few common values and many rare ones.
    weights = RNG.dirichlet(np.full(n_values, skew))
    return RNG.choice(n_values, size=size, p=weights).astype(np.uint8)


ALPHABETS = {"DNA": 4, "DNA with N": 5, "IUPAC DNA": 16, "protein": 20, "protein with X, B, Z": 25,
             "every byte value": 256}
# Sizes around the 8-byte words the coder reads, and odd sizes with a tail of 1-7 bytes.
SIZES = [1, 2, 7, 8, 9, 15, 16, 17, 1001, 4099, 65_537]


@pytest.mark.parametrize("alphabet", ALPHABETS)
@pytest.mark.parametrize("skew", [0.3, 5.0])
def test_random_chunks_round_trip(alphabet, skew):
    for size in SIZES:
        chunk = _random_chunk(ALPHABETS[alphabet], size, skew)
        assert zlib.decompress(compress_huffman(chunk)) == chunk.tobytes(), size


@pytest.mark.parametrize(("name", "pairs_per_flush"),
                         [("DNA with N", 4), ("every byte value", 2), ("15-bit code", 1)])
def test_each_flush_width_round_trips(name, pairs_per_flush):
    chunk = CHUNKS[name]
    lengths = _fit_code(chunk)
    assert _coder_tables(lengths.tobytes()).pairs_per_flush == pairs_per_flush
    if pairs_per_flush == 1:
        assert lengths.max() == 15
    assert zlib.decompress(compress_huffman(chunk)) == chunk.tobytes()
    assert zlib.decompress(compress_huffman(chunk[1:])) == chunk[1:].tobytes()


def test_stream_size_matches_code_lengths():
    # No bit is wasted: the stream is the header, each byte's code, the end-of-block code,
    # padding to a whole byte and the 4-byte checksum.
    chunk = _random_chunk(25, 100_003, 0.5)
    lengths = _fit_code(chunk).astype(np.int64)
    tables = _coder_tables(lengths.astype(np.uint8).tobytes())
    n_bits = tables.header_bits + int(np.sum(lengths[chunk])) + int(lengths[256])
    assert len(compress_huffman(chunk)) == -(-n_bits // 8) + 4


def _heapq_cost(counts: np.ndarray) -> int:
    # Cost of an optimal code: the sum of the weights of all merged nodes.
    heap = [int(count) for count in counts if count]
    heapq.heapify(heap)
    cost = 0
    while len(heap) > 1:
        merged = heapq.heappop(heap) + heapq.heappop(heap)
        cost += merged
        heapq.heappush(heap, merged)
    return cost


@pytest.mark.parametrize("n_symbols", [2, 3, 5, 25, 257])
def test_code_lengths_optimal_when_shallow(n_symbols):
    counts = RNG.integers(1, 1000, n_symbols)
    lengths = code_lengths(counts, 15)
    assert lengths.max() <= 15
    assert int(np.sum(lengths * counts)) == _heapq_cost(counts)


def test_cached_and_uncached_tables_give_same_bytes():
    chunk = _random_chunk(21, 50_001, 0.5)
    _coder_tables.cache_clear()
    built = compress_huffman(chunk)
    assert _coder_tables.cache_info().misses == 1
    cached = compress_huffman(chunk)
    assert _coder_tables.cache_info().hits == 1
    assert cached == built
    assert zlib.decompress(cached) == chunk.tobytes()


def test_cached_tables_are_read_only():
    tables = _coder_tables(_fit_code(CHUNKS["protein"]).tobytes())
    for array in (tables.header, tables.pairs, tables.codes, tables.lengths):
        assert not array.flags.writeable


def test_read_only_and_strided_input_same_stream():
    chunk = CHUNKS["odd length"]
    expected = compress_huffman(chunk.copy())
    assert compress_huffman(np.frombuffer(chunk.tobytes(), dtype=np.uint8)) == expected
    doubled = np.repeat(chunk, 2)
    assert compress_huffman(doubled[::2]) == expected


def test_two_threads_compress_at_once():
    alphabets = [(4, 5.0), (5, 0.3), (20, 0.5), (25, 5.0)] * 6
    chunks = [_random_chunk(n_values, 200_000 + index, skew)
              for index, (n_values, skew) in enumerate(alphabets)]
    expected = [compress_huffman(chunk) for chunk in chunks]
    _coder_tables.cache_clear()
    # Both threads build tables for new code lengths and code chunks at the same time.
    with ThreadPoolExecutor(max_workers=2) as pool:
        streams = list(pool.map(compress_huffman, chunks))
    for chunk, stream, single in zip(chunks, streams, expected, strict=True):
        assert zlib.decompress(stream) == chunk.tobytes()
        assert stream == single
