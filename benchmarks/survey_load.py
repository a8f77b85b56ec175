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
import random
import re
import sys
import threading
import time
import urllib.parse
from collections import Counter

from support import served_product

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
FORM_KEY_FIELD = re.compile(r'name="submission_key" value="([^"]+)"')


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
        form_key = FORM_KEY_FIELD.search(body).group(1)
    except (OSError, AttributeError) as exc:
        results.add("page", time.monotonic() - started, type(exc).__name__)
        return
    time.sleep(think)
    fields = {
        "csrfmiddlewaretoken": token,
        "submission_key": form_key,
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--answers", type=int, default=300, help="phones in the room")
    parser.add_argument("--spread", type=float, default=300.0, help="seconds they arrive over")
    parser.add_argument("--think-ms", type=int, default=20_000, help="mean time to answer")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn sync workers")
    parser.add_argument("--seed", type=int, default=17)
    parser.add_argument("--postgres", default="postgres://postgres@127.0.0.1:5432")
    args = parser.parse_args()

    with served_product(
        postgres=args.postgres,
        database=DB_NAME,
        settings={},
        # The shipped rate limits: what one room must get through.
        drop_settings=("SURVEY_RATE_LIMIT", "SURVEY_EVENT_RATE_LIMIT"),
        seed=SEED,
        gunicorn=["--workers", str(args.workers)],
    ) as served:
        port = served.port
        token = next(
            line.split()[1] for line in served.seed_output.splitlines() if line.startswith("TOKEN")
        )
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
        stored = json.loads(served.shell(CHECK).strip().splitlines()[-1])

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
