# The two commands a person needs:  `make run`  (install + start the app)  and  `make test`  (install + all tests).
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
OMP_WAIT_POLICY ?= PASSIVE

.PHONY: run test install bench warm gallery clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

# OpenMP threads sleep while they wait: one team per page thread would otherwise spin against the others.
run: $(STAMP)
	OMP_WAIT_POLICY=$(OMP_WAIT_POLICY) $(PY) -m streamlit run app.py

test: $(STAMP)
	$(PY) -m pytest

bench: $(STAMP)
	$(PY) -m bench

# Before a class: build every cache (digit networks, simulated cortex, default atlas) so no student waits.
warm: $(STAMP)
	$(PY) -m lessons.warm

# Full-page screenshots of every lesson at 1400 px and 430 px, with an index page (needs Chromium).
gallery: $(STAMP)
	$(PY) -m bench gallery

clean:
	rm -rf $(VENV) screenshots .pytest_cache
