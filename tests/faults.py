"""Private, disposable infrastructure for fault tests: a PostgreSQL cluster and a Redis server
that a test may stop and restart without touching the shared services other tests use, and a
gunicorn serving the product against them.

PostgreSQL refuses to run as root, so when the suite runs as root (CI) the cluster belongs to
the `postgres` OS user and every pg_ctl call goes through runuser. The binaries come from the
Debian layout (/usr/lib/postgresql/<version>/bin), whatever version the machine has.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.notifications.support import free_port, wait_until

ROOT = Path(__file__).resolve().parents[1]
GUNICORN = str(Path(sys.executable).with_name("gunicorn"))


def postgres_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=lambda p: p.split("/")[4])
    return Path(found[-1]).parent if found else None


def can_run_private_services() -> bool:
    return postgres_bin() is not None and shutil.which("redis-server") is not None


class PrivatePostgres:
    """A throwaway cluster on a free port, trust auth, socket and data in a temporary folder."""

    def __init__(self) -> None:
        self.bin = postgres_bin()
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="ft-faults-pg-"))
        self.data = self.dir / "data"
        self.as_root = os.geteuid() == 0
        if self.as_root:
            shutil.chown(self.dir, user="postgres", group="postgres")

    def _run(self, *command: str) -> None:
        prefix = ["runuser", "-u", "postgres", "--"] if self.as_root else []
        subprocess.run(
            [*prefix, *command], check=True, capture_output=True, timeout=120, cwd=self.dir
        )

    def _pg_ctl(self, action: str, *extra: str) -> None:
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run(
            str(self.bin / "pg_ctl"), action, "-D", str(self.data), "-w", "-t", "60",
            "-o", options, "-l", str(self.dir / "log"), *extra,
        )  # fmt: skip

    def start(self) -> PrivatePostgres:
        self._run(
            str(self.bin / "initdb"), "-D", str(self.data), "--auth=trust", "-U", "postgres",
            "--no-sync", "-E", "UTF8",
        )  # fmt: skip
        self._pg_ctl("start")
        return self

    def restart(self) -> None:
        """A fast shutdown (in-flight transactions are rolled back, clients cut off), then up."""
        self._pg_ctl("restart", "-m", "fast")

    def halt(self) -> None:
        """Down, keeping its data, until start_again(): an outage, not a restart."""
        self._pg_ctl("stop", "-m", "fast")

    def start_again(self) -> None:
        self._pg_ctl("start")

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self._pg_ctl("stop", "-m", "immediate")
        shutil.rmtree(self.dir, ignore_errors=True)

    def url(self, database: str = "postgres") -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def copy_schema(self, source_url: str, name: str) -> str:
        """A new database `name` holding the schema of `source_url` (a migrated database on
        another server) and its migration records, content types and permissions: what
        `migrate` would leave, in about a second instead of the migrations' ten."""
        target = self.create_database(name)
        dump = [str(self.bin / "pg_dump"), "--no-owner", "--no-privileges", source_url]
        tables = ["django_migrations", "django_content_type", "auth_permission"]
        data = [*dump, "--data-only", *(f"--table={table}" for table in tables)]
        for command in ([*dump, "--schema-only"], data):
            sql = subprocess.run(command, check=True, capture_output=True, timeout=120).stdout
            subprocess.run(
                [str(self.bin / "psql"), "-q", "-v", "ON_ERROR_STOP=1", target],
                input=sql, check=True, capture_output=True, timeout=120,
            )  # fmt: skip
        return target

    def create_database(self, name: str, *, template: str = "template1") -> str:
        import psycopg

        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        return self.url(name)


class PrivateRedis:
    """redis-server on a port of its own, no persistence; can be started after being chosen."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.process: subprocess.Popen | None = None

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def start(self) -> PrivateRedis:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--daemonize", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        wait_until(self._answers, 20, f"redis on port {self.port}")
        return self

    def _answers(self) -> bool:
        import redis

        try:
            return redis.Redis(port=self.port, socket_timeout=0.5).ping()
        except redis.exceptions.ConnectionError:
            return False

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)


def manage(*args: str, env: dict[str, str]) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=300,
    )
    if result.returncode:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{result.stderr}")
    return result.stdout


class Gunicorn:
    """The product under gunicorn on a free loopback port, with the given environment."""

    def __init__(self, *, env: dict[str, str], workers: int = 2, threads: int = 1) -> None:
        self.port = free_port()
        self.env = {
            **os.environ,
            "DEBUG": "false",
            "ALLOWED_HOSTS": "127.0.0.1",
            "SITE_URL": f"http://127.0.0.1:{self.port}",
            "LOG_LEVEL": "WARNING",
            **env,
        }
        self.args = [f"--workers={workers}", f"--threads={threads}"]
        self.log = Path(tempfile.mkstemp(prefix="gunicorn-", suffix=".log")[1])
        self.process: subprocess.Popen | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Gunicorn:
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                [GUNICORN, "scheduler.wsgi", "-b", f"127.0.0.1:{self.port}", *self.args,
                 "--timeout", "60", "--graceful-timeout", "5"],
                cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip
        wait_until(self._answers, 60, "gunicorn to answer")
        return self

    def _answers(self) -> bool:
        import http.client

        if self.process is not None and self.process.poll() is not None:
            raise RuntimeError(f"gunicorn exited:\n{self.output()}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
            conn.request("GET", "/ping")
            conn.getresponse().read()
            return True
        except OSError:
            return False

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, 15)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, 9)
                self.process.wait(timeout=5)
        self.log.unlink(missing_ok=True)

    def __enter__(self) -> Gunicorn:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def elapsed(since: float) -> float:
    return time.monotonic() - since
