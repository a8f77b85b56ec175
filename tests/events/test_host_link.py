"""The host's private link (/r/<token>/): what it shows, what the host may change, and that a
wrong, revoked or expired token looks exactly like a page that does not exist."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from events import intake, services
from events.models import SpeakerRequest
from notifications.models import Notification
from tests.conftest import local
from tests.events.conftest import as_form_post, request_data, window
from tests.factories import FellowFactory, TourFactory, TourMemberFactory

pytestmark = pytest.mark.django_db


def submit(**changes) -> tuple[SpeakerRequest, str]:
    """A submitted request and the path of its private link."""
    submission = intake.submit_speaker_request(data=request_data(**changes), source="web")
    path = "/" + submission.host_url.split("/", 3)[3]
    return submission.speaker_request, path


def book(speaker_request: SpeakerRequest, *, day: dt.date, confirm: bool, fellow=None):
    tour = TourFactory(start_date=day - dt.timedelta(days=2), end_date=day + dt.timedelta(days=2))
    fellow = fellow or FellowFactory(display_name="Grace", legal_name="Secret Legal Name")
    TourMemberFactory(tour=tour, fellow=fellow)
    event = services.book_event(
        tour=tour,
        fellows=[fellow],
        starts_at=local(day, 13, zone=dt.timezone(dt.timedelta(hours=-6))),
        ends_at=local(day, 14, zone=dt.timezone(dt.timedelta(hours=-6))),
        request=speaker_request,
        override_reason="Agreed with the host by phone.",
    )
    if confirm:
        event = services.confirm_event(event=event)
    speaker_request.refresh_from_db()
    return event


def test_the_link_shows_this_request_and_never_another(client):
    mine, my_path = submit()
    theirs, their_path = submit(
        organization_name="Seattle University",
        contact_email="sam@example.org",
        zip_code="98122",
        state="WA",
        city="Seattle",
    )
    mine_page = client.get(my_path).content.decode()
    their_page = client.get(their_path).content.decode()
    assert mine.reference in mine_page and "Loop Community Church" in mine_page
    assert theirs.reference not in mine_page and "Seattle University" not in mine_page
    assert "sam@example.org" not in mine_page
    assert theirs.reference in their_page and "Loop Community Church" not in their_page


def test_wrong_revoked_and_expired_links_answer_like_a_missing_page(client):
    missing = client.get("/no-such-page/")
    assert missing.status_code == 404

    declined, declined_path = submit()
    intake.decline_request(speaker_request=declined, reason="No tour nearby this season.")
    assert client.get(declined_path).status_code == 200  # still readable after the decline
    SpeakerRequest.objects.filter(pk=declined.pk).update(
        status_changed_at=timezone.now() - dt.timedelta(days=91)
    )
    revoked, revoked_path = submit(contact_email="r@example.org")
    SpeakerRequest.objects.filter(pk=revoked.pk).update(host_token_revoked=True)
    past, past_path = submit(contact_email="p@example.org")
    book(past, day=dt.date.today() - dt.timedelta(days=95), confirm=True)

    for path in (
        declined_path,
        revoked_path,
        past_path,
        "/r/" + "x" * 43 + "/",
        declined_path + "withdraw/",
    ):
        response = client.get(path)
        assert response.status_code == 404, path
        assert response.content == missing.content


def test_a_recent_event_keeps_the_link_open(client):
    speaker_request, path = submit()
    book(speaker_request, day=dt.date.today() - dt.timedelta(days=80), confirm=True)
    assert client.get(path).status_code == 200


def test_proposed_date_is_shown_in_the_venues_zone_without_the_fellow(client):
    speaker_request, path = submit()
    book(speaker_request, day=dt.date(2027, 3, 3), confirm=False)
    page = client.get(path).content.decode()
    assert "Proposed date" in page
    assert "Wed Mar 3, 2027, 1:00 PM – 2:00 PM CST" in page
    assert "Grace" not in page
    assert "Change your request" not in page  # edits end once staff propose a date


def test_confirmed_event_names_the_fellow_by_display_name_only(client):
    speaker_request, path = submit()
    book(speaker_request, day=dt.date(2027, 3, 3), confirm=True)
    page = client.get(path).content.decode()
    assert speaker_request.status == SpeakerRequest.Status.CONFIRMED
    assert "Grace" in page and "1:00 PM" in page
    assert "Secret Legal Name" not in page
    assert "private.example.org" not in page  # nor the fellow's email


def test_no_host_email_contains_a_fellows_legal_name():
    speaker_request, _path = submit()
    fellow = FellowFactory(display_name="Grace", legal_name="Secret Legal Name")
    event = book(speaker_request, day=dt.date(2027, 3, 3), confirm=True, fellow=fellow)
    services.cancel_event(event=event)
    declined, _ = submit(contact_email="other@example.org")
    intake.decline_request(speaker_request=declined, reason="No tour nearby.")

    host_mail = Notification.objects.filter(speaker_request__isnull=False)
    kinds = set(host_mail.values_list("kind", flat=True))
    assert {"acknowledgement", "decline"} <= kinds
    for message in host_mail:
        for text in (message.subject, message.body_text, message.body_html, message.ics):
            assert "Secret Legal Name" not in text, message.kind


def test_host_edits_contact_and_windows_while_submitted(client):
    speaker_request, path = submit()
    page = client.get(path).content.decode()
    assert "Change your request" in page
    post = as_form_post(
        {
            "contact_name": "Dana Lee",
            "contact_email": "dana.lee@example.org",
            "contact_phone": "",
            "windows": [window(30, preference="possible")],
        }
    )
    response = client.post(path, post, follow=True)
    assert "Your changes are saved." in response.content.decode()
    speaker_request.refresh_from_db()
    assert speaker_request.contact_email == "dana.lee@example.org"
    assert [(w.start_date, w.preference) for w in speaker_request.windows.all()] == [
        (window(30)["start_date"], "possible")
    ]


def test_a_bad_edit_changes_nothing(client):
    speaker_request, path = submit()
    post = as_form_post(
        {
            "contact_name": "Dana",
            "contact_email": "not-an-email",
            "contact_phone": "",
            "windows": [window(-90)],
        }
    )
    response = client.post(path, post)
    html = response.content.decode()
    assert 'id="error-summary"' in html and "future" in html
    speaker_request.refresh_from_db()
    assert speaker_request.contact_email == "dana@example.org"
    assert speaker_request.windows.count() == 2


def test_once_a_date_is_proposed_only_contact_details_change(client):
    speaker_request, path = submit()
    book(speaker_request, day=dt.date(2027, 3, 3), confirm=False)
    windows_before = list(speaker_request.windows.values_list("start_date", flat=True))
    page = client.get(path).content.decode()
    assert "Change your request" not in page
    assert "Change your contact details" in page
    post = as_form_post(
        {
            "contact_name": "X",
            "contact_email": "x@example.org",
            "contact_phone": "+1 312 555 0142",
            "windows": [window(30)],
        }
    )

    answer = client.post(path, post)

    assert answer.status_code == 302
    speaker_request.refresh_from_db()
    assert (speaker_request.contact_email, speaker_request.contact_phone) == (
        "x@example.org",
        "+1 312 555 0142",
    )
    assert list(speaker_request.windows.values_list("start_date", flat=True)) == windows_before


def test_no_edits_once_the_request_is_closed(client):
    speaker_request, path = submit()
    intake.withdraw_request(speaker_request=speaker_request)
    post = as_form_post({"contact_name": "X", "contact_email": "x@example.org", "windows": []})

    client.post(path, post)

    speaker_request.refresh_from_db()
    assert speaker_request.contact_email == "dana@example.org"


def test_withdrawing_asks_for_confirmation_first(client):
    speaker_request, path = submit()
    question = client.get(path + "withdraw/")
    assert "Yes, withdraw the request" in question.content.decode()
    speaker_request.refresh_from_db()
    assert speaker_request.status == SpeakerRequest.Status.SUBMITTED

    done = client.post(path + "withdraw/", follow=True)
    speaker_request.refresh_from_db()
    assert speaker_request.status == SpeakerRequest.Status.WITHDRAWN
    assert "Your request is withdrawn" in done.content.decode()


def test_attendance_form_appears_after_the_event_and_completes_the_request(client):
    speaker_request, path = submit()
    book(speaker_request, day=dt.date.today() - dt.timedelta(days=3), confirm=True)
    assert "How did it go?" in client.get(path).content.decode()

    bad = client.post(path + "attendance/", {"attendance_count": "40", "first_time_count": "55"})
    assert "cannot be more than the audience" in bad.content.decode()
    client.post(
        path + "attendance/",
        {"attendance_count": "120", "first_time_count": "90", "attendance_comments": "Moving."},
    )
    speaker_request.refresh_from_db()
    assert (speaker_request.attendance_count, speaker_request.first_time_count) == (120, 90)
    assert speaker_request.status == SpeakerRequest.Status.COMPLETED


def test_attendance_is_refused_before_the_event(client):
    speaker_request, path = submit()
    book(speaker_request, day=dt.date(2027, 3, 3), confirm=True)
    assert "How did it go?" not in client.get(path).content.decode()
    client.post(path + "attendance/", {"attendance_count": "120", "first_time_count": "90"})
    speaker_request.refresh_from_db()
    assert speaker_request.attendance_count is None


def test_an_address_without_a_street_reads_without_a_leading_comma(client):
    speaker_request, path = submit()
    SpeakerRequest.objects.filter(pk=speaker_request.pk).update(street="")  # as older data has
    page = client.get(path).content.decode()
    speaker_request.refresh_from_db()
    expected = (
        f"<dd>{speaker_request.city}, {speaker_request.state} {speaker_request.zip_code}</dd>"
    )
    assert expected in page
    assert "<dd>, " not in page
