# coverage15 — two commands on a fresh machine with Python 3.11:
#   make demo   set up .venv and run the analysis on the bundled sample district
#   make test   set up .venv and run the test suite (what CI runs)
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
OUT    ?= output/demo

.PHONY: demo test lint bench sample sysdeps docs clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e ".[dev,maps,batch,siting,terrain]"
	touch $(STAMP)

# Debian packages that some tests and maps need (CJK font for Chinese labels).
# Installed only where apt-get exists and we are root; otherwise a note is printed.
sysdeps:
	@bash scripts/sysdeps.sh

# sysdeps: the CJK font (Chinese map labels) and Chromium (report.pdf), as for the tests
demo: $(STAMP) sysdeps
	$(PY) -m coverage15 demo --out $(OUT)

# lint (ruff check, ruff format --check, mypy), then the tests; tests/test_packaging.py builds
# the wheel, installs it into a temporary folder and runs `coverage15 demo` outside the repository
test: lint sysdeps
	$(PY) -m pytest

lint: $(STAMP)
	$(PY) -m ruff check src tests scripts $(wildcard benchmarks)
	$(PY) -m ruff format --check src tests scripts $(wildcard benchmarks)
	$(PY) -m mypy src

bench: $(STAMP)
	$(PY) -m pip install --quiet -e ".[bench]"
	$(PY) benchmarks/bench_engine.py
	$(PY) benchmarks/bench_batch.py
	$(PY) benchmarks/bench_siting.py
	$(PY) benchmarks/bench_cli.py

# the documentation site (strict: broken references fail); tests/test_docs.py runs it in `make test`
docs: $(STAMP)
	$(PY) -m mkdocs build --strict --site-dir output/site

# regenerate the sample district: data/sample and its packaged copy src/coverage15/data/sample
sample: $(STAMP)
	$(PY) scripts/make_sample.py

clean:
	rm -rf $(VENV) output cache .pytest_cache .ruff_cache .mypy_cache build dist
