# GreenStream — the two commands are `make demo` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export DBT_PROFILES_DIR := $(CURDIR)
export PGTZ := UTC

DEMO_DIR := demo_data
DEMO_METERS ?= 200
DEMO_DAYS ?= 3

.PHONY: install demo test test-fast lint format docs clean bench

install: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt -e '.[dev,spark]'
	touch $(STAMP)

demo: install
	rm -rf $(DEMO_DIR)
	$(BIN)/greenstream generate --meters $(DEMO_METERS) --days $(DEMO_DAYS) --seed 7 --out $(DEMO_DIR)
	$(BIN)/greenstream run --registry $(DEMO_DIR)/registry.csv $(DEMO_DIR)/readings
	$(BIN)/greenstream report --out report.html

# Test files run in parallel, each whole on one worker (its warehouses and module fixtures
# stay together), in the order of tests/conftest.py (the longest files first: without
# --no-loadscope-reorder, xdist starts the files with the most tests first instead);
# `make test-fast` leaves out the tests marked slow (end-to-end scenarios of many builds,
# the benchmark smoke run). CI runs everything.
TEST_WORKERS ?= 2
PYTEST := $(BIN)/pytest -n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder
test: install
	$(PYTEST)

test-fast: install
	$(PYTEST) -m "not slow"

lint: install
	$(BIN)/ruff check loaders tests benchmarks
	$(BIN)/ruff format --check loaders tests benchmarks
	$(BIN)/mypy
	$(BIN)/sqlfluff lint models tests/singular snapshots

format: install
	$(BIN)/ruff format loaders tests benchmarks
	$(BIN)/ruff check --fix loaders tests benchmarks
	$(BIN)/sqlfluff fix models tests/singular snapshots

# Performance at utility scale (issue 5): data and warehouses under /tmp, figures into
# BENCHMARKS.md. Small smoke run:
# make bench BENCH_ARGS='--meters 500 --sizes "" --skip-postgres --spark-meters 0'
BENCH_ARGS ?=
bench: install
	$(BIN)/python benchmarks/bench.py --write BENCHMARKS.md $(BENCH_ARGS)

# The docs site has its own target folder, so dbt's artifacts of the last build stay in target/.
DOCS_TARGET ?= target/docs
DOCS_PORT ?= 8080
docs: install
	@mkdir -p "$$(dirname "$${GREENSTREAM_DUCKDB_PATH:-warehouse/greenstream.duckdb}")"
	$(BIN)/dbt docs generate --target-path $(DOCS_TARGET)
	@$(BIN)/python -c "import socket; socket.create_server(('127.0.0.1', $(DOCS_PORT))).close()" 2>/dev/null \
		|| { echo "greenstream: error: port $(DOCS_PORT) is in use; run make docs DOCS_PORT=8081"; exit 2; }
	@echo "dbt docs: open http://127.0.0.1:$(DOCS_PORT) in a browser (Ctrl-C stops the server)"
	$(BIN)/dbt docs serve --target-path $(DOCS_TARGET) --host 127.0.0.1 --port $(DOCS_PORT) --no-browser

clean:
	rm -rf target logs warehouse lake dead_letter processed $(DEMO_DIR) .pytest_cache report.html
