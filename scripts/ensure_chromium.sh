#!/usr/bin/env bash
# Browser tests drive Debian's Chromium through Playwright (executable_path); install it where
# we can (root with apt-get), otherwise say what to install.
set -uo pipefail
if command -v chromium >/dev/null 2>&1; then exit 0; fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing Debian's chromium for the browser tests…"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq chromium >/dev/null && exit 0
fi
echo "ERROR: install Chromium (Debian package 'chromium') for the browser tests." >&2
exit 1
