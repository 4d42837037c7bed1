# Two commands set everything up on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint bench docs clean install

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/diffkit run recipes/quickstart.yaml

test: $(STAMP)
	$(BIN)/ruff check diffkit tests benchmarks
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check diffkit tests benchmarks

bench: $(STAMP)
	$(BIN)/python benchmarks/core_bench.py

clean:
	rm -rf $(VENV) runs .pytest_cache .hypothesis
