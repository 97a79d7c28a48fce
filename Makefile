# Only python3 (>= 3.11) and make are needed: everything else goes into .venv.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install demo screenshots test lint unit bench bench-scale bench-close clean architecture

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/slaengine demo

# docs/*.png from the demo's reports (page one of acme-l1's scorecard and of the portfolio),
# so that the README never shows a layout older than the code; needs pdftoppm (poppler-utils)
screenshots: $(STAMP)
	rm -rf build/screenshots && mkdir -p build/screenshots
	cd build/screenshots && SLAENGINE_CONTRACTS_DIR=$(CURDIR)/contracts \
		$(CURDIR)/$(BIN)/slaengine demo --locale fr_FR --out reports > /dev/null
	pdftoppm -png -r 80 -f 1 -l 1 -singlefile \
		build/screenshots/reports/scorecard-acme-l1-2026-10.pdf docs/scorecard-page1
	pdftoppm -png -r 80 -f 1 -l 1 -singlefile \
		build/screenshots/reports/portfolio-2026-10.pdf docs/portfolio-page1
	rm -rf build/screenshots

lint: $(STAMP)
	$(BIN)/ruff check slaengine tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache

# The suite on every core (at most 4; 2 on this machine: 5 minutes instead of 9). Each test has
# its own folder, database and ports, so tests run in any order and beside each other.
unit: $(STAMP)
	$(BIN)/python -m pytest --numprocesses=auto --maxprocesses=4 --dist worksteal

test: lint unit

bench: $(STAMP)
	$(BIN)/python bench/columnar.py --rows 1000000 --backends sqlite
	$(BIN)/python bench/evaluate.py --rows 1000000
	$(BIN)/python bench/backtest.py --rows 250000 --months 3
	$(BIN)/python bench/close.py --contracts 50 --contacts-per-contract 20000 --backends sqlite
	$(BIN)/python bench/commands.py --rows 1000000
	$(BIN)/python bench/quarantine.py --rows 1000000

# The issue 9 matrix (about 15 minutes; 10M files take 2.2 GB in /tmp/slaengine-bench).
bench-scale: $(STAMP)
	$(BIN)/python bench/columnar.py --rows 1000000,5000000,10000000

bench-close: $(STAMP)
	$(BIN)/python bench/close.py --contracts 50 --contacts-per-contract 20000

clean:
	rm -rf $(VENV) slaengine.db demo.db slaengine.data demo.data data reports/*.pdf reports/*.csv

# docs/architecture.md's picture, drawn from the code's imports (tests fail when it is stale).
architecture: $(STAMP)
	$(BIN)/python docs/architecture_graph.py
