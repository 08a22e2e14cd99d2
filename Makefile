# Two entry points (see README): `make serve` and `make test`. Both set up .venv.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HEALTHKG_STORE ?= var/store
HEALTHKG_HOST ?= 127.0.0.1
HEALTHKG_PORT ?= 8000
export HEALTHKG_STORE HEALTHKG_HOST HEALTHKG_PORT

SOURCES := setup.cfg pyproject.toml
# What a build reads or runs: documents, curated data, the ontology and its checks, the loaders, the pipeline.
INPUTS := $(wildcard data/documents/* data/curated/* ontology/*.ttl ontology/*.tsv ontology/*.py ontology/vocab/*.ttl \
	ontology/qc/*.rq loaders/*.py loaders/*.tsv checks/*.py engine/store.py cli/pipeline.py)

.PHONY: install install-test serve build test lint typecheck bench clean browser graphviz vendor node screenshots

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python $(SOURCES) | vendor
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

# YASGUI for the query UI (/ui), from the npm registry at install time: served locally, never from a
# CDN, never committed. Without npm the server still runs and /ui says how to install it.
YASGUI_DIR := server/pages/static/vendor/yasgui
$(YASGUI_DIR)/yasgui.min.js: package.json package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
	  npm ci --ignore-scripts --no-audit --no-fund && mkdir -p $(YASGUI_DIR) && \
	  cp node_modules/@zazuko/yasgui/build/yasgui.min.js node_modules/@zazuko/yasgui/build/yasgui.min.css $(YASGUI_DIR)/; \
	else echo "npm not found: the query UI (/ui) stays uninstalled"; fi

# Cytoscape.js for the graph explorer (/explore) and the ontology diagram (/ontology/diagram), same rules.
CYTOSCAPE_DIR := server/pages/static/vendor/cytoscape
$(CYTOSCAPE_DIR)/cytoscape.min.js: package.json package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
	  npm ci --ignore-scripts --no-audit --no-fund && mkdir -p $(CYTOSCAPE_DIR) && \
	  cp node_modules/cytoscape/dist/cytoscape.min.js $(CYTOSCAPE_DIR)/; \
	else echo "npm not found: the graph explorer stays without its drawing library"; fi

# Apache ECharts for the budget charts and the coverage heatmap on the pages, same rules.
ECHARTS_DIR := server/pages/static/vendor/echarts
$(ECHARTS_DIR)/echarts.min.js: package.json package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
	  npm ci --ignore-scripts --no-audit --no-fund && mkdir -p $(ECHARTS_DIR) && \
	  cp node_modules/echarts/dist/echarts.min.js node_modules/echarts/LICENSE $(ECHARTS_DIR)/; \
	else echo "npm not found: the pages' charts stay undrawn (their tables are still there)"; fi

vendor: node $(YASGUI_DIR)/yasgui.min.js $(CYTOSCAPE_DIR)/cytoscape.min.js $(ECHARTS_DIR)/echarts.min.js

# npm for the vendor assets: Debian's nodejs and npm when the machine has none (as root, as CI runs);
# otherwise the note above says what stays uninstalled.
node:
	@if ! command -v npm >/dev/null 2>&1 && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  apt-get update && apt-get install -y nodejs npm; fi

# Headless Chromium and a Japanese font for the browser tests (Debian packages; CI runs as root).
browser:
	@if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then \
	  apt-get update && apt-get install -y chromium chromium-driver fonts-ipafont-gothic; fi

# Graphviz's dot, with which the export tests render the DOT picture (Debian package; CI runs as root).
graphviz:
	@if ! command -v dot >/dev/null 2>&1; then apt-get update && apt-get install -y graphviz; fi

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

# Rebuild only when the store is missing or older than its inputs.
$(HEALTHKG_STORE)/build.json: $(VENV)/.installed $(INPUTS)
	$(BIN)/healthkg build --store $(HEALTHKG_STORE)

build: $(HEALTHKG_STORE)/build.json

serve: build
	$(BIN)/healthkg serve --store $(HEALTHKG_STORE) --host $(HEALTHKG_HOST) --port $(HEALTHKG_PORT)

lint: install-test
	$(BIN)/ruff check .

# mypy on the engine and the server. The healthkg.* namespace maps top-level folders (setup.cfg package_dir),
# which mypy cannot follow through the editable install, so they are linked into one tree for it.
TYPECHECK := $(VENV)/typecheck
typecheck: install-test
	@mkdir -p $(TYPECHECK)/healthkg
	@for d in checks cli data engine loaders ontology queries server; do ln -sfn "$(CURDIR)/$$d" $(TYPECHECK)/healthkg/$$d; done
	MYPYPATH=$(TYPECHECK) $(BIN)/mypy -p healthkg.engine -p healthkg.server

test: lint typecheck browser graphviz
	$(BIN)/pytest

# A PNG of each kind of page (landing, program, project, ministry, disease area, budget line, fiscal year, explorer,
# ontology diagram, query UI, API) in var/screenshots/, for review; SCREENSHOT_ARGS="--lang en" for English.
SCREENSHOT_ARGS ?=
screenshots: build install-test browser
	$(BIN)/python tests/screenshots.py --store $(HEALTHKG_STORE) --out var/screenshots $(SCREENSHOT_ARGS)

# The benchmark, never part of `make test` (bench/README.md); e.g. make bench BENCH_ARGS="--sizes 10k,100k,1M --repeat 3"
BENCH_ARGS ?= --sizes 10k,100k
bench: install-test
	$(BIN)/pip install --quiet -e '.[bench]'
	$(BIN)/python bench/run.py $(BENCH_ARGS)

clean:
	rm -rf var build dist *.egg-info
