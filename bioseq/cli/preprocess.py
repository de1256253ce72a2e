"""``bioseq preprocess``: stream inputs once into an HDF5 store of uint8 codes."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import click

from bioseq.cli.options import data_options, loader_arguments

logger = logging.getLogger(__name__)

# Seconds between progress lines in the log.
_PROGRESS_INTERVAL = 10.0


@click.command("preprocess")
@click.argument("inputs", nargs=-1, metavar="INPUT...")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Store to write, such as data.h5.")
@click.option("--overwrite", is_flag=True,
              help="Replace an existing store (the new one is written beside it and renamed "
                   "over it, so the old file is never truncated).")
@click.option("--compression-level", type=click.IntRange(0, 9), default=1, show_default=True,
              help="Deflate level of the codes: 0 stores them uncompressed, 1 uses Huffman "
                   "coding only (fastest, and smallest on residue codes), 2-9 general deflate.")
@click.option("--source-digest", type=click.Choice(["crc32", "sha256"]), default="crc32",
              show_default=True,
              help="Digest recorded for each input file, to tell later when it changed: crc32 "
                   "costs almost nothing, sha256 can be compared with published checksums.")
@click.option("--chunk-records", type=click.IntRange(min=1), default=10_000, show_default=True,
              help="Records read and written per step; memory grows with this times the "
                   "record length.")
@data_options
def preprocess(inputs: tuple[str, ...], out: Path, overwrite: bool, compression_level: int,
               source_digest: str, chunk_records: int, **data_kwargs: Any) -> None:
    """Encode INPUT... (FASTA, CSV/TSV, gzip or stores) once into the HDF5 store OUT.

    Inputs take the same [SPLIT:][CLASS=]PATH forms and data options as
    --data in other commands. The input is streamed, so memory stays bounded
    whatever its size. Labels read from FASTA headers need --classes, because
    a stream cannot see the classes of later records.
    """
    from bioseq.io.load import iter_sequences
    from bioseq.io.store import write_store

    sources, arguments = loader_arguments(**data_kwargs)
    sources = [*inputs, *sources]
    if not sources:
        raise click.UsageError("no input given; pass INPUT paths (or --data PATH)")
    input_paths = check_inputs(sources, out, overwrite)
    positive_class = arguments.get("positive_class")
    batches = iter_sequences(sources, chunk_records, **arguments)
    started = time.monotonic()
    summary = write_store(out, log_progress(batches, started), sources=input_paths,
                          overwrite=overwrite, compression_level=compression_level,
                          metadata={"reader_options": _json_safe(arguments)},
                          positive_class=positive_class, source_digest=source_digest)
    if not summary["task"]:
        _warn_unused_header_fields(sources)
    logger.info(
        "stored %d records (%d residues) in %s in %.1f s; classes: %s; splits: %s",
        summary["n_sequences"], summary["n_residues"], out, time.monotonic() - started,
        summary["class_names"], summary["split_names"],
    )
    click.echo(str(out))


def _warn_unused_header_fields(sources: list[str]) -> None:
    """Warn when an unlabelled store came from FASTA headers that carry key=value fields."""
    from bioseq.io.compression import open_binary
    from bioseq.io.load import DataSource, detect_format

    for spec in sources:
        source = DataSource.parse(spec)
        if source.class_name is not None or detect_format(source.path) != "fasta":
            continue
        with open_binary(source.path) as stream:
            header = stream.readline(1 << 16).decode("utf-8", errors="replace")
        keys = [token.split("=", 1)[0] for token in header.split()[1:] if "=" in token]
        if keys:
            logger.warning(
                "%s: the store contains no labels, but the FASTA headers carry fields %s; to "
                "store one as labels, rerun with --label-field %s --classes A,B (the class names)",
                source.path, ", ".join(keys), keys[0])
            return


def check_inputs(sources: list[str], out: Path, overwrite: bool) -> list[Path]:
    """Check the output and every input before any work, listing every problem at once.

    Returns
    -------
    list of pathlib.Path
        The input files, for the store's provenance record.

    Raises
    ------
    StoreError
        If the output exists without ``overwrite``, its folder is missing, or
        any input is missing or is a bad store.
    """
    from bioseq.errors import StoreError
    from bioseq.io.load import DataSource, folder_message
    from bioseq.io.store import is_store_file
    from bioseq.io.store_check import validate_store

    problems: list[str] = []
    if out.exists() and not overwrite:
        problems.append(f"{out} already exists; pass --overwrite to replace it")
    if not out.parent.is_dir():
        problems.append(f"output folder {out.parent} does not exist")
    paths = [DataSource.parse(source).path for source in sources]
    for path in paths:
        if path.is_dir():
            problems.append(folder_message(path))
        elif not path.exists():
            problems.append(f"input {path} not found")
        elif not path.is_file():
            problems.append(f"input {path} is not a regular file (a pipe or device); preprocess "
                            "reads each input twice, to encode it and to record its digest, so "
                            "save the stream to a file first")
        elif path.resolve() == out.resolve():
            problems.append(f"input {path} is also the output; write the store to another path")
        elif is_store_file(path):
            problems.extend(validate_store(path, deep=False))
    if problems:
        raise StoreError(f"{len(problems)} problem(s) before preprocessing:\n  " + "\n  ".join(problems))
    return paths


def log_progress(batches: Iterable[Any], started: float) -> Iterator[Any]:
    """Pass batches through, logging the running record count every 10 seconds."""
    n_records = 0
    last = started
    for batch in batches:
        n_records += len(batch)
        now = time.monotonic()
        if now - last >= _PROGRESS_INTERVAL:
            logger.info("%d records stored so far (%.0f records/s)", n_records,
                        n_records / (now - started))
            last = now
        yield batch


def _json_safe(arguments: dict[str, Any]) -> dict[str, Any]:
    return {key: value if isinstance(value, (str, int, float, bool, list)) or value is None
            else str(value) for key, value in arguments.items()}
