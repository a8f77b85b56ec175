"""What hosts and fellows receive: iMIP invites, updates, cancellations, reminders, languages.

These tests send through Django's in-memory mail backend and read the result as a calendar
client would; tests/notifications/test_worker_delivery.py does the same through real SMTP.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.core import mail
from django.db import transaction

from events import services as event_services
from events.models import Event
from notifications import delivery, sealed_links, services
from notifications.models import Notification
from tests.conftest import local
from tests.factories import FellowFactory, TourMemberFactory, UnavailabilityFactory
from tests.notifications.conftest import DAY, book_host_event
from tests.notifications.mime import (
    all_text,
    calendar_part,
    ics_attachment,
    parse,
    read_with_icalendar,
    read_with_vobject,
)

pytestmark = pytest.mark.django_db


def send_all() -> list:
    """Deliver every pending row in-process and return the parsed messages, oldest first."""
    mail.outbox.clear()
    for pk in Notification.objects.order_by("pk").values_list("pk", flat=True):
        delivery.deliver(pk)
    return [parse(m.message().as_bytes()) for m in mail.outbox]


def test_confirmation_is_an_imip_request_that_two_parsers_read(host_event, team):
    event = event_services.confirm_event(event=host_event)

    [message] = send_all()

    row = Notification.objects.get()
    assert row.kind == Notification.Kind.CONFIRMATION
    assert message["To"] == host_event.request.contact_email
    assert message["Message-ID"] == row.message_id
    assert message.get_content_type() == "multipart/mixed"
    alternative = next(p for p in message.walk() if p.get_content_type() == "multipart/alternative")
    assert [p.get_content_type() for p in alternative.iter_parts()] == [
        "text/plain",
        "text/html",
        "text/calendar",
    ]
    inline = calendar_part(message)
    assert inline.get_param("method") == "REQUEST"
    attached = ics_attachment(message)
    # Text parts travel with CRLF line ends either way; compare the content, not the ends.
    assert attached.decode().splitlines() == inline.get_content().splitlines()

    calendar = read_with_icalendar(attached)
    assert calendar["METHOD"] == "REQUEST"
    assert calendar["VERSION"] == "2.0"
    assert "Fellow Tour Scheduler" in calendar["PRODID"]
    [vevent] = calendar.walk("VEVENT")
    assert vevent["UID"] == event.ical_uid
    assert vevent["SEQUENCE"] == event.sequence
    assert "DTSTAMP" in vevent
    assert vevent["DTSTART"].params["TZID"] == "America/New_York"
    assert vevent.decoded("DTSTART") == local(DAY, 10)
    assert vevent.decoded("DTEND") == local(DAY, 11)
    assert [tz["TZID"] for tz in calendar.walk("VTIMEZONE")] == ["America/New_York"]
    assert event.title in vevent["SUMMARY"]
    assert "New York" in vevent["LOCATION"]
    assert team[0].display_name in vevent["DESCRIPTION"]
    assert vevent["ORGANIZER"] == f"mailto:{settings.STAFF_MAILBOX}"
    assert vevent["ATTENDEE"] == f"mailto:{host_event.request.contact_email}"
    assert vevent["ATTENDEE"].params["RSVP"] == "TRUE"

    independent = read_with_vobject(attached)
    assert independent.method.value == "REQUEST"
    assert independent.vevent.uid.value == event.ical_uid
    assert int(independent.vevent.sequence.value) == event.sequence
    assert independent.vevent.dtstart.value == local(DAY, 10)
    assert independent.vevent.attendee.value == f"mailto:{host_event.request.contact_email}"


def test_update_and_cancellation_keep_the_uid_and_raise_the_sequence(host_event):
    event_services.confirm_event(event=host_event)
    event_services.reschedule_event(
        event=host_event, starts_at=local(DAY, 14), ends_at=local(DAY, 15)
    )
    event_services.cancel_event(event=host_event)

    confirmation, update, cancellation = send_all()

    calendars = [
        read_with_icalendar(ics_attachment(m)) for m in (confirmation, update, cancellation)
    ]
    methods = [c["METHOD"] for c in calendars]
    assert methods == ["REQUEST", "REQUEST", "CANCEL"]
    vevents = [c.walk("VEVENT")[0] for c in calendars]
    assert {str(v["UID"]) for v in vevents} == {host_event.ical_uid}
    sequences = [v["SEQUENCE"] for v in vevents]
    assert sequences == sorted(set(sequences)), sequences
    assert vevents[1].decoded("DTSTART") == local(DAY, 14)
    assert vevents[2]["STATUS"] == "CANCELLED"
    assert calendar_part(cancellation).get_param("method") == "CANCEL"
    assert read_with_vobject(ics_attachment(cancellation)).vevent.status.value == "CANCELLED"
    assert [m["Subject"].split(":")[0] for m in (confirmation, update, cancellation)] == [
        "Confirmed",
        "Updated",
        "Cancelled",
    ]


def test_confirming_the_same_event_twice_queues_one_message(host_event):
    event_services.confirm_event(event=host_event)
    event_services.confirm_event(event=host_event)

    assert Notification.objects.filter(event=host_event).count() == 1
    assert len(send_all()) == 1


def test_queuing_the_same_invite_twice_is_a_no_op(host_event):
    event = event_services.confirm_event(event=host_event)

    again = services.queue_event_confirmation(event=event)

    assert Notification.objects.count() == 1
    assert again.pk == Notification.objects.get().pk


def test_a_rolled_back_confirmation_leaves_no_message(host_event):
    with pytest.raises(RuntimeError), transaction.atomic():
        event_services.confirm_event(event=host_event)
        raise RuntimeError("staff action failed after confirming")

    assert not Notification.objects.exists()
    assert Event.objects.get(pk=host_event.pk).status == Event.Status.TENTATIVE


def test_events_without_a_host_request_send_no_host_mail(tour, team):
    event = event_services.book_event(
        tour=tour, fellows=team, starts_at=local(DAY, 10), ends_at=local(DAY, 11), title="Briefing"
    )
    event_services.confirm_event(event=event)
    event_services.cancel_event(event=event)

    assert not Notification.objects.exists()


def test_a_moved_tentative_event_is_proposed_again_without_an_invite(host_event):
    event_services.reschedule_event(
        event=host_event, starts_at=local(DAY, 14), ends_at=local(DAY, 15)
    )
    event_services.cancel_event(event=host_event)

    # The host hears the new proposed time, then that it is off; nothing was in their
    # calendar, so no invite and no CANCEL.
    kinds = list(Notification.objects.order_by("pk").values_list("kind", flat=True))
    assert kinds == [Notification.Kind.PROPOSAL, Notification.Kind.PROPOSAL_WITHDRAWN]


def test_nothing_private_about_a_fellow_reaches_a_host(tour, team, host_event):
    for fellow in team:
        UnavailabilityFactory(
            fellow=fellow,
            starts_at=local(DAY + dt.timedelta(days=3), 0),
            ends_at=local(DAY + dt.timedelta(days=3), 23),
            reason="Visiting family in hiding",
        )
    speaker_request = host_event.request
    services.queue_request_acknowledgement(
        speaker_request=speaker_request, host_url="https://tours.example.org/h/secret"
    )
    event_services.confirm_event(event=host_event)
    event_services.reschedule_event(
        event=host_event, starts_at=local(DAY, 14), ends_at=local(DAY, 15)
    )
    services.queue_host_reminder(event=Event.objects.get(pk=host_event.pk))
    services.queue_attendance_request(event=Event.objects.get(pk=host_event.pk))
    event_services.cancel_event(event=host_event)
    services.queue_request_decline(speaker_request=speaker_request)

    messages = send_all()

    assert {m["To"] for m in messages} == {speaker_request.contact_email}
    assert len(messages) == 7
    private = [f.legal_name for f in team] + [f.email for f in team] + [team[0].phone]
    private += ["Visiting family in hiding"]
    for message in messages:
        text = all_text(message)
        for secret in private:
            assert secret not in text, (message["Subject"], secret)
    invite_text = all_text(messages[1])
    assert team[0].display_name in invite_text  # the check above reads the right content


def test_an_acknowledgement_for_a_new_request_is_the_same_message_without_a_lookup(
    host_event, django_assert_num_queries
):
    speaker_request = host_event.request
    link = "https://tours.example.org/h/secret"
    assert speaker_request.organization.name  # loaded here, not inside the counted block
    with django_assert_num_queries(1):  # the insert alone: no lookup and no savepoint
        fresh = services.queue_request_acknowledgement(
            speaker_request=speaker_request, host_url=link, new_request=True
        )
    Notification.objects.filter(pk=fresh.pk).delete()
    looked_up = services.queue_request_acknowledgement(
        speaker_request=speaker_request, host_url=link
    )

    fields = ["kind", "dedupe_key", "recipient_email", "recipient_name", "language"]
    fields += ["subject", "body_text", "body_html", "status", "speaker_request_id"]
    assert [getattr(fresh, f) for f in fields] == [getattr(looked_up, f) for f in fields]
    # Sealed until sending: the stored bodies never carry the link itself.
    assert link not in fresh.body_text and link not in fresh.body_html
    assert sealed_links.unseal(fresh.sealed_link) == link


def test_fellow_day_sheet_is_in_the_fellows_language(tour, host_event):
    korean = TourMemberFactory(tour=tour, fellow=FellowFactory(preferred_language="ko")).fellow
    english = TourMemberFactory(tour=tour, fellow=FellowFactory(preferred_language="en")).fellow
    event = book_host_event(tour=tour, fellows=[korean, english], hour=16)
    event.onsite_contact_name = "Pastor Kim"
    event.save()
    event_services.confirm_event(event=event)

    for fellow in (korean, english):
        services.queue_fellow_day_sheet(fellow=fellow, day=DAY, events=[event])
    send_all()

    by_recipient = {m.to[0]: m for m in mail.outbox}
    korean_mail = by_recipient[korean.email]
    english_mail = by_recipient[english.email]
    assert korean_mail.subject == "2027년 3월 2일 (화요일) 일정표"
    assert "현장 담당자" in korean_mail.body and "Pastor Kim" in korean_mail.body
    assert english_mail.subject == "Your day sheet for Tue Mar 2, 2027"
    assert "On-site contact: Pastor Kim" in english_mail.body
    assert Notification.objects.get(fellow=korean).language == "ko"


def test_reminders_are_queued_once_however_often_the_scan_runs(tour, team, host_event):
    event = event_services.confirm_event(event=host_event)
    the_day_before = local(DAY - dt.timedelta(days=1), 12)
    after_the_event = local(DAY, 18)

    first = event_services.queue_due_reminders(now=the_day_before)
    second = event_services.queue_due_reminders(now=the_day_before)
    third = event_services.queue_due_reminders(now=after_the_event)
    fourth = event_services.queue_due_reminders(now=after_the_event)

    kinds = sorted(Notification.objects.exclude(pk__lte=0).values_list("kind", flat=True))
    assert (first, second, third, fourth) == (3, 0, 1, 0)
    assert kinds == sorted(
        [
            Notification.Kind.CONFIRMATION,
            Notification.Kind.HOST_REMINDER,
            Notification.Kind.FELLOW_DAY_SHEET,
            Notification.Kind.FELLOW_DAY_SHEET,
            Notification.Kind.ATTENDANCE_REQUEST,
        ]
    )
    sheets = Notification.objects.filter(kind=Notification.Kind.FELLOW_DAY_SHEET)
    assert {n.recipient_email for n in sheets} == {f.email for f in team}
    assert event.title in sheets.first().body_text


def test_host_reminder_waits_until_the_configured_number_of_days(host_event, settings):
    event_services.confirm_event(event=host_event)
    settings.NOTIFICATIONS_HOST_REMINDER_DAYS = 3

    too_early = event_services.queue_due_reminders(now=local(DAY - dt.timedelta(days=5), 9))
    in_time = event_services.queue_due_reminders(now=local(DAY - dt.timedelta(days=2), 23))

    assert (too_early, in_time) == (0, 1)
    assert Notification.objects.filter(kind=Notification.Kind.HOST_REMINDER).count() == 1
