# shopmind: one entry point for setup, demo, tests and benchmarks.
# `make demo` and `make test` set everything up on a fresh machine first.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
# The CPU build of torch; installed before anything that depends on torch so nothing pulls a CUDA build.
TORCH_SPEC ?= torch==2.13.0
STAMP  := $(VENV)/.shopmind-installed
BENCH_OUT ?= benchmarks/results

.PHONY: setup demo test lint bench bench-quick clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check "$(TORCH_SPEC)"
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e ".[dev]"
	@$(BIN)/python -c "import torch, shopmind; assert '+cu' not in torch.__version__, torch.__version__"
	@touch $(STAMP)

demo: setup
	$(BIN)/shopmind demo

test: setup
	$(BIN)/python -m pytest

lint: setup
	$(BIN)/ruff check src tests
	$(BIN)/mypy

# Full benchmark: needs ../shared/data (or pass DATA=...); writes JSON + Markdown reports.
bench: setup
	bash benchmarks/run.sh $(BENCH_OUT)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache
