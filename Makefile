# Only python3 and make are assumed. Every target creates .venv on first use and installs the
# exact versions of requirements.lock (refresh it with `make lock` after editing pyproject.toml).
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test check bench lint lock clean

$(BIN)/python:
	$(PY) -m venv $(VENV)

$(STAMP): pyproject.toml requirements.lock | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/offerbandit experiment run experiments/configs/standard.toml --out results/standard

test: $(STAMP)
	$(BIN)/python -m pytest -q

# What a reviewer runs before a merge: lint and types (CI runs it before the tests).
check: lint
	$(BIN)/mypy

lint: $(STAMP)
	$(BIN)/ruff check engine simulator policies experiments ope tests benchmarks

bench: $(STAMP)
	@for f in benchmarks/bench_*.py; do echo "== $$f"; $(BIN)/python $$f || exit 1; done

# Pin every dependency (and theirs) of pyproject.toml, dev tools included, for this Python.
lock: | $(BIN)/python
	$(BIN)/python -m pip install --quiet "pip-tools>=7.4"
	$(BIN)/pip-compile --quiet --strip-extras --extra dev --no-emit-index-url \
		--no-emit-find-links --no-emit-trusted-host \
		--output-file requirements.lock pyproject.toml

clean:
	rm -rf $(VENV) results .pytest_cache
