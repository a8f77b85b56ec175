#!/usr/bin/env bash
# `make run`: migrate, load demo data, then run the web server, one Celery worker and Celery
# beat on the embedded defaults (SQLite, filesystem broker, mail as files under var/).
# Ctrl-C stops all three.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
PORT="${PORT:-8000}"
export SITE_URL="${SITE_URL:-http://127.0.0.1:${PORT}}"

$BIN/python manage.py migrate --no-input -v0
seed_output=$($BIN/python manage.py seed_demo)
echo "$seed_output"

pids=()
cleanup() {
  trap - INT TERM EXIT
  echo "Stopping web server, worker and beat…"
  kill "${pids[@]}" 2>/dev/null || true
  wait 2>/dev/null || true
}
trap cleanup INT TERM EXIT

$BIN/celery -A scheduler.celery worker --loglevel=INFO --concurrency=2 >var/worker.log 2>&1 &
pids+=($!)
$BIN/celery -A scheduler.celery beat --loglevel=INFO >var/beat.log 2>&1 &
pids+=($!)
$BIN/python manage.py runserver "127.0.0.1:${PORT}" >var/web.log 2>&1 &
pids+=($!)

for _ in $(seq 1 60); do
  if curl -fs "http://127.0.0.1:${PORT}/healthz" >/dev/null 2>&1; then break; fi
  sleep 1
done

cat <<TXT

Fellow Tour Scheduler is running (logs in var/web.log, var/worker.log, var/beat.log; mail in var/mail/).
  Host request page:  ${SITE_URL}/request/
  Staff tour board:   ${SITE_URL}/staff/   (demo only: user "staff", password "fellow-tours-demo")
  Fellow's own page:  ${SITE_URL}/me/      (demo only: user "grace", password "fellow-tours-demo")
  Admin:              ${SITE_URL}/admin/
  API docs:           ${SITE_URL}/api/docs/
  Health:             ${SITE_URL}/healthz
$(echo "$seed_output" | sed -n 's/^Demo fellow feed: /  Fellow feed:        /p')
Press Ctrl-C to stop.
TXT
wait -n "${pids[@]}"
