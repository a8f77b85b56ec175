"""The host's private link in a real browser: edit, withdraw and report attendance.

These POSTs failed with Django's CSRF 403 ("Origin checking failed - null") while the page sent
`Referrer-Policy: no-referrer`; only a real browser shows that.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from events import intake, services
from events.models import SpeakerRequest
from tests.events.conftest import request_data
from tests.factories import FellowFactory, TourFactory, TourMemberFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def submitted(live_server) -> tuple[SpeakerRequest, str]:
    submission = intake.submit_speaker_request(data=request_data(), source="web")
    path = "/" + submission.host_url.split("/", 3)[3]
    return submission.speaker_request, live_server.url + path


def test_a_host_edits_their_phone_in_the_browser(live_server, page):
    speaker_request, url = submitted(live_server)
    page.goto(url)

    page.get_by_label("Phone").fill("+1 312 555 0199")
    page.get_by_role("button", name="Save changes").last.click()

    assert page.get_by_text("Your changes are saved.").is_visible()
    speaker_request.refresh_from_db()
    assert speaker_request.contact_phone == "+1 312 555 0199"


def test_a_host_withdraws_in_the_browser(live_server, page):
    speaker_request, url = submitted(live_server)
    page.goto(url)

    page.get_by_role("link", name="Withdraw this request").click()
    page.get_by_role("button", name="Yes, withdraw the request").click()

    assert page.get_by_text("Your request is withdrawn").is_visible()
    speaker_request.refresh_from_db()
    assert speaker_request.status == SpeakerRequest.Status.WITHDRAWN


def test_a_host_reports_attendance_in_the_browser(live_server, page):
    speaker_request, url = submitted(live_server)
    day = timezone.localdate() - dt.timedelta(days=2)
    tour = TourFactory(start_date=day - dt.timedelta(days=1), end_date=day + dt.timedelta(days=1))
    fellow = TourMemberFactory(tour=tour, fellow=FellowFactory()).fellow
    starts = dt.datetime.combine(day, dt.time(17), tzinfo=dt.UTC)
    event = services.book_event(
        tour=tour,
        fellows=[fellow],
        starts_at=starts,
        ends_at=starts + dt.timedelta(hours=1),
        request=speaker_request,
        override_reason="Agreed by phone.",
    )
    services.confirm_event(event=event)
    page.goto(url)

    page.get_by_label("How many people attended?").fill("120")
    page.get_by_label("How many of them met a North Korean for the first time?").fill("90")
    page.get_by_role("button", name="Send attendance").click()

    assert page.get_by_text("Thank you for telling us how it went.").is_visible()
    speaker_request.refresh_from_db()
    assert (speaker_request.attendance_count, speaker_request.first_time_count) == (120, 90)
