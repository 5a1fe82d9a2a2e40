# Pushdeck: `make run` starts the dashboard on the local sandbox with demo data; `make test` runs every check.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
# Stamps of what is installed: running needs requirements.txt only, the checks and tools add the dev ones.
RUNTIME := $(VENV)/.runtime-$(shell sha1sum < requirements.txt | cut -c1-12)
INSTALLED := $(VENV)/.installed-$(shell cat requirements.txt requirements-dev.txt | sha1sum | cut -c1-12)
HOST ?= 127.0.0.1
PORT ?= 8000
# The sandbox (the local flows API) is its own gunicorn process, so that its answers never wait
# for one of the threads the dashboard keeps for people.
SANDBOX_PORT ?= $(shell echo $$(($(PORT) + 1)))

# Local, non-production settings for `make run`: secrets are generated once into var/ and kept.
RUN_ENV = set -a && source var/local.env && set +a && export HTTPS_ONLY=0 SANDBOX_ENABLED=1 \
	SANDBOX_URL=http://$(HOST):$(SANDBOX_PORT)/sandbox ALLOWED_HOSTS=$(HOST),localhost EMAIL_URL=console://

# The translations: each catalog (locale/*/LC_MESSAGES/*.po) is compiled for Django by msgfmt.
MO := $(patsubst %.po,%.mo,$(wildcard locale/*/LC_MESSAGES/*.po))

.PHONY: help setup run-setup run dev test lint format check-deploy chromium services gettext messages bench loadtest screenshots clean

help:
	@echo "make run    - set up, then serve the dashboard on the sandbox with demo data at http://$(HOST):$(PORT)"
	@echo "make test   - set up, then run ruff, the deploy checks and the whole test suite (browser included)"
	@echo "make bench  - the benchmark: each target of docs/BENCHMARKS.md measured, PASS or FAIL (python -m bench)"
	@echo "make loadtest - 20 users browse and toggle for DURATION s (default 60) through gunicorn (docs/BENCHMARKS.md)"
	@echo "make dev    - the Django development server with DEBUG on and autoreload"
	@echo "make screenshots - refresh the README's screenshots in docs/"
	@echo "make messages - collect the marked strings into the catalogs in locale/ (then translate them)"

$(PY):
	@python=$$(scripts/find-python) && echo "Creating $(VENV) with $$python" && "$$python" -m venv $(VENV)

$(RUNTIME): requirements.txt | $(PY)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	rm -f $(VENV)/.runtime-* && touch $@

$(INSTALLED): $(RUNTIME) requirements-dev.txt
	$(PY) -m pip install --quiet -r requirements-dev.txt
	rm -f $(VENV)/.installed-* && touch $@

setup: $(INSTALLED) var/local.env $(MO)

run-setup: $(RUNTIME) var/local.env $(MO)

gettext:
	@command -v msgfmt >/dev/null || { echo "Installing Debian's gettext for the translations"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gettext >/dev/null; }

$(MO): %.mo: %.po | gettext
	msgfmt --check --output-file=$@ $<

# Every language's catalog, for the templates and Python (django) and for static/js (djangojs).
messages: $(INSTALLED) gettext
	$(PY) manage.py makemessages --all --no-obsolete --ignore='.venv/*' --ignore='staticfiles/*' \
		--ignore='tests/*' --ignore='scripts/*' --ignore='bench/*'
	$(PY) manage.py makemessages --all --no-obsolete --domain djangojs --ignore='staticfiles/*' --ignore='.venv/*'

var/local.env:
	@mkdir -p var
	@$(PY) -c 'import secrets; print(f"SECRET_KEY={secrets.token_urlsafe(50)}\nAPI_KEY_ENCRYPTION_KEYS={secrets.token_urlsafe(48)}")' > $@
	@chmod 600 $@ && echo "Generated local secrets in $@"

run: run-setup
	@$(RUN_ENV) && $(PY) manage.py migrate --no-input -v 0 && $(PY) manage.py collectstatic --no-input -v 0 \
		&& $(PY) manage.py demo --host $(HOST) --port $(PORT) \
		&& trap 'kill 0' EXIT && ($(PY) manage.py sandbox_tick --loop 30 >/dev/null &) && ($(PY) manage.py worker &) \
		&& (GUNICORN_ACCESSLOG=/dev/null $(VENV)/bin/gunicorn -c dashboard/gunicorn_conf.py --bind $(HOST):$(SANDBOX_PORT) \
			--workers 1 --threads 8 dashboard.wsgi:application &) \
		&& $(VENV)/bin/gunicorn -c dashboard/gunicorn_conf.py --bind $(HOST):$(PORT) dashboard.wsgi:application

dev: run-setup
	@$(RUN_ENV) && export DEBUG=1 && $(PY) manage.py migrate --no-input -v 0 \
		&& $(PY) manage.py demo --host $(HOST) --port $(PORT) && $(PY) manage.py runserver $(HOST):$(PORT)

# The screenshots and browser tests draw Chinese pages too: a CJK font, when the machine has none.
chromium:
	@command -v chromium >/dev/null || { echo "Installing Debian's Chromium for the browser tests"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }
	@fc-list :lang=zh family 2>/dev/null | grep -q . || { echo "Installing Debian's Noto CJK fonts for the Chinese pages"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-noto-cjk >/dev/null; }

# The accessibility tests (tests/test_accessibility.py) run axe-core in the browser: a pinned
# version from the npm registry, kept out of the repository in var/node/.
AXE_VERSION := 4.14.1
AXE := var/node/node_modules/axe-core/axe.min.js
$(AXE):
	@command -v npm >/dev/null || { echo "Installing Debian's npm for axe-core"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm >/dev/null; }
	npm install --silent --no-save --no-audit --no-fund --prefix var/node axe-core@$(AXE_VERSION)
	@touch $@

# The sign-in tests (tests/identity.py) sign in with a real OpenID provider: oidc-provider (OpenID
# Certified), pinned, from the npm registry into var/oidc/, run by Node on loopback.
OIDC_PROVIDER_VERSION := 9.13.3
OIDC_PROVIDER := var/oidc/node_modules/oidc-provider/package.json
$(OIDC_PROVIDER):
	@command -v npm >/dev/null || { echo "Installing Debian's npm for oidc-provider"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm >/dev/null; }
	npm install --silent --no-save --no-audit --no-fund --prefix var/oidc oidc-provider@$(OIDC_PROVIDER_VERSION)
	@touch $@

# The production-shape tests (tests/test_production.py) start their own throwaway PostgreSQL and Redis.
services:
	@[ -x "$$(pg_config --bindir 2>/dev/null)/initdb" ] && command -v redis-server >/dev/null || { \
		echo "Installing Debian's PostgreSQL and Redis for the production-shape tests"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql redis-server >/dev/null; }

lint: $(INSTALLED)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(INSTALLED)
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

# The production settings must pass Django's deployment checks (the Dockerfile runs the same).
# The checks ask the database what it supports (allauth's JSON fields): an in-memory one, so
# that they need no var/ yet and touch no one's data.
check-deploy: $(INSTALLED)
	DEBUG=0 DATABASE_URL=sqlite://:memory: SECRET_KEY=$$($(PY) -c 'import secrets; print(secrets.token_urlsafe(50))') \
		API_KEY_ENCRYPTION_KEYS=$$($(PY) -c 'import secrets; print(secrets.token_urlsafe(48))') \
		$(PY) manage.py check --deploy --fail-level WARNING

# The suite in TEST_WORKERS processes (pytest-xdist; one per core by default), each test sent to
# the next free one, the production-shape tests kept together (tests/conftest.py).
TEST_WORKERS ?= auto
test: lint check-deploy chromium services $(MO) $(AXE) $(OIDC_PROVIDER)
	$(VENV)/bin/pytest -n $(TEST_WORKERS) --dist loadgroup

# Loopback only and bounded; `$(PY) -m bench --quick` for a smoke run, `-m bench find list` for some scenarios.
bench: setup
	$(PY) -m bench

# Loopback only and bounded; fails on any error or lost toggle. DURATION=10 make loadtest for a short run.
loadtest: setup
	$(PY) -m bench load --duration $(or $(DURATION),60)

screenshots: setup chromium
	$(PY) scripts/screenshots.py

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache
