"""``bioseq report``: compare several evaluations side by side."""

from __future__ import annotations

from pathlib import Path

import click


@click.command("report")
@click.argument("folders", nargs=-1, required=True,
                type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--out", "out_dir", required=True,
              type=click.Path(file_okay=False, path_type=Path),
              help="Output folder for comparison.csv and comparison.html.")
def report(folders: tuple[Path, ...], out_dir: Path) -> None:
    """Compare the evaluations in FOLDERS (written by bioseq evaluate).

    Each folder contains metrics.json, or has subfolders that do. Writes
    OUT/comparison.csv (one row per data set and model: each headline metric
    with its 95% interval) and OUT/comparison.html.
    """
    from bioseq.evaluate.compare import write_comparison

    paths = write_comparison(list(folders), out_dir)
    click.echo(f"comparison written to {paths['html']} and {paths['csv']}")
