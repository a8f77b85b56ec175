#!/usr/bin/env bash
# `make test`: services up, lint, format and type checks, then the pytest suite on PostgreSQL,
# Redis and real workers. Extra arguments go to pytest (`make test` passes -m "not fuzz"; `make
# fuzz` passes -m fuzz with TEST_CHECKS=0, which skips the checks `make test` has just run).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin

./scripts/ensure_services.sh
./scripts/ensure_chromium.sh
./scripts/ensure_node.sh

if [ "${TEST_CHECKS:-1}" != 0 ]; then
  $BIN/ruff check .
  $BIN/ruff format --check .
  $BIN/mypy  # django-stubs and djangorestframework-stubs; settings in pyproject.toml
  # Imports between the apps run one way (contracts in pyproject.toml): a back arrow fails here.
  $BIN/lint-imports --no-cache
fi

# Cache compiled modules (and pytest's rewritten test modules) in __pycache__ even where the
# machine sets PYTHONDONTWRITEBYTECODE: every worker, Celery worker, web server and command the
# suite starts would otherwise compile the project again.
unset PYTHONDONTWRITEBYTECODE

export DATABASE_URL="${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/fellow_tours}"
export CELERY_BROKER_URL="${TEST_CELERY_BROKER_URL:-redis://127.0.0.1:6379/14}"
export CACHE_URL="${TEST_CACHE_URL:-redis://127.0.0.1:6379/15}"
export CHROMIUM_PATH="${CHROMIUM_PATH:-$(command -v chromium)}"
if [ "${TEST_CHECKS:-1}" != 0 ]; then
  $BIN/python manage.py check
  $BIN/python manage.py makemigrations --check --dry-run >/dev/null || {
    echo "ERROR: models changed without a migration (run manage.py makemigrations)." >&2
    exit 1
  }
fi
# Two workers (pytest-xdist), each taking whole files (a module's fixtures, such as its Celery
# worker and SMTP sink, serve its tests in order, as in one process); each worker has its own
# test database and Redis dbs (tests/conftest.py). PYTEST_WORKERS=0 runs in one process.
exec $BIN/python -m pytest -n "${PYTEST_WORKERS:-2}" --dist loadfile "$@"
