#!/usr/bin/env bash
# The calendar tests also read our invites and feeds with ical.js (tests/js), run by Node.js:
# install Debian's nodejs and npm where we can (root with apt-get), otherwise say what to
# install; then install the locked JavaScript packages when package-lock.json changed.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing Debian's nodejs and npm for the calendar parser tests…"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq && apt-get install -y -qq nodejs npm >/dev/null
  else
    echo "ERROR: install Node.js and npm (Debian packages 'nodejs' and 'npm') for tests/js." >&2
    exit 1
  fi
fi
stamp=tests/js/node_modules/.package-lock.json
if [ ! -f "$stamp" ] || [ tests/js/package-lock.json -nt "$stamp" ]; then
  npm ci --prefix tests/js --no-audit --no-fund --loglevel=error
fi
