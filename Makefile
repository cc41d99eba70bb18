# `make report` and `make test` each create .venv and install what is missing, so both
# work on a fresh clone with Python 3.11 and make.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: report test bench lab clean

$(STAMP): requirements.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q -r requirements.txt
	$(BIN)/python -m pip install -q --no-deps -e .
	touch $@

## Re-execute notebooks 01–06 in order and render report/index.html.
report: $(STAMP)
	$(BIN)/python -m gtzan_helpers.report

## Unit tests, CLI tests and the notebooks re-executed and compared by nbval.
test: $(STAMP)
	$(BIN)/python -m pytest --nbval --nbval-sanitize-with notebooks/sanitize.cfg

## Open the notebooks in JupyterLab.
lab: $(STAMP)
	$(BIN)/jupyter lab notebooks/

clean:
	rm -rf $(VENV) report .pytest_cache

## Speed benchmarks: the plain recipe against the fast path, in one run.
bench: $(STAMP)
	$(BIN)/python benchmarks/bench_features.py
	$(BIN)/python benchmarks/bench_training.py
