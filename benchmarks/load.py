"""Mixed load: concurrent hosts submitting speaker requests and calendars reading fellows' feeds
(a benchmark, not a test).

Creates its own PostgreSQL database (fellow_tours_loadbench), migrates it and seeds a tour with
FELLOWS fellows, each with a feed token and a few dozen booked events; starts a private
redis-server (broker and cache) and gunicorn (gthread workers, CONN_MAX_AGE=60) on loopback;
then runs --clients clients for --seconds, each on a kept-alive connection like a real client,
sending its next request as soon as the last is answered (with --tool python, optionally after
a pause averaging --think-ms, as a person would take): a --submit-share of
them POST valid requests to /api/v1/requests/ (unique contact emails), the others GET fellows'
feeds.

Two load tools: `wrk` (the default when it is installed, `apt-get install wrk`) runs one wrk
process for the submitting clients and one for the feed readers, driven by generated Lua
scripts; being C, it leaves the cores to the server and times responses without waiting for a
Python lock. `--tool python` runs the clients as threads of this process instead (each thread
choosing at random, per request, whether to submit), which costs the server CPU time and adds
the client's own waiting for the GIL to every latency.

Prints throughput, p50/p95/p99 latency per kind, errors by status, and the final check that
every accepted (201) submission is stored with its windows and its acknowledgement, and that
nothing else was stored. Targets: submissions p95 < 100 ms, zero errors, nothing lost.
Exits with status 1 when a target is missed. The rate limits are raised through the
environment (REQUEST_RATE_LIMIT, FEED_RATE_LIMIT), as an operator would.

    .venv/bin/python benchmarks/load.py [--seconds 60] [--clients 50] [--workers 3]
                                        [--tool wrk|python]

Open loop (`--rate R`): submissions are offered at R per second on a fixed schedule, each from
a new connection, as real hosts arrive, whatever the server's answers; latency counts from the
scheduled moment, so a slow server is not hidden by clients that wait (no coordinated
omission). Targets: submissions p95 < 100 ms, no errors, nothing lost. `--freeze-broker S`
stops the Redis server (SIGSTOP: hung, not closed) for S seconds from `--freeze-at`; the target
then is no answer slower than 3 s and nothing lost, the outbox sending the acknowledgements
once Redis is back (checked after the run).

    .venv/bin/python benchmarks/load.py --rate 50 --seconds 60
    .venv/bin/python benchmarks/load.py --rate 50 --seconds 90 --freeze-broker 70 --freeze-at 10 \
        --worker-class gthread --threads 32

The clients share the machine with the server: on a small machine they compete for the same
cores, so the figures are an upper bound on latency, not a lower one.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from pathlib import Path

from support import served_product

DB_NAME = "fellow_tours_loadbench"
FELLOWS = 10
P95_TARGET_MS = 100.0


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
    "references": [r.reference for r in rows],
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


def client(
    slot: int,
    port: int,
    tokens: list[str],
    share: float,
    deadline: float,
    results,
    prefix: str = "load",
    think_ms: int = 0,
):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    n = 0
    rng = random.Random(slot)
    while time.monotonic() < deadline:
        if think_ms > 0:
            time.sleep(rng.expovariate(1000 / think_ms))
        submit = rng.random() < share
        email = f"{prefix}-{slot}-{n}@example.org" if submit else None
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--workers", type=int, default=6, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=1, help="threads per gunicorn worker")
    parser.add_argument("--worker-class", default="sync", help="gunicorn worker class")
    parser.add_argument(
        "--think-ms",
        type=int,
        default=0,
        help="mean pause of a client between an answer and its next request (default: none;"
        " --tool python only, as wrk counts its own pauses in the latency)",
    )
    parser.add_argument("--submit-share", type=float, default=0.5, help="share of POSTs")
    parser.add_argument(
        "--tool",
        choices=("wrk", "python"),
        default="wrk" if shutil.which("wrk") else "python",
        help="load tool (default: wrk when installed)",
    )
    parser.add_argument("--postgres", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument(
        "--rate", type=float, default=0.0, help="open loop: submissions offered per second"
    )
    parser.add_argument(
        "--freeze-broker", type=float, default=0.0, help="open loop: seconds Redis is hung"
    )
    parser.add_argument("--freeze-at", type=float, default=10.0, help="when the freeze starts")
    args = parser.parse_args()
    if args.think_ms and args.tool == "wrk":
        parser.error("--think-ms needs --tool python: wrk counts its pauses in the latency")

    with served_product(
        postgres=args.postgres,
        database=DB_NAME,
        settings={"REQUEST_RATE_LIMIT": "1000000000/s", "FEED_RATE_LIMIT": "1000000000/s"},
        seed=SEED % {"fellows": FELLOWS},
        gunicorn=["--workers", str(args.workers), "--threads", str(args.threads),
                  "--worker-class", args.worker_class],
    ) as served:  # fmt: skip
        port = served.port
        tokens = [
            line.split()[1] for line in served.seed_output.splitlines() if line.startswith("TOKEN")
        ]
        # Warm-up: every worker imports its code and opens its connections before the clock.
        warm = Results()
        warm_deadline = time.monotonic() + 3
        for i in range(args.workers * 2):
            client(10_000 + i, port, tokens, 0.0, warm_deadline, warm)

        if args.rate:
            summary = run_open_loop(args, port, served.redis)
            # What the outbox holds for the sweeper: acknowledgements of requests that arrived
            # while Redis was hung (no worker runs here; the fault tests send them for real).
            served.shell(SWEEP)
        elif args.tool == "wrk":
            summary = run_wrk(args, port, tokens)
        else:
            summary = run_threads(args, port, tokens)
        load = os.getloadavg()
        check = json.loads(served.shell(CHECK).strip().splitlines()[-1])

    return report(args, summary, check, load)


SWEEP = r"""
from notifications.models import Notification
acks = Notification.objects.filter(kind="acknowledgement")
handed = acks.exclude(dispatched_at=None).count()
print(f"acknowledgements queued: {acks.count()}, handed to the broker at once: {handed}, "
      f"left for the sweeper (broker hung): {acks.filter(dispatched_at=None).count()}")
"""


def one_warm(port: int, n: int) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request(
            "POST",
            "/api/v1/requests/",
            body=submission(f"warm-open-{n}@example.org"),
            headers={"Content-Type": "application/json"},
        )
        conn.getresponse().read()
    finally:
        conn.close()


def run_open_loop(args: argparse.Namespace, port: int, redis: subprocess.Popen) -> dict:
    """Submissions on a fixed schedule from new connections; optionally hang Redis meanwhile."""
    from concurrent.futures import ThreadPoolExecutor

    results = Results()
    slow: list[float] = []
    interval = 1.0 / args.rate
    total = int(args.seconds * args.rate)

    def one(n: int, scheduled: float) -> None:
        email = f"load-open-{n}@example.org"
        delay = scheduled - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        try:
            conn.request(
                "POST",
                "/api/v1/requests/",
                body=submission(email),
                headers={"Content-Type": "application/json"},
            )
            response = conn.getresponse()
            response.read()
            status = response.status
        except (OSError, http.client.HTTPException):
            status = 0
        finally:
            conn.close()
        took = time.perf_counter() - scheduled
        if took > 3.0:
            slow.append(took)
        results.record("submit", took, status, email)

    def freeze() -> None:
        time.sleep(args.freeze_at)
        os.kill(redis.pid, signal.SIGSTOP)
        time.sleep(args.freeze_broker)
        os.kill(redis.pid, signal.SIGCONT)

    # Warm-up, not counted: every worker serves a submission before the clock starts.
    with ThreadPoolExecutor(max_workers=args.workers) as pool:
        for n in range(args.workers * 3):
            pool.submit(one_warm, port, n)

    freezer = threading.Thread(target=freeze, daemon=True) if args.freeze_broker else None
    started = time.perf_counter()
    if freezer is not None:
        freezer.start()
    with ThreadPoolExecutor(max_workers=400) as pool:
        for n in range(total):
            pool.submit(one, n, started + n * interval)
    if freezer is not None:
        freezer.join()
    latencies = results.latency.get("submit", [])
    print(
        f"open loop: {args.rate:.0f} submissions/s offered for {args.seconds}s"
        + (
            f", Redis hung (SIGSTOP) from {args.freeze_at:.0f}s for {args.freeze_broker:.0f}s"
            if args.freeze_broker
            else ""
        )
        + f"; answers slower than 3 s: {len(slow)}"
        + (f" (slowest {max(slow):.1f} s)" if slow else "")
    )
    return {
        "elapsed": time.perf_counter() - started,
        "kinds": {
            "submit": {
                "count": len(latencies),
                "p50": percentile(latencies, 0.50),
                "p95": percentile(latencies, 0.95),
                "p99": percentile(latencies, 0.99),
                "bad": {s: n for s, n in results.statuses["submit"].items() if s != 201},
            },
            "feed": {"count": 0, "p50": 0.0, "p95": 0.0, "p99": 0.0, "bad": {}},
        },
        "accepted": results.accepted,
        "in_flight": 0,
        "slow": len(slow),
    }


def report(args: argparse.Namespace, summary: dict, check: dict, load: tuple) -> int:
    elapsed = summary["elapsed"]
    print(
        f"{args.tool}: {args.clients} clients, {elapsed:.1f}s, gunicorn {args.workers} workers x "
        f"{args.threads} threads, {os.cpu_count()} cores; load average after: "
        f"{load[0]:.2f} {load[1]:.2f} {load[2]:.2f}"
    )
    total = sum(kind["count"] for kind in summary["kinds"].values())
    # Little's law: each client cycles through one answer and one pause.
    cycle_ms = 1000 * args.clients * elapsed / max(total, 1)
    print(
        f"throughput: {total / elapsed:.1f} req/s in all; clients / throughput = {cycle_ms:.0f} ms"
        f" = mean latency + mean think time ({args.think_ms} ms)"
    )
    errors = 0
    for name, kind in summary["kinds"].items():
        errors += sum(kind["bad"].values())
        print(
            f"{name:7s} {kind['count']:7d} req  {kind['count'] / elapsed:7.1f} req/s  "
            f"p50 {kind['p50']:6.1f} ms  p95 {kind['p95']:6.1f} ms  p99 {kind['p99']:6.1f} ms  "
            f"errors {kind['bad'] or 0}"
        )
    # wrk identifies accepted requests by the reference in the 201, the threads by email.
    stored = set(check["references" if args.tool == "wrk" and not args.rate else "stored"])
    accepted = summary["accepted"]
    lost = accepted - stored
    unexpected = len(stored - accepted)
    # wrk stops with requests in flight: the server may store those, but their 201 is unread.
    in_flight = min(unexpected, summary["in_flight"])
    unexpected -= in_flight
    half_saved = len(check["without_windows"]) + len(check["without_ack"])
    print(
        f"accepted {len(accepted)}, stored {len(stored)}, lost {len(lost)}, stored without a "
        f"201 {unexpected} (+{in_flight} in flight at the stop), half-saved {half_saved}"
    )
    p95 = summary["kinds"]["submit"]["p95"]
    safe = not errors and not lost and not unexpected and not half_saved
    if args.freeze_broker:
        met = safe and summary["slow"] == 0
        print(f"targets (no answer slower than 3 s, no errors, nothing lost): "
              f"{'met' if met else 'MISSED'}")  # fmt: skip
        return 0 if met else 1
    met = p95 < P95_TARGET_MS and safe
    print(f"targets (submit p95 < {P95_TARGET_MS:.0f} ms, no errors, nothing lost): "
          f"{'met' if met else 'MISSED'}")  # fmt: skip
    return 0 if met else 1


def run_threads(args: argparse.Namespace, port: int, tokens: list[str]) -> dict:
    """The clients as threads of this process, each choosing per request what to send."""
    warm = Results()
    warm_deadline = time.monotonic() + 3
    for i in range(args.workers * 2):
        client(10_000 + i, port, tokens, args.submit_share, warm_deadline, warm, prefix="warm")
    results = Results()
    deadline = time.monotonic() + args.seconds
    started = time.monotonic()
    threads = [
        threading.Thread(
            target=client,
            args=(i, port, tokens, args.submit_share, deadline, results),
            kwargs={"think_ms": args.think_ms},
        )
        for i in range(args.clients)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    kinds = {}
    for name, ok in (("submit", 201), ("feed", 200)):
        latencies = results.latency.get(name, [])
        kinds[name] = {
            "count": len(latencies),
            "p50": percentile(latencies, 0.50),
            "p95": percentile(latencies, 0.95),
            "p99": percentile(latencies, 0.99),
            "bad": {s: n for s, n in results.statuses[name].items() if s != ok},
        }
    return {
        "elapsed": time.monotonic() - started,
        "kinds": kinds,
        "accepted": results.accepted,
        "in_flight": 0,  # every thread reads its last answer before it stops
    }


# Lua for wrk: the common part records statuses (and, for submissions, the references of the
# requests accepted) and writes them with the latency percentiles to OUT when wrk is done.
WRK_COMMON = r"""
local threads = {}
statuses = {}
accepted = {}
counter = 0
id = 0
function setup(thread)
  table.insert(threads, thread)
  thread:set("id", #threads)
end
function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
  if status == 201 then
    local reference = body:match('"reference"%s*:%s*"([^"]+)"')
    if reference then accepted[#accepted + 1] = reference end
  end
end
function done(summary, latency, requests)
  local out = io.open(OUT, "w")
  out:write(string.format("latency %d %d %d %d\n", latency:percentile(50),
    latency:percentile(95), latency:percentile(99), summary.requests))
  local e = summary.errors
  out:write(string.format("errors %d %d %d %d\n", e.connect, e.read, e.write, e.timeout))
  for _, thread in ipairs(threads) do
    for status, n in pairs(thread:get("statuses")) do
      out:write(string.format("status %d %d\n", status, n))
    end
    for _, reference in ipairs(thread:get("accepted")) do
      out:write("accepted " .. reference .. "\n")
    end
  end
  out:close()
end
"""

WRK_SUBMIT = r"""
local bodies = {%(bodies)s}
function request()
  counter = counter + 1
  local email = string.format("%(prefix)s-w%%d-%%d@example.org", id, counter)
  local body = bodies[counter %% #bodies + 1]:gsub("__EMAIL__", email)
  return wrk.format("POST", "/api/v1/requests/", {["Content-Type"] = "application/json"}, body)
end
"""

WRK_FEEDS = r"""
local tokens = {%(tokens)s}
function request()
  counter = counter + 1
  return wrk.format("GET", "/feeds/fellow/" .. tokens[counter %% #tokens + 1] .. ".ics")
end
"""


def wrk_script(folder: Path, name: str, body: str) -> tuple[Path, Path]:
    out = folder / f"{name}.out"
    script = folder / f"{name}.lua"
    script.write_text(f"OUT = {json.dumps(str(out))}\n{WRK_COMMON}\n{body}")
    return script, out


def read_wrk(out: Path, ok: int) -> dict:
    text = out.read_text()
    p50, p95, p99, count = map(
        int, re.search(r"^latency (\d+) (\d+) (\d+) (\d+)", text, re.M).groups()
    )
    connect, read, write, timeout = map(
        int, re.search(r"^errors (\d+) (\d+) (\d+) (\d+)", text, re.M).groups()
    )
    bad = {}
    for status, n in re.findall(r"^status (\d+) (\d+)", text, re.M):
        if int(status) != ok:
            bad[int(status)] = bad.get(int(status), 0) + int(n)
    for name, n in (("connect", connect), ("read", read), ("write", write), ("timeout", timeout)):
        if n:
            bad[name] = n
    return {
        "count": count,
        "p50": p50 / 1000,
        "p95": p95 / 1000,
        "p99": p99 / 1000,
        "bad": bad,
        "accepted": set(re.findall(r"^accepted (\S+)", text, re.M)),
    }


def run_wrk(args: argparse.Namespace, port: int, tokens: list[str]) -> dict:
    """One wrk for the submitting clients and one for the feed readers, side by side."""
    submitters = round(args.clients * args.submit_share)
    readers = args.clients - submitters
    bodies = ", ".join("[[" + submission("__EMAIL__").decode() + "]]" for _ in range(200))
    quoted = ", ".join(json.dumps(token) for token in tokens)
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        warm_submit = wrk_script(folder, "warm", WRK_SUBMIT % {"bodies": bodies, "prefix": "warm"})
        submit_lua = WRK_SUBMIT % {"bodies": bodies, "prefix": "load"}
        submit = wrk_script(folder, "submit", submit_lua)
        feeds = wrk_script(folder, "feeds", WRK_FEEDS % {"tokens": quoted})

        def wrk(script: Path, connections: int, seconds: int) -> subprocess.Popen:
            return subprocess.Popen(
                ["wrk", "-t", "1", "-c", str(connections), "-d", f"{seconds}s", "--timeout",
                 "30s", "-s", str(script), base],
                stdout=subprocess.DEVNULL,
            )  # fmt: skip

        # Warm-up: every worker imports its code and opens its connections before the clock.
        for process in (wrk(warm_submit[0], args.workers * 2, 3), wrk(feeds[0], 4, 3)):
            process.wait()
        started = time.monotonic()
        running = [
            wrk(script, connections, args.seconds)
            for script, connections in ((submit[0], submitters), (feeds[0], readers))
            if connections
        ]
        for process in running:
            process.wait()
        elapsed = time.monotonic() - started
        idle = {"count": 0, "p50": 0.0, "p95": 0.0, "p99": 0.0, "bad": {}, "accepted": set()}
        submitted = read_wrk(submit[1], 201) if submitters else idle
        read = read_wrk(feeds[1], 200) if readers else idle
    return {
        "elapsed": elapsed,
        "kinds": {"submit": submitted, "feed": read},
        "accepted": submitted["accepted"],
        "in_flight": submitters,
    }


if __name__ == "__main__":
    sys.exit(main())
