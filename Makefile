# Entry points for people and CI. `make run` and `make test` are all a newcomer needs
# (README.md); both create .venv and install the requirements when they changed.

SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3 2>/dev/null)
VENV := .venv
PY := $(VENV)/bin/python
RUNTIME_STAMP := $(VENV)/.installed-requirements
DEV_STAMP := $(VENV)/.installed-requirements-dev

# make run: where the development server listens (make run ADDR=0.0.0.0:9000). A bare
# port (ADDR=9000) is runserver's 127.0.0.1:9000; URL is what every printed link uses.
ADDR ?= 127.0.0.1:8000
URL := http://$(if $(findstring :,$(ADDR)),$(ADDR),127.0.0.1:$(ADDR))
# make test: used unless DATABASE_URL / REDIS_URL are already set in the environment.
TEST_DATABASE_URL := postgres://postgres@127.0.0.1:5432/peachcomms
TEST_REDIS_URL := redis://127.0.0.1:6379/15
# make bench: its own database (created and migrated by the benchmarks) and Redis db.
BENCH_DATABASE_URL := postgres://postgres@127.0.0.1:5432/peachcomms_bench
BENCH_REDIS_URL := redis://127.0.0.1:6379/5
# make test PYTEST_ARGS="-k admin -x"
PYTEST_ARGS ?=
# make test: pytest-xdist workers, one per core (TEST_WORKERS=0 runs serially). Each has its
# own test database (peachcomms/settings.py); nothing else in the suite is shared (README).
TEST_WORKERS ?= auto

WITH_TEST_SERVICES := export DATABASE_URL="$${DATABASE_URL:-$(TEST_DATABASE_URL)}" \
	REDIS_URL="$${REDIS_URL:-$(TEST_REDIS_URL)}"

.PHONY: help run test lint bench clean

help:
	@echo "make run    install, migrate, seed the demo company and login, serve $(URL) with worker and beat"
	@echo "make test   the whole suite, in parallel, against PostgreSQL and Redis (DATABASE_URL, REDIS_URL)"
	@echo "make lint   ruff check and ruff format --check"
	@echo "make bench  run the benchmarks in bench/"
	@echo "make clean  remove .venv, caches, collected static files and the embedded broker folder"

$(PY):
	@test -n "$(PYTHON)" || { echo "Python 3.11 (python3.11 or python3) is needed to create $(VENV)." >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)

$(RUNTIME_STAMP): requirements.txt | $(PY)
	$(PY) -m pip install --disable-pip-version-check -r requirements.txt
	@touch $@

$(DEV_STAMP): requirements.txt requirements-dev.txt | $(PY)
	$(PY) -m pip install --disable-pip-version-check -r requirements-dev.txt
	@touch $@ $(RUNTIME_STAMP)

run: $(RUNTIME_STAMP)
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo --base-url $(URL) --staff-login
	@echo "API docs:      $(URL)/api/docs/"
	@echo "Admin:         $(URL)/admin/"
	@echo "Starting the web server on $(URL) and the Celery worker with beat. Ctrl-C stops both."
	exec $(PY) bin/run_web_and_worker.py $(ADDR)

test: $(DEV_STAMP)
	@$(WITH_TEST_SERVICES); $(PY) bin/check_services.py && $(VENV)/bin/pytest -n $(TEST_WORKERS) $(PYTEST_ARGS)

lint: $(DEV_STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

bench: $(DEV_STAMP)
	@export DATABASE_URL="$${DATABASE_URL:-$(BENCH_DATABASE_URL)}" REDIS_URL="$${REDIS_URL:-$(BENCH_REDIS_URL)}"; \
	shopt -s nullglob; benches=(); \
	for file in bench/*.py; do case "$$(basename $$file)" in common.py|urls_*.py) ;; *) benches+=("$$file");; esac; done; \
	if [ $${#benches[@]} -eq 0 ]; then echo "No benchmarks yet (bench/*.py)."; exit 0; fi; \
	for bench in "$${benches[@]}"; do echo "== $$bench"; $(PY) "$$bench" || exit 1; done

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis staticfiles var
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
