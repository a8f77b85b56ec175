"""Benchmark: confirmation emails with invites through real Celery workers into an SMTP sink.

    .venv/bin/python benchmarks/notifications.py [--count 1000] [--workers 2] [--live]

Creates its own PostgreSQL database (dropped at the end), migrates it, seeds tentative host
events, starts an aiosmtpd sink, confirms every event the way staff do
(events.services.confirm_event: outbox row in the same transaction, task after commit) and waits
for the mail. Two separate rates, because they measure different things:

  * queued: confirmations per second on the web side (rendering the invite, writing the row);
  * delivered: mails per second the workers move from the queue into the SMTP server, measured
    at the sink from the first mail received to the last (target >= 50 with two workers).

By default the confirmations are queued first and the workers then started together on the
backlog (as after a broker outage, a sweep, or a bulk confirmation), so the delivery rate is the
workers' own and not capped by how fast this one process confirms. With --live the workers run
while the events are confirmed, and the rate from the first confirmation to the last mail is
printed too; it cannot exceed the queued rate. Both modes print the duplicates and missing
messages (both must be 0). Needs PostgreSQL and Redis on 127.0.0.1 (as `make test` does).
"""

from __future__ import annotations

import argparse
import datetime as dt
import multiprocessing
import os
import sys
import time
from pathlib import Path
from zoneinfo import ZoneInfo

from support import recreate_database

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=1000, help="confirmations to send")
    parser.add_argument("--workers", type=int, default=2, help="Celery workers")
    # Defaults as in docker-compose.yml: `--concurrency=4` workers, gunicorn `--workers 3`.
    parser.add_argument("--concurrency", type=int, default=4, help="pool size of each worker")
    parser.add_argument("--pool", default="prefork", help="Celery pool: prefork or threads")
    parser.add_argument(
        "--web-processes", type=int, default=3, help="processes confirming concurrently"
    )
    parser.add_argument("--database", default="fellow_tours_bench", help="database to create")
    parser.add_argument("--pg", default="postgres://postgres@127.0.0.1:5432", help="server URL")
    parser.add_argument("--broker", default="redis://127.0.0.1:6379/12", help="Redis broker URL")
    parser.add_argument(
        "--live", action="store_true", help="run the workers while confirming, not on a backlog"
    )
    return parser.parse_args()


def seed(count: int) -> list[int]:
    """Tentative events, one host request each, shared among ten fellows without overlaps."""
    from events.models import Event, EventAssignment, Organization, SpeakerRequest
    from fellows.models import Fellow, Tour

    zone = ZoneInfo("America/New_York")
    start = dt.date(2027, 1, 4)
    tour = Tour.objects.create(
        name="Benchmark tour", start_date=start, end_date=start + dt.timedelta(days=count // 8 + 2)
    )
    fellows = Fellow.objects.bulk_create(
        Fellow(display_name=f"Bench fellow {i}", legal_name=f"Legal {i}", email=f"f{i}@x.org")
        for i in range(10)
    )
    organizations = Organization.objects.bulk_create(
        Organization(name=f"Bench host {i}") for i in range(count)
    )
    requests = SpeakerRequest.objects.bulk_create(
        SpeakerRequest(
            organization=organization,
            contact_name=f"Host {i}",
            contact_email=f"host{i}@example.org",
            city="New York",
            state="NY",
            zip_code="10001",
            expected_audience=100,
            status=SpeakerRequest.Status.PROPOSED,
        )
        for i, organization in enumerate(organizations)
    )
    events = []
    for i, speaker_request in enumerate(requests):
        starts = dt.datetime.combine(start + dt.timedelta(days=i // 8), dt.time(8 + i % 8), zone)
        events.append(
            Event(
                tour=tour,
                request=speaker_request,
                title=speaker_request.organization.name,
                starts_at=starts,
                ends_at=starts + dt.timedelta(minutes=45),
                venue_name=speaker_request.organization.name,
                city="New York",
                state="NY",
                zip_code="10001",
            )
        )
    events = Event.objects.bulk_create(events)
    EventAssignment.objects.bulk_create(
        EventAssignment(
            event=event, fellow=fellows[i % 10], starts_at=event.starts_at, ends_at=event.ends_at
        )
        for i, event in enumerate(events)
    )
    return [event.pk for event in events]


def confirm_all(event_ids: list[int], start: multiprocessing.Barrier) -> None:
    """One web process: set Django up, then confirm its share of the events once all are ready."""
    import django

    django.setup()
    from django.db import connections

    from events.models import Event
    from events.services import confirm_event

    events = list(Event.objects.filter(pk__in=event_ids))
    start.wait()
    try:
        for event in events:
            confirm_event(event=event)
    finally:
        connections.close_all()


def main() -> None:
    args = parse_args()
    database_url = f"{args.pg}/{args.database}"
    recreate_database(args.pg, args.database)

    from tests.notifications.support import CeleryWorker, SmtpSink, wait_until

    sink = SmtpSink().__enter__()
    env = {
        "DATABASE_URL": database_url,
        "CELERY_BROKER_URL": args.broker,
        "EMAIL_URL": f"smtp://127.0.0.1:{sink.port}",
        "LOG_LEVEL": "WARNING",
        # Its own queue: another worker on the same Redis must not take (and skip) our tasks.
        "CELERY_TASK_DEFAULT_QUEUE": f"bench-notifications-{os.getpid()}",
        # Workers keep their database connection between tasks (recommended in production).
        "CONN_MAX_AGE": "300",
    }
    os.environ.update(env)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "scheduler.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connections

    from notifications.models import Notification
    from scheduler.celery import app

    workers: list[CeleryWorker] = []
    try:
        call_command("migrate", verbosity=0)
        event_ids = seed(args.count)
        app.control.purge()
        workers = [
            CeleryWorker(env=env, concurrency=args.concurrency, pool=args.pool, name=f"bench{i}")
            for i in range(args.workers)
        ]
        mode = "live, workers running" if args.live else "backlog, workers started after"
        print(
            f"{args.count} confirmations from {args.web_processes} web processes, "
            f"{args.workers} workers × {args.concurrency} ({args.pool}), {mode}; "
            f"SMTP sink on {sink.port}"
        )

        def start_workers() -> float:
            for worker in workers:
                worker.launch()
            launched = time.monotonic()
            for worker in workers:
                worker.wait_ready()
            return launched

        if args.live:
            start_workers()
        # Staff and API clients confirm concurrently, as requests to several gunicorn workers
        # would: separate processes, each with its own interpreter and database connection.
        spawn = multiprocessing.get_context("spawn")
        start = spawn.Barrier(args.web_processes + 1)
        web = [
            spawn.Process(target=confirm_all, args=(event_ids[i :: args.web_processes], start))
            for i in range(args.web_processes)
        ]
        for process in web:
            process.start()
        start.wait(timeout=120)
        started = time.monotonic()
        for process in web:
            process.join()
        queued = time.monotonic()
        if any(process.exitcode for process in web):
            raise SystemExit("a web process failed to confirm its events")
        launched = started if args.live else start_workers()
        try:
            wait_until(lambda: sink.count >= args.count, 300, "every mail")
        except TimeoutError as exc:
            print(exc)
        time.sleep(2)  # anything sent twice would arrive now

        expected = set(Notification.objects.values_list("message_id", flat=True))
        copies = sink.message_ids
        duplicates = sum(n - 1 for n in copies.values() if n > 1)
        missing = len(expected - set(copies))
        unsent = Notification.objects.exclude(status=Notification.Status.SENT).count()
        arrivals = sink.received_at[: args.count]
        first_mail, last_mail = arrivals[0], arrivals[-1]
        print(f"queued (confirm_event, web side): {args.count / (queued - started):8.1f} /s")
        print(
            f"delivered (first to last mail):   "
            f"{(len(arrivals) - 1) / (last_mail - first_mail):8.1f} mails/s (target >= 50)"
        )
        if args.live:
            print(
                f"end to end (first confirmation to last mail): "
                f"{args.count / (last_mail - started):.1f} mails/s"
            )
        else:
            print(
                f"from worker launch to last mail, startup included: "
                f"{args.count / (last_mail - launched):.1f} mails/s"
            )
        print(f"duplicates: {duplicates}")
        print(f"missing: {missing}")
        print(f"rows not marked sent: {unsent}")
        ok = duplicates == 0 and missing == 0 and unsent == 0
    finally:
        for worker in workers:
            worker.__exit__(None, None, None)
        sink.__exit__(None, None, None)
        connections.close_all()
        recreate_database(args.pg, args.database, drop_only=True)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
