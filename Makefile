# Two commands on a fresh machine:
#   make run    set up (virtualenv + install) and start the bot on the embedded default (SQLite, demo airline, web chat)
#   make test   set up and run the whole test suite (and ruff)
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup run test lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP)

run: $(STAMP)
	$(BIN)/crisisbot serve

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/python -m pytest $(PYTEST_ARGS)

bench: $(STAMP)
	$(BIN)/python bench/nlu.py
	$(BIN)/python bench/pipeline.py

clean:
	rm -rf $(VENV) .crisisbot-cache .pytest_cache .ruff_cache .mypy_cache "$${CRISISBOT_CACHE_DIR:-$$HOME/.cache/crisisbot}"
