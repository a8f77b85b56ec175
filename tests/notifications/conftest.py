"""Fixtures for notification tests: booked host events, an SMTP server and real workers."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.db import connection, transaction

from events import services as event_services
from events.models import Event
from notifications.models import Notification
from scheduler.celery import app as celery_app
from tests.conftest import local
from tests.factories import (
    FellowFactory,
    RequestWindowFactory,
    SpeakerRequestFactory,
    TourMemberFactory,
)
from tests.notifications.support import CeleryWorker, SmtpSink, database_url

DAY = dt.date(2027, 3, 2)  # a Tuesday inside the factories' tour


def book_host_event(*, tour, fellows, day: dt.date = DAY, hour: int = 10, **request) -> Event:
    """A tentative event for a host request whose window fits, with fellows of the tour.

    Booking asks the host whether the time works ("Proposed: …", tests/events/
    test_proposals.py); these tests are about the invites that follow, so that message is
    taken as answered and gone: deleted in the booking's transaction, so a running worker
    never sees it (its task, published on commit, finds no row).
    """
    speaker_request = SpeakerRequestFactory(**request)
    RequestWindowFactory(request=speaker_request)
    with transaction.atomic():
        event = event_services.book_event(
            tour=tour,
            fellows=fellows,
            starts_at=local(day, hour),
            ends_at=local(day, hour + 1),
            request=speaker_request,
        )
        Notification.objects.filter(kind=Notification.Kind.PROPOSAL, event=event).delete()
    return event


@pytest.fixture
def team(tour):
    """Two fellows with private details the factories fill in (legal name, email, phone)."""
    return [TourMemberFactory(tour=tour, fellow=FellowFactory()).fellow for _ in range(2)]


@pytest.fixture
def host_event(tour, team) -> Event:
    return book_host_event(tour=tour, fellows=team)


@pytest.fixture(scope="module")
def smtp_sink():
    with SmtpSink() as sink:
        yield sink


def worker_env(sink: SmtpSink, **extra: str) -> dict[str, str]:
    """Settings for a worker process: the test database, this broker, the loopback SMTP."""
    return {
        "DATABASE_URL": database_url(connection.settings_dict),
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "EMAIL_URL": f"smtp://127.0.0.1:{sink.port}",
        "EMAIL_TIMEOUT": "2",
        "NOTIFICATIONS_RETRY_BASE_SECONDS": "0.3",
        "NOTIFICATIONS_RETRY_MAX_SECONDS": "2",
        "NOTIFICATIONS_SENDING_TIMEOUT": "3",
        "NOTIFICATIONS_MAX_ATTEMPTS": "4",
        **extra,
    }


def purge_broker() -> None:
    """Drop tasks left in the queue by earlier tests; their rows are long gone."""
    celery_app.control.purge()


@pytest.fixture(scope="module")
def worker(django_db_setup, django_db_blocker, smtp_sink):
    """One real worker for the module, on the test database and the loopback SMTP server."""
    purge_broker()
    with CeleryWorker(env=worker_env(smtp_sink)) as process:
        yield process


@pytest.fixture
def sink(smtp_sink):
    smtp_sink.reset()
    yield smtp_sink
    smtp_sink.reset()
