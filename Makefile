# The two set-up commands the README opens with: `make run` and `make test`.
# Everything else (virtualenv, install, migrate, demo data) happens on the way.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

.PHONY: install run test lint
install: $(STAMP)

run: $(STAMP)  ## embedded default: SQLite, in-memory cache, in-process worker, demo data
	$(BIN)/loyalty dev

# mypy: which files and flags, see [tool.mypy] in pyproject.toml
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/mypy
	$(BIN)/loyalty migrations-check

test: lint  ## the whole suite: SQLite pass, then PostgreSQL + Redis + broker pass
	TEST_BACKEND=sqlite $(BIN)/pytest
	TEST_BACKEND=postgres $(BIN)/pytest
