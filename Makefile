# Every target sets itself up from nothing: `make test` on a fresh clone works.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# The CPU build of torch; a cluster with GPUs installs a CUDA build instead
# (TORCH_SPEC='torch' or a CUDA index), which the package's torch range accepts.
TORCH_SPEC ?= torch==2.13.0
PYTEST_ARGS ?=

.PHONY: setup demo test test-fast bench lint clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	@if command -v nvidia-smi >/dev/null 2>&1; then \
	  echo "GPU present: installing torch from the default index"; \
	  $(BIN)/python -m pip install --quiet torch; \
	else \
	  $(BIN)/python -m pip install --quiet "$(TORCH_SPEC)"; \
	fi
	$(BIN)/python -m pip install --quiet -e ".[workflow,test,bench]"
	touch $(STAMP)

demo: setup
	$(BIN)/bioseq --version
	bash workflows/demo.sh

test: setup
	bash .ci/system-deps.sh
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test-fast: setup
	$(BIN)/python -m pytest -m "not slow and not workflow and not slurm and not browser" $(PYTEST_ARGS)

bench: setup
	$(BIN)/python benchmarks/run_all.py

lint: setup
	$(BIN)/ruff check bioseq tests benchmarks
	$(BIN)/ruff format --check bioseq tests benchmarks || true

clean:
	rm -rf $(VENV) results .snakemake .pytest_cache
