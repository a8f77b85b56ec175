"""A worker SIGKILLed in the middle of 200 sends: every message still arrives exactly once.

"Once" is judged the way mail clients judge it, by Message-ID. The one moment no outbox can
observe, a kill between the SMTP server's 250 and the status write, may produce a second copy
with the same Message-ID; the test allows that only for rows caught mid-send by the kill.
"""

from __future__ import annotations

import time

import pytest
from django.db import connection, transaction

from notifications import services
from notifications.models import Notification
from notifications.tasks import sweep_outbox
from tests.factories import SpeakerRequestFactory
from tests.notifications.conftest import purge_broker, worker_env
from tests.notifications.support import CeleryWorker, wait_until

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="workers need a shared database"),
]
COUNT = 200
SENDING_TIMEOUT = 3.0


def test_a_worker_killed_mid_batch_loses_and_duplicates_nothing(smtp_sink):
    sink = smtp_sink
    sink.rcpt_delay = 0.02  # ~25 ms a message, so the kill lands mid-batch
    requests = SpeakerRequestFactory.create_batch(COUNT)
    # Tasks the killed worker had taken are not redelivered before the broker's visibility
    # timeout; the sweeper resends their rows once the dispatch grace has passed (short here).
    env = worker_env(
        sink,
        NOTIFICATIONS_SENDING_TIMEOUT=str(SENDING_TIMEOUT),
        NOTIFICATIONS_DISPATCH_GRACE_SECONDS=str(SENDING_TIMEOUT),
    )
    purge_broker()
    first = CeleryWorker(env=env, name="doomed").start()
    try:
        with transaction.atomic():
            for speaker_request in requests:
                services.queue_request_decline(speaker_request=speaker_request)
        wait_until(lambda: len(sink.messages) >= COUNT // 4, 60, "a quarter of the batch")
    finally:
        first.kill()
    killed_at = time.monotonic()
    caught_sending = set(
        Notification.objects.filter(status=Notification.Status.SENDING).values_list(
            "message_id", flat=True
        )
    )
    delivered_before_kill = len(sink.messages)

    with CeleryWorker(env=env, name="survivor"):
        # The survivor drains the queue; rows whose tasks died with the first worker are left
        # to the sweeper, which reclaims "sending" rows once the timeout has passed.
        time.sleep(max(0.0, SENDING_TIMEOUT + 0.5 - (time.monotonic() - killed_at)))
        sweep_outbox.delay()
        wait_until(
            lambda: Notification.objects.exclude(status=Notification.Status.SENT).count() == 0,
            90,
            "every row to be sent",
        )
        received = sink.wait_for(COUNT)

    rows = dict(Notification.objects.values_list("message_id", "status"))
    copies = sink.message_ids
    assert delivered_before_kill < COUNT
    assert set(rows.values()) == {Notification.Status.SENT}
    assert set(copies) == set(rows), "missing or unexpected messages"
    duplicated = {message_id for message_id, n in copies.items() if n > 1}
    assert duplicated <= caught_sending
    assert all(copies[m] == 2 for m in duplicated)
    assert len(received) == COUNT + len(duplicated)
