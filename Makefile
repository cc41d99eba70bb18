# `make report` and `make test` each create .venv and install what is missing, so both
# work on a fresh clone with Python 3.11 and make.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: report test unit portability chromium bench lab clean

# pip picks the PyTorch wheel (a local CPU wheel where the machine's pip configuration points to
# one; uv does not read pip's configuration) and keeps it in .venv/wheels, where the installed
# PyTorch records it came from; uv installs it with everything else: it resolves, unpacks and
# compiles to bytecode on every core, where pip compiles on one (without bytecode, where
# PYTHONDONTWRITEBYTECODE is set, every notebook's kernel would compile PyTorch, scikit-learn,
# pandas and the rest again: seconds per process).
TORCH := $(shell grep -o '^torch==[0-9.]*' requirements.txt)
$(STAMP): requirements.txt pyproject.toml Makefile
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q "uv~=0.13.0"
	$(BIN)/python -m pip download -q --no-deps -d $(VENV)/wheels $(TORCH)
	$(BIN)/python -m uv pip install --python $(BIN)/python -q --compile-bytecode \
		$(VENV)/wheels/torch-$(subst torch==,,$(TORCH))[+-]*.whl -r requirements.txt
	$(BIN)/python -m uv pip install --python $(BIN)/python -q --no-deps -e .
	touch $@

## Re-execute notebooks 00–10, two at a time, and render report/index.html (with the glossary).
report: $(STAMP)
	$(BIN)/python -m gtzan_helpers.app.report

# Where the chromium target may install Chromium (as root, with apt-get), the browser test
# must run: a missing browser fails it instead of skipping it.
MAY_INSTALL_CHROMIUM := $(shell [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && echo 1)

## Unit tests, CLI and browser tests, the notebooks re-executed and compared by nbval, and
## their results JSON compared with the committed numbers within the stated tolerances; in two
## processes, each taking whole files (a notebook's cells run in order in one kernel).
NBVAL := --nbval --nbval-sanitize-with notebooks/sanitize.cfg -n 2 --dist loadfile --no-loadscope-reorder
test: $(STAMP) chromium
	GTZAN_REQUIRE_BROWSER=$(MAY_INSTALL_CHROMIUM) $(BIN)/python -m pytest $(NBVAL) --durations=15

## The unit tests alone, in two processes: not the notebooks, nor the tests marked slow (two
## seconds or more each: the report's browser tests and those conftest.py lists). A quick check
## while editing.
unit: $(STAMP)
	$(BIN)/python -m pytest tests -m "not slow" -n 2 -q

## The trained networks' numbers re-created as on a CPU without AVX-512 (x86-64 AVX2 kernels in
## PyTorch and oneDNN) and compared within the same tolerances: the notebooks whose numbers come
## from trained networks (not 01, which extracts features, nor 08, which reads the others'
## results). Run only where that is news: on a CPU with AVX-512 whose kernels also made the
## committed numbers (results/cpu_kernels.txt). Where the committed numbers came from other
## kernels than this CPU's, make test has compared across kernels already; on a CPU without
## AVX-512 make test already ran the AVX2 kernels. FORCE=1 runs it anyway.
portability: $(STAMP)
	@set -e; \
	if [ -z "$(FORCE)" ] && ! grep -qsw avx512f /proc/cpuinfo; then \
		echo "make portability: no AVX-512 in /proc/cpuinfo, so make test already ran the AVX2 kernels (FORCE=1 re-runs them)"; \
		exit 0; \
	fi; \
	here=$$(GTZAN_DEVICE=cpu $(BIN)/python -c "from gtzan_helpers.app.report import cpu_kernels; print(cpu_kernels())"); \
	made=$$(cat results/cpu_kernels.txt); \
	test -n "$$here"; test -n "$$made"; \
	if [ -z "$(FORCE)" ] && [ "$$here" != "$$made" ]; then \
		echo "make portability: make test compared this CPU's $$here numbers with the committed ones, made with $$made kernels (FORCE=1 runs it anyway)"; \
	else \
		ATEN_CPU_CAPABILITY=avx2 ONEDNN_MAX_CPU_ISA=AVX2 $(BIN)/python -m pytest -q -m trained \
			$(NBVAL) --durations=10 notebooks; \
	fi

## Debian's Chromium for the report's browser test, when missing and we may install it
## (the test is skipped without it).
chromium:
	@command -v chromium >/dev/null || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && \
		DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; } || \
		echo "Chromium is not installed: the report's browser test will be skipped"

## Open the notebooks in JupyterLab (installed on first use). LAB_OPTS passes options, e.g.
## make lab LAB_OPTS="--no-browser --port 8889"; as root (a container) --allow-root is added.
LAB_OPTS ?=
lab: $(STAMP)
	test -x $(BIN)/jupyter-lab || $(BIN)/python -m uv pip install --python $(BIN)/python -q -r requirements-lab.txt
	$(BIN)/jupyter lab $$([ "$$(id -u)" = 0 ] && echo --allow-root) $(LAB_OPTS) notebooks/

clean:
	rm -rf $(VENV) report runs .pytest_cache

## Speed benchmarks: the plain recipe against the fast path, in one run.
bench: $(STAMP)
	$(BIN)/python benchmarks/bench_features.py
	$(BIN)/python benchmarks/bench_training.py
	$(BIN)/python benchmarks/bench_cli.py
