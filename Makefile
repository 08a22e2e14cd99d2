# Two entry points (see README): `make serve` and `make test`. Both set up .venv.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HEALTHKG_STORE ?= var/store
HEALTHKG_HOST ?= 127.0.0.1
HEALTHKG_PORT ?= 8000
export HEALTHKG_STORE HEALTHKG_HOST HEALTHKG_PORT

SOURCES := setup.cfg pyproject.toml
INPUTS := $(wildcard data/documents/* data/curated/* ontology/*.ttl ontology/*.tsv ontology/vocab/*.ttl ontology/qc/*.rq loaders/*.py loaders/*.tsv)

.PHONY: install install-test serve build test bench clean browser

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python $(SOURCES)
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

# Rebuild only when the store is missing or older than its inputs.
$(HEALTHKG_STORE)/build.json: $(VENV)/.installed $(INPUTS)
	$(BIN)/healthkg build --store $(HEALTHKG_STORE)

build: $(HEALTHKG_STORE)/build.json

serve: build
	$(BIN)/healthkg serve --store $(HEALTHKG_STORE) --host $(HEALTHKG_HOST) --port $(HEALTHKG_PORT)

test: install-test
	$(BIN)/pytest

clean:
	rm -rf var build dist *.egg-info
