"""Streaming writer of bioseq HDF5 stores (the layout is described in :mod:`bioseq.io.store`).

Memory stays bounded by one input batch plus a few compressed 1 MiB chunks,
whatever the input size. The ``codes`` chunks are deflated in a thread pool: at the default
level 1 by bioseq's Huffman-only coder (a numba kernel), else by isal when it is
installed and by zlib otherwise; all of them release the GIL.
They are written with HDF5's direct chunk write, so compression overlaps with
parsing the next batch.
Source files are hashed in another thread for the same reason.
"""

from __future__ import annotations

import datetime
import json
import logging
import os
import socket
import sys
import threading
import zlib
from collections import Counter, deque
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from queue import Queue
from typing import Any

import h5py
import numpy as np

from bioseq import __version__
from bioseq._files import output_error
from bioseq.alphabet import PAD_CODE, Alphabet, get_alphabet
from bioseq.errors import StoreError
from bioseq.io._huffman import compress_huffman
from bioseq.io.labels import natural_key
from bioseq.io.store import (
    ACTIVE_WRITES,
    CODE_CHUNK,
    FORMAT_NAME,
    FORMAT_VERSION,
    RECORD_CHUNK,
    SOURCE_DIGESTS,
    TEXT_CHUNK,
    TEXT_DATASETS,
    TextValueError,
    claim_writer_lock,
    describe_source,
    encode_text,
    find_partial_files,
    hash_file,
    read_dataset,
    temp_path_for,
    update_checksum,
    writer_is_alive,
)
from bioseq.sequences import SequenceSet

try:  # isal's deflate is about 4x faster than zlib's at level 1 and writes the same format.
    from isal import isal_zlib
except ImportError:  # isal has no wheels for some platforms; zlib writes the same streams.
    isal_zlib = None

logger = logging.getLogger(__name__)

# Code chunks being compressed or waiting to be written (1 MiB each); enough that the
# parser rarely waits for the compression threads.
_MAX_PENDING_CHUNKS = 16
# Chunks added to the extent of the codes dataset at a time.
_GROW_CHUNKS = 256
# Threads that compress chunks. One thread of the Huffman coder keeps up with the
# reader; a second one catches up after a stall.
_COMPRESSION_THREADS = 2
# HDF5's chunk cache. The writer fills every chunk itself and writes it whole, so HDF5 only
# needs room for the chunks that the labels remap at the end reads and rewrites.
_CHUNK_CACHE_BYTES = 8 << 20
# Compressed bytes written between two fdatasync calls, so that the final fsync has
# little left to wait for.
_SYNC_BYTES = 128 << 20
# Nice increment of the compression and append threads (see yield_to_reader).
_WRITER_NICE = 5


class StoreWriter:
    """Stream :class:`~bioseq.sequences.SequenceSet` batches into a new store.

    Use it as a context manager: leaving the block normally finishes the
    store (sets ``complete`` and renames the temporary file), and leaving it
    through an exception deletes the temporary file.

    Parameters
    ----------
    path : path-like
        Final store path, usually ending in ``.h5``.
    alphabet : str or Alphabet
        Alphabet of every batch.
    overwrite : bool, default=False
        Replace an existing store. The old file stays intact (and readable by
        processes that have it open) until the new one is renamed over it.
    sources : sequence of path-like, default=()
        Input files, recorded with their size, mtime and digest so that a
        later read can tell when a source changed.
    compression_level : int, default=1
        Deflate level (0-9) of the ``codes`` chunks: 0 stores them
        uncompressed, 1 uses Huffman coding only (fastest, and smallest on
        residue codes), 2-9 general deflate.
    metadata : dict or None, default=None
        Extra JSON-able facts to record in the ``input`` attribute (reader
        options, for example).
    positive_class : str or None, default=None
        Binary tasks: the class placed last (index 1) when batches list
        different classes and the writer has to merge them.
    source_digest : {"crc32", "sha256"}, default="crc32"
        Digest recorded for each source. CRC-32 costs almost nothing;
        SHA-256 lets the record be compared with published checksums but
        takes about one CPU second per 1.3 GB of input.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        alphabet: str | Alphabet,
        overwrite: bool = False,
        sources: Sequence[str | os.PathLike[str]] = (),
        compression_level: int = 1,
        metadata: dict[str, Any] | None = None,
        positive_class: str | None = None,
        source_digest: str = "crc32",
    ) -> None:
        self.path = Path(path)
        if source_digest not in SOURCE_DIGESTS:
            raise ValueError(f"invalid source_digest {source_digest!r}; expected one of "
                             f"{list(SOURCE_DIGESTS)}")
        self.source_digest = source_digest
        self.positive_class = positive_class
        self.alphabet = get_alphabet(alphabet)
        if not 0 <= compression_level <= 9:
            raise ValueError(f"invalid compression_level {compression_level}; expected 0-9")
        self.compression_level = compression_level
        self.metadata = dict(metadata or {})
        if self.path.exists() and not overwrite:
            raise StoreError(
                f"{self.path} already exists; pass --overwrite (overwrite=True) to replace it"
            )
        if not self.path.parent.is_dir():
            raise StoreError(f"output folder {self.path.parent} does not exist")
        try:
            self._lock = claim_writer_lock(self.path)
        except OSError as error:
            if isinstance(error, StoreError):
                raise
            raise output_error(self.path, error) from error
        ACTIVE_WRITES.add(self._lock.resolve())
        try:
            self._remove_leftovers()
            self._start(sources, source_digest)
        except BaseException:
            self._release_lock()
            raise

    def _remove_leftovers(self) -> None:
        for partial in find_partial_files(self.path):
            alive = writer_is_alive(partial, self.path)
            if alive is False:
                logger.info("removing %s, left by an interrupted writer", partial)
                partial.unlink(missing_ok=True)
            else:
                elsewhere = "" if alive else (
                    f"; if no writer runs on that host, delete {partial}")
                raise StoreError(
                    f"{self.path} is being written by another process ({partial.name} exists); "
                    f"wait for it to finish or write to another path{elsewhere}"
                )

    def _start(self, sources: Sequence[str | os.PathLike[str]], source_digest: str) -> None:
        self.temp_path = temp_path_for(self.path)
        # Chunks are compressed in one pool. Source hashes and disk syncs wait on the file
        # system, so they run in another and never hold up a chunk.
        self._pool = ThreadPoolExecutor(max_workers=_COMPRESSION_THREADS,
                                        thread_name_prefix="bioseq-store",
                                        initializer=yield_to_reader)
        self._files_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="bioseq-store-io",
                                              initializer=yield_to_reader)
        self._hashes = [(Path(s), self._files_pool.submit(hash_file, Path(s), source_digest))
                        for s in sources]
        try:
            self._file = h5py.File(self.temp_path, "w", rdcc_nbytes=_CHUNK_CACHE_BYTES,
                                   rdcc_nslots=10007)
        except OSError as error:
            self._shutdown_pools()
            raise output_error(self.path, error) from error
        ACTIVE_WRITES.add(self.temp_path.resolve())
        self._datasets: dict[str, h5py.Dataset] = {}
        self._rows: dict[str, _RowAppender] = {}
        # Bytes written so far to each text column's text dataset.
        self._text_size: dict[str, int] = {}
        self._codes_capacity = 0
        # CRC-32 of each dataset's content so far.
        self._checksums: dict[str, int] = {"codes": 0}
        self._create_datasets()
        self._buffer = np.zeros(CODE_CHUNK, dtype=np.uint8)
        self._buffered = 0
        self._n_chunks = 0
        self._unsynced = 0
        self._sync: Future[None] | None = None
        self._pending: deque[tuple[int, Future[bytes]]] = deque()
        self._n_records = 0
        self._n_residues = 0
        self._min_length: int | None = None
        self._max_length = 0
        self._task: str | None = None
        self._labelled: bool | None = None
        self._class_names: list[str] = []
        self._first_class_names: list[str] | None = None
        self._class_lists_differ = False
        self._split_names: list[str] = []
        self._has_splits: bool | None = None
        self._transforms: Counter = Counter()
        self._flagged: dict[str, list[str]] = {}
        self._closed = False
        self.finish_summary: dict[str, Any] = {}

    def _create_datasets(self) -> None:
        f = self._file
        f.attrs["format"] = FORMAT_NAME
        f.attrs["format_version"] = FORMAT_VERSION
        f.attrs["complete"] = False
        f.attrs["alphabet"] = self.alphabet.name
        f.attrs["bioseq_version"] = __version__
        f.create_dataset("codes", shape=(0,), maxshape=(None,), dtype=np.uint8,
                         chunks=(CODE_CHUNK,), compression="gzip",
                         compression_opts=self.compression_level)
        self._create_rows("offsets", np.int64, RECORD_CHUNK, shuffle=True)
        self._extend("offsets", np.zeros(1, dtype=np.int64))
        self._create_text("ids", np.zeros(0, dtype=np.uint8), np.zeros(1, dtype=np.int64))

    def _create_rows(self, name: str, dtype: Any, chunk_rows: int, *, shuffle: bool,
                     row_shape: tuple[int, ...] = ()) -> None:
        dataset = self._file.create_dataset(
            name, shape=(0, *row_shape), maxshape=(None, *row_shape), dtype=dtype,
            chunks=(chunk_rows, *row_shape), compression="gzip", compression_opts=1,
            shuffle=shuffle)
        self._rows[name] = _RowAppender(dataset)

    def _create_text(self, column: str, text: np.ndarray, offsets: np.ndarray) -> None:
        text_name, offsets_name = TEXT_DATASETS[column]
        self._create_rows(text_name, np.uint8, TEXT_CHUNK, shuffle=False)
        self._create_rows(offsets_name, np.int64, RECORD_CHUNK, shuffle=True)
        self._extend(text_name, text)
        self._extend(offsets_name, offsets)
        self._text_size[column] = len(text)

    def __enter__(self) -> StoreWriter:
        return self

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        if exc_type is None:
            self.finish()
        else:
            self.abort()

    # ------------------------------------------------------------- appending

    def append(self, batch: SequenceSet) -> None:
        """Append the records of one batch.

        Raises
        ------
        StoreError
            If the batch's alphabet, task, labels or split membership do not
            match the batches before it.
        """
        if batch.alphabet.name != self.alphabet.name:
            raise StoreError(
                f"batch from {batch.sources or 'input'} is {batch.alphabet.name}, but "
                f"{self.path} is being written as {self.alphabet.name}"
            )
        n = len(batch)
        if n == 0:
            return
        self._append_codes(batch.codes)
        lengths = batch.lengths
        shortest = int(lengths.min())
        self._min_length = shortest if self._min_length is None else min(shortest, self._min_length)
        self._max_length = max(int(lengths.max()), self._max_length)
        self._extend("offsets", batch.offsets[1:] + self._n_residues)
        self._append_text("ids", batch, batch.ids)
        self._append_labels(batch)
        self._append_splits(batch)
        self._append_descriptions(batch)
        self._transforms.update(batch.transforms)
        for reason, ids in batch.flagged.items():
            self._flagged.setdefault(reason, []).extend(ids)
        self._n_records += n
        self._n_residues += int(batch.offsets[-1])

    def _append_descriptions(self, batch: SequenceSet) -> None:
        # Most FASTA headers have no description, so the datasets are created only when the
        # first non-empty one arrives; earlier records get "" (which is what a reader sees).
        values = batch.descriptions.tolist() if batch.descriptions is not None else []
        has_text = any(values)
        if "descriptions" not in self._text_size:
            if not has_text:
                return
            empty_text = np.zeros(self._n_records, dtype=np.uint8)
            empty_offsets = np.arange(self._n_records + 1, dtype=np.int64)
            self._create_text("descriptions", empty_text, empty_offsets)
        self._append_text("descriptions", batch, values if has_text else [""] * len(batch))

    def _append_text(self, column: str, batch: SequenceSet, values: Sequence[str]) -> None:
        try:
            text, ends = encode_text(values if isinstance(values, list) else values.tolist())
        except TextValueError as error:
            field = "id" if column == "ids" else "description"
            raise StoreError(
                f"record {batch.ids[error.index]!r} from {batch.sources or 'input'}: its {field} "
                f"{error.problem}, which a store cannot hold; remove the character from the input"
            ) from None
        text_name, offsets_name = TEXT_DATASETS[column]
        size = self._text_size[column]
        self._extend(text_name, text)
        self._extend(offsets_name, ends + size)
        self._text_size[column] = size + len(text)

    def _dataset(self, name: str) -> h5py.Dataset:
        # Looking a dataset up by name costs an HDF5 link search each time; keep the handles.
        dataset = self._datasets.get(name)
        if dataset is None:
            dataset = self._datasets[name] = self._file[name]
        return dataset

    def _extend(self, name: str, values: np.ndarray) -> None:
        rows = self._rows[name]
        values = np.asarray(values, dtype=rows.dtype)
        rows.append(values)
        self._checksums[name] = update_checksum(self._checksums.get(name, 0), values)

    def _append_codes(self, codes: np.ndarray) -> None:
        self._checksums["codes"] = update_checksum(self._checksums["codes"], codes)
        position = 0
        while position < len(codes):
            if self._buffered == 0 and len(codes) - position >= CODE_CHUNK:
                # A whole chunk inside the batch is compressed from the batch itself, uncopied.
                self._submit(codes[position : position + CODE_CHUNK])
                position += CODE_CHUNK
                continue
            take = min(CODE_CHUNK - self._buffered, len(codes) - position)
            self._buffer[self._buffered : self._buffered + take] = codes[position : position + take]
            self._buffered += take
            position += take
            if self._buffered == CODE_CHUNK:
                self._submit_chunk()

    def _submit_chunk(self) -> None:
        # Chunks always hold CODE_CHUNK residues; the dataset's extent hides the padding.
        self._buffer[self._buffered :] = 0
        self._submit(self._buffer)
        # The compression thread owns the filled buffer now; the next chunk gets a new one.
        self._buffer = np.empty(CODE_CHUNK, dtype=np.uint8)
        self._buffered = 0

    def _submit(self, chunk: np.ndarray) -> None:
        future = self._pool.submit(compress_chunk, chunk, self.compression_level)
        self._pending.append((self._n_chunks, future))
        self._n_chunks += 1
        while len(self._pending) > _MAX_PENDING_CHUNKS:
            self._write_pending_chunk()

    def _write_pending_chunk(self) -> None:
        index, future = self._pending.popleft()
        if self._codes_capacity < (index + 1) * CODE_CHUNK:
            # Grow in steps of many chunks; finishing trims the extent to the residues.
            self._codes_capacity = (index + _GROW_CHUNKS) * CODE_CHUNK
            self._dataset("codes").resize((self._codes_capacity,))
        chunk = future.result()
        self._dataset("codes").id.write_direct_chunk((index * CODE_CHUNK,), chunk)
        self._unsynced += len(chunk)
        if self._unsynced >= _SYNC_BYTES and (self._sync is None or self._sync.done()):
            # Send what is written so far to the disk in a pool thread, while the reader
            # still runs, so that the final fsync has little left to wait for.
            self._sync = self._files_pool.submit(os.fdatasync, self._file.id.get_vfd_handle())
            self._unsynced = 0

    def _append_labels(self, batch: SequenceSet) -> None:
        labelled = batch.labels is not None
        if self._labelled is None:
            self._labelled = labelled
            self._task = batch.task
        if labelled != self._labelled:
            raise StoreError(
                f"batch from {batch.sources or 'input'} is {'' if labelled else 'un'}labelled "
                "but earlier batches are not; label every input or none"
            )
        if not labelled:
            return
        if batch.task != self._task:
            raise StoreError(
                f"batch from {batch.sources or 'input'} has task {batch.task!r} but earlier "
                f"batches have {self._task!r}"
            )
        labels = np.asarray(batch.labels)
        names = list(batch.class_names or [])
        if self._first_class_names is None:
            self._first_class_names = names
        elif names != self._first_class_names:
            self._class_lists_differ = True
        if batch.task in ("binary", "multiclass"):
            labels = self._to_global_classes(labels.astype(np.int64), names)
        elif self._class_lists_differ:
            raise StoreError(
                f"batch from {batch.sources or 'input'} has label columns {names} but earlier "
                f"batches have {self._first_class_names}"
            )
        if "labels" not in self._rows:
            # Rows per chunk: RECORD_CHUNK, or fewer when each row has many labels, so that a
            # chunk stays near 512 KiB.
            row_bytes = labels.dtype.itemsize * int(np.prod(labels.shape[1:], dtype=np.int64))
            rows = max(1, min(RECORD_CHUNK, (512 << 10) // max(row_bytes, 1)))
            self._create_rows("labels", labels.dtype, rows, shuffle=True,
                              row_shape=labels.shape[1:])
        self._extend("labels", labels)

    def _to_global_classes(self, labels: np.ndarray, names: list[str]) -> np.ndarray:
        # Each batch may carry its own class list; map it to one list in first-seen order.
        lookup = np.zeros(max(len(names), 1), dtype=np.int64)
        for local, name in enumerate(names):
            if name not in self._class_names:
                self._class_names.append(name)
            lookup[local] = self._class_names.index(name)
        valid = labels >= 0
        result = labels.copy()
        result[valid] = lookup[labels[valid]]
        return result

    def _append_splits(self, batch: SequenceSet) -> None:
        has_splits = batch.splits is not None
        if self._has_splits is None:
            self._has_splits = has_splits
            if has_splits:
                self._create_rows("splits", np.uint8, RECORD_CHUNK, shuffle=False)
        if has_splits != self._has_splits:
            raise StoreError(
                f"batch from {batch.sources or 'input'} {'has' if has_splits else 'lacks'} split "
                "membership but earlier batches do not; give every input a split column or none"
            )
        if not has_splits:
            return
        splits = np.asarray(batch.splits, dtype=object)
        for name in dict.fromkeys(splits.tolist()):
            if name not in self._split_names:
                self._split_names.append(str(name))
        lookup = {name: index for index, name in enumerate(self._split_names)}
        self._extend("splits", np.array([lookup[s] for s in splits], dtype=np.uint8))

    # -------------------------------------------------------------- finishing

    def finish(self) -> dict[str, Any]:
        """Write the remaining chunks and attributes, set ``complete`` and rename.

        Returns
        -------
        dict
            The store's summary attributes (counts, lengths, classes, sources).
        """
        if self._closed:
            raise StoreError(f"{self.path}: the writer is already closed")
        try:
            self.finish_summary = self._finish_file()
        except BaseException:
            self.abort()
            raise
        self._closed = True
        return self.finish_summary

    def _finish_file(self) -> dict[str, Any]:
        if self._buffered:
            self._submit_chunk()
        while self._pending:
            self._write_pending_chunk()
        if self._sync is not None:
            self._sync.result()  # no sync may run on the descriptor once the file is closed
        self._dataset("codes").resize((self._n_residues,))
        for rows in self._rows.values():
            rows.finish()
        class_names = self._final_class_names()
        sources = [describe_source(path, self.path, future.result(), self.source_digest)
                   for path, future in self._hashes]
        lengths_equal = self._n_records > 0 and self._min_length == self._max_length
        attrs = {
            "n_sequences": self._n_records,
            "n_residues": self._n_residues,
            "min_length": self._min_length if self._min_length is not None else 0,
            "max_length": self._max_length,
            "task": self._task or "",
            "class_names": json.dumps(class_names),
            "split_names": json.dumps(self._split_names),
            "transforms": json.dumps(dict(self._transforms)),
            "flagged": json.dumps(self._flagged),
            "sources": json.dumps(sources),
            "checksums": json.dumps({name: f"{value:08x}"
                                     for name, value in sorted(self._checksums.items())}),
            "input": json.dumps({
                "codes": "uint8 index into the alphabet's symbols",
                "layout": "fixed" if lengths_equal else "ragged",
                "fixed_length": self._min_length if lengths_equal else None,
                "alphabet_symbols": self.alphabet.symbols,
                "pad_code": PAD_CODE,
                **self.metadata,
            }),
            "created": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
            "writer_host": socket.gethostname(),
        }
        for key, value in attrs.items():
            self._file.attrs[key] = value
        self._file.flush()
        # 'complete' is set last, so a store without it was never finished.
        self._file.attrs["complete"] = True
        self._file.close()
        self._shutdown_pools()
        _fsync(self.temp_path)
        os.replace(self.temp_path, self.path)
        ACTIVE_WRITES.discard(self.temp_path.resolve())
        self._release_lock()
        _fsync(self.path.parent)
        logger.info("wrote %d records (%d residues) to %s", self._n_records, self._n_residues,
                    self.path)
        return {**attrs, "class_names": class_names, "split_names": list(self._split_names),
                "sources": sources}

    def _final_class_names(self) -> list[str] | None:
        if not self._labelled:
            return None
        if self._task not in ("binary", "multiclass"):
            return self._first_class_names
        if not self._class_lists_differ:
            # Every batch had the same list (declared classes, say): keep its order.
            return self._class_names
        # Batches disagreed on their class lists, so classes take the natural order that
        # bioseq.io.load uses, with the positive class (if given) moved last.
        final = sorted(self._class_names, key=natural_key)
        if self.positive_class is not None and self.positive_class in final:
            final = [name for name in final if name != self.positive_class] + [self.positive_class]
        if final != self._class_names:
            mapping = np.array([final.index(name) for name in self._class_names], dtype=np.int64)
            labels = self._dataset("labels")
            checksum = 0
            for start in range(0, labels.shape[0], RECORD_CHUNK):
                block = read_dataset(self.temp_path, labels, slice(start, start + RECORD_CHUNK))
                valid = block >= 0
                block[valid] = mapping[block[valid]]
                labels[start : start + RECORD_CHUNK] = block
                checksum = update_checksum(checksum, block)
            self._checksums["labels"] = checksum
        logger.info("input batches listed different classes; stored them sorted: %s", final)
        return final

    def _release_lock(self) -> None:
        ACTIVE_WRITES.discard(self._lock.resolve())
        self._lock.unlink(missing_ok=True)

    def _shutdown_pools(self) -> None:
        for pool in (self._pool, self._files_pool):
            pool.shutdown(wait=True, cancel_futures=True)

    def abort(self) -> None:
        """Close and delete the temporary file; the final path is left untouched."""
        if self._closed:
            return
        self._closed = True
        for _, future in self._pending:
            future.cancel()
        self._shutdown_pools()
        try:
            self._file.close()
        finally:
            self.temp_path.unlink(missing_ok=True)
            ACTIVE_WRITES.discard(self.temp_path.resolve())
            self._release_lock()


class _RowAppender:
    """Append rows to one chunked, deflated dataset and write each chunk whole when it fills.

    The chunks are shuffled (when the dataset has the shuffle filter) and deflated here,
    with isal when it is installed, and written with HDF5's direct chunk write.
    Inside h5py the same compression would run while the GIL is held, and the
    reader in the other thread needs the GIL.
    """

    def __init__(self, dataset: h5py.Dataset) -> None:
        self.dataset = dataset
        self.dtype = dataset.dtype
        self.chunk_rows = dataset.chunks[0]
        self.shuffle = bool(dataset.shuffle) and dataset.dtype.itemsize > 1
        self.level = int(dataset.compression_opts)
        self.buffer = np.zeros((self.chunk_rows, *dataset.shape[1:]), dtype=dataset.dtype)
        self.n_rows = 0  # rows appended so far
        self.capacity = 0  # rows in the dataset's extent

    def append(self, values: np.ndarray) -> None:
        position = 0
        while position < len(values):
            filled = self.n_rows % self.chunk_rows
            take = min(self.chunk_rows - filled, len(values) - position)
            self.buffer[filled : filled + take] = values[position : position + take]
            self.n_rows += take
            position += take
            if filled + take == self.chunk_rows:
                self._write_chunk((self.n_rows - 1) // self.chunk_rows)

    def finish(self) -> None:
        """Write the last, partly filled chunk and trim the extent to the rows appended."""
        filled = self.n_rows % self.chunk_rows
        if filled:
            self.buffer[filled:] = 0
            self._write_chunk(self.n_rows // self.chunk_rows)
        self.dataset.resize((self.n_rows, *self.dataset.shape[1:]))

    def _write_chunk(self, index: int) -> None:
        if self.capacity < (index + 1) * self.chunk_rows:
            self.capacity = (index + _GROW_CHUNKS) * self.chunk_rows
            self.dataset.resize((self.capacity, *self.dataset.shape[1:]))
        data = self.buffer
        if self.shuffle:
            # HDF5's shuffle filter: the first bytes of all values, then all second bytes,
            # and so on.
            data = np.ascontiguousarray(data.reshape(-1).view(np.uint8)
                                        .reshape(-1, self.dtype.itemsize).T)
        offset = (index * self.chunk_rows,) + (0,) * (self.buffer.ndim - 1)
        self.dataset.id.write_direct_chunk(offset, _deflate(data, self.level))


def _deflate(data: bytes | np.ndarray, level: int) -> bytes:
    # isal has levels 1-3 only, and its level 0 still compresses, so zlib covers 0 and 4-9.
    if isal_zlib is not None and 1 <= level <= 3:
        return isal_zlib.compress(data, level)
    return zlib.compress(data, level)


def compress_chunk(data: bytes | np.ndarray, level: int) -> bytes:
    """Deflate one chunk in the zlib format that HDF5's gzip filter reads.

    Level 1 codes each byte with a Huffman code fit to the chunk and no string
    matching (:mod:`bioseq.io._huffman`): on residue codes this is both the
    fastest and the smallest. Levels 2-9 are general deflate.
    """
    if level == 1:
        return compress_huffman(np.frombuffer(data, dtype=np.uint8)
                                if isinstance(data, bytes) else data)
    return _deflate(data, level)


def yield_to_reader() -> None:
    """Lower the scheduling priority of the calling thread (Linux only).

    The writer's threads use the cores that the reader leaves idle. When
    they compete for one core, the reader, which sets the pace, gets about
    three times their share.
    """
    if not sys.platform.startswith("linux"):
        return  # elsewhere setpriority applies to the whole process, not one thread
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), _WRITER_NICE)
    except OSError:  # a sandbox may refuse it, and the threads then keep the default priority
        pass


def _fsync(path: Path) -> None:
    flags = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) if path.is_dir() else os.O_RDONLY
    descriptor = os.open(path, flags)
    try:
        os.fsync(descriptor)
    except OSError:  # some file systems refuse fsync on folders; the rename still happened
        pass
    finally:
        os.close(descriptor)


def write_store(
    path: str | os.PathLike[str],
    batches: Iterable[SequenceSet],
    *,
    alphabet: str | Alphabet | None = None,
    overwrite: bool = False,
    sources: Sequence[str | os.PathLike[str]] = (),
    compression_level: int = 1,
    metadata: dict[str, Any] | None = None,
    positive_class: str | None = None,
    source_digest: str = "crc32",
) -> dict[str, Any]:
    """Stream batches of records into a new store and return its summary.

    Parameters
    ----------
    path : path-like
        Final store path.
    batches : iterable of SequenceSet
        Records in store order; a streaming reader's output keeps memory bounded.
    alphabet : str or Alphabet or None, default=None
        Alphabet of the batches; None takes it from the first batch.
    overwrite, sources, compression_level, metadata, positive_class, source_digest
        As for :class:`StoreWriter`.

    Returns
    -------
    dict
        Counts, lengths, class names, split names and source records.

    Raises
    ------
    StoreError
        If ``path`` exists and ``overwrite`` is False, or the batches disagree.
    """
    iterator = iter(batches)
    first = next(iterator, None)
    if alphabet is None:
        alphabet = first.alphabet if first is not None else "dna"
    with StoreWriter(path, alphabet=alphabet, overwrite=overwrite, sources=sources,
                     compression_level=compression_level, metadata=metadata,
                     positive_class=positive_class, source_digest=source_digest) as writer:
        if first is not None:
            writer.append(first)
        append_in_background(writer, iterator)
    return writer.finish_summary


_END = object()


def append_in_background(writer: StoreWriter, batches: Iterator[SequenceSet]) -> None:
    """Append batches in a second thread while this thread reads the next ones.

    The FASTA reader's numba kernels release the GIL, so parsing overlaps with
    the HDF5 writes on a second core. At most two parsed batches wait in between.
    An error on either side stops both and is raised here.
    """
    waiting: Queue[object] = Queue(maxsize=2)
    errors: list[BaseException] = []

    def consume() -> None:
        yield_to_reader()
        try:
            while (batch := waiting.get()) is not _END:
                writer.append(batch)  # type: ignore[arg-type]
        except BaseException as error:  # re-raised in the reading thread below
            errors.append(error)
            while waiting.get() is not _END:
                pass

    thread = threading.Thread(target=consume, name="bioseq-store-append", daemon=True)
    thread.start()
    try:
        for batch in batches:
            if errors:
                break
            waiting.put(batch)
    finally:
        waiting.put(_END)
        thread.join()
    if errors:
        raise errors[0]

