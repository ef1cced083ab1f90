# Footfall. `make run` serves the product in embedded mode; `make test` runs every check.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1:8000

.PHONY: run dev prepare test lint typecheck pytest graphql-schema worker beat bench bench-stats clean

$(VENV)/.runtime: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: $(VENV)/.runtime requirements-dev.txt
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

# The embedded mode, as it can be left running: gunicorn (one process, threads: SQLite and the inline
# pipeline share it), DEBUG off, static files through whitenoise.
run: prepare
	$(VENV)/bin/gunicorn analytics_site.wsgi --bind $(HOST) --workers 1 --threads 8 --timeout 120

# The same data on Django's development server with DEBUG on: code reloads, error pages, GraphiQL.
dev: prepare
	DEBUG=true $(PY) manage.py runserver $(HOST)

prepare: $(VENV)/.runtime
	$(PY) manage.py migrate --noinput
	$(PY) manage.py bootstrap --host http://$(HOST) --quiet
	$(PY) manage.py generate_traffic --site demo.footfall.test --days 31 --visitors 4000 --if-empty
	$(PY) manage.py rollup
	$(PY) manage.py bootstrap --host http://$(HOST)

test: $(VENV)/.dev lint typecheck pytest

lint: $(VENV)/.dev
	$(VENV)/bin/ruff check .

typecheck: $(VENV)/.dev
	$(VENV)/bin/mypy .

pytest: $(VENV)/.dev
	$(PY) -m pytest $(PYTEST_ARGS)

# The GraphQL API's schema, committed for clients; a test fails while it is stale.
# (What strawberry_django's export_schema command writes; the app is not installed, so that the worker and
# beat processes, which serve no GraphQL, do not import strawberry: 11 MB each.)
graphql-schema: $(VENV)/.runtime
	DJANGO_SETTINGS_MODULE=analytics_site.settings.local $(PY) -c "import django, pathlib; django.setup(); \
	from strawberry.printer import print_schema; from dashboard.graphql.schema import schema; \
	pathlib.Path('dashboard/graphql/schema.graphql').write_text(print_schema(schema), encoding='utf-8')"

worker: $(VENV)/.runtime
	$(VENV)/bin/celery -A analytics_site worker --loglevel INFO

beat: $(VENV)/.runtime
	$(VENV)/bin/celery -A analytics_site beat --loglevel INFO --schedule var/celerybeat-schedule

# Every benchmark and one table of figure, budget, pass/fail (BENCH_ARGS=--quick for short runs).
# Needs PostgreSQL and Redis on 127.0.0.1, and wrk (apt-get install wrk) for the ingest ratio.
bench: $(VENV)/.dev
	$(PY) bench/budgets.py $(BENCH_ARGS)

# Stats API latency on the canonical 10M-event dataset (PostgreSQL on 127.0.0.1). Long: the first
# run generates the data set (a few minutes) and loads it; BENCH_STATS_ARGS=--reuse skips the load.
bench-stats: $(VENV)/.dev
	$(PY) bench/stats.py $(BENCH_STATS_ARGS)

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache
