#!/usr/bin/env bash
# The demo behind `make demo`: run the workflow on the simulated example in
# data/ with the local profile (a CNN, a transformer and the k-mer baseline),
# then collect the comparison, the evaluation reports and their plots into
# results/report.html.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bioseq="${BIOSEQ:-.venv/bin/bioseq}"

# data/ is committed; this recreates it, with the same records, if it was deleted.
if [[ ! -f data/train.csv || ! -f data/valid.csv || ! -f data/test.csv ]]; then
  "$bioseq" simulate --out data -n 3000 --length 100 --task binary --motif tata_box \
    --mutation-rate 0.05 --seed 0
fi

"$bioseq" workflow run --profile local
"$bioseq" workflow run --profile local --report results/report.html
echo "demo: comparison in results/comparison.html, everything in results/report.html"
