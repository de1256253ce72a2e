"""The Huffman-only deflate coder of store chunks, checked against zlib, isal and HDF5."""

import zlib

import h5py
import numpy as np
import pytest

from bioseq.io._huffman import canonical_codes, code_lengths, compress_huffman
from bioseq.io.store import open_store, read_codes
from bioseq.io.store_writer import compress_chunk, write_store
from bioseq.sequences import SequenceSet

RNG = np.random.default_rng(7)


def _skewed(size: int) -> np.ndarray:
    # Counts that grow like the Fibonacci numbers force an optimal code deeper than 15 bits.
    parts = [np.full(int(1.618**i) + 1, i, dtype=np.uint8) for i in range(30)]
    return np.concatenate(parts)[:size]


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
