"""What the benchmark scripts share: a free loopback port and a throwaway PostgreSQL database.

Each script runs as `python benchmarks/<name>.py`, so this folder is first on sys.path and the
scripts import this module as `support`.
"""

from __future__ import annotations

import socket


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
