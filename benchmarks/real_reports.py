"""Evaluate every run of benchmarks/real_data.py and compare them in one page.

Usage (after ``benchmarks/real_data.py --out results/real_data``)::

    .venv/bin/python benchmarks/real_reports.py --runs results/real_data \
        --out results/real_reports

For each run folder (a folder with ``model.safetensors`` and ``splits.csv``)
under ``--runs``, the data set is read again with the loader of
``real_data.py``. The records that the run's ``splits.csv`` puts in ``test``
are evaluated, and those in ``train`` are used for the overlap check. Each
evaluation goes to ``OUT/<run path>/``, the comparison to ``OUT/comparison/``.
Finally every report.html is checked against its metrics.json, and the printed
table sets the evaluated accuracy beside the test accuracy that training
recorded in the run's manifest.
"""

from __future__ import annotations

import argparse
import csv
import json
import logging
import re
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from real_data import SETTINGS  # noqa: E402

from bioseq.evaluate.compare import write_comparison  # noqa: E402
from bioseq.evaluate.evaluation import evaluate_model  # noqa: E402


def split_ids(run_dir: Path) -> dict[str, set[str]]:
    """Return the ids of each split listed in ``run_dir/splits.csv``."""
    found: dict[str, set[str]] = {}
    with (run_dir / "splits.csv").open(newline="") as stream:
        for row in csv.DictReader(stream):
            found.setdefault(row["split"], set()).add(row["id"])
    return found


def check_report(folder: Path) -> int:
    """Compare every number in report.html with metrics.json; return the mismatch count."""
    metrics = json.loads((folder / "metrics.json").read_text())
    page = (folder / "report.html").read_text()
    mismatches = 0
    for path, text in re.findall(r'data-metric="([^"]+)"[^>]*>([^<]*)<', page):
        node = metrics
        for part in path.split("."):
            node = node[part]
        value = node["value"]
        if value is None:
            mismatches += not text.startswith("undefined")
        else:
            mismatches += abs(float(text) - value) > 5e-5
    return mismatches


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=Path, default=Path("results/real_data"))
    parser.add_argument("--out", type=Path, default=Path("results/real_reports"))
    parser.add_argument("--bootstrap", type=int, default=1000)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")

    runs = sorted(p.parent for p in args.runs.rglob("model.safetensors")
                  if (p.parent / "splits.csv").is_file())
    if not runs:
        raise SystemExit(f"no run folders under {args.runs}; run benchmarks/real_data.py first")
    loaded = {}
    evaluations = []
    for run in runs:
        relative = run.relative_to(args.runs)
        name = relative.parts[0]
        if name not in SETTINGS:
            logging.warning("skipping %s: %s is not a data set of real_data.py", run, name)
            continue
        if name not in loaded:
            loaded[name] = SETTINGS[name]["load"]()
        records = loaded[name]
        ids = split_ids(run)
        record_ids = records.ids.astype(str)
        test = records.subset(np.isin(record_ids, list(ids.get("test", ()))))
        train = records.subset(np.isin(record_ids, list(ids.get("train", ()))))
        test.sources = [name]
        out = args.out / relative
        evaluate_model(run, test, out, n_bootstrap=args.bootstrap, train_records=train)
        evaluations.append(out)

    paths = write_comparison(evaluations, args.out / "comparison")
    print("| run | n | accuracy | AUROC | accuracy in the run's manifest | "
          "report numbers that differ from metrics.json |")
    print("|---|---:|---:|---:|---:|---:|")
    for folder in evaluations:
        metrics = json.loads((folder / "metrics.json").read_text())
        overall = metrics["overall"]
        auroc = overall["auroc"]["value"]
        manifest = json.loads((Path(metrics["model"]["run_dir"]) / "manifest.json").read_text())
        recorded = (manifest.get("test_metrics") or {}).get("accuracy")
        print(f"| {folder.relative_to(args.out)} | {metrics['n']} | "
              f"{overall['accuracy']['value']:.4f} | "
              f"{'undefined' if auroc is None else f'{auroc:.4f}'} | "
              f"{'-' if recorded is None else f'{recorded:.4f}'} | {check_report(folder)} |")
    print(f"comparison: {paths['html']}")
    print(" ".join(sys.argv))


if __name__ == "__main__":
    main()
