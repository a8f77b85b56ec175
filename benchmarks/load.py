"""Mixed load: concurrent hosts submitting speaker requests and calendars reading fellows' feeds
(a benchmark, not a test).

Creates its own PostgreSQL database (fellow_tours_loadbench), migrates it and seeds a tour with
FELLOWS fellows, each with a feed token and a few dozen booked events; starts a private
redis-server (broker and cache) and gunicorn (gthread workers, CONN_MAX_AGE=60) on loopback;
then runs --clients client threads for --seconds. Each client loops: with probability
--submit-share it POSTs a valid request to /api/v1/requests/ (unique contact email), otherwise
it GETs one fellow's feed, over a kept-alive connection like a real client.

Prints throughput, p50/p95/p99 latency per kind, errors by status, and the final check that
every accepted (201) submission is stored with its windows and its acknowledgement, and that
nothing else was stored. Targets: submissions p95 < 100 ms, zero errors, nothing lost.
Exits with status 1 when a target is missed. The rate limits are raised through the
environment (REQUEST_RATE_LIMIT, FEED_RATE_LIMIT), as an operator would.

    .venv/bin/python benchmarks/load.py [--seconds 60] [--clients 50] [--workers 3]

The client threads share the machine with the server: on a small machine they compete for
the same cores, so the figures are an upper bound on latency, not a lower one.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DB_NAME = "fellow_tours_loadbench"
FELLOWS = 10
P95_TARGET_MS = 100.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


SEED = r"""
import datetime as dt
from zoneinfo import ZoneInfo
from django.db import connection
from events.services import book_event, confirm_event
from fellows.models import Fellow, Tour, TourMember
from fellows.services import rotate_feed_token

zone = ZoneInfo("America/New_York")
start = dt.date.today() + dt.timedelta(days=30)
end = start + dt.timedelta(days=40)
tour = Tour.objects.create(name="Load tour", start_date=start, end_date=end)
for f in range(%(fellows)d):
    fellow = Fellow.objects.create(display_name=f"Load Fellow {f}", legal_name="Private")
    TourMember.objects.create(tour=tour, fellow=fellow, team=str(f))
    for n in range(30):
        at = dt.datetime.combine(start + dt.timedelta(days=n), dt.time(10), tzinfo=zone)
        event = book_event(
            tour=tour, fellows=[fellow], starts_at=at, ends_at=at + dt.timedelta(hours=1),
            title=f"Venue {f}-{n}", venue_name=f"Venue {n}", city="Springfield", state="IL",
            zip_code="62701", timezone="America/New_York",
        )
        if n %% 2:
            confirm_event(event=event)
    print("TOKEN", rotate_feed_token(fellow=fellow))
with connection.cursor() as cursor:
    cursor.execute("ANALYZE")
"""

CHECK = r"""
import json
from django.db.models import Count
from events.models import SpeakerRequest
from notifications.models import Notification
rows = SpeakerRequest.objects.filter(contact_email__startswith="load-").annotate(w=Count("windows"))
acks = set(
    Notification.objects.filter(kind="acknowledgement").values_list("recipient_email", flat=True)
)
print(json.dumps({
    "stored": [r.contact_email for r in rows],
    "without_windows": [r.contact_email for r in rows if r.w != 2],
    "without_ack": [r.contact_email for r in rows if r.contact_email not in acks],
}))
"""


def submission(email: str) -> bytes:
    first = dt.date.today() + dt.timedelta(days=random.randint(40, 200))
    window = {
        "start_date": first.isoformat(),
        "end_date": (first + dt.timedelta(days=4)).isoformat(),
        "earliest_start": "09:00",
        "latest_end": "17:00",
        "preference": "preferred",
    }
    body = {
        "organization_name": f"Load Church {random.randint(1, 500)}",
        "organization_kind": "church",
        "contact_name": "Load Host",
        "contact_email": email,
        "contact_phone": "+1 312 555 0100",
        "format": "in_person",
        "street": "100 W Randolph St",
        "city": "Chicago",
        "state": "IL",
        "zip_code": "60601",
        "expected_audience": 150,
        "audience_type": "congregation",
        "event_length_minutes": 60,
        "windows": [window, {**window, "preference": "possible"}],
    }
    return json.dumps(body).encode()


class Results:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.latency: dict[str, list[float]] = defaultdict(list)
        self.statuses: dict[str, Counter] = defaultdict(Counter)
        self.accepted: set[str] = set()
        self.attempted: set[str] = set()

    def record(self, kind: str, seconds: float, status: int, email: str | None = None) -> None:
        with self.lock:
            self.latency[kind].append(seconds)
            self.statuses[kind][status] += 1
            if email:
                self.attempted.add(email)
                if status == 201:
                    self.accepted.add(email)


def client(slot: int, port: int, tokens: list[str], share: float, deadline: float, results):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    n = 0
    rng = random.Random(slot)
    while time.monotonic() < deadline:
        submit = rng.random() < share
        email = f"load-{slot}-{n}@example.org" if submit else None
        n += 1
        started = time.perf_counter()
        try:
            if submit:
                conn.request(
                    "POST",
                    "/api/v1/requests/",
                    body=submission(email),
                    headers={"Content-Type": "application/json"},
                )
            else:
                conn.request("GET", f"/feeds/fellow/{rng.choice(tokens)}.ics")
            response = conn.getresponse()
            response.read()
            status = response.status
        except (OSError, http.client.HTTPException):
            status = 0  # connection error
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        results.record("submit" if submit else "feed", time.perf_counter() - started, status, email)
    conn.close()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000 if ordered else 0.0


def recreate_database(postgres: str, *, drop_only: bool = False) -> None:
    import psycopg

    with psycopg.connect(f"{postgres}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
        if not drop_only:
            conn.execute(f"CREATE DATABASE {DB_NAME}")


def wait_for(check, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise SystemExit(f"timed out waiting for {what}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--workers", type=int, default=3, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=8, help="threads per gunicorn worker")
    parser.add_argument("--submit-share", type=float, default=0.5, help="share of POSTs")
    parser.add_argument("--postgres", default="postgres://postgres@127.0.0.1:5432")
    args = parser.parse_args()

    redis_port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": f"{args.postgres}/{DB_NAME}",
        "CELERY_BROKER_URL": f"redis://127.0.0.1:{redis_port}/0",
        "CACHE_URL": f"redis://127.0.0.1:{redis_port}/1",
        "REQUEST_RATE_LIMIT": "1000000000/s",
        "FEED_RATE_LIMIT": "1000000000/s",
        "CONN_MAX_AGE": "60",
        "DEBUG": "false",
        "ALLOWED_HOSTS": "127.0.0.1",
        "LOG_LEVEL": "WARNING",
        "SITE_URL": "http://127.0.0.1",
    }
    python = sys.executable
    redis = server = None
    recreate_database(args.postgres)
    try:
        redis = subprocess.Popen(
            ["redis-server", "--port", str(redis_port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
        subprocess.run([python, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True)
        seeded = subprocess.run(
            [python, "manage.py", "shell", "-c", SEED % {"fellows": FELLOWS}],
            cwd=ROOT, env=env, check=True, capture_output=True, text=True,
        )  # fmt: skip
        tokens = [
            line.split()[1] for line in seeded.stdout.splitlines() if line.startswith("TOKEN")
        ]
        port = free_port()
        server = subprocess.Popen(
            [str(Path(python).parent / "gunicorn"), "scheduler.wsgi", "-b", f"127.0.0.1:{port}",
             "--workers", str(args.workers), "--threads", str(args.threads),
             "--log-level", "warning"],
            cwd=ROOT, env=env, start_new_session=True,
        )  # fmt: skip

        def ping() -> bool:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/ping")
            return conn.getresponse().status == 200

        wait_for(ping, 60, "gunicorn")
        # Warm-up: every worker imports its code and opens its connections before the clock.
        warm = Results()
        warm_deadline = time.monotonic() + 3
        for i in range(args.workers * 2):
            client(10_000 + i, port, tokens, 0.0, warm_deadline, warm)

        results = Results()
        deadline = time.monotonic() + args.seconds
        started = time.monotonic()
        threads = [
            threading.Thread(
                target=client, args=(i, port, tokens, args.submit_share, deadline, results)
            )
            for i in range(args.clients)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - started
        load = os.getloadavg()

        checked = subprocess.run(
            [python, "manage.py", "shell", "-c", CHECK],
            cwd=ROOT, env=env, check=True, capture_output=True, text=True,
        )  # fmt: skip
        check = json.loads(checked.stdout.strip().splitlines()[-1])
    finally:
        if server is not None:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)
        if redis is not None:
            redis.terminate()
            redis.wait(timeout=10)
        recreate_database(args.postgres, drop_only=True)

    print(
        f"{args.clients} clients, {elapsed:.1f}s, gunicorn {args.workers} workers x "
        f"{args.threads} threads, {os.cpu_count()} cores; load average after: "
        f"{load[0]:.2f} {load[1]:.2f} {load[2]:.2f}"
    )
    total = sum(len(v) for v in results.latency.values())
    print(f"throughput: {total / elapsed:.1f} req/s in all")
    errors = 0
    for kind in ("submit", "feed"):
        latencies = results.latency.get(kind, [])
        ok = 201 if kind == "submit" else 200
        bad = {s: n for s, n in results.statuses[kind].items() if s != ok}
        errors += sum(bad.values())
        print(
            f"{kind:7s} {len(latencies):7d} req  {len(latencies) / elapsed:7.1f} req/s  "
            f"p50 {percentile(latencies, 0.50):6.1f} ms  p95 {percentile(latencies, 0.95):6.1f} ms"
            f"  p99 {percentile(latencies, 0.99):6.1f} ms  errors {bad or 0}"
        )
    stored = set(check["stored"])
    lost = results.accepted - stored
    unexpected = stored - results.accepted
    print(
        f"accepted {len(results.accepted)}, stored {len(stored)}, lost {len(lost)}, "
        f"stored without a 201 {len(unexpected)}, half-saved "
        f"{len(check['without_windows']) + len(check['without_ack'])}"
    )
    p95 = percentile(results.latency.get("submit", []), 0.95)
    met = p95 < P95_TARGET_MS and not errors and not lost and not unexpected
    met = met and not check["without_windows"] and not check["without_ack"]
    print(f"targets (submit p95 < {P95_TARGET_MS:.0f} ms, no errors, nothing lost): "
          f"{'met' if met else 'MISSED'}")  # fmt: skip
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
