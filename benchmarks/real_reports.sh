#!/usr/bin/env bash
# Regenerate the evaluation reports of every real-data run with one command.
# Usage: benchmarks/real_reports.sh [RUNS_DIR] [OUT_DIR]
#   RUNS_DIR  run folders written by benchmarks/real_data.py (default results/real_data)
#   OUT_DIR   evaluation folders and comparison/ (default results/real_reports)
set -euo pipefail
cd "$(dirname "$0")/.."
python="${PYTHON:-.venv/bin/python}"
"$python" benchmarks/real_reports.py --runs "${1:-results/real_data}" --out "${2:-results/real_reports}"
