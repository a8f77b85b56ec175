"""Throughput of a fellow's private feed against a trivial endpoint (a benchmark, not a test).

Creates its own PostgreSQL database (fellow_tours_feedbench), migrates it and seeds one fellow
with 300 feed items (100 booked events through events.services plus 200 travel and lodging
items), starts gunicorn on a free loopback port against it, and measures requests per second
with wrk (or a threaded http.client loop when wrk is missing) for:

  * /ping                       the cheapest answer the same stack gives (no database);
  * the full feed               200 with the whole calendar;
  * the 304 path                the same URL with If-None-Match: <its ETag>.

The three are measured in interleaved rounds (the machine's load drifts); prints the median
rates, the median per-round ratios feed/ping (target ≥ 0.4) and 304/ping (target ≥ 0.5), each
round's ratios and the load average, then stops gunicorn and drops the database.

    .venv/bin/python benchmarks/feeds.py [--seconds 15] [--rounds 5] [--connections 4]

Settings that matter, all through the environment as in production: CONN_MAX_AGE=60 (persistent
database connections), DEBUG=false, CACHE_URL on Redis (rate limit counters and rendered
calendars), FEED_RATE_LIMIT raised so that the limiter is exercised but never answers 429.
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

from support import free_port, recreate_database

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DB_NAME = "fellow_tours_feedbench"


def bench_env(args: argparse.Namespace) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": f"{args.postgres}/{DB_NAME}",
        "CACHE_URL": args.cache_url,
        "CELERY_BROKER_URL": args.broker_url,
        "FEED_RATE_LIMIT": "1000000000/s",
        "CONN_MAX_AGE": "60",
        "DEBUG": "false",
        "ALLOWED_HOSTS": "127.0.0.1",
        "LOG_LEVEL": "WARNING",
        "SITE_URL": "http://127.0.0.1",
    }


SEED = r"""
import datetime as dt
from zoneinfo import ZoneInfo
from django.core.cache import cache
from events.services import book_event, confirm_event
from fellows.models import Fellow, ItineraryItem, Tour, TourMember
from fellows.services import rotate_feed_token

zone = ZoneInfo("America/New_York")
start = dt.date(2027, 3, 1)
end = start + dt.timedelta(days=59)
tour = Tour.objects.create(name="Bench tour", start_date=start, end_date=end)
fellow = Fellow.objects.create(display_name="Bench Fellow", legal_name="Private")
TourMember.objects.create(tour=tour, fellow=fellow)
for n in range(100):
    day = start + dt.timedelta(days=n // 2)
    at = dt.datetime.combine(day, dt.time(10 if n % 2 == 0 else 15), tzinfo=zone)
    event = book_event(
        tour=tour, fellows=[fellow], starts_at=at, ends_at=at + dt.timedelta(hours=1),
        title=f"Venue {n}", venue_name=f"Venue {n}", street=f"{n} Main St", city="Springfield",
        state="IL", zip_code="62701", timezone="America/New_York",
        onsite_contact_name="Host Contact", onsite_contact_phone="+1 555 0100",
        day_sheet_notes="Bring the banner.",
    )
    if n % 3:
        confirm_event(event=event)
for n in range(200):
    day = start + dt.timedelta(days=n // 4)
    at = dt.datetime.combine(day, dt.time(6 + (n % 4)), tzinfo=zone)
    item = ItineraryItem.objects.create(
        tour=tour, kind="travel" if n % 2 else "lodging", title=f"Leg {n}",
        starts_at=at, ends_at=at + dt.timedelta(minutes=30), timezone="America/New_York",
        from_location="Here", to_location="There",
    )
    item.fellows.add(fellow)
cache.clear()
# Fresh tables have no planner statistics yet; production tables do (autovacuum).
from django.db import connection
with connection.cursor() as cursor:
    cursor.execute("ANALYZE")
print(rotate_feed_token(fellow=fellow))
"""


def wrk_rate(url: str, seconds: int, connections: int, headers: dict[str, str]) -> float:
    command = ["wrk", "-t", "1", "-c", str(connections), "-d", f"{seconds}s", "--latency"]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    output = subprocess.run(command + [url], capture_output=True, text=True, check=True).stdout
    if "Non-2xx or 3xx responses" in output:
        raise SystemExit(f"error responses from {url}:\n{output}")
    return float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))


def loop_rate(url: str, seconds: int, connections: int, headers: dict[str, str]) -> float:
    """Fallback load loop: threads of http.client, one new connection per request."""
    host, port = url.split("//")[1].split("/")[0].split(":")
    path = "/" + url.split("//")[1].split("/", 1)[1]
    counts = [0] * connections
    deadline = time.monotonic() + seconds

    def worker(slot: int) -> None:
        while time.monotonic() < deadline:
            conn = http.client.HTTPConnection(host, int(port), timeout=10)
            conn.request("GET", path, headers=headers)
            response = conn.getresponse()
            response.read()
            conn.close()
            if response.status not in (200, 304):
                raise SystemExit(f"{response.status} from {url}")
            counts[slot] += 1

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(counts) / seconds


def get(url: str, headers: dict[str, str] | None = None) -> http.client.HTTPResponse:
    host, port = url.split("//")[1].split("/")[0].split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    conn.request("GET", "/" + url.split("//")[1].split("/", 1)[1], headers=headers or {})
    response = conn.getresponse()
    response.body = response.read()
    conn.close()
    return response


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=15, help="time per endpoint, all rounds")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds of the three")
    parser.add_argument("--connections", type=int, default=4, help="concurrent connections")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2, help="gunicorn")
    parser.add_argument("--postgres", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--cache-url", default="redis://127.0.0.1:6379/10")
    parser.add_argument("--broker-url", default="redis://127.0.0.1:6379/11")
    args = parser.parse_args()
    env = bench_env(args)
    python = sys.executable

    recreate_database(args.postgres, DB_NAME)
    server = None
    try:
        subprocess.run([python, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True)
        seeded = subprocess.run(
            [python, "manage.py", "shell", "-c", SEED],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
            text=True,
        )
        token = seeded.stdout.strip().splitlines()[-1]
        port = free_port()
        server = subprocess.Popen(
            [
                str(Path(python).parent / "gunicorn"),
                "scheduler.wsgi",
                "--workers",
                str(args.workers),
                "--bind",
                f"127.0.0.1:{port}",
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
            env=env,
            start_new_session=True,
        )
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                if get(f"{base}/ping").status == 200:
                    break
            except OSError:
                time.sleep(0.1)
        feed = f"{base}/feeds/fellow/{token}.ics"
        first = get(feed)
        assert first.status == 200, first.status
        etag = first.getheader("ETag")
        events = first.body.count(b"BEGIN:VEVENT")
        assert events == 300, events
        assert get(feed, {"If-None-Match": etag}).status == 304

        measure = wrk_rate if shutil.which("wrk") else loop_rate
        tool = "wrk" if measure is wrk_rate else "http.client threads"
        # Warm every worker's connections and code paths before measuring.
        for url, headers in ((f"{base}/ping", {}), (feed, {}), (feed, {"If-None-Match": etag})):
            measure(url, 1, args.connections, headers)
        # The machine is shared, so its load drifts: measure in rounds, each round taking the
        # three rates back to back, and report the median of the per-round ratios.
        targets = {
            "ping": (f"{base}/ping", {}),
            "full": (feed, {}),
            "304": (feed, {"If-None-Match": etag}),
        }
        seconds = max(1, args.seconds // args.rounds)
        rates: dict[str, list[float]] = {name: [] for name in targets}
        names = list(targets)
        for round_ in range(args.rounds):
            # Rotate the order too: whatever runs first in a round must not always be the same.
            for name in names[round_ % 3 :] + names[: round_ % 3]:
                url, headers = targets[name]
                rates[name].append(measure(url, seconds, args.connections, headers))
        ratios = {
            name: statistics.median(r / p for r, p in zip(rates[name], rates["ping"], strict=True))
            for name in ("full", "304")
        }
        rate = {name: statistics.median(values) for name, values in rates.items()}

        print(
            f"tool: {tool}; {args.workers} gunicorn workers, {args.connections} connections, "
            f"{args.rounds} rounds of {seconds}s each; feed: {events} VEVENTs, "
            f"{len(first.body)} bytes; load average {os.getloadavg()[0]:.2f}"
        )
        print(f"trivial /ping       {rate['ping']:9.1f} req/s (median)")
        print(
            f"full feed (200)     {rate['full']:9.1f} req/s   ratio {ratios['full']:.2f} "
            f"(target >= 0.40)"
        )
        print(
            f"conditional (304)   {rate['304']:9.1f} req/s   ratio {ratios['304']:.2f} "
            f"(target >= 0.50)"
        )
        for name in ("full", "304"):
            per_round = ", ".join(
                f"{r / p:.2f}" for r, p in zip(rates[name], rates["ping"], strict=True)
            )
            print(f"  {name}/ping per round: {per_round}")
    finally:
        if server is not None:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=20)
        recreate_database(args.postgres, DB_NAME, drop_only=True)


if __name__ == "__main__":
    main()
