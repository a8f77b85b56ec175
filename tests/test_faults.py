"""Faults, caused for real: a PostgreSQL restart during a burst of submissions, and a Redis
outage while hosts submit. Both run against private PostgreSQL and Redis processes
(tests/faults.py) and gunicorn, never the shared services other tests use.

The third fault, a worker killed mid-send, is tests/notifications/test_worker_kill.py.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import signal
import threading
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from django.db import connection
from kombu import Connection

from events.models import SpeakerRequest
from notifications.models import Notification
from notifications.tasks import sweep_outbox
from tests.events.conftest import as_form_post, as_json, request_data
from tests.faults import Gunicorn, PrivatePostgres, PrivateRedis, can_run_private_services, manage
from tests.notifications.conftest import worker_env
from tests.notifications.support import CeleryWorker, SmtpSink, database_url, wait_until

pytestmark = [
    pytest.mark.faults,
    pytest.mark.skipif(
        not can_run_private_services(), reason="needs PostgreSQL binaries and redis-server"
    ),
]
BURST_THREADS = 8
ACCEPTED_EACH_SIDE = 30
MIGRATED = "ft_faults_migrated"


@pytest.fixture(scope="module")
def postgres(django_db_setup) -> Iterator[PrivatePostgres]:
    """One private cluster for the module's PostgreSQL outages, the schema in a template once:
    each test restarts or halts the cluster and works in its own copy of the template, so
    initdb and the schema run once, not once a test. The schema is copied from the migrated
    test database when that is PostgreSQL, else migrated."""
    cluster = PrivatePostgres().start()
    try:
        if connection.vendor == "postgresql":
            cluster.copy_schema(database_url(connection.settings_dict), MIGRATED)
        else:
            migrated = cluster.create_database(MIGRATED)
            manage("migrate", "--no-input", env={"DATABASE_URL": migrated})
        yield cluster
    finally:
        cluster.stop()


@dataclass
class Answer:
    email: str
    status: int
    content_type: str
    body: dict


def post_request(base_port: int, email: str) -> Answer:
    conn = http.client.HTTPConnection("127.0.0.1", base_port, timeout=30)
    try:
        body = json.dumps(as_json(request_data(contact_email=email)))
        conn.request(
            "POST", "/api/v1/requests/", body=body, headers={"Content-Type": "application/json"}
        )
        response = conn.getresponse()
        raw = response.read()
        content_type = response.getheader("Content-Type") or ""
        parsed = json.loads(raw) if content_type.startswith("application/json") else {}
        return Answer(email, response.status, content_type, parsed)
    finally:
        conn.close()


def test_a_postgres_restart_during_a_burst_loses_no_accepted_request(postgres):
    redis = PrivateRedis().start()
    try:
        database = postgres.create_database("ft_faults", template=MIGRATED)
        env = {
            "DATABASE_URL": database,
            "CELERY_BROKER_URL": redis.url(0),
            "CACHE_URL": redis.url(1),
            "REQUEST_RATE_LIMIT": "1000000/s",
            "CONN_MAX_AGE": "60",
            "CONN_HEALTH_CHECKS": "true",
        }
        answers: list[Answer] = []
        lock = threading.Lock()
        stop = threading.Event()

        def client(slot: int) -> None:
            n = 0
            while not stop.is_set():
                try:
                    answer = post_request(server.port, f"burst-{slot}-{n}@example.org")
                except OSError as exc:  # a connection-level failure is also a failure to report
                    answer = Answer(f"burst-{slot}-{n}@example.org", 0, "", {"error": str(exc)})
                with lock:
                    answers.append(answer)
                n += 1

        def accepted_since(index: int) -> int:
            with lock:
                return sum(a.status == 201 for a in answers[index:])

        with Gunicorn(env=env, workers=2, threads=4) as server:
            threads = [threading.Thread(target=client, args=(i,)) for i in range(BURST_THREADS)]
            for thread in threads:
                thread.start()
            try:
                # Restart in full flow, then keep going until requests succeed again.
                wait_until(lambda: accepted_since(0) >= ACCEPTED_EACH_SIDE, 60, "a first batch")
                postgres.restart()
                with lock:
                    restarted_at = len(answers)
                wait_until(
                    lambda: accepted_since(restarted_at) >= ACCEPTED_EACH_SIDE,
                    60,
                    "submissions to succeed after the restart",
                )
            finally:
                stop.set()
                for thread in threads:
                    thread.join()

        import psycopg

        with psycopg.connect(database) as db:
            stored = dict(
                db.execute(
                    "SELECT r.contact_email, count(DISTINCT w.id) FROM events_speakerrequest r "
                    "LEFT JOIN events_requestwindow w ON w.request_id = r.id GROUP BY r.id"
                ).fetchall()
            )
            acknowledged = {
                email
                for (email,) in db.execute(
                    "SELECT recipient_email FROM notifications_notification "
                    "WHERE kind = 'acknowledgement'"
                ).fetchall()
            }
    finally:
        redis.stop()

    accepted = {a.email for a in answers if a.status == 201}
    failed = [a for a in answers if a.status != 201]
    assert accepted <= set(stored), f"lost {len(accepted - set(stored))} accepted requests"
    # Nothing half-saved: every stored request has both windows and its acknowledgement.
    assert set(stored.values()) == {2}
    assert acknowledged == set(stored)
    # A failure is a clean, machine-readable "try again", never an HTML page or a dropped socket.
    for answer in failed:
        assert answer.status == 503, answer
        assert answer.content_type.startswith("application/json"), answer
        assert "detail" in answer.body, answer
    # A request stored without a 201 is possible only when the connection broke after COMMIT.
    assert len(set(stored) - accepted) <= len(failed)
    print(
        f"\nburst: {len(answers)} posts, {len(accepted)} accepted, {len(failed)} answered 503, "
        f"{len(set(stored) - accepted)} stored without a 201"
    )


class Browser:
    """A host's browser, as far as the form needs one: its cookies and the CSRF token."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}

    def send(self, method: str, path: str, fields: dict[str, str] | None = None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        body = None
        if fields is not None:
            body = urllib.parse.urlencode(fields)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        text = response.read().decode()
        for header in response.msg.get_all("Set-Cookie") or []:
            name, value = header.split(";", 1)[0].split("=", 1)
            self.cookies[name] = value
        conn.close()
        return response, text


def test_with_postgres_down_the_form_keeps_the_hosts_answers_and_pages_answer_503(postgres):
    redis = PrivateRedis().start()
    try:
        database = postgres.create_database("ft_faults_form", template=MIGRATED)
        env = {"DATABASE_URL": database, "CELERY_BROKER_URL": redis.url(0)}
        env |= {"CACHE_URL": redis.url(1), "CONN_HEALTH_CHECKS": "true"}
        fields = as_form_post(request_data(organization_name="Grace Outage Church"))
        with Gunicorn(env=env, workers=1, threads=2) as server:
            browser = Browser(server.port)
            _response, page = browser.send("GET", "/request/")
            token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
            fields["csrfmiddlewaretoken"] = token

            postgres.halt()
            try:
                down, down_page = browser.send("POST", "/request/", fields)
                other, other_page = browser.send("GET", f"/r/{'x' * 43}/")
            finally:
                postgres.start_again()
            again, _page = browser.send("POST", "/request/", fields)

        import psycopg

        with psycopg.connect(database) as db:
            stored = db.execute("SELECT count(*) FROM events_speakerrequest").fetchone()[0]
    finally:
        redis.stop()

    assert down.status == 503, down_page
    assert down.getheader("Retry-After")
    assert "Your request is not sent yet" in down_page
    assert 'value="Grace Outage Church"' in down_page  # every answer is still in the form
    assert other.status == 503 and "Briefly unavailable" in other_page
    assert again.status == 302 and again.getheader("Location").endswith("/request/received/")
    assert stored == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="processes share the database")
def test_with_redis_down_requests_are_accepted_and_acknowledged_later_exactly_once():
    redis = PrivateRedis()  # its port is chosen but nothing listens yet: Redis is down
    env = {
        "DATABASE_URL": database_url(connection.settings_dict),
        # A Redis outage takes the broker and the rate-limit cache down together.
        "CELERY_BROKER_URL": redis.url(0),
        "CACHE_URL": redis.url(1),
    }
    with Gunicorn(env=env, workers=1) as server:
        started = time.monotonic()
        answer = post_request(server.port, "outage@example.org")
        took = time.monotonic() - started
    assert answer.status == 201, (answer, server.output())
    # A refused connection is not tried again in the request: the sweeper is the retry.
    assert took < 3, f"the submission waited {took:.1f}s for the broker"
    row = Notification.objects.get(kind=Notification.Kind.ACKNOWLEDGEMENT)
    assert row.status == Notification.Status.PENDING and row.attempts == 0
    assert SpeakerRequest.objects.get().contact_email == "outage@example.org"

    redis.start()
    try:
        with SmtpSink() as sink:
            worker_settings = worker_env(sink, CELERY_BROKER_URL=redis.url(0))
            with CeleryWorker(env=worker_settings, name="after-outage") as worker:
                # What beat does every NOTIFICATIONS_SWEEP_SECONDS, sent on the private broker.
                with Connection(redis.url(0)) as broker:
                    sweep_outbox.apply_async(connection=broker)
                received = sink.wait_for(1)
                wait_until(
                    lambda: Notification.objects.get(pk=row.pk).status == Notification.Status.SENT,
                    15,
                    "the row to be marked sent",
                )
                with Connection(redis.url(0)) as broker:  # a second sweep sends nothing more
                    sweep_outbox.apply_async(connection=broker)
                worker.wait_idle("notifications.tasks.sweep_outbox", 2, redis.url(0))
                received = list(sink.messages)
    finally:
        redis.stop()

    assert [m["To"] for m in received] == ["outage@example.org"]
    assert received[0]["Message-ID"] == row.message_id
    row.refresh_from_db()
    assert row.attempts == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="processes share the database")
def test_with_redis_hung_submissions_answer_within_three_seconds_and_are_sent_once_later():
    redis = PrivateRedis().start()
    env = {
        "DATABASE_URL": database_url(connection.settings_dict),
        "CELERY_BROKER_URL": redis.url(0),
        "CACHE_URL": redis.url(1),
    }
    try:
        with Gunicorn(env=env, workers=1) as server:
            post_request(server.port, "warm@example.org")  # connections to Redis now open
            os.kill(redis.process.pid, signal.SIGSTOP)  # hung, not closed: nothing answers
            try:
                started = time.monotonic()
                answer = post_request(server.port, "hung@example.org")
                took = time.monotonic() - started
            finally:
                os.kill(redis.process.pid, signal.SIGCONT)
        assert answer.status == 201, (answer, server.output())
        assert took < 3, f"the submission waited {took:.1f}s for a hung broker"
        row = Notification.objects.get(recipient_email="hung@example.org")
        assert row.status == Notification.Status.PENDING and row.dispatched_at is None

        with SmtpSink() as sink:
            worker_settings = worker_env(sink, CELERY_BROKER_URL=redis.url(0))
            with CeleryWorker(env=worker_settings, name="after-hang") as worker:
                with Connection(redis.url(0)) as broker:
                    sweep_outbox.apply_async(connection=broker)
                wait_until(
                    lambda: (
                        not Notification.objects.exclude(status=Notification.Status.SENT).exists()
                    ),
                    20,
                    "both acknowledgements to be sent",
                )
                worker.wait_idle("notifications.tasks.sweep_outbox", 1, redis.url(0))
                received = sorted(m["To"] for m in sink.messages)
    finally:
        redis.stop()

    assert received == ["hung@example.org", "warm@example.org"]


@pytest.mark.django_db
def test_after_a_failed_publish_the_process_leaves_messages_to_the_sweeper_for_a_while(
    settings,
):
    from notifications import services

    settings.CELERY_BROKER_RETRY_SECONDS = 60
    services.broker_health.failed()

    started = time.monotonic()
    assert services.dispatch(123456) is False  # no socket touched while resting
    assert time.monotonic() - started < 0.1

    services.broker_health.reset()
    settings.CELERY_BROKER_RETRY_SECONDS = 0
    services.broker_health.failed()
    assert not services.broker_health.resting()
