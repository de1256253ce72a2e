"""``bioseq validate``: check HDF5 stores for truncation, corruption and stale sources."""

from __future__ import annotations

from pathlib import Path

import click


@click.command("validate")
@click.argument("paths", nargs=-1, required=True,
                type=click.Path(dir_okay=False, path_type=Path))
@click.option("--quick", is_flag=True,
              help="Check headers and shapes only; skip reading every dataset and its checksum.")
@click.option("--no-file-locking", is_flag=True,
              help="Open stores without HDF5 file locks (for NFS and other file systems "
                   "that refuse them).")
def validate(paths: tuple[Path, ...], quick: bool, no_file_locking: bool) -> None:
    """Check every store in PATHS and list each problem found.

    Prints one line per store (OK, or its problems) and exits with status 1
    when any store is truncated, corrupt, incomplete, of another format
    version, or built from source files that have changed since.
    """
    from bioseq.errors import StoreError
    from bioseq.io.store_check import validate_store

    bad = 0
    for path in paths:
        problems = validate_store(path, deep=not quick,
                                  locking=False if no_file_locking else None)
        if problems:
            bad += 1
            for problem in problems:
                click.echo(f"BAD  {problem}")
        else:
            click.echo(f"OK   {path}")
    if bad:
        raise StoreError(f"{bad} of {len(paths)} store(s) failed validation; see the lines above")
