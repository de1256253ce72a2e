"""``bioseq inspect``: print the summary of an HDF5 store or a model file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click


@click.command("inspect")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@click.option("--no-file-locking", is_flag=True,
              help="Open the store without HDF5 file locks (for NFS and other file systems "
                   "that refuse them).")
def inspect(path: Path, as_json: bool, no_file_locking: bool) -> None:
    """Print the summary of an HDF5 store (from bioseq preprocess) or a model file.

    For a store: record and residue counts, lengths, classes, splits,
    transformations, source files (with a note when one changed) and storage
    settings. For a model file: its metadata.
    """
    from bioseq.io.load import STORE_EXTENSIONS
    from bioseq.io.store import is_store_file
    from bioseq.io.store_check import describe_store

    # A missing path goes to the store reader too, which tells "not found" apart from "being written".
    if is_store_file(path) or not path.exists() or path.suffix.lower() in STORE_EXTENSIONS:
        summary = describe_store(path, locking=False if no_file_locking else None)
        click.echo(json.dumps(summary, indent=2) if as_json else format_store_summary(summary))
        return
    from bioseq.models.modelfile import read_model_metadata

    metadata = read_model_metadata(path)
    click.echo(json.dumps(metadata, indent=2, default=str))


def format_store_summary(summary: dict[str, Any]) -> str:
    """Format a store summary from :func:`bioseq.io.store_check.describe_store` as text."""
    length = summary["length"]
    storage = summary["codes_storage"]
    lines = [
        f"store          {summary['path']} ({summary['file_bytes']:,} bytes)",
        f"format         bioseq store version {summary['format_version']}, written by bioseq "
        f"{summary['bioseq_version']} at {summary['created']}",
        f"alphabet       {summary['alphabet']}",
        f"records        {summary['n_sequences']:,}",
        f"residues       {summary['n_residues']:,}",
        f"length         min {length['min']}, median {length['median']:g}, max {length['max']}",
        f"layout         {summary['input'].get('layout')}",
        f"task           {summary['task'] or 'unlabelled'}",
    ]
    if summary["class_counts"]:
        classes = ", ".join(f"{name}={count:,}" for name, count in summary["class_counts"].items())
        lines.append(f"classes        {classes}")
    elif summary["class_names"]:
        lines.append(f"label columns  {', '.join(summary['class_names'])}")
    if summary["split_counts"]:
        splits = ", ".join(f"{name}={count:,}" for name, count in summary["split_counts"].items())
        lines.append(f"splits         {splits}")
    else:
        lines.append("splits         none")
    transforms = ", ".join(f"{key}={value:,}" for key, value in sorted(summary["transforms"].items()))
    lines.append(f"transforms     {transforms or 'none'}")
    lines.append(f"codes storage  chunks of {storage['chunk_residues']:,} residues, "
                 f"{storage['compression']} level {storage['compression_level']}")
    from bioseq.io.store import source_digest

    for source in summary["sources"]:
        algorithm, digest = source_digest(source)
        # The whole digest, so that it can be compared with a published checksum.
        lines.append(f"source         {source['path']} ({source['size']:,} bytes, "
                     f"{algorithm} {digest})")
    for stale in summary["stale_sources"]:
        lines.append(f"STALE          {stale}; rebuild with bioseq preprocess --overwrite")
    return "\n".join(lines)
