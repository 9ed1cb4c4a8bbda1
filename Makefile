# The two commands a new user needs: `make run` and `make test`. Each creates .venv if missing.
# What gets installed is locked: requirements.txt (what the PaaS installs) and requirements-dev.txt
# (that plus the dev tools) pin every package to one version with its hashes. pyproject.toml keeps
# the ranges; `make lock` writes both locks from them, `make lock-check` (CI) fails when they differ.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
LOCK_CHECK := $(VENV)/lock-check
COMPILE = $(abspath $(BIN))/uv pip compile pyproject.toml --quiet --generate-hashes --universal \
	--python-version $(shell cat .python-version) --custom-compile-command "make lock"

.PHONY: run test lint lock lock-check bench clean

$(STAMP): requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements-dev.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/python -m bot console

test: $(STAMP)
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/lint-imports

# The runtime lock first; the dev lock is held to its versions, so tests run what the PaaS runs.
lock: $(STAMP)
	$(COMPILE) --output-file requirements.txt
	$(COMPILE) --extra dev --constraint requirements.txt --output-file requirements-dev.txt

# Compiles the locks again beside the committed ones (the committed pins are kept where the ranges
# allow them) and compares the pins. Hashes are left to pip, which refuses a file that has none.
lock-check: $(STAMP)
	rm -rf $(LOCK_CHECK) && mkdir -p $(LOCK_CHECK)
	cp pyproject.toml requirements.txt requirements-dev.txt $(LOCK_CHECK)/
	cd $(LOCK_CHECK) && $(COMPILE) --output-file requirements.txt \
		&& $(COMPILE) --extra dev --constraint requirements.txt --output-file requirements-dev.txt
	@for lock in requirements.txt requirements-dev.txt; do \
		grep -E '^[A-Za-z0-9]' $$lock > $(LOCK_CHECK)/$$lock.committed; \
		grep -E '^[A-Za-z0-9]' $(LOCK_CHECK)/$$lock > $(LOCK_CHECK)/$$lock.fresh; \
		diff -u $(LOCK_CHECK)/$$lock.committed $(LOCK_CHECK)/$$lock.fresh \
			|| { echo "$$lock does not match pyproject.toml: run make lock and commit it"; exit 1; }; \
	done
	@echo "the locks match pyproject.toml"

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
