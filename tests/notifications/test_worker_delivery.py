"""End to end: a real Celery worker (through Redis) sends outbox rows to a real SMTP server.

The web side of each test runs here, in the test process, against pytest-django's test
database; the worker is a separate `celery worker` process pointed at the same database.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from django.db import connection
from django.urls import reverse

from events import services as event_services
from notifications.models import Notification
from notifications.tasks import sweep_outbox
from tests.conftest import local
from tests.notifications.conftest import DAY, worker_env
from tests.notifications.mime import (
    calendar_part,
    ics_attachment,
    read_with_icalendar,
    read_with_vobject,
)
from tests.notifications.support import ROOT, free_port, wait_until

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="workers need a shared database"),
]


def wait_for_status(notification_id: int, status: str, timeout: float = 20.0) -> Notification:
    wait_until(
        lambda: Notification.objects.get(pk=notification_id).status == status,
        timeout,
        f"notification {notification_id} to be {status}",
    )
    return Notification.objects.get(pk=notification_id)


def test_invite_update_and_cancellation_arrive_once_each(worker, sink, host_event):
    event_services.confirm_event(event=host_event)
    event_services.confirm_event(event=host_event)  # a double click sends nothing more
    confirmation = sink.wait_for(1)
    event_services.reschedule_event(
        event=host_event, starts_at=local(DAY, 14), ends_at=local(DAY, 15)
    )
    event_services.cancel_event(event=host_event)

    messages = sink.wait_for(3)

    assert len(confirmation) == 1
    assert len(messages) == 3
    assert sorted(sink.message_ids.values()) == [1, 1, 1]
    methods, sequences = [], []
    for message in messages:
        assert message["To"] == host_event.request.contact_email
        data = ics_attachment(message)
        calendar = read_with_icalendar(data)
        [vevent] = calendar.walk("VEVENT")
        assert str(vevent["UID"]) == host_event.ical_uid
        assert read_with_vobject(data).vevent.uid.value == host_event.ical_uid
        methods.append(str(calendar["METHOD"]))
        sequences.append(int(vevent["SEQUENCE"]))
        assert calendar_part(message).get_param("method") == calendar["METHOD"]
    assert sorted(methods) == ["CANCEL", "REQUEST", "REQUEST"]
    assert len(set(sequences)) == 3
    statuses = set(Notification.objects.values_list("status", flat=True))
    assert statuses == {Notification.Status.SENT}


def test_a_refused_message_is_retried_and_delivered_once(worker, sink, host_event):
    sink.replies.append("451 4.3.0 Try again later")

    event_services.confirm_event(event=host_event)
    row = wait_for_status(Notification.objects.get().pk, Notification.Status.SENT)
    messages = sink.wait_for(1)

    assert sink.refused == ["451 4.3.0 Try again later"]
    assert len(messages) == 1
    assert row.attempts == 2
    assert "451" in row.last_error  # kept for staff: why the first attempt failed


def test_a_permanent_refusal_is_dead_at_once_until_staff_retry(worker, sink, host_event, staff_api):
    sink.replies.append("550 5.1.1 No such mailbox")

    event_services.confirm_event(event=host_event)
    row = wait_for_status(Notification.objects.get().pk, Notification.Status.DEAD)

    assert row.next_attempt_at is None  # no retry is scheduled for a 5xx
    assert row.attempts == 1
    assert "550" in row.last_error
    # Only this host's mail counts: an earlier test's message may still land in the shared sink.
    to_host = host_event.request.contact_email
    assert [m for m in sink.messages if m["To"] == to_host] == []
    response = staff_api.post(reverse("notification-retry", args=[row.pk]))
    assert response.status_code == 200
    wait_for_status(row.pk, Notification.Status.SENT)
    assert len(sink.wait_for(1)) == 1


def test_mail_queued_while_the_broker_is_down_is_sent_by_the_sweeper(worker, sink, host_event):
    closed_port = free_port()
    script = (
        "from events.models import Event; from events.services import confirm_event; "
        f"confirm_event(event=Event.objects.get(pk={host_event.pk}))"
    )
    env = worker_env(sink, CELERY_BROKER_URL=f"redis://127.0.0.1:{closed_port}/0")
    web = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", script],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert web.returncode == 0, web.stderr
    assert "left for the sweeper" in web.stderr
    # The web process's only broker was closed, so no task exists that a worker could run.
    row = Notification.objects.get()
    assert (row.status, row.dispatched_at, sink.messages) == (Notification.Status.PENDING, None, [])

    sweep_outbox.delay()  # what beat does every NOTIFICATIONS_SWEEP_SECONDS

    wait_for_status(row.pk, Notification.Status.SENT)
    [message] = sink.wait_for(1)
    assert message["Message-ID"] == row.message_id
