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

# Build the demo evidence store from the real Lancashire data shipped in demo/data, load the framework
# register and the illustrative strategy, and write the county strategic needs assessment.
demo: $(STAMP)
	rm -rf $(DEMO_DB) $(DEMO_DB).wal demo/demo-app.sqlite demo/out
	$(SAFER) ingest geography demo/data/geography
	$(SAFER) ingest population demo/data/population
	$(SAFER) ingest deprivation demo/data/deprivation
	$(SAFER) ingest stats19 demo/data/road-safety
	$(SAFER) ingest police-uk demo/data/police-uk
	$(SAFER) ingest indicators demo/data/partner
	$(SAFER) quality
	$(SAFER) summary
	$(SAFER) framework load --by "Demo"
	$(SAFER) sharing add demo-svd-2025 --title "Lancashire Serious Violence Duty data sharing (demo)" --party lancashire-constabulary --party lsc-icb --party nhs-trusts --party unitary-councils --gateway "PCSC Act 2022 s16; Crime and Disorder Act 1998 s115; UK GDPR Article 6(1)(e) with DPA 2018 Schedule 1 (special category and criminal offence data)" --purpose "Serious Violence Duty strategic needs assessment" --schema istv --schema force-crimes --schema council-asb --retention-days 730 --start 2025-01-01 --review 2027-06-30 --dpia 2025-01-10
	SAFER_PSEUDONYM_KEY=demo-only-key-not-a-secret $(SAFER) ingest partner-feed demo/data/partner-synthetic/istv-SYNTHETIC.csv --schema istv --agreement demo-svd-2025
	SAFER_PSEUDONYM_KEY=demo-only-key-not-a-secret $(SAFER) ingest partner-feed demo/data/partner-synthetic/force-crimes-SYNTHETIC.csv --schema force-crimes --agreement demo-svd-2025
	SAFER_PSEUDONYM_KEY=demo-only-key-not-a-secret $(SAFER) ingest partner-feed demo/data/partner-synthetic/council-asb-SYNTHETIC.csv --schema council-asb --agreement demo-svd-2025
	$(SAFER) strategy load src/safer_communities/strategy/data/lancashire-example.yaml --by "Demo"
	$(SAFER) strategy status
	$(SAFER) report sna --out demo/out/sna
	@echo
	@echo "County needs assessment: demo/out/sna/index.html (also report.pdf, report.docx, tables.xlsx)"
	@echo "Dashboard: add yourself, then serve it and open http://127.0.0.1:8000/"
	@echo "  $(SAFER) users add YOUR-NAME --role admin --role analyst --role editor --role approver"
	@echo "  export SAFER_SECRET_KEY=\$$($(BIN)/python -c 'import secrets; print(secrets.token_hex(32))')"
	@echo "  $(SAFER) serve"
	@echo "(serve refuses to start with the default, an empty or a short secret: it would let anyone forge a sign-in)"
	@echo "or, without login (disclosure-controlled aggregates only): SAFER_PUBLIC_MODE=true $(SAFER) serve"

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks

test: $(STAMP) lint
	$(BIN)/python -m pytest -n 2 -q

bench: $(STAMP)
	$(BIN)/python benchmarks/ingest.py
	$(BIN)/python benchmarks/hotspots.py
	$(BIN)/python benchmarks/reports.py
	$(BIN)/python benchmarks/web_load.py
	$(BIN)/python benchmarks/cli_startup.py
	$(BIN)/python benchmarks/forecast.py
	$(BIN)/python benchmarks/partner_ingest.py

clean:
	rm -rf $(VENV) demo/demo.duckdb demo/demo.duckdb.wal demo/demo-app.sqlite .pytest_cache
