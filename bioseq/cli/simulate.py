"""``bioseq simulate``: write labelled example data with planted motifs."""

from __future__ import annotations

from pathlib import Path

import click

from bioseq.simulate import MOTIFS, SimulationSpec, write_simulated


def _parse_split(value: str) -> tuple[float, ...] | None:
    if value.strip().lower() == "none":
        return None
    try:
        return tuple(float(part) for part in value.split(","))
    except ValueError:
        raise click.BadParameter(
            f"{value!r} is not three comma-separated fractions such as 0.8,0.1,0.1 or 'none'"
        ) from None


@click.command("simulate")
@click.option("--out", "out_dir", required=True,
              type=click.Path(file_okay=False, path_type=Path),
              help="Folder for the data files and simulation.json; created if missing.")
@click.option("-n", "--n-sequences", default=3000, show_default=True, type=click.IntRange(min=1),
              help="Number of records.")
@click.option("--length", default=200, show_default=True, type=click.IntRange(min=1),
              help="Length of every sequence in bases.")
@click.option("--task", default="binary", show_default=True,
              type=click.Choice(["binary", "multiclass", "multilabel"]),
              help="binary: first motif present or absent; multiclass: one motif a class; "
                   "multilabel: each motif present with probability 1/2.")
@click.option("--motif", "motifs", multiple=True, type=click.Choice(list(MOTIFS)),
              help="Motif to plant (repeatable, in class order). "
                   "Default: tata_box, gc_box, e_box.")
@click.option("--gc", "gc_content", default=0.5, show_default=True, type=click.FloatRange(0, 1),
              help="GC content of the random background (fraction of G and C).")
@click.option("--mutation-rate", default=0.0, show_default=True, type=click.FloatRange(0, 1),
              help="Probability that a planted motif base is replaced by another base.")
@click.option("--split", "split", default="0.8,0.1,0.1", show_default=True,
              help="Train, valid and test fractions, one file each; 'none' writes one file.")
@click.option("--format", "output_format", default="csv", show_default=True,
              type=click.Choice(["csv", "fasta"]), help="Output file format.")
@click.option("--seed", default=0, show_default=True, type=int,
              help="Random seed; the same seed writes the same records.")
def simulate(
    out_dir: Path, n_sequences: int, length: int, task: str, motifs: tuple[str, ...],
    gc_content: float, mutation_rate: float, split: str, output_format: str, seed: int,
) -> None:
    """Generate labelled DNA sequences with planted consensus motifs.

    Writes OUT/train.csv, OUT/valid.csv and OUT/test.csv (or .fasta) plus
    OUT/simulation.json with the parameters and counts. Files appear only
    once complete. Motifs: tata_box TATAAA, caat_box GGCCAATCT, gc_box
    GGGCGG, e_box CACGTG, splice_donor AGGTAAGT.
    """
    spec = SimulationSpec(
        n_sequences=n_sequences,
        length=length,
        task=task,  # type: ignore[arg-type]
        motifs=motifs or SimulationSpec.motifs,
        gc_content=gc_content,
        mutation_rate=mutation_rate,
        split_fractions=_parse_split(split),
        seed=seed,
    )
    summary = write_simulated(spec, out_dir, output_format)  # type: ignore[arg-type]
    for name, counts in summary["counts"].items():  # type: ignore[union-attr]
        file_name = summary["files"][name]  # type: ignore[index]
        total = sum(counts.values())
        click.echo(f"{out_dir / file_name}\t{total} records\t" +
                   " ".join(f"{label}={count}" for label, count in counts.items()))
