#!/usr/bin/env bash
# Make sure PostgreSQL and Redis answer on loopback: start them where this machine has the
# commands and they are down; otherwise say clearly what to start.
set -uo pipefail

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_for() {
  for _ in $(seq 1 30); do port_open "$1" && return 0; sleep 1; done
  return 1
}

if ! port_open 5432; then
  echo "PostgreSQL is not answering on 127.0.0.1:5432; trying to start it…"
  if command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
    for version in $(ls /etc/postgresql); do
      pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
    done
  fi
  wait_for 5432 || {
    echo "ERROR: start PostgreSQL on 127.0.0.1:5432 (user postgres, trust auth) or set DATABASE_URL." >&2
    exit 1
  }
fi

if ! port_open 6379; then
  echo "Redis is not answering on 127.0.0.1:6379; trying to start it…"
  if command -v redis-server >/dev/null 2>&1; then
    mkdir -p /var/lib/redis /var/log/redis 2>/dev/null || true
    redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
      --dir /var/lib/redis --logfile /var/log/redis/ci.log || true
  fi
  wait_for 6379 || {
    echo "ERROR: start Redis on 127.0.0.1:6379 (e.g. 'redis-server --port 6379')." >&2
    exit 1
  }
fi
echo "PostgreSQL and Redis are up."
