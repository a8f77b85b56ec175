"""One room answering the attendee survey (a benchmark, not a test): --answers phones (300)
behind one address (the venue's Wi-Fi or a campus NAT: the per-address limit sees one client)
each open the survey and send their answers within --spread seconds (300: five minutes) of the
talk's end, against a real server.

Creates its own PostgreSQL database (fellow_tours_surveybench), migrates it, seeds one
confirmed event that ended a minute ago and prints nothing private; starts a private
redis-server (the rate limits' cache) and gunicorn (sync workers, CONN_MAX_AGE=60) on loopback
with the shipped rate limits (SURVEY_RATE_LIMIT, SURVEY_EVENT_RATE_LIMIT), as production runs
them. Each phone arrives at a random moment in the spread (open loop: latency counts from the
moment it asks), opens the page on a new connection (GET, CSRF cookie), takes --think-ms to
answer, then POSTs: yes/no, yes/somewhat/no, one line, in English or Korean, and one phone in
five leaves an address with consent.

Prints errors by status, p50/p95/p99/max latency of the page and of the answer, and checks that
every accepted answer (302) is stored, and nothing else. Target: 0 errors, nothing lost; exits
with status 1 otherwise.

    .venv/bin/python benchmarks/survey_load.py [--answers 300] [--spread 300] [--workers 4]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.parse
from collections import Counter
from pathlib import Path

from support import free_port, recreate_database

ROOT = Path(__file__).resolve().parents[1]
DB_NAME = "fellow_tours_surveybench"

SEED = r"""
import datetime as dt
from django.utils import timezone
from events.models import Event
from fellows.models import Tour
from impact.services import survey_token

now = timezone.now()
tour = Tour.objects.create(
    name="Survey tour", start_date=now.date() - dt.timedelta(days=3),
    end_date=now.date() + dt.timedelta(days=3),
)
# The talk ended a minute ago: the room answers now.
event = Event.objects.create(
    tour=tour, title="Talk at the bench hall", status="confirmed", city="Springfield",
    state="IL", timezone="America/Chicago", starts_at=now - dt.timedelta(minutes=61),
    ends_at=now - dt.timedelta(minutes=1),
)
print("TOKEN", survey_token(event=event))
"""

CHECK = r"""
import json
from impact.models import SupporterContact, SurveyResponse
print(json.dumps({
    "answers": SurveyResponse.objects.count(),
    "korean": SurveyResponse.objects.filter(language="ko").count(),
    "contacts": SupporterContact.objects.count(),
}))
"""

CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


class Results:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.page: list[float] = []
        self.answer: list[float] = []
        self.statuses: Counter[str] = Counter()
        self.accepted = 0
        self.contacts = 0
        self.korean = 0

    def add(self, kind: str, seconds: float, status: str) -> None:
        with self.lock:
            (self.page if kind == "page" else self.answer).append(seconds)
            self.statuses[f"{kind} {status}"] += 1


def phone(port: int, path: str, think: float, results: Results, rng: random.Random) -> None:
    """One attendee: open the page, think, answer. Each request on its own connection."""
    lang = "ko" if rng.random() < 0.3 else "en"
    started = time.monotonic()
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        conn.request("GET", f"{path}?lang={lang}")
        response = conn.getresponse()
        body = response.read().decode()
        cookie = (response.getheader("Set-Cookie") or "").split(";", 1)[0]
        results.add("page", time.monotonic() - started, str(response.status))
        conn.close()
        if response.status != 200:
            return
        token = CSRF_FIELD.search(body).group(1)
    except (OSError, AttributeError) as exc:
        results.add("page", time.monotonic() - started, type(exc).__name__)
        return
    time.sleep(think)
    fields = {
        "csrfmiddlewaretoken": token,
        "lang": lang,
        "first_time": rng.choice(["yes", "yes", "yes", "no"]),
        "perspective_changed": rng.choice(["yes", "yes", "somewhat", "no"]),
        "comment": rng.choice(["", "Thank you for your courage", "감사합니다"]),
    }
    leaves_contact = rng.random() < 0.2
    if leaves_contact:
        fields |= {"email": f"listener{rng.randrange(10**9)}@example.org", "consent": "on"}
    started = time.monotonic()
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        conn.request(
            "POST",
            path,
            body=urllib.parse.urlencode(fields),
            headers={"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie},
        )
        response = conn.getresponse()
        response.read()
        status = str(response.status)
        conn.close()
    except OSError as exc:
        status = type(exc).__name__
    results.add("answer", time.monotonic() - started, status)
    if status == "302":
        with results.lock:
            results.accepted += 1
            results.contacts += leaves_contact
            results.korean += lang == "ko"


def percentiles(values: list[float]) -> str:
    ordered = sorted(values)
    if not ordered:
        return "none"

    def at(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000

    return (
        f"p50 {at(0.5):.0f} ms, p95 {at(0.95):.0f} ms, p99 {at(0.99):.0f} ms, "
        f"max {ordered[-1] * 1000:.0f} ms"
    )


def wait_for_server(port: int) -> None:
    deadline = time.monotonic() + 60
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--answers", type=int, default=300, help="phones in the room")
    parser.add_argument("--spread", type=float, default=300.0, help="seconds they arrive over")
    parser.add_argument("--think-ms", type=int, default=20_000, help="mean time to answer")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn sync workers")
    parser.add_argument("--seed", type=int, default=17)
    parser.add_argument("--postgres", default="postgres://postgres@127.0.0.1:5432")
    args = parser.parse_args()

    redis_port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": f"{args.postgres}/{DB_NAME}",
        "CELERY_BROKER_URL": f"redis://127.0.0.1:{redis_port}/0",
        "CACHE_URL": f"redis://127.0.0.1:{redis_port}/1",
        "CONN_MAX_AGE": "60",
        "DEBUG": "false",
        "ALLOWED_HOSTS": "127.0.0.1",
        "LOG_LEVEL": "WARNING",
        "SITE_URL": "http://127.0.0.1",
    }
    for name in ("SURVEY_RATE_LIMIT", "SURVEY_EVENT_RATE_LIMIT"):
        env.pop(name, None)  # the shipped defaults: what one room must get through
    python = sys.executable
    redis = server = None
    recreate_database(args.postgres, DB_NAME)
    try:
        redis = subprocess.Popen(
            ["redis-server", "--port", str(redis_port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
        subprocess.run([python, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True)
        seeded = subprocess.run(
            [python, "manage.py", "shell", "-c", SEED],
            cwd=ROOT, env=env, check=True, capture_output=True, text=True,
        )  # fmt: skip
        token = next(
            line.split()[1] for line in seeded.stdout.splitlines() if line.startswith("TOKEN")
        )
        port = free_port()
        server = subprocess.Popen(
            [str(Path(python).parent / "gunicorn"), "scheduler.wsgi", "-b", f"127.0.0.1:{port}",
             "--workers", str(args.workers), "--log-level", "warning"],
            cwd=ROOT, env=env, start_new_session=True,
        )  # fmt: skip
        wait_for_server(port)
        path = f"/s/{token}/"
        rng = random.Random(args.seed)
        arrivals = sorted(rng.uniform(0, args.spread) for _ in range(args.answers))
        results = Results()
        threads = []
        began = time.monotonic()
        for n, at in enumerate(arrivals):
            delay = began + at - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            think = rng.expovariate(1000 / args.think_ms) if args.think_ms else 0.0
            thread = threading.Thread(
                target=phone, args=(port, path, think, results, random.Random(args.seed + n))
            )
            thread.start()
            threads.append(thread)
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - began
        checked = subprocess.run(
            [python, "manage.py", "shell", "-c", CHECK],
            cwd=ROOT, env=env, check=True, capture_output=True, text=True,
        )  # fmt: skip
        stored = json.loads(checked.stdout.strip().splitlines()[-1])
    finally:
        if server is not None:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)
        if redis is not None:
            redis.terminate()
            redis.wait(timeout=10)
        recreate_database(args.postgres, DB_NAME, drop_only=True)

    errors = {k: v for k, v in results.statuses.items() if k not in ("page 200", "answer 302")}
    lost = results.accepted != stored["answers"] or results.contacts != stored["contacts"]
    print(
        f"{args.answers} phones from one address over {args.spread:.0f}s (all done in "
        f"{elapsed:.0f}s), gunicorn {args.workers} sync workers"
    )
    print(f"page:   {len(results.page)} requests, {percentiles(results.page)}")
    print(f"answer: {len(results.answer)} requests, {percentiles(results.answer)}")
    print(f"statuses: {dict(sorted(results.statuses.items()))}")
    print(f"errors: {sum(errors.values())} {errors or ''}")
    print(
        f"accepted {results.accepted} (Korean {results.korean}, contacts {results.contacts}); "
        f"stored {stored['answers']} (Korean {stored['korean']}, contacts {stored['contacts']})"
        f"{' LOST OR EXTRA' if lost else ''}"
    )
    return 1 if errors or lost or results.accepted != args.answers else 0


if __name__ == "__main__":
    sys.exit(main())
