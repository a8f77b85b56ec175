"""Real infrastructure for delivery tests: an SMTP server on loopback and Celery worker processes.

Nothing here imitates our code: the worker is `celery -A scheduler.celery worker` in its own
process group, talking to the real Redis broker and the test database; the SMTP server is
aiosmtpd, which can be told to refuse messages or to be slow.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter, deque
from collections.abc import Callable
from email.message import EmailMessage
from pathlib import Path

from aiosmtpd.controller import Controller

ROOT = Path(__file__).resolve().parents[2]
CELERY = str(Path(sys.executable).with_name("celery"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class SmtpSink:
    """An SMTP server that keeps every accepted message and can refuse or delay on request."""

    def __init__(self) -> None:
        self.port = free_port()
        # Raw bytes as accepted, parsed only when read: parsing MIME is slow, and a benchmark's
        # sink must not take the interpreter away from the code it measures.
        self._raw: list[bytes] = []
        self._parsed: list[EmailMessage] = []
        self.received_at: list[float] = []  # time.monotonic() of each accepted message
        self.replies: deque[str] = deque()  # replies to the next DATA commands, then "250"
        self.refused: list[str] = []
        self.rcpt_delay = 0.0
        self._lock = threading.Lock()
        self._controller = Controller(
            self, hostname="127.0.0.1", port=self.port, server_hostname="sink.test"
        )

    def __enter__(self) -> SmtpSink:
        self._controller.start()
        return self

    def __exit__(self, *exc) -> None:
        self._controller.stop()

    def reset(self) -> None:
        with self._lock:
            self._raw.clear()
            self._parsed.clear()
            self.received_at.clear()
            self.replies.clear()
            self.refused.clear()
            self.rcpt_delay = 0.0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        # A delay before DATA makes sends slow without ever half-accepting a message.
        if self.rcpt_delay:
            await asyncio.sleep(self.rcpt_delay)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with self._lock:
            if self.replies:
                reply = self.replies.popleft()
                if not reply.startswith("250"):
                    self.refused.append(reply)
                    return reply
            self._raw.append(envelope.content)
            self.received_at.append(time.monotonic())
        return "250 Message accepted for delivery"

    @property
    def count(self) -> int:
        """Messages accepted so far, without parsing them."""
        return len(self._raw)

    @property
    def messages(self) -> list[EmailMessage]:
        """Every accepted message, parsed."""
        with self._lock:
            for raw in self._raw[len(self._parsed) :]:
                self._parsed.append(email.message_from_bytes(raw, policy=email.policy.default))
            return list(self._parsed)

    @property
    def message_ids(self) -> Counter:
        return Counter(str(m["Message-ID"]) for m in self.messages)

    def wait_for(self, count: int, timeout: float = 30.0) -> list[EmailMessage]:
        """Wait until `count` messages arrived, then a little longer to catch extra ones."""
        wait_until(lambda: self.count >= count, timeout, f"{count} messages")
        time.sleep(0.5)
        return self.messages


def wait_until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"Timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(0.05)


def database_url(settings_dict: dict) -> str:
    user = settings_dict.get("USER") or "postgres"
    password = f":{settings_dict['PASSWORD']}" if settings_dict.get("PASSWORD") else ""
    host = settings_dict.get("HOST") or "127.0.0.1"
    port = settings_dict.get("PORT") or 5432
    return f"postgres://{user}{password}@{host}:{port}/{settings_dict['NAME']}"


class CeleryWorker:
    """`celery -A scheduler.celery worker` in its own process group, killed on exit."""

    def __init__(
        self,
        *,
        env: dict[str, str],
        concurrency: int = 2,
        pool: str = "prefork",
        name: str = "notify",
    ):
        self.env = {**os.environ, **env}
        self.concurrency = concurrency
        self.pool = pool
        self.name = f"{name}-{uuid.uuid4().hex[:8]}@%h"
        self.log = Path(tempfile.mkstemp(prefix="celery-worker-", suffix=".log")[1])
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 60.0) -> CeleryWorker:
        self.launch()
        return self.wait_ready(timeout)

    def launch(self) -> CeleryWorker:
        """Start the process without waiting for it (to start several workers at once)."""
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                [
                    CELERY,
                    "-A",
                    "scheduler.celery",
                    "worker",
                    "--loglevel=INFO",
                    f"--concurrency={self.concurrency}",
                    f"--pool={self.pool}",
                    "--without-gossip",
                    "--without-mingle",
                    "-n",
                    self.name,
                ],
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: a kill takes the children too
            )
        return self

    def wait_ready(self, timeout: float = 60.0) -> CeleryWorker:
        wait_until(self._ready, timeout, "the Celery worker to be ready")
        return self

    def _ready(self) -> bool:
        if self.process is not None and self.process.poll() is not None:
            raise RuntimeError(f"Celery worker exited early:\n{self.output()}")
        return " ready." in self.output()

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_idle(self, task: str, count: int, broker_url: str, timeout: float = 30.0) -> None:
        """Wait until `task` has finished `count` times and nothing is left: every task the
        worker received has finished and the broker's queue is empty. What the tasks sent is
        then all there is to see, without sleeping for a guess."""
        import re

        import redis

        queue = redis.Redis.from_url(broker_url)

        def idle() -> bool:
            log = self.output()
            received = set(re.findall(r"Task \S+\[([\w-]+)\] received", log))
            finished = set(re.findall(r"Task \S+\[([\w-]+)\] (?:succeeded|failed|retry)", log))
            done = len(re.findall(rf"Task {re.escape(task)}\[[\w-]+\] succeeded", log))
            return done >= count and received <= finished and not queue.llen("celery")

        wait_until(idle, timeout, f"{count} × {task} and an idle worker")

    def kill(self) -> None:
        """SIGKILL the whole worker, children included: nothing gets to clean up."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.kill()

    def __enter__(self) -> CeleryWorker:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
        self.log.unlink(missing_ok=True)
