# Two commands set everything up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(VENV)/bin/pip
STAMP  := $(VENV)/.installed
HOST   ?= 127.0.0.1
PORT   ?= 7860

.PHONY: install run test test-fast ingest eval bench clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	# the CPU wheel of torch that is on this machine; an unpinned torch pulls a multi-GB CUDA build
	$(PIP) install --quiet torch==2.13.0
	$(PIP) install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

index/manifest.json: | $(STAMP)
	$(VENV)/bin/qa ingest

ingest: $(STAMP)
	$(VENV)/bin/qa ingest

run: $(STAMP) index/manifest.json
	$(VENV)/bin/qa serve --host $(HOST) --port $(PORT)

test: $(STAMP)
	$(PY) -m pytest -q

test-fast: $(STAMP)
	$(PY) -m pytest -q -m 'not slow'

eval: $(STAMP) index/manifest.json
	$(VENV)/bin/qa eval

clean:
	rm -rf $(VENV) index/ .pytest_cache
