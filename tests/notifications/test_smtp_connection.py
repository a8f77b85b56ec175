"""One SMTP connection per worker process: reused between messages, replaced when it drops."""

from __future__ import annotations

import socket

import pytest

from notifications import delivery, services
from notifications.models import Notification
from tests.factories import SpeakerRequestFactory
from tests.notifications.support import SmtpSink

pytestmark = pytest.mark.django_db


@pytest.fixture
def sink(settings):
    with SmtpSink() as server:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST = "127.0.0.1"
        settings.EMAIL_PORT = server.port
        settings.EMAIL_TIMEOUT = 2
        yield server
    delivery.close_connection()


def declines(count: int) -> list[int]:
    for speaker_request in SpeakerRequestFactory.create_batch(count):
        services.queue_request_decline(speaker_request=speaker_request)
    return list(Notification.objects.order_by("pk").values_list("pk", flat=True))


def test_messages_share_one_connection_and_are_recorded_sent(sink):
    ids = declines(3)

    outcomes = [delivery.deliver(pk).outcome for pk in ids]
    first = delivery._connections.backend.connection
    assert delivery.deliver(ids[0]).outcome is delivery.Outcome.SKIPPED  # already sent

    assert outcomes == [delivery.Outcome.SENT] * 3
    assert sink.count == 3
    assert delivery._connections.backend.connection is first
    assert set(Notification.objects.values_list("status", flat=True)) == {"sent"}


def test_a_connection_the_server_dropped_is_replaced_without_losing_the_message(sink):
    ids = declines(2)
    assert delivery.deliver(ids[0]).outcome is delivery.Outcome.SENT
    # The connection dies while idle, as when a mail server hangs up after its timeout.
    delivery._connections.backend.connection.sock.shutdown(socket.SHUT_RDWR)

    assert delivery.deliver(ids[1]).outcome is delivery.Outcome.SENT
    assert sink.count == 2
    assert Notification.objects.get(pk=ids[1]).attempts == 1
