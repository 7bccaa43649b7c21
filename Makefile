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

.PHONY: install demo test lint format docs clean

install: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

demo: install
	rm -rf $(DEMO_DIR)
	$(BIN)/greenstream generate --meters $(DEMO_METERS) --days $(DEMO_DAYS) --seed 7 --out $(DEMO_DIR)
	$(BIN)/greenstream run --registry $(DEMO_DIR)/registry.csv $(DEMO_DIR)/readings

test: install
	$(BIN)/pytest

lint: install
	$(BIN)/ruff check loaders tests benchmarks
	$(BIN)/ruff format --check loaders tests benchmarks
	$(BIN)/mypy
	$(BIN)/sqlfluff lint models tests/singular snapshots

format: install
	$(BIN)/ruff format loaders tests benchmarks
	$(BIN)/ruff check --fix loaders tests benchmarks
	$(BIN)/sqlfluff fix models tests/singular snapshots

docs: install
	$(BIN)/dbt docs generate
	$(BIN)/dbt docs serve --port $${DOCS_PORT:-8080}

clean:
	rm -rf target logs warehouse lake dead_letter processed $(DEMO_DIR) .pytest_cache
