# Two commands set everything up on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PLUGINS := -e plugins/diffkit-tags -e plugins/diffkit-attributes -e plugins/diffkit-ode -e plugins/template

.PHONY: demo test lint bench docs clean install

$(STAMP): pyproject.toml plugins/*/pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]' $(PLUGINS)
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/diffkit run recipes/quickstart.yaml

# One intra-op thread: the suite is many small tensors, for which extra threads only add contention.
test: $(STAMP)
	$(BIN)/ruff check diffkit tests benchmarks plugins examples
	OMP_NUM_THREADS=1 $(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check diffkit tests benchmarks plugins examples

bench: $(STAMP)
	$(BIN)/python benchmarks/core_bench.py

docs: $(STAMP)
	$(BIN)/python -m diffkit.docgen

clean:
	rm -rf $(VENV) runs .pytest_cache .hypothesis
