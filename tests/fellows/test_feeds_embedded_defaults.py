"""Feeds on `make run`'s embedded defaults are never stale: SQLite, the filesystem broker, a
local-memory cache in each of two gunicorn workers, and writes from other processes (a command
that plans and accepts a tour, a shell that rotates the token).

This replays what went wrong with per-process version stamps: after `plan_tour --accept` the
feed still answered 304 to its old ETag, and a rotated token still got 200.
"""

from __future__ import annotations

import http.client
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from tests.faults import ROOT, Gunicorn

pytestmark = pytest.mark.e2e


def embedded_env(var_dir: Path) -> dict[str, str]:
    return {
        "VAR_DIR": str(var_dir),
        "DATABASE_URL": f"sqlite:///{var_dir}/db.sqlite3",
        "CACHE_URL": "locmemcache://",
        "CELERY_BROKER_URL": "filesystem://",
        "EMAIL_URL": "filemail://",
        "FEED_RATE_LIMIT": "1000/h",
    }


def manage(*args: str, env: dict[str, str]) -> str:
    import os

    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def get(port: int, path: str, etag: str = "") -> tuple[int, str, str]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", path, headers={"If-None-Match": etag} if etag else {})
        response = conn.getresponse()
        return response.status, response.getheader("ETag") or "", response.read().decode()
    finally:
        conn.close()


def test_writes_from_other_processes_reach_every_web_worker_at_once():
    with tempfile.TemporaryDirectory(prefix="ft-embedded-") as folder:
        env = embedded_env(Path(folder))
        # `make run`'s set-up, in one process: a second Django start-up would only cost time.
        seeded = manage(
            "shell",
            "-c",
            "from django.core.management import call_command; "
            "call_command('migrate', interactive=False, verbosity=0); call_command('seed_demo')",
            env=env,
        )
        path = "/" + seeded.split("Demo fellow feed: ", 1)[1].split()[0].split("/", 3)[3]
        token = path.rsplit("/", 1)[1].removesuffix(".ics")

        with Gunicorn(env=env, workers=2) as server:
            # Every worker renders and caches the feed in its own memory.
            first = [get(server.port, path) for _ in range(6)]
            assert {status for status, _etag, _body in first} == {200}
            etag, before = first[0][1], first[0][2].count("BEGIN:VEVENT")
            assert {e for _s, e, _b in first} == {etag}
            assert {get(server.port, path, etag)[0] for _ in range(6)} == {304}

            manage("plan_tour", "Demo East Coast Tour", "--seconds", "2", "--accept", env=env)

            after = [get(server.port, path, etag) for _ in range(6)]
            assert {status for status, _e, _b in after} == {200}, "a worker answered 304"
            assert etag not in {e for _s, e, _b in after}
            assert min(body.count("BEGIN:VEVENT") for _s, _e, body in after) > before

            code = (
                "from fellows.models import Fellow; from fellows.services import "
                "rotate_feed_token; from common.tokens import hash_token; "
                f"rotate_feed_token(fellow=Fellow.objects.get(feed_token_hash=hash_token({token!r})))"
            )
            manage("shell", "-c", code, env=env)

            assert {get(server.port, path)[0] for _ in range(6)} == {404}
