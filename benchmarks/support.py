"""What the benchmark scripts share: a free loopback port, a throwaway PostgreSQL database, and
the product served by gunicorn on its own database and Redis server.

Each script runs as `python benchmarks/<name>.py`, so this folder is first on sys.path and the
scripts import this module as `support`.
"""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def recreate_database(postgres: str, name: str, *, drop_only: bool = False) -> None:
    """Drop the database `name` on the server at `postgres` (a URL without a database) and,
    unless `drop_only`, create it empty."""
    import psycopg

    with psycopg.connect(f"{postgres}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if not drop_only:
            conn.execute(f'CREATE DATABASE "{name}"')


def wait_for_ping(port: int, seconds: float = 60) -> None:
    """Until the server on `port` answers /ping with 200; SystemExit after `seconds`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/ping")
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise SystemExit("timed out waiting for gunicorn")


@dataclass
class Served:
    """The product running for a benchmark: gunicorn on `port`, its own Redis server, the
    environment its processes share, and what the seed script printed."""

    port: int
    env: dict[str, str]
    redis: subprocess.Popen
    seed_output: str

    def shell(self, code: str) -> str:
        """Run `code` in `manage.py shell` against the benchmark's database; its stdout."""
        done = subprocess.run(
            [PYTHON, "manage.py", "shell", "-c", code],
            cwd=ROOT, env=self.env, check=True, capture_output=True, text=True,
        )  # fmt: skip
        return done.stdout


@contextmanager
def served_product(
    *,
    postgres: str,
    database: str,
    settings: dict[str, str],
    seed: str,
    gunicorn: list[str],
    drop_settings: tuple[str, ...] = (),
) -> Iterator[Served]:
    """Create `database`, start a private redis-server (broker db 0, cache db 1), migrate, run
    the `seed` code in `manage.py shell`, then serve the product with gunicorn (extra options
    `gunicorn`) until the block ends; then stop both and drop the database.

    `settings` are environment variables for every process (besides DATABASE_URL and the
    Redis URLs, DEBUG off and quiet logs); `drop_settings` are removed from the inherited
    environment so their shipped defaults apply.
    """
    redis_port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": f"{postgres}/{database}",
        "CELERY_BROKER_URL": f"redis://127.0.0.1:{redis_port}/0",
        "CACHE_URL": f"redis://127.0.0.1:{redis_port}/1",
        "CONN_MAX_AGE": "60",
        "DEBUG": "false",
        "ALLOWED_HOSTS": "127.0.0.1",
        "LOG_LEVEL": "WARNING",
        "SITE_URL": "http://127.0.0.1",
        **settings,
    }
    for name in drop_settings:
        env.pop(name, None)
    redis = server = None
    recreate_database(postgres, database)
    try:
        redis = subprocess.Popen(
            ["redis-server", "--port", str(redis_port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
        subprocess.run([PYTHON, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True)
        port = free_port()
        served = Served(port=port, env=env, redis=redis, seed_output="")
        served.seed_output = served.shell(seed)
        server = subprocess.Popen(
            [str(Path(PYTHON).parent / "gunicorn"), "scheduler.wsgi", "-b", f"127.0.0.1:{port}",
             "--log-level", "warning", *gunicorn],
            cwd=ROOT, env=env, start_new_session=True,
        )  # fmt: skip
        wait_for_ping(port)
        yield served
    finally:
        if server is not None:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)
        if redis is not None:
            redis.terminate()
            redis.wait(timeout=10)
        recreate_database(postgres, database, drop_only=True)
