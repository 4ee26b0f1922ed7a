# Two commands set everything up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(VENV)/bin/pip
STAMP  := $(VENV)/.installed
LLM_STAMP := $(VENV)/.llm-installed
LLM_LOG   := $(VENV)/llm-install.log
HOST   ?= 127.0.0.1
PORT   ?= 7860

.PHONY: install llm-install run test test-fast browser ingest eval bench clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	# the CPU wheel of torch that is on this machine; an unpinned torch pulls a multi-GB CUDA build
	$(PIP) install --quiet torch==2.13.0
	$(PIP) install --quiet -e '.[test,pdf,milvus]'
	touch $(STAMP)

install: $(STAMP)

# the 'llm' extra: llama-cpp-python compiles from source; every 20th build step and pip's summary are
# shown, the whole output goes to $(LLM_LOG)
$(LLM_STAMP): $(STAMP)
	@echo "building llama-cpp-python from source: this takes 3-5 minutes (full log: $(LLM_LOG))"
	@{ $(PIP) install -v -e '.[llm]' 2>&1 || echo "LLM-INSTALL-FAILED"; } | tee $(LLM_LOG) | awk ' \
		/^LLM-INSTALL-FAILED$$/ { failed = 1; next } \
		{ tail[++k % 30] = $$0 } \
		/^ *\[[0-9]+\/[0-9]+\] / { split($$1, n, /[][\/]/); if (n[2] % 20 == 0 || n[2] == n[3]) \
			{ printf "  compiling %s\n", $$1; fflush() } next } \
		/^(Collecting|Successfully installed|ERROR)/ { print; fflush() } \
		END { if (failed) { for (i = k - 29; i <= k; i++) if (i > 0) print tail[i % 30]; \
			print "pip install -e .[llm] failed; the whole output is in $(LLM_LOG)"; exit 1 } }'
	touch $(LLM_STAMP)

llm-install: $(LLM_STAMP)

index/manifest.json: | $(STAMP)
	$(VENV)/bin/qa ingest

ingest: $(STAMP)
	$(VENV)/bin/qa ingest

# ingest: about a second when the index is up to date; a file it skipped (exit 2) does not stop the UI
run: $(STAMP) $(LLM_STAMP)
	$(VENV)/bin/qa ingest || echo "qa ingest reported problems (above); serving the index as it is"
	$(VENV)/bin/qa serve --host $(HOST) --port $(PORT)

# headless Chromium (+ CJK fonts) for the slow browser test, tests/test_browser.py
browser:
	command -v chromium >/dev/null && command -v chromedriver >/dev/null && fc-list :lang=zh | grep -q . \
		|| (apt-get update && apt-get install -y chromium chromium-driver fonts-noto-cjk)

test: $(STAMP) $(LLM_STAMP) browser
	$(PY) -m pytest -q

test-fast: $(STAMP)
	$(PY) -m pytest -q -m 'not slow'

eval: $(STAMP) index/manifest.json
	$(VENV)/bin/qa eval

clean:
	rm -rf $(VENV) index/ .pytest_cache
