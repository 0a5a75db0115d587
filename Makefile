# Dalili: `make run` (platform with demo data) and `make test` (whole suite) on a fresh machine.
# The first interpreter that really runs and is 3.11+ (pyenv shims may exist for versions not installed).
PYTHON ?= $(shell for p in python3.13 python3.12 python3.11 python3; do \
	$$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null && { echo $$p; break; }; done)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: venv run test test-unit test-browser lint bench clean translations constraints

$(STAMP): requirements.txt requirements-dev.txt constraints.txt pyproject.toml
	@test -n "$(PYTHON)" || { echo "Dalili needs Python 3.11 or newer on PATH"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -r requirements-dev.txt -e .
	$(BIN)/pybabel compile -d app/translations
	@touch $(STAMP)

# Compiled catalogs are build products (git-ignored): the stamp compiles them all once, and an edited
# .po is recompiled on the next `make run` or `make test`. Fuzzy entries stay untranslated until reviewed.
MO := $(patsubst %.po,%.mo,$(wildcard app/translations/*/LC_MESSAGES/messages.po))
$(MO): %.mo: %.po | $(STAMP)
	$(BIN)/pybabel compile -i $< -o $@

venv: $(STAMP) $(MO)

# The requirements pin what Dalili imports; constraints.txt pins everything they pull in, so two
# installs a month apart get the same libraries. Run after changing a requirement.
constraints:  ## re-resolve requirements-dev.txt in a clean venv and pin every version in constraints.txt
	@test -n "$(PYTHON)" || { echo "Dalili needs Python 3.11 or newer on PATH"; exit 1; }
	set -e; dir=$$(mktemp -d); trap 'rm -rf "$$dir"' EXIT; \
	$(PYTHON) -m venv "$$dir"; \
	"$$dir/bin/python" -m pip install --quiet --upgrade pip; \
	"$$dir/bin/python" -m pip install --quiet -r requirements-dev.txt; \
	{ echo "# Every installed version, from \`make constraints\` (pip freeze of requirements-dev.txt in a clean venv)."; \
	  "$$dir/bin/python" -m pip freeze; } > constraints.txt

translations: venv  ## extract the dashboard's strings and merge them into each language's .po
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext --no-location --sort-output \
		--project Dalili --copyright-holder "Dalili contributors" -o app/translations/messages.pot .
	$(BIN)/pybabel update -i app/translations/messages.pot -d app/translations --width 110

run: venv  ## set up, migrate, load demo data, serve web + worker on http://$(HOST):$(PORT)
	$(BIN)/dalili db upgrade
	DALILI_PUBLIC_URL=$${DALILI_PUBLIC_URL:-http://$(HOST):$(PORT)} $(BIN)/dalili demo load
	DALILI_PUBLIC_URL=$${DALILI_PUBLIC_URL:-http://$(HOST):$(PORT)} HOST=$(HOST) PORT=$(PORT) $(BIN)/dalili serve

test: venv  ## the whole suite (integration tests need DALILI_TEST_DATABASE_URL/_REDIS_URL, as .ci/run sets)
	$(BIN)/pytest

test-unit: venv
	$(BIN)/pytest tests/unit

test-browser: venv  ## the dashboard in headless Chromium (/usr/bin/chromium; skipped without it)
	$(BIN)/pytest tests/browser

lint: venv  ## ruff, mypy, import-linter
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

bench: venv  ## benchmarks against local PostgreSQL and Redis; prints a table
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) instance .pytest_cache .mypy_cache .ruff_cache
