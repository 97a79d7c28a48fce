# Only python3 (>= 3.11) and make are needed: everything else goes into .venv.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install demo test lint unit bench bench-scale bench-close clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/slaengine demo

lint: $(STAMP)
	$(BIN)/ruff check slaengine tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache

unit: $(STAMP)
	$(BIN)/python -m pytest

test: lint unit

bench: $(STAMP)
	$(BIN)/python bench/columnar.py --rows 1000000 --backends sqlite
	$(BIN)/python bench/evaluate.py --rows 1000000
	$(BIN)/python bench/backtest.py --rows 250000 --months 3
	$(BIN)/python bench/close.py --contracts 50 --contacts-per-contract 20000 --backends sqlite

# The issue 9 matrix (about 15 minutes; 10M files take 2.2 GB in /tmp/slaengine-bench).
bench-scale: $(STAMP)
	$(BIN)/python bench/columnar.py --rows 1000000,5000000,10000000

bench-close: $(STAMP)
	$(BIN)/python bench/close.py --contracts 50 --contacts-per-contract 20000

clean:
	rm -rf $(VENV) slaengine.db demo.db slaengine.data demo.data data reports/*.pdf reports/*.csv
