"""Hosts say yes before the invite: "Proposed: …" with their link, an answer on the link,
staff seeing it, a reminder when there is none, and confirming anyway only with a note."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from events import intake, services
from events.models import Event, HostAnswer, SpeakerRequest
from notifications import delivery
from notifications.models import Notification
from tests.conftest import local
from tests.events.conftest import request_data
from tests.factories import FellowFactory, TourFactory, TourMemberFactory

pytestmark = pytest.mark.django_db

DAY = dt.date(2027, 3, 3)


@pytest.fixture
def proposed():
    """A request with a tentative event at 13:00 Chicago time on DAY, and the host's path."""
    submission = intake.submit_speaker_request(data=request_data(), source="web")
    tour = TourFactory(start_date=DAY - dt.timedelta(days=3), end_date=DAY + dt.timedelta(days=3))
    fellow = TourMemberFactory(tour=tour, fellow=FellowFactory(display_name="Grace")).fellow
    chicago = dt.timezone(dt.timedelta(hours=-6))
    event = services.book_event(
        tour=tour,
        fellows=[fellow],
        starts_at=local(DAY, 13, zone=chicago),
        ends_at=local(DAY, 14, zone=chicago),
        request=submission.speaker_request,
        override_reason="Agreed with the host.",
    )
    path = "/" + submission.host_url.split("/", 3)[3]
    return event, path, submission.host_url


def test_booking_asks_the_host_with_their_working_link(client, proposed):
    event, path, host_url = proposed

    proposal = Notification.objects.get(kind=Notification.Kind.PROPOSAL)

    assert proposal.subject == "Proposed: Wed Mar 3, 2027, 1:00 PM CST, Chicago"
    # Stored sealed, filled in when sent (notifications.sealed_links).
    assert host_url not in proposal.body_text
    assert host_url in delivery.with_link_filled_in(proposal).body_text
    assert proposal.recipient_email == "dana@example.org"
    page = client.get(path)
    assert page.status_code == 200
    assert "Does the proposed time work for you?" in page.content.decode()


def test_the_host_accepts_and_staff_see_it(client, staff_user, proposed):
    event, path, _url = proposed

    answer = client.post(path + "proposal/", {"answer": "yes"})

    assert answer.status_code == 302
    event.refresh_from_db()
    assert event.host_answer == HostAnswer.ACCEPTED
    client.force_login(staff_user)
    queue = client.get("/staff/requests/").content.decode()
    assert "host: yes" in queue
    panel = client.get(f"/staff/events/{event.pk}/").content.decode()
    assert "works" in panel


def test_saying_no_needs_a_comment_and_staff_must_then_note_why_they_confirm(client, proposed):
    event, path, _url = proposed

    bare_no = client.post(path + "proposal/", {"answer": "no", "comment": "  "})
    assert bare_no.status_code == 200
    assert "Tell us what does not work" in bare_no.content.decode()
    event.refresh_from_db()
    assert event.host_answer == ""

    client.post(path + "proposal/", {"answer": "no", "comment": "Mornings only, please."})
    event.refresh_from_db()
    assert (event.host_answer, event.host_answer_comment) == (
        HostAnswer.DECLINED,
        "Mornings only, please.",
    )

    with pytest.raises(ValidationError) as refused:
        services.confirm_event(event=event)
    assert "Mornings only, please." in str(refused.value)
    confirmed = services.confirm_event(event=event, note="The pastor agreed by phone.")
    assert confirmed.status == Event.Status.CONFIRMED
    assert confirmed.confirmation_note == "The pastor agreed by phone."


def test_staff_may_confirm_before_the_host_answers(proposed):
    event, _path, _url = proposed

    assert services.confirm_event(event=event).status == Event.Status.CONFIRMED


def test_moving_a_proposed_time_asks_again_and_forgets_the_old_answer(client, proposed):
    event, path, _url = proposed
    client.post(path + "proposal/", {"answer": "yes"})

    services.reschedule_event(
        event=event,
        starts_at=event.starts_at + dt.timedelta(hours=2),
        ends_at=event.ends_at + dt.timedelta(hours=2),
        override_reason="Host prefers later.",
    )

    event.refresh_from_db()
    assert event.host_answer == ""
    subjects = list(
        Notification.objects.filter(kind=Notification.Kind.PROPOSAL)
        .order_by("pk")
        .values_list("subject", flat=True)
    )
    assert subjects == [
        "Proposed: Wed Mar 3, 2027, 1:00 PM CST, Chicago",
        "Proposed: Wed Mar 3, 2027, 3:00 PM CST, Chicago",
    ]


def test_an_unanswered_proposal_is_reminded_once(proposed, settings):
    event, _path, _url = proposed
    settings.NOTIFICATIONS_PROPOSAL_REMINDER_DAYS = 3
    asked = Notification.objects.get(kind=Notification.Kind.PROPOSAL).created_at

    too_early = services.remind_unanswered_proposals(now=asked + dt.timedelta(days=2))
    due = services.remind_unanswered_proposals(now=asked + dt.timedelta(days=3, minutes=1))
    again = services.remind_unanswered_proposals(now=asked + dt.timedelta(days=4))

    assert (too_early, due, again) == (0, 1, 0)
    reminder = Notification.objects.get(kind=Notification.Kind.PROPOSAL_REMINDER)
    assert reminder.subject.startswith("Reminder: Proposed:")


def test_nothing_to_answer_is_a_clear_error(client):
    submission = intake.submit_speaker_request(data=request_data(), source="web")
    path = "/" + submission.host_url.split("/", 3)[3]

    answer = client.post(path + "proposal/", {"answer": "yes"}, follow=True)

    assert answer.redirect_chain == [(path, 302)]
    assert "There is no proposed time to answer." in answer.content.decode()


def test_a_first_release_request_is_pointed_to_its_first_email(proposed):
    event, _path, _url = proposed
    SpeakerRequest.objects.filter(pk=event.request_id).update(host_link_salt="")
    Notification.objects.all().delete()
    event.refresh_from_db()

    services.reschedule_event(
        event=event,
        starts_at=event.starts_at + dt.timedelta(hours=1),
        ends_at=event.ends_at + dt.timedelta(hours=1),
        override_reason="Host prefers later.",
    )

    proposal = Notification.objects.get(kind=Notification.Kind.PROPOSAL)
    assert "/r/" not in proposal.body_text
    assert "private link from our first email" in proposal.body_text
    assert timezone.now() - proposal.created_at < dt.timedelta(minutes=1)


def test_a_new_contact_is_asked_the_open_proposal_with_the_working_link(client, proposed):
    event, path, host_url = proposed
    submission_data = {
        "contact_name": "Ben Lee",
        "contact_email": "ben.lee@example.org",
        "contact_phone": "",
    }

    intake.update_request_by_host(speaker_request=event.request, data=submission_data)

    asked = Notification.objects.filter(kind=Notification.Kind.PROPOSAL).order_by("pk")
    assert [n.recipient_email for n in asked] == ["dana@example.org", "ben.lee@example.org"]
    to_new = asked.last()
    assert to_new.subject == "Proposed: Wed Mar 3, 1:00 PM CST, Chicago"
    assert host_url in delivery.with_link_filled_in(to_new).body_text
    # Saving the same contact again asks nobody twice.
    intake.update_request_by_host(speaker_request=event.request, data=submission_data)
    assert Notification.objects.filter(kind=Notification.Kind.PROPOSAL).count() == 2


def test_an_answered_proposal_is_not_asked_again_of_a_new_contact(client, proposed):
    event, path, _url = proposed
    assert client.post(path + "proposal/", {"answer": "yes"}).status_code == 302

    intake.update_request_by_host(
        speaker_request=event.request,
        data={"contact_name": "Ben Lee", "contact_email": "ben.lee@example.org"},
    )

    assert (
        Notification.objects.filter(
            kind=Notification.Kind.PROPOSAL, recipient_email="ben.lee@example.org"
        ).count()
        == 0
    )
