# Two commands on a fresh machine: `make demo` and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
DEMO_DB ?= demo/demo.duckdb
DEMO_APP_DB ?= sqlite:///demo/demo-app.sqlite
SAFER := $(BIN)/safer --db $(DEMO_DB) --app-db $(DEMO_APP_DB)

.PHONY: install demo test lint bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

# Build the demo evidence store from the real Lancashire data shipped in demo/data.
demo: $(STAMP)
	rm -f $(DEMO_DB) $(DEMO_DB).wal
	$(SAFER) ingest geography demo/data/geography
	$(SAFER) ingest population demo/data/population
	$(SAFER) ingest deprivation demo/data/deprivation
	$(SAFER) ingest stats19 demo/data/road-safety
	$(SAFER) ingest police-uk demo/data/police-uk
	$(SAFER) quality
	$(SAFER) summary
	$(SAFER) report sna --out demo/out/sna

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks

test: $(STAMP) lint
	$(BIN)/python -m pytest -n 2 -q

bench: $(STAMP)
	$(BIN)/python benchmarks/ingest.py
	$(BIN)/python benchmarks/hotspots.py
	$(BIN)/python benchmarks/reports.py

clean:
	rm -rf $(VENV) demo/demo.duckdb demo/demo.duckdb.wal demo/demo-app.sqlite .pytest_cache
