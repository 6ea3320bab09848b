# Yttrande: `make run` serves the demo, `make test` runs every test. Nothing else is needed.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
FLASK := $(BIN)/flask --app drafting
export DRAFTING_DEVELOPMENT ?= 1

.PHONY: setup run test test-fast bench lint translations clean

$(STAMP): pyproject.toml
	$(PYTHON) -c 'import sys; sys.exit("Python 3.11 or newer is required") if sys.version_info < (3, 11) else None'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

translations: $(STAMP)
	$(BIN)/pybabel compile --use-fuzzy -d drafting/translations

setup: $(STAMP) translations

run: setup
	$(FLASK) db upgrade
	$(FLASK) seed-demo
	$(FLASK) run --host 127.0.0.1 --port 5000

test: setup
	$(BIN)/python -m pytest -q -p no:cacheprovider $(PYTEST_ARGS)

# A quick subset while working: no browser, LibreOffice or slow tests. `make test` runs everything.
test-fast: setup
	$(BIN)/python -m pytest -q -p no:cacheprovider -m "not browser and not soffice and not slow" $(PYTEST_ARGS)

bench: setup
	$(BIN)/python -m pip install --quiet -e '.[bench]'
	$(BIN)/python -m bench

lint: setup
	$(BIN)/ruff check drafting tests bench

clean:
	rm -rf $(VENV) instance/*.sqlite*
