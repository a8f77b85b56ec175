"""Mail settings checked at start-up, and messages that cannot be encoded dead at once.

`LiNK Fellow Tours, Chicago <tours@example.org>` reads as two addresses: `manage.py check`
stops on it, and a message that cannot be encoded is never retried.
"""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from events import services as event_services
from notifications import delivery
from notifications.models import Notification
from tests.notifications.mime import parse

COMMA_SENDER = "LiNK Fellow Tours, Chicago <tours@example.org>"
QUOTED_SENDER = '"LiNK Fellow Tours, Chicago" <tours@example.org>'


@pytest.mark.parametrize(
    ("name", "value", "problem"),
    [
        ("DEFAULT_FROM_EMAIL", COMMA_SENDER, "reads as 2 addresses, not one"),
        ("STAFF_MAILBOX", "tours@example.org, chicago@example.org", "reads as 2 addresses"),
        ("STAFF_MAILBOX", "tours", "is not a valid address"),
        ("DEFAULT_FROM_EMAIL", "", "reads as 0 addresses"),
    ],
)
def test_manage_py_check_stops_on_a_setting_that_is_not_one_address(settings, name, value, problem):
    setattr(settings, name, value)

    with pytest.raises(SystemCheckError) as stopped:
        call_command("check")

    message = str(stopped.value)
    assert f"(notifications.E001) {name} {problem}" in message
    assert repr(value) in message
    assert '"LiNK Fellow Tours, Chicago" <tours@example.org>' in message  # the hint


def test_one_address_with_a_quoted_name_passes_the_check(settings, capsys):
    settings.DEFAULT_FROM_EMAIL = QUOTED_SENDER
    settings.STAFF_MAILBOX = "tours@example.org"

    call_command("check")

    assert "no issues" in capsys.readouterr().out


@pytest.fixture
def smtp_to_sink(settings, sink):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = sink.port
    settings.EMAIL_TIMEOUT = 2
    delivery.close_connection()
    yield settings
    delivery.close_connection()


@pytest.mark.django_db
def test_a_message_that_cannot_be_encoded_is_dead_at_once(smtp_to_sink, sink, host_event):
    smtp_to_sink.DEFAULT_FROM_EMAIL = COMMA_SENDER
    event_services.confirm_event(event=host_event)
    row = Notification.objects.get()

    result = delivery.deliver(row.pk)

    row.refresh_from_db()
    assert result.outcome is delivery.Outcome.DEAD
    assert (row.status, row.attempts, row.next_attempt_at) == (Notification.Status.DEAD, 1, None)
    assert row.last_error.startswith("ValueError: Invalid address")
    assert sink.count == 0


@pytest.mark.django_db
def test_a_quoted_sender_name_with_a_comma_is_sent_as_one_address(smtp_to_sink, sink, host_event):
    smtp_to_sink.DEFAULT_FROM_EMAIL = QUOTED_SENDER
    event_services.confirm_event(event=host_event)

    result = delivery.deliver(Notification.objects.get().pk)

    assert result.outcome is delivery.Outcome.SENT
    [message] = [parse(m) for m in sink.wait_for(1)]
    [sender] = message["From"].addresses
    assert (sender.display_name, sender.addr_spec) == (
        "LiNK Fellow Tours, Chicago",
        "tours@example.org",
    )
