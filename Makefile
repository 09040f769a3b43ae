# Utomläns: `make run` serves the app with demo data; `make test` runs every test. Both set up .venv first.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
DEMO_PASSWORD ?= utomlans-demo-2026
# `make test` and `make test-default` run the suite in parallel processes (pytest-xdist), as many as the machine has
# cores, each on a test database of its own (test_<name>_gw0, …). Tests are handed out one by one in pytest-django's
# order, so each process still runs the transactional tests after the others, as Django does. (Not --dist loadgroup:
# pytest-xdist 3.8 cannot rename pytest 9's node ids, so its xdist_group marks are silently ignored.)
# TEST_WORKERS=0 runs everything in one process, as before.
TEST_WORKERS ?= auto
XDIST := -n $(TEST_WORKERS) --dist load

.PHONY: run test test-default soak lint bench install messages screenshots check-python clean

check-python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' 2>/dev/null || { \
	  echo "Utomläns needs Python 3.12 or newer (Django 6); '$(PYTHON)' is $$($(PYTHON) --version 2>&1)."; \
	  echo "With pyenv, the repository's .python-version selects 3.12; otherwise run: make PYTHON=python3.12 ..."; \
	  exit 1; }

# Re-create the environment when requirements change or its Python is older than 3.12.
$(VENV)/.installed: requirements.txt | check-python
	@if [ -x $(PY) ] && ! $(PY) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)'; then \
	  echo "Removing $(VENV): it was made with a Python older than 3.12."; rm -rf $(VENV); fi
	@[ -x $(PY) ] || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	@touch $@

install: $(VENV)/.installed

run: install
	DEBUG=1 $(PY) manage.py migrate --no-input
	DEBUG=1 $(PY) manage.py seed_reference_data
	DEBUG=1 $(PY) manage.py seed_demo --password "$(DEMO_PASSWORD)"
	@echo ""
	@echo "Admin:    http://$(HOST):$(PORT)/admin/   (logins above, password: $(DEMO_PASSWORD))"
	@echo "API docs: http://$(HOST):$(PORT)/api/v1/docs/"
	DEBUG=1 $(PY) manage.py runserver $(HOST):$(PORT)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports --no-cache

test: install lint
	$(VENV)/bin/pytest $(XDIST)

# The suite once more on the embedded default whatever the environment says (SQLite, jobs in-process), as the
# README's `make test` runs on a fresh machine; CI runs it after `make test` on PostgreSQL so neither can break
# unseen. Leaves out the browser journeys (they need PostgreSQL) and the API fuzzing (database-independent, and
# the slowest part).
test-default: install
	env -u DATABASE_URL -u CELERY_BROKER_URL -u CACHE_URL $(VENV)/bin/pytest -q -p no:cacheprovider $(XDIST) \
	  --ignore=tests/e2e --ignore=tests/test_api_fuzz.py

# Refresh the README's screenshots (docs/screenshots): the end-to-end journeys, saving into that folder. Needs
# PostgreSQL (DATABASE_URL, default a scratch database on the local server) and Debian's chromium.
screenshots: install
	DATABASE_URL=$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/utomlans_screens} E2E_SCREENSHOTS=docs/screenshots \
	  $(VENV)/bin/pytest tests/e2e -p no:cacheprovider -q

# The ledger's state machine (tests/billing/test_ledger_stateful.py) far longer than make test runs it: random
# sequences of intake, runs, approvals, credits and clock jumps on PostgreSQL (DATABASE_URL, default the local
# server; pytest makes and drops its own test_ database), printing how many sequences and steps it tried.
SOAK_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/utomlans_soak
soak: install
	DATABASE_URL=$${DATABASE_URL:-$(SOAK_DATABASE_URL)} LEDGER_SEQUENCES=$${LEDGER_SEQUENCES:-1000} \
	  LEDGER_STEPS=$${LEDGER_STEPS:-80} $(VENV)/bin/pytest tests/billing/test_ledger_stateful.py -p no:cacheprovider -q -s

# Performance figures against the local PostgreSQL (a scratch database utomlans_bench is recreated).
bench: install
	$(PY) -m bench

# Extract UI strings into the Swedish catalogue (locale/sv/LC_MESSAGES/django.po, the one source of the Swedish
# texts: write each new msgstr there), list what is untranslated or fuzzy (and stop), and compile it. Needs gettext
# (xgettext, msgfmt); the compiled .mo is committed so `make run` and `make test` do not.
messages: install
	DEBUG=1 $(PY) manage.py makemessages -l sv --no-location --ignore=.venv --ignore=tests
	@$(PY) -c 'import sys, polib; po = polib.pofile("locale/sv/LC_MESSAGES/django.po"); \
	  todo = [e.msgid for e in po if not e.obsolete and e.msgid and (not e.translated() or "fuzzy" in e.flags)]; \
	  print("Untranslated or fuzzy in locale/sv/LC_MESSAGES/django.po:", *todo, sep="\n  ") if todo else None; \
	  sys.exit(1 if todo else 0)'
	DEBUG=1 $(PY) manage.py compilemessages -l sv --ignore=.venv

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .test-media
