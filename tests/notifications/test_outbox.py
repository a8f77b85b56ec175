"""The outbox's bookkeeping: claiming, retries with backoff, dead rows, the sweeper, staff retry."""

from __future__ import annotations

import datetime as dt
import smtplib

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from django_celery_beat.models import PeriodicTask
from django_celery_beat.schedulers import DatabaseScheduler
from rest_framework.test import APIClient

from events import services as event_services
from notifications import delivery
from notifications.models import Notification
from scheduler.celery import app as celery_app
from tests.notifications.support import free_port

pytestmark = pytest.mark.django_db


@pytest.fixture
def confirmation(host_event) -> Notification:
    event_services.confirm_event(event=host_event)
    return Notification.objects.get()


@pytest.fixture
def smtp_down(settings):
    """SMTP pointed at a closed loopback port: every send fails with a connection error."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = free_port()
    settings.EMAIL_TIMEOUT = 1
    settings.NOTIFICATIONS_MAX_ATTEMPTS = 3
    return settings


def make_due(notification: Notification) -> None:
    Notification.objects.filter(pk=notification.pk).update(
        next_attempt_at=timezone.now() - dt.timedelta(seconds=1)
    )


def test_a_sent_row_is_never_sent_again(confirmation):
    first = delivery.deliver(confirmation.pk)
    second = delivery.deliver(confirmation.pk)

    assert (first.outcome, second.outcome) == (delivery.Outcome.SENT, delivery.Outcome.SKIPPED)
    assert len(mail.outbox) == 1
    confirmation.refresh_from_db()
    assert (confirmation.status, confirmation.attempts) == (Notification.Status.SENT, 1)
    assert confirmation.sent_at is not None


def test_a_row_another_worker_holds_is_skipped(confirmation):
    Notification.objects.filter(pk=confirmation.pk).update(
        status=Notification.Status.SENDING, claimed_at=timezone.now()
    )

    assert delivery.deliver(confirmation.pk).outcome is delivery.Outcome.SKIPPED
    assert mail.outbox == []


def test_transient_failures_back_off_then_the_row_dies(confirmation, smtp_down):
    outcomes, waits = [], []
    for _ in range(3):
        started = timezone.now()
        result = delivery.deliver(confirmation.pk)
        outcomes.append(result.outcome)
        if result.retry_at:
            waits.append((result.retry_at - started).total_seconds())
        assert delivery.deliver(confirmation.pk).outcome is delivery.Outcome.SKIPPED  # not due
        make_due(confirmation)

    confirmation.refresh_from_db()
    assert outcomes == [delivery.Outcome.RETRY, delivery.Outcome.RETRY, delivery.Outcome.DEAD]
    assert confirmation.status == Notification.Status.DEAD
    assert confirmation.attempts == 3
    assert "ConnectionRefusedError" in confirmation.last_error
    base = smtp_down.NOTIFICATIONS_RETRY_BASE_SECONDS
    assert base * 0.5 <= waits[0] <= base + 1
    assert base * 1.0 <= waits[1] <= 2 * base + 1


def test_backoff_grows_exponentially_with_jitter_and_a_cap(settings):
    settings.NOTIFICATIONS_RETRY_BASE_SECONDS = 10
    settings.NOTIFICATIONS_RETRY_MAX_SECONDS = 100

    samples = {
        attempt: [delivery.backoff_seconds(attempt) for _ in range(200)] for attempt in (1, 3, 9)
    }

    assert all(5 <= s <= 10 for s in samples[1])
    assert all(20 <= s <= 40 for s in samples[3])
    assert all(50 <= s <= 100 for s in samples[9])
    assert len({round(s, 6) for s in samples[3]}) > 100  # jittered, not one value


@pytest.mark.parametrize(
    ("error", "permanent"),
    [
        (smtplib.SMTPDataError(550, b"5.1.1 mailbox unavailable"), True),
        (smtplib.SMTPRecipientsRefused({"a@example.org": (550, b"no such user")}), True),
        (smtplib.SMTPSenderRefused(553, b"sender rejected", "tours@example.org"), True),
        (smtplib.SMTPDataError(451, b"4.3.0 try again later"), False),
        (smtplib.SMTPRecipientsRefused({"a@example.org": (450, b"greylisted")}), False),
        (smtplib.SMTPServerDisconnected("Connection unexpectedly closed"), False),
        (ConnectionRefusedError(111, "Connection refused"), False),
        (TimeoutError("timed out"), False),
    ],
)
def test_only_smtp_5xx_replies_are_permanent(error, permanent):
    assert delivery.is_permanent(error) is permanent


def test_the_sweeper_reclaims_rows_stuck_in_sending(confirmation, settings):
    settings.NOTIFICATIONS_SENDING_TIMEOUT = 60
    now = timezone.now()
    Notification.objects.filter(pk=confirmation.pk).update(
        status=Notification.Status.SENDING, claimed_at=now - dt.timedelta(seconds=61), attempts=1
    )
    recent = Notification.objects.create(
        kind=Notification.Kind.DECLINE,
        recipient_email="other@example.org",
        subject="s",
        body_text="b",
        dedupe_key="still-being-sent",
        status=Notification.Status.SENDING,
        claimed_at=now - dt.timedelta(seconds=30),
    )

    assert delivery.reclaim_stuck(now=now) == 1
    assert delivery.due_ids(now=now) == [confirmation.pk]
    assert delivery.deliver(confirmation.pk).outcome is delivery.Outcome.SENT
    confirmation.refresh_from_db()
    recent.refresh_from_db()
    assert (confirmation.status, confirmation.attempts) == (Notification.Status.SENT, 2)
    assert recent.status == Notification.Status.SENDING
    assert mail.outbox[0].extra_headers["Message-ID"] == confirmation.message_id


def test_a_stuck_row_out_of_attempts_is_dead(confirmation, settings):
    settings.NOTIFICATIONS_MAX_ATTEMPTS = 2
    Notification.objects.filter(pk=confirmation.pk).update(
        status=Notification.Status.SENDING,
        claimed_at=timezone.now() - dt.timedelta(days=1),
        attempts=2,
    )

    delivery.reclaim_stuck()

    confirmation.refresh_from_db()
    assert confirmation.status == Notification.Status.DEAD
    assert confirmation.last_error == delivery.RECLAIMED_ERROR


def test_staff_list_dead_messages_and_retry_them(confirmation, smtp_down, staff_api):
    smtp_down.NOTIFICATIONS_MAX_ATTEMPTS = 1
    delivery.deliver(confirmation.pk)
    url = reverse("notification-list")

    dead = staff_api.get(url, {"status": "dead"}).json()
    sent = staff_api.get(url, {"status": "sent"}).json()
    retried = staff_api.post(reverse("notification-retry", args=[confirmation.pk]))
    again = staff_api.post(reverse("notification-retry", args=[confirmation.pk]))

    assert [row["id"] for row in dead["results"]] == [confirmation.pk]
    assert "ConnectionRefusedError" in dead["results"][0]["last_error"]
    assert sent["results"] == []
    assert retried.status_code == 200
    assert (retried.json()["status"], retried.json()["attempts"]) == ("pending", 0)
    assert again.status_code == 400
    smtp_down.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert delivery.deliver(confirmation.pk).outcome is delivery.Outcome.SENT


def test_the_outbox_api_is_for_staff_only(confirmation):
    user = get_user_model().objects.create_user("host", password="not-staff-123")
    client = APIClient()
    anonymous = client.get(reverse("notification-list"))
    client.force_authenticate(user)
    not_staff = client.get(reverse("notification-list"))
    retry = client.post(reverse("notification-retry", args=[confirmation.pk]))

    assert anonymous.status_code == 401
    assert (not_staff.status_code, retry.status_code) == (403, 403)


def test_admin_action_retries_dead_messages(confirmation, client, staff_user):
    Notification.objects.filter(pk=confirmation.pk).update(
        status=Notification.Status.DEAD, attempts=8, last_error="SMTPDataError: (550, b'no')"
    )
    client.force_login(staff_user)

    response = client.post(
        reverse("admin:notifications_notification_changelist"),
        {"action": "retry", "_selected_action": [confirmation.pk]},
        follow=True,
    )

    confirmation.refresh_from_db()
    assert response.status_code == 200
    assert "1 message queued again." in response.content.decode()
    assert (confirmation.status, confirmation.attempts) == (Notification.Status.PENDING, 0)


@pytest.mark.django_db(transaction=True)  # the scheduler closes its database connection
def test_beat_runs_the_sweeper_and_the_reminder_scan():
    DatabaseScheduler(app=celery_app, lazy=False)
    celery_app.loader.import_default_modules()  # what a worker does at start: autodiscovery

    tasks = set(PeriodicTask.objects.filter(enabled=True).values_list("task", flat=True))
    assert {"notifications.tasks.sweep_outbox", "notifications.tasks.queue_reminders"} <= tasks
    assert {"notifications.tasks.sweep_outbox", "notifications.tasks.queue_reminders"} <= set(
        celery_app.tasks
    )


def test_the_sweeper_leaves_rows_whose_task_is_still_in_the_broker(confirmation, settings):
    settings.NOTIFICATIONS_DISPATCH_GRACE_SECONDS = 600
    now = timezone.now()
    Notification.objects.filter(pk=confirmation.pk).update(dispatched_at=now)
    assert delivery.due_ids(now=now) == []

    Notification.objects.filter(pk=confirmation.pk).update(
        dispatched_at=now - dt.timedelta(seconds=601)
    )
    assert delivery.due_ids(now=now) == [confirmation.pk]

    Notification.objects.filter(pk=confirmation.pk).update(dispatched_at=None)
    assert delivery.due_ids(now=now) == [confirmation.pk]


def test_a_cancellation_never_overtakes_its_invite(confirmation):
    event_services.cancel_event(event=confirmation.event, reason="Snowstorm.")
    cancellation = Notification.objects.get(kind=Notification.Kind.CANCELLATION)

    waited = delivery.deliver(cancellation.pk)
    assert waited.outcome is delivery.Outcome.RETRY
    cancellation.refresh_from_db()
    assert (cancellation.status, cancellation.attempts) == (Notification.Status.PENDING, 0)
    assert mail.outbox == []

    assert delivery.deliver(confirmation.pk).outcome is delivery.Outcome.SENT
    assert delivery.deliver(cancellation.pk).outcome is delivery.Outcome.SENT
    methods = [m.calendar_method for m in mail.outbox]
    assert methods == ["REQUEST", "CANCEL"]


def test_a_dead_earlier_message_does_not_hold_later_ones(confirmation):
    Notification.objects.filter(pk=confirmation.pk).update(status=Notification.Status.DEAD)
    event_services.cancel_event(event=confirmation.event)
    cancellation = Notification.objects.get(kind=Notification.Kind.CANCELLATION)

    assert delivery.deliver(cancellation.pk).outcome is delivery.Outcome.SENT
