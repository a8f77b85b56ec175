"""Sending outbox rows: claim one atomically, send it, record the outcome; sweep what is due.

Guarantees, and the one trade-off:

- A row is claimed with a conditional UPDATE (pending/failed and due → sending), so two workers,
  or a task delivered twice by the broker, never send the same row concurrently.
- The outcome (sent, failed with the next attempt time, dead) is written before the Celery task
  returns, and tasks are acknowledged late, so a task is never lost with its row half-done.
- A worker killed while a row is "sending" leaves it there. The sweeper reclaims it once
  NOTIFICATIONS_SENDING_TIMEOUT has passed; the timeout is far longer than any send (EMAIL_TIMEOUT
  bounds each SMTP step), so a row still being sent is never taken away from a live worker.
  Reclaiming chooses at-least-once for the one unobservable moment, a kill between the SMTP
  server's "250 accepted" and the status write: the message is sent again, but with the same
  Message-ID (fixed when the row was written), which mail clients treat as the same message.
  Never resending would instead lose every message whose worker died before SMTP accepted it.
- Only transient failures are retried (SMTP 4xx, dropped connections, timeouts), after
  RETRY_BASE * 2**(attempt-1) seconds with jitter; SMTP 5xx make the row dead at once, and so
  do a message that cannot be encoded (it would fail the same way every time) and running
  out of attempts. Staff retry dead rows from the admin or the API.
"""

from __future__ import annotations

import datetime as dt
import enum
import logging
import random
import smtplib
import threading
import time
from dataclasses import dataclass
from email.message import Message
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.message import SafeMIMEText, sanitize_address
from django.db.models import Q
from django.utils import timezone

from notifications import sealed_links, selectors
from notifications.models import Notification

logger = logging.getLogger(__name__)

CLOCK_TOLERANCE = dt.timedelta(seconds=1)
RECLAIMED_ERROR = "Reclaimed: the worker sending it stopped before recording the result."
# Mail servers drop idle clients (Postfix after 300 s); reconnect rather than find out mid-send.
SMTP_IDLE_SECONDS = 60.0
# How long a message waits before looking again for an earlier one to the same recipient.
ORDER_WAIT = dt.timedelta(seconds=5)


class Outcome(enum.Enum):
    SENT = "sent"
    SKIPPED = "skipped"  # not due, or another worker holds it
    RETRY = "retry"
    DEAD = "dead"


@dataclass(frozen=True)
class Result:
    outcome: Outcome
    retry_at: dt.datetime | None = None


class OutboxEmail(EmailMultiAlternatives):
    """A multipart message that can carry an iMIP calendar.

    Structure, as calendar clients expect it (RFC 6047 §2.4):
    multipart/mixed [ multipart/alternative [text/plain, text/html,
    text/calendar; method=…], application/ics attachment invite.ics ].
    """

    def __init__(self, *, calendar: str = "", calendar_method: str = "", **kwargs):
        super().__init__(**kwargs)
        self.calendar = calendar
        self.calendar_method = calendar_method
        if calendar:
            self.attach("invite.ics", calendar.encode("utf-8"), "application/ics")

    def message(self, *, policy: Any = None) -> Any:  # SafeMIMEMultipart on Django 5.2
        msg = super().message()
        if self.calendar:
            part = SafeMIMEText(self.calendar, "calendar", "utf-8")
            part.set_param("method", self.calendar_method)
            _alternative_part(msg).attach(part)
        return msg


def _alternative_part(msg: Message) -> Message:
    for part in msg.walk():
        if part.get_content_type() == "multipart/alternative":
            return part
    raise ValueError("An invite needs a multipart/alternative body (text and HTML).")


# RFC 3834: an automatic message, to which no one should reply automatically;
# X-Auto-Response-Suppress asks Exchange and Outlook for no out-of-office or other auto-reply.
AUTOMATIC_HEADERS = {"Auto-Submitted": "auto-generated", "X-Auto-Response-Suppress": "All"}


def build_message(notification: Notification) -> OutboxEmail:
    """The message as sent: automatic, replies to staff, threaded with the first message about
    the same event (In-Reply-To and References name it, so mail clients group them)."""
    headers = dict(AUTOMATIC_HEADERS)
    if notification.message_id:
        headers["Message-ID"] = notification.message_id
    root = selectors.thread_root_message_id(notification=notification)
    if root:
        headers["In-Reply-To"] = headers["References"] = root
    message = OutboxEmail(
        subject=notification.subject,
        body=notification.body_text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[notification.recipient_email],
        reply_to=[settings.STAFF_MAILBOX],
        headers=headers,
        calendar=notification.ics,
        calendar_method=notification.ics_method,
    )
    if notification.body_html:
        message.attach_alternative(notification.body_html, "text/html")
    return message


def with_link_filled_in(notification: Notification) -> Notification:
    """The row as it is sent: its sealed private link, if any, in place of the placeholder.
    Only this in-memory copy ever holds the link; nothing saves it."""
    if notification.sealed_link:
        link = sealed_links.unseal(notification.sealed_link)
        notification.subject = sealed_links.fill_in(notification.subject, link)
        notification.body_text = sealed_links.fill_in(notification.body_text, link)
        notification.body_html = sealed_links.fill_in(notification.body_html, link)
    return notification


def encoded_message(notification: Notification) -> OutboxEmail:
    """Build the message and encode it once as the mail backend will, addresses included.

    What fails here (an address that does not parse, text that cannot be encoded) fails the
    same way on every attempt, so the row is dead at once instead of retried.
    """
    message = build_message(notification)
    encoding = message.encoding or settings.DEFAULT_CHARSET
    for address in [message.from_email, *message.recipients(), *message.reply_to]:
        sanitize_address(address, encoding)
    message.message().as_bytes()
    return message


def is_permanent(exc: BaseException) -> bool:
    """SMTP 5xx replies are final; everything else (4xx, network, timeouts) may pass later.
    A private link that can no longer be unsealed will not become readable by waiting."""
    if isinstance(exc, sealed_links.LinkUnavailable):
        return True
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _message in exc.recipients.values()]
        return bool(codes) and all(code >= 500 for code in codes)
    if isinstance(exc, smtplib.SMTPResponseException):
        return exc.smtp_code >= 500
    return False


def backoff_seconds(attempt: int) -> float:
    """Exponential backoff with jitter, so rows that failed together do not retry together."""
    base = settings.NOTIFICATIONS_RETRY_BASE_SECONDS * 2 ** max(attempt - 1, 0)
    return min(base, settings.NOTIFICATIONS_RETRY_MAX_SECONDS) * random.uniform(0.5, 1.0)


def _claim_sql() -> str:
    """The conditional UPDATE that claims a row, returning the claimed row in the same statement.

    Hand-written because the ORM's update() returns only a count, and reading the row back
    would cost a second round trip per message. PostgreSQL and SQLite (3.35+) both accept it.
    """
    meta = Notification._meta
    column = {f.name: f.column for f in meta.concrete_fields}
    return (
        f"UPDATE {meta.db_table} SET {column['status']} = %s, {column['claimed_at']} = %s, "
        f"{column['attempts']} = {column['attempts']} + 1 "
        f"WHERE {column['id']} = %s AND {column['status']} IN (%s, %s) "
        f"AND ({column['next_attempt_at']} IS NULL OR {column['next_attempt_at']} <= %s) "
        f"RETURNING {', '.join(str(name) for name in column.values())}"
    )


CLAIM_SQL = _claim_sql()


def _claim(notification_id: int) -> Notification | None:
    now = timezone.now()
    # A retry task whose ETA fires a hair before next_attempt_at must not be wasted.
    due_by = now + CLOCK_TOLERANCE
    params = [
        Notification.Status.SENDING,
        now,
        notification_id,
        Notification.Status.PENDING,
        Notification.Status.FAILED,
        due_by,
    ]
    # The attempt is counted when it starts, so a worker killed mid-send still uses it up.
    return next(iter(Notification.objects.raw(CLAIM_SQL, params)), None)


def _record_failure(
    notification: Notification, exc: BaseException, *, permanent: bool = False
) -> Result:
    now = timezone.now()
    error = f"{type(exc).__name__}: {exc}"[:2000]
    if (
        permanent
        or is_permanent(exc)
        or notification.attempts >= settings.NOTIFICATIONS_MAX_ATTEMPTS
    ):
        Notification.objects.filter(pk=notification.pk).update(
            status=Notification.Status.DEAD, last_error=error, next_attempt_at=None, updated_at=now
        )
        return Result(Outcome.DEAD)
    retry_at = now + dt.timedelta(seconds=backoff_seconds(notification.attempts))
    Notification.objects.filter(pk=notification.pk).update(
        status=Notification.Status.FAILED,
        last_error=error,
        next_attempt_at=retry_at,
        updated_at=now,
    )
    return Result(Outcome.RETRY, retry_at)


def deliver(notification_id: int) -> Result:
    """Send the row if it is due and nobody else holds it, and record what happened.

    A row waits (RETRY after ORDER_WAIT, no attempt used) while an earlier message about the
    same event to the same recipient is unsent, so messages reach the host in order.
    """
    wait_until = wait_for_earlier_message(notification_id)
    if wait_until is not None:
        return Result(Outcome.RETRY, wait_until)
    notification = _claim(notification_id)
    if notification is None:
        return Result(Outcome.SKIPPED)
    try:
        message = encoded_message(with_link_filled_in(notification))
    except Exception as exc:
        return _record_failure(notification, exc, permanent=True)
    try:
        _send(message)
    except Exception as exc:
        return _record_failure(notification, exc)
    # Recorded before anything else happens on this connection: the window in which a killed
    # worker leaves an accepted message marked "sending" is one UPDATE long. A sent message's
    # private link is erased with it: the host has it, and nobody else ever should.
    now = timezone.now()
    Notification.objects.filter(pk=notification.pk).update(
        status=Notification.Status.SENT,
        sent_at=now,
        next_attempt_at=None,
        sealed_link="",
        updated_at=now,
    )
    return Result(Outcome.SENT)


class _Connections(threading.local):
    """Each worker process (or pool thread) keeps one open mail connection between sends."""

    backend: BaseEmailBackend | None = None
    settings_key: tuple = ()
    last_used = 0.0


_connections = _Connections()


def _settings_key() -> tuple:
    return (
        settings.EMAIL_BACKEND,
        getattr(settings, "EMAIL_HOST", ""),
        getattr(settings, "EMAIL_PORT", 0),
        getattr(settings, "EMAIL_HOST_USER", ""),
        getattr(settings, "EMAIL_USE_TLS", False),
        getattr(settings, "EMAIL_USE_SSL", False),
    )


def _send(message: OutboxEmail) -> None:
    """Send over this process's open connection, opening one when there is none.

    A connection that sat idle may have been dropped by the server without our noticing; if
    it fails before the message is handed over, the message goes once more on a fresh one.
    Any other failure closes the connection, so the next message starts clean.
    """
    reused = _connections.backend is not None
    backend = _open_connection()
    try:
        backend.send_messages([message])
    except (smtplib.SMTPServerDisconnected, ConnectionError):
        close_connection()
        if not reused:
            raise
        # Like any retry, a resend after a drop mid-DATA would repeat the Message-ID.
        _open_connection().send_messages([message])
    except Exception:
        close_connection()
        raise
    _connections.last_used = time.monotonic()


def _open_connection():
    key = _settings_key()
    idle = time.monotonic() - _connections.last_used
    if _connections.backend is not None and (
        _connections.settings_key != key or idle > SMTP_IDLE_SECONDS
    ):
        close_connection()
    if _connections.backend is None:
        backend = get_connection()
        backend.open()
        _connections.backend, _connections.settings_key = backend, key
        _connections.last_used = time.monotonic()
    return _connections.backend


def close_connection() -> None:
    """Close this process's mail connection (on errors, and when the worker stops).

    Every message's fate is already decided and recorded; a failing QUIT changes nothing.
    """
    backend, _connections.backend = _connections.backend, None
    if backend is None:
        return
    try:
        backend.close()
    except Exception:
        logger.info("SMTP connection did not close cleanly", exc_info=True)


def reclaim_stuck(*, now: dt.datetime | None = None) -> int:
    """Return rows whose worker died mid-send to the queue (or to dead if out of attempts)."""
    now = now or timezone.now()
    stuck = Notification.objects.filter(
        status=Notification.Status.SENDING,
        claimed_at__lt=now - dt.timedelta(seconds=settings.NOTIFICATIONS_SENDING_TIMEOUT),
    )
    dead = stuck.filter(attempts__gte=settings.NOTIFICATIONS_MAX_ATTEMPTS).update(
        status=Notification.Status.DEAD, last_error=RECLAIMED_ERROR, updated_at=now
    )
    retried = stuck.update(
        status=Notification.Status.FAILED,
        last_error=RECLAIMED_ERROR,
        next_attempt_at=now,
        dispatched_at=None,  # its task died with the worker: the sweeper sends it now
        updated_at=now,
    )
    return dead + retried


def due_ids(*, now: dt.datetime | None = None, limit: int = 5000) -> list[int]:
    """Rows waiting to be sent whose task may have been lost: pending or due retries that no
    task was handed to the broker for within NOTIFICATIONS_DISPATCH_GRACE_SECONDS (a task
    still queued behind a backlog is left to do its work)."""
    now = now or timezone.now()
    handed_over = now - dt.timedelta(seconds=settings.NOTIFICATIONS_DISPATCH_GRACE_SECONDS)
    return list(
        Notification.objects.filter(
            status__in=[Notification.Status.PENDING, Notification.Status.FAILED]
        )
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .filter(Q(dispatched_at__isnull=True) | Q(dispatched_at__lte=handed_over))
        .order_by("created_at")
        .values_list("pk", flat=True)[:limit]
    )


def wait_for_earlier_message(notification_id: int) -> dt.datetime | None:
    """When to look again if an earlier message about the same event to the same recipient
    is still on its way (pending, sending or failed-to-retry), else None: a CANCEL must never
    overtake its REQUEST. A dead earlier message does not hold later ones back."""
    row = (
        Notification.objects.filter(pk=notification_id)
        .values("event_id", "recipient_email", "pk")
        .first()
    )
    if row is None or row["event_id"] is None:
        return None
    earlier = (
        Notification.objects.filter(
            event_id=row["event_id"],
            recipient_email__iexact=row["recipient_email"],
            pk__lt=row["pk"],
            status__in=[
                Notification.Status.PENDING,
                Notification.Status.SENDING,
                Notification.Status.FAILED,
            ],
        )
        .order_by("pk")
        .values("next_attempt_at")
        .first()
    )
    if earlier is None:
        return None
    soon = timezone.now() + ORDER_WAIT
    due = earlier["next_attempt_at"]
    return max(soon, due + ORDER_WAIT) if due is not None else soon
