"""Local times that do not exist or happen twice, and dates no calendar has, at every door that
takes them: host windows (form and API), the board's move, the admin's event form, the events
API. One rule (common.local_times), one wording.

America/Chicago in 2027: clocks jump from 02:00 to 03:00 on 14 March and go back from 02:00 to
01:00 on 7 November.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from common import local_times
from events import services
from events.models import Event, SpeakerRequest
from tests.events.conftest import as_form_post, as_json, request_data
from tests.factories import FellowFactory, TourFactory, TourMemberFactory

pytestmark = pytest.mark.django_db
CHICAGO = "America/Chicago"
SPRING_FORWARD = dt.date(2027, 3, 14)
FALL_BACK = dt.date(2027, 11, 7)


def test_the_rule_names_what_happened_to_the_clocks():
    with pytest.raises(local_times.ValidationError) as gap:
        local_times.aware(SPRING_FORWARD, dt.time(2, 30), CHICAGO)
    assert "does not exist on 14 March 2027" in gap.value.messages[0]
    with pytest.raises(local_times.ValidationError) as twice:
        local_times.aware(FALL_BACK, dt.time(1, 30), CHICAGO)
    assert "happens twice" in twice.value.messages[0] and "UTC−05:00" in twice.value.messages[0]
    earlier = local_times.aware(FALL_BACK, dt.time(1, 30), CHICAGO, occurrence="earlier")
    later = local_times.aware(FALL_BACK, dt.time(1, 30), CHICAGO, occurrence="later")
    assert later - earlier == dt.timedelta(hours=1)
    assert local_times.aware(FALL_BACK, dt.time(9), CHICAGO) == dt.datetime(
        2027, 11, 7, 15, tzinfo=dt.UTC
    )


def chicago_window(day: dt.date, start: dt.time, end: dt.time) -> dict:
    return {
        "start_date": day,
        "end_date": day,
        "earliest_start": start,
        "latest_end": end,
        "preference": "preferred",
    }


@pytest.mark.parametrize(
    ("day", "start", "words"),
    [(SPRING_FORWARD, dt.time(2, 30), "does not exist"), (FALL_BACK, dt.time(1, 30), "twice")],
)
def test_host_windows_refuse_missing_and_repeated_times(day, start, words, client):
    data = request_data(windows=[chicago_window(day, start, dt.time(4))])
    response = APIClient().post("/api/v1/requests/", as_json(data), format="json")
    assert response.status_code == 400
    assert words in response.json()["windows"]["0"]["earliest_start"][0]
    page = client.post("/request/", as_form_post(data))
    assert words in str(page.context["formset"].forms[0].errors["earliest_start"])
    assert not SpeakerRequest.objects.exists()


@pytest.fixture
def staff_client(staff_user) -> Client:
    client = Client()
    client.force_login(staff_user)
    return client


@pytest.fixture
def chicago_event():
    tour = TourFactory(
        start_date=dt.date(2027, 3, 8), end_date=dt.date(2027, 11, 20), timezone=CHICAGO
    )
    fellow = TourMemberFactory(tour=tour, fellow=FellowFactory()).fellow
    starts = dt.datetime(2027, 3, 10, 13, tzinfo=ZoneInfo(CHICAGO))
    return services.book_event(
        tour=tour,
        fellows=[fellow],
        starts_at=starts,
        ends_at=starts + dt.timedelta(hours=1),
        title="Talk in Chicago",
        timezone=CHICAGO,
        latitude=41.88,
        longitude=-87.63,
    )


def test_the_board_refuses_a_move_into_the_gap(staff_client, chicago_event):
    url = reverse("board:event-reschedule", args=[chicago_event.pk])
    response = staff_client.post(
        url, {"day": SPRING_FORWARD.isoformat(), "start": "02:30", "end": "04:00"}
    )
    assert response.status_code == 400
    assert "does not exist" in str(response.context["form"].errors["start"])
    chicago_event.refresh_from_db()
    assert chicago_event.starts_at == dt.datetime(2027, 3, 10, 19, tzinfo=dt.UTC)


def test_the_board_asks_which_repeated_time_is_meant(staff_client, chicago_event):
    url = reverse("board:event-reschedule", args=[chicago_event.pk])
    move = {"day": FALL_BACK.isoformat(), "start": "01:30", "end": "02:30"}
    asked = staff_client.post(url, move)
    assert asked.status_code == 400
    assert "happens twice" in str(asked.context["form"].errors["start"])
    assert 'name="occurrence"' in asked.content.decode()
    reason = "Late-night vigil"
    saved = staff_client.post(url, {**move, "occurrence": "later", "override_reason": reason})
    assert saved.status_code == 302, saved.context and saved.context["form"].errors
    chicago_event.refresh_from_db()
    assert chicago_event.starts_at == dt.datetime(2027, 11, 7, 7, 30, tzinfo=dt.UTC)


def test_the_board_says_no_such_date(staff_client, chicago_event):
    url = reverse("board:event-reschedule", args=[chicago_event.pk])
    response = staff_client.post(url, {"day": "2027-02-29", "start": "10:00", "end": "11:00"})
    assert response.status_code == 400
    assert "No such date" in str(response.context["form"].errors["day"])


def admin_post(event: Event, day: dt.date, start: str, end: str, **extra) -> dict:
    return {
        "tour": event.tour_id,
        "title": event.title,
        "starts_at_0": day.isoformat(),
        "starts_at_1": start,
        "ends_at_0": day.isoformat(),
        "ends_at_1": end,
        "timezone": CHICAGO,
        "latitude": event.latitude,
        "longitude": event.longitude,
        "visibility": "private",
        "arrival_minutes_before": 30,
        "assigned_fellows": [f.pk for f in event.fellows.all()],
        "assignments-TOTAL_FORMS": 0,
        "assignments-INITIAL_FORMS": 0,
        "assignments-MIN_NUM_FORMS": 0,
        "assignments-MAX_NUM_FORMS": 1000,
        **extra,
    }


def test_the_admin_takes_venue_times_and_refuses_missing_ones(staff_client, chicago_event):
    url = reverse("admin:events_event_change", args=[chicago_event.pk])
    page = staff_client.get(url).content.decode()
    assert 'value="13:00:00"' in page  # the venue's wall clock, not UTC
    response = staff_client.post(url, admin_post(chicago_event, SPRING_FORWARD, "02:30", "04:00"))
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "does not exist" in str(errors["starts_at"])
    asked = staff_client.post(url, admin_post(chicago_event, FALL_BACK, "01:30", "02:30"))
    assert "happens twice" in str(asked.context["adminform"].form.errors["starts_at"])
    chicago_event.refresh_from_db()
    assert chicago_event.starts_at == dt.datetime(2027, 3, 10, 19, tzinfo=dt.UTC)


def test_the_api_reads_offset_free_times_at_the_venue(staff_api, chicago_event):
    url = f"/api/v1/events/{chicago_event.pk}/reschedule/"
    gap = staff_api.post(
        url, {"starts_at": "2027-03-14T02:30", "ends_at": "2027-03-14T04:00"}, format="json"
    )
    assert gap.status_code == 400 and "does not exist" in gap.json()["starts_at"][0]
    move = {"starts_at": "2027-11-07T01:30", "ends_at": "2027-11-07T02:30"}
    twice = staff_api.post(url, move, format="json")
    assert twice.status_code == 400 and "happens twice" in twice.json()["starts_at"][0]
    chicago_event.refresh_from_db()
    assert chicago_event.starts_at == dt.datetime(2027, 3, 10, 19, tzinfo=dt.UTC)
    moved = staff_api.post(
        url,
        {**move, "occurrence": "earlier", "override_reason": "Late-night vigil"},
        format="json",
    )
    assert moved.status_code == 200, moved.json()
    assert moved.json()["starts_at"].startswith("2027-11-07T06:30")


def test_a_fellows_unavailability_form_refuses_missing_times_and_asks_about_repeated_ones(client):
    from fellows.models import Unavailability
    from tests.factories import UserFactory

    fellow = FellowFactory(user=UserFactory(username="grace-dst", password=None))
    client.force_login(fellow.user)
    post = {"timezone": CHICAGO, "reason": "Family"}
    gap = client.post(
        reverse("fellows:me"),
        {**post, "starts_at": "2027-03-14T02:30", "ends_at": "2027-03-14T09:00"},
    )
    assert "does not exist" in str(gap.context["form"].errors["starts_at"])
    twice = {**post, "starts_at": "2027-11-07T01:30", "ends_at": "2027-11-07T09:00"}
    asked = client.post(reverse("fellows:me"), twice)
    assert "happens twice" in str(asked.context["form"].errors["starts_at"])
    assert not Unavailability.objects.exists()
    client.post(reverse("fellows:me"), {**twice, "occurrence": "later"})
    saved = Unavailability.objects.get()
    assert saved.starts_at == dt.datetime(2027, 11, 7, 7, 30, tzinfo=dt.UTC)
    line_break = {**twice, "occurrence": "later", "reason": "Family\nDay sheet: x"}
    refused = client.post(reverse("fellows:me"), line_break)
    assert refused.context["form"].errors["reason"]
