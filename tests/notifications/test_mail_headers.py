"""What mail clients see, through a real Celery worker and a real SMTP server: plain text as
written, automatic-mail headers, one thread and one subject stem per event, and a replaced host
contact whose calendar drops the visit while the new contact's gains it.

Messages are parsed with Python's `email` package and its default policy, as a client would.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.db import connection

from events import intake
from events import services as event_services
from events.models import Event, SpeakerRequest
from notifications import services
from notifications.models import Notification
from tests.conftest import local
from tests.factories import OrganizationFactory
from tests.notifications.conftest import DAY, book_host_event
from tests.notifications.mime import ics_attachment, read_with_icalendar, read_with_vobject

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="workers need a shared database"),
]

ORGANIZATION = "St. Mark's & Barnes"
CONTACT = 'Anna "Annie" O\'Neil'


def by_subject_prefix(messages) -> dict:
    return {str(m["Subject"]).split(": ", 1)[0]: m for m in messages}


def text_body(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def test_plain_text_subject_and_body_are_not_html_escaped(worker, sink, tour, team):
    event = book_host_event(
        tour=tour,
        fellows=team,
        organization=OrganizationFactory(name=ORGANIZATION),
        contact_name=CONTACT,
        city="Chicago",
        state="IL",
        zip_code="60601",
    )
    event.venue_name = "Barnes & Noble's Hall"
    event.save(update_fields=["venue_name"])
    reference = event.request.reference
    names = ", ".join(f.display_name for f in event.fellows.all())  # in the event's order

    event_services.confirm_event(event=event)
    [message] = sink.wait_for(1)

    assert message["Subject"] == f"Confirmed: LiNK speaker visit to {ORGANIZATION} ({reference})"
    assert text_body(message).replace("\r\n", "\n") == (
        f"Dear {CONTACT},\n"
        "\n"
        f"Good news: your speaker visit (request {reference}) is confirmed.\n"
        "\n"
        "When: Tue Mar 2, 2027, 10:00 AM – 11:00 AM EST\n"
        "Where: Barnes & Noble's Hall, Chicago, IL 60601\n"
        f"Speakers: {names}\n"
        "\n"
        "The attached calendar invitation adds the visit to your calendar; if anything changes "
        "we will send an update.\n"
        "\n"
        "— LiNK Fellow Tours\n"
    )
    html = message.get_body(preferencelist=("html",)).get_content()
    assert "Anna &quot;Annie&quot; O&#x27;Neil" in html  # HTML is still escaped
    assert "Barnes &amp; Noble&#x27;s Hall" in html
    [vevent] = read_with_icalendar(ics_attachment(message)).walk("VEVENT")
    assert str(vevent["SUMMARY"]) == f"LiNK speaker visit: {ORGANIZATION}"
    assert vevent["ATTENDEE"].params["CN"] == CONTACT


def test_every_message_about_an_event_is_automatic_threaded_and_shares_one_stem(
    worker, sink, host_event
):
    speaker_request = host_event.request
    services.queue_request_acknowledgement(
        speaker_request=speaker_request, host_url="https://tours.example.org/r/secret/"
    )
    event_services.confirm_event(event=host_event)
    sink.wait_for(2)
    event_services.reschedule_event(
        event=host_event, starts_at=local(DAY, 14), ends_at=local(DAY, 15)
    )
    moved = Event.objects.get(pk=host_event.pk)
    services.queue_host_reminder(event=moved)
    services.queue_attendance_request(event=moved)
    event_services.cancel_event(event=host_event)

    messages = sink.wait_for(6)

    assert len(messages) == 6
    stem = f"LiNK speaker visit to {host_event.title} ({speaker_request.reference})"
    for message in messages:
        assert message["Auto-Submitted"] == "auto-generated"
        assert message["X-Auto-Response-Suppress"] == "All"
        assert message["Reply-To"] == settings.STAFF_MAILBOX
        assert message["From"] == settings.DEFAULT_FROM_EMAIL
        assert message["To"] == speaker_request.contact_email
    acknowledgement = next(m for m in messages if "received" in str(m["Subject"]))
    about_event = by_subject_prefix(m for m in messages if m is not acknowledgement)
    assert {prefix: str(m["Subject"]) for prefix, m in about_event.items()} == {
        prefix: f"{prefix}: {stem}"
        for prefix in ("Confirmed", "Updated", "Reminder", "Attendance", "Cancelled")
    }
    first = about_event.pop("Confirmed")
    for header in ("In-Reply-To", "References"):
        assert first[header] is None
        assert acknowledgement[header] is None
        assert {prefix: m[header] for prefix, m in about_event.items()} == dict.fromkeys(
            about_event, first["Message-ID"]
        )


def new_contact(speaker_request: SpeakerRequest, email: str, name: str) -> dict:
    window = {
        "start_date": DAY,
        "end_date": DAY + dt.timedelta(days=3),
        "earliest_start": dt.time(9),
        "latest_end": dt.time(17),
    }
    return {"contact_name": name, "contact_email": email, "windows": [window]}


def test_a_replaced_host_contact_gets_a_cancel_and_the_new_one_the_invite(worker, sink, host_event):
    speaker_request = host_event.request
    old_email, old_name = speaker_request.contact_email, speaker_request.contact_name
    event_services.confirm_event(event=host_event)
    [confirmation] = sink.wait_for(1)
    confirmed_sequence = Event.objects.get(pk=host_event.pk).sequence
    # The host's page edits contacts while a request is in review (see intake).
    event_services.set_request_status(
        speaker_request=speaker_request, status=SpeakerRequest.Status.IN_REVIEW
    )

    intake.update_request_by_host(
        speaker_request=speaker_request,
        data=new_contact(speaker_request, "new.contact@example.org", "Ben Lee"),
    )
    messages = sink.wait_for(3)

    event = Event.objects.get(pk=host_event.pk)
    assert event.sequence == confirmed_sequence + 1
    [to_old] = [m for m in messages[1:] if m["To"] == old_email]
    [to_new] = [m for m in messages if m["To"] == "new.contact@example.org"]
    assert to_old["Subject"] == (
        f"Contact changed: LiNK speaker visit to {event.title} ({speaker_request.reference})"
    )
    assert text_body(to_old).startswith(f"Dear {old_name},")
    assert to_old["In-Reply-To"] == to_old["References"] == confirmation["Message-ID"]
    assert to_new["In-Reply-To"] is None
    for message, method, attendee in (
        (to_old, "CANCEL", old_email),
        (to_new, "REQUEST", "new.contact@example.org"),
    ):
        data = ics_attachment(message)
        calendar = read_with_icalendar(data)
        [vevent] = calendar.walk("VEVENT")
        assert str(calendar["METHOD"]) == method
        assert str(vevent["UID"]) == event.ical_uid
        assert vevent["SEQUENCE"] == event.sequence
        assert vevent["ATTENDEE"] == f"mailto:{attendee}"
        other = read_with_vobject(data)
        assert other.method.value == method
        assert int(other.vevent.sequence.value) == event.sequence

    # From now on only the new contact hears about the event, in the new contact's thread.
    event_services.reschedule_event(event=event, starts_at=local(DAY, 14), ends_at=local(DAY, 15))
    update = sink.wait_for(4)[-1]
    assert update["To"] == "new.contact@example.org"
    assert update["In-Reply-To"] == to_new["Message-ID"]


def test_the_same_contact_in_other_letters_queues_nothing(host_event):
    speaker_request = host_event.request
    event_services.confirm_event(event=host_event)
    before = Notification.objects.count()
    speaker_request.contact_email = speaker_request.contact_email.upper()
    speaker_request.save(update_fields=["contact_email"])

    queued = event_services.queue_host_contact_change(
        speaker_request=speaker_request, previous_email=speaker_request.contact_email.lower()
    )

    assert queued == []
    assert Notification.objects.count() == before


def test_a_contact_without_a_live_invite_gets_no_cancel(host_event):
    speaker_request = host_event.request
    event_services.confirm_event(event=host_event)
    event_services.cancel_event(event=host_event)  # the old contact's calendar dropped it
    old_email = speaker_request.contact_email
    speaker_request.refresh_from_db()
    speaker_request.contact_email = "new.contact@example.org"
    speaker_request.save(update_fields=["contact_email"])

    queued = event_services.queue_host_contact_change(
        speaker_request=speaker_request, previous_email=old_email
    )

    assert queued == []
