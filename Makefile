# Two commands set everything up on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PLUGINS := -e plugins/diffkit-tags -e plugins/diffkit-attributes -e plugins/diffkit-ode -e plugins/template

.PHONY: demo test lint bench docs clean install browser reliability

$(STAMP): pyproject.toml plugins/*/pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]' $(PLUGINS)
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/diffkit run recipes/quickstart.yaml

# Threads are chosen by diffkit itself (docs/threads.md); no OMP_NUM_THREADS needed.
# The suite includes tests/reliability at its bounded CI size (see `reliability` for the full run).
test: $(STAMP) browser
	$(BIN)/ruff check diffkit tests benchmarks plugins examples
	$(BIN)/python -m pytest -q

# Chromium for the report-in-a-browser test (installed with apt-get where missing and possible).
browser:
	@.ci/install-chromium

# The full reliability suite (≥ 5 000 fuzzed recipes, 20 kill -9 resumes, …); its tally becomes docs/reliability.md.
RELIABILITY_TALLY := .reliability-tally.json
reliability: $(STAMP) browser
	@start=$$(date +%s); \
	DIFFKIT_RELIABILITY=full DIFFKIT_RELIABILITY_TALLY=$(RELIABILITY_TALLY) OMP_NUM_THREADS=1 \
		$(BIN)/python -m pytest -q tests/reliability; status=$$?; \
	$(BIN)/python -m tests.reliability.write_doc $(RELIABILITY_TALLY) --seconds $$(( $$(date +%s) - start )) \
		--status $$status > docs/reliability.md; \
	echo "docs/reliability.md written (pytest exit $$status, $$(( $$(date +%s) - start )) s)"; \
	exit $$status

lint: $(STAMP)
	$(BIN)/ruff check diffkit tests benchmarks plugins examples

bench: $(STAMP)
	$(BIN)/python benchmarks/core_bench.py

docs: $(STAMP)
	$(BIN)/python -m diffkit.docgen

clean:
	rm -rf $(VENV) runs .pytest_cache .hypothesis $(RELIABILITY_TALLY)
