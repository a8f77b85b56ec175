"""The private iCal feeds: content, time zones, privacy, conditional GET, tokens, rate limit."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import icalendar
import pytest
import recurring_ical_events
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from events.models import Event
from events.services import cancel_event, confirm_event, reschedule_event
from fellows.models import Fellow
from fellows.services import (
    rotate_feed_token,
    rotate_staff_feed_token,
    rotate_tour_feed_token,
)
from tests.factories import (
    FellowFactory,
    ItineraryItemFactory,
    StaffFactory,
    TourFactory,
    TourMemberFactory,
    UnavailabilityFactory,
    UserFactory,
)
from tests.fellows.conftest import book

pytestmark = pytest.mark.django_db

DST_DAY = dt.date(2027, 3, 14)  # US clocks go forward at 02:00 that Sunday
NEW_YORK = "America/New_York"
PHOENIX = "America/Phoenix"  # no daylight saving time: stays UTC-7


def fellow_url(token: str) -> str:
    return reverse("fellows:fellow-feed", kwargs={"token": token})


def parse(response) -> icalendar.Calendar:
    assert response.status_code == 200, response.content[:200]
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    return icalendar.Calendar.from_ical(response.content)


def vevents(calendar: icalendar.Calendar) -> dict[str, icalendar.Event]:
    return {str(v["summary"]): v for v in calendar.walk("VEVENT")}


@pytest.fixture
def itinerary(tour, fellow):
    """Grace's tour: a DST-day event in New York, one in Phoenix, travel and lodging."""
    new_york = book(
        tour=tour,
        fellows=[fellow],
        day=DST_DAY,
        hour=10,
        title="Korean Church of Queens",
        venue_name="Korean Church of Queens",
        street="1 Main St",
        city="Flushing",
        state="NY",
        zip_code="11354",
        onsite_contact_name="Pastor Kim",
        onsite_contact_phone="+1 718 555 0101",
        arrival_minutes_before=45,
        day_sheet_notes="Park behind the hall.",
    )
    confirm_event(event=new_york)
    phoenix = book(
        tour=tour,
        fellows=[fellow],
        day=DST_DAY + dt.timedelta(days=2),
        hour=10,
        zone=PHOENIX,
        title="Arizona State University",
        city="Tempe",
        state="AZ",
    )
    travel = ItineraryItemFactory(
        tour=tour,
        fellows=[fellow],
        title="Flight to Phoenix",
        starts_at=dt.datetime(2027, 3, 15, 9, tzinfo=ZoneInfo(NEW_YORK)),
        ends_at=dt.datetime(2027, 3, 15, 11, 30, tzinfo=ZoneInfo(PHOENIX)),
        from_location="JFK",
        to_location="PHX",
    )
    lodging = ItineraryItemFactory(
        tour=tour,
        fellows=[fellow],
        kind="lodging",
        title="Hotel Tempe",
        starts_at=dt.datetime(2027, 3, 15, 15, tzinfo=ZoneInfo(PHOENIX)),
        ends_at=dt.datetime(2027, 3, 16, 8, tzinfo=ZoneInfo(PHOENIX)),
        timezone=PHOENIX,
        to_location="Hotel Tempe, 2 Mill Ave",
    )
    return {"new_york": new_york, "phoenix": phoenix, "travel": travel, "lodging": lodging}


def test_fellow_feed_has_calendar_properties_and_one_vtimezone_per_zone(
    client, itinerary, feed_token
):
    calendar = parse(client.get(fellow_url(feed_token)))

    assert str(calendar["x-wr-calname"]) == "LiNK tour: Grace"
    assert str(calendar["x-wr-timezone"]) == NEW_YORK
    raw = client.get(fellow_url(feed_token)).content.decode()
    assert "REFRESH-INTERVAL;VALUE=DURATION:PT1H" in raw
    assert "X-PUBLISHED-TTL:PT1H" in raw
    zones = {str(tz["tzid"]) for tz in calendar.walk("VTIMEZONE")}
    used = {v["dtstart"].params["TZID"] for v in calendar.walk("VEVENT")}
    assert used == {NEW_YORK, PHOENIX}
    assert used <= zones


def test_fellow_feed_lists_events_and_itinerary_with_stable_uids(client, itinerary, feed_token):
    first = vevents(parse(client.get(fellow_url(feed_token))))
    reschedule_event(
        event=itinerary["phoenix"],
        starts_at=itinerary["phoenix"].starts_at + dt.timedelta(hours=1),
        ends_at=itinerary["phoenix"].ends_at + dt.timedelta(hours=1),
    )
    second = vevents(parse(client.get(fellow_url(feed_token))))

    assert set(first) == {
        "Korean Church of Queens",
        "(tentative) Arizona State University",
        "Flight to Phoenix",
        "Hotel Tempe",
    }
    for summary, vevent in first.items():
        assert str(second[summary]["uid"]) == str(vevent["uid"])
        assert "last-modified" in vevent
    phoenix = "(tentative) Arizona State University"
    assert second[phoenix]["sequence"] == first[phoenix]["sequence"] + 1
    assert str(first["Korean Church of Queens"]["uid"]) == itinerary["new_york"].ical_uid
    assert str(first["Flight to Phoenix"]["uid"]) == itinerary["travel"].ical_uid


def test_times_round_trip_in_the_venue_zone_on_a_dst_day(client, itinerary, feed_token):
    body = client.get(fellow_url(feed_token)).content
    calendar = icalendar.Calendar.from_ical(body)
    by_summary = vevents(calendar)

    new_york = by_summary["Korean Church of Queens"]["dtstart"].dt
    phoenix = by_summary["(tentative) Arizona State University"]["dtstart"].dt
    assert by_summary["Korean Church of Queens"]["dtstart"].params["TZID"] == NEW_YORK
    assert (new_york.date(), new_york.hour) == (DST_DAY, 10)
    assert new_york == itinerary["new_york"].starts_at
    assert new_york.utcoffset() == dt.timedelta(hours=-4)  # EDT, after the switch
    assert phoenix.utcoffset() == dt.timedelta(hours=-7)  # MST all year
    assert phoenix == itinerary["phoenix"].starts_at

    # An independent parser expands the same calendar to the same instants.
    found = recurring_ical_events.of(icalendar.Calendar.from_ical(body)).between(
        dt.datetime(2027, 3, 13, tzinfo=dt.UTC), dt.datetime(2027, 3, 18, tzinfo=dt.UTC)
    )
    starts = {str(e["summary"]): e["dtstart"].dt for e in found}
    assert starts["Korean Church of Queens"] == dt.datetime(2027, 3, 14, 14, tzinfo=dt.UTC)
    assert starts["(tentative) Arizona State University"] == dt.datetime(
        2027, 3, 16, 17, tzinfo=dt.UTC
    )
    assert starts["Flight to Phoenix"] == itinerary["travel"].starts_at


def test_statuses_and_cancelled_events_kept_for_thirty_days(client, tour, fellow, feed_token):
    confirmed = book(tour=tour, fellows=[fellow], day=dt.date(2027, 3, 2), hour=10, title="C")
    confirm_event(event=confirmed)
    book(tour=tour, fellows=[fellow], day=dt.date(2027, 3, 3), hour=10, title="T")
    recent = book(tour=tour, fellows=[fellow], day=dt.date(2027, 3, 4), hour=10, title="R")
    cancel_event(event=recent)
    old = book(tour=tour, fellows=[fellow], day=dt.date(2027, 3, 5), hour=10, title="O")
    cancel_event(event=old)
    Event.objects.filter(pk=old.pk).update(cancelled_at=timezone.now() - dt.timedelta(days=31))

    statuses = {
        str(v["uid"]): str(v["status"])
        for v in parse(client.get(fellow_url(feed_token))).walk("VEVENT")
    }

    assert statuses[confirmed.ical_uid] == "CONFIRMED"
    assert statuses[recent.ical_uid] == "CANCELLED"
    assert "TENTATIVE" in statuses.values()
    assert old.ical_uid not in statuses


def test_description_carries_the_day_sheet(client, itinerary, feed_token):
    vevent = vevents(parse(client.get(fellow_url(feed_token))))["Korean Church of Queens"]
    description = str(vevent["description"])

    assert "Korean Church of Queens, 1 Main St, Flushing, NY 11354" in description
    assert "Arrive by: Sun Mar 14, 2027, 9:15 AM EDT" in description
    assert "On-site contact: Pastor Kim +1 718 555 0101" in description
    assert "Notes: Park behind the hall." in description
    assert f"/feeds/fellow/{feed_token}/day-sheets/#day-2027-03-14" in description


def test_feeds_never_show_private_fields_or_other_fellows(client, tour, itinerary, fellow):
    other = TourMemberFactory(tour=tour, fellow=FellowFactory(display_name="Joseph")).fellow
    book(tour=tour, fellows=[other], day=dt.date(2027, 3, 2), hour=10, title="Joseph's talk")
    ItineraryItemFactory(tour=tour, fellows=[other], title="Joseph's bus")
    UnavailabilityFactory(
        fellow=fellow,
        reason="Secret family reason",
        starts_at=dt.datetime(2027, 3, 20, tzinfo=dt.UTC),
        ends_at=dt.datetime(2027, 3, 21, tzinfo=dt.UTC),
    )
    Fellow.objects.filter(pk=fellow.pk).update(legal_name="Legal Name Lee")
    fellow.refresh_from_db()
    staff = StaffFactory()
    bodies = {
        "fellow": client.get(fellow_url(rotate_feed_token(fellow=fellow))).content.decode(),
        "tour": client.get(
            reverse("fellows:tour-feed", kwargs={"token": rotate_tour_feed_token(tour=tour)})
        ).content.decode(),
        "staff": client.get(
            reverse("fellows:staff-feed", kwargs={"token": rotate_staff_feed_token(user=staff)})
        ).content.decode(),
    }

    for kind, body in bodies.items():
        assert "BEGIN:VCALENDAR" in body, kind
        for private in ("Legal Name Lee", fellow.email, other.email, "555 0100", "Secret family"):
            assert private not in body, (kind, private)
    assert "Joseph" not in bodies["fellow"]
    assert "Joseph's talk" in bodies["tour"]
    assert "Joseph's bus" in bodies["staff"]


def test_tour_feed_holds_only_that_tour(client, tour, itinerary, fellow):
    elsewhere = TourFactory(name="West tour")
    TourMemberFactory(tour=elsewhere, fellow=fellow)
    ItineraryItemFactory(tour=elsewhere, fellows=[fellow], title="West drive")
    token = rotate_tour_feed_token(tour=tour)

    calendar = parse(client.get(reverse("fellows:tour-feed", kwargs={"token": token})))

    summaries = set(vevents(calendar))
    assert "Flight to Phoenix" in summaries
    assert "West drive" not in summaries
    assert str(calendar["x-wr-calname"]) == f"LiNK tour: {tour.name}"
    description = str(vevents(calendar)["Korean Church of Queens"]["description"])
    assert "Fellows: Grace" in description


def test_staff_feed_needs_a_staff_token(client, itinerary):
    staff = StaffFactory(username="escort")
    token = rotate_staff_feed_token(user=staff)
    url = reverse("fellows:staff-feed", kwargs={"token": token})
    assert len(parse(client.get(url)).walk("VEVENT")) == 4

    staff.is_staff = False
    staff.save()
    assert client.get(url).status_code == 404


def test_etag_and_if_modified_since_answer_304(client, itinerary, feed_token):
    first = client.get(fellow_url(feed_token))
    etag, last_modified = first["ETag"], first["Last-Modified"]
    assert first["Cache-Control"].startswith("private")

    by_etag = client.get(fellow_url(feed_token), HTTP_IF_NONE_MATCH=etag)
    by_date = client.get(fellow_url(feed_token), HTTP_IF_MODIFIED_SINCE=last_modified)
    stale = client.get(fellow_url(feed_token), HTTP_IF_NONE_MATCH='"not-the-etag"')

    assert by_etag.status_code == 304 and by_etag.content == b""
    assert by_etag["ETag"] == etag
    assert by_date.status_code == 304
    assert stale.status_code == 200

    cancel_event(event=itinerary["phoenix"])
    changed = client.get(fellow_url(feed_token), HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200
    assert changed["ETag"] != etag


def test_etag_changes_when_an_item_leaves_the_feed(client, itinerary, fellow, feed_token):
    etag = client.get(fellow_url(feed_token))["ETag"]
    itinerary["lodging"].fellows.remove(fellow)

    assert client.get(fellow_url(feed_token), HTTP_IF_NONE_MATCH=etag).status_code == 200


@pytest.mark.parametrize("extra_items", [1, 30])
def test_304_path_needs_one_query_whatever_the_size(
    client, tour, fellow, feed_token, extra_items, django_assert_num_queries
):
    for n in range(extra_items):
        ItineraryItemFactory(
            tour=tour,
            fellows=[fellow],
            starts_at=dt.datetime(2027, 3, 2, tzinfo=dt.UTC) + dt.timedelta(hours=4 * n),
        )
    etag = client.get(fellow_url(feed_token))["ETag"]  # also records the last use

    # One statement reads the token's owner and the version of everything the feed shows.
    with django_assert_num_queries(1):
        response = client.get(fellow_url(feed_token), HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 304


def test_rotation_kills_the_old_url_at_once(client, itinerary, fellow, feed_token):
    assert client.get(fellow_url(feed_token)).status_code == 200
    new_token = rotate_feed_token(fellow=fellow)

    assert client.get(fellow_url(feed_token)).status_code == 404
    assert client.get(fellow_url(new_token)).status_code == 200
    assert len(new_token) >= 43  # 32 random bytes, URL-safe base64
    fellow.refresh_from_db()
    assert new_token not in fellow.feed_token_hash


def test_staff_api_rotates_and_returns_the_new_url_once(staff_api, client, fellow, feed_token):
    response = staff_api.post(f"/api/v1/fellows/{fellow.pk}/rotate-feed/")

    assert response.status_code == 200
    new_url = response.json()["feed_url"]
    assert response.json()["webcal_url"].startswith("webcal://")
    assert response.json()["webcal_url"].endswith(new_url.split("://", 1)[1])
    assert client.get(fellow_url(feed_token)).status_code == 404
    assert client.get(urlsplit(new_url).path).status_code == 200
    assert "feed_url" not in staff_api.get(f"/api/v1/fellows/{fellow.pk}/").json()


def test_tour_feed_rotation_via_api(staff_api, client, tour):
    old = rotate_tour_feed_token(tour=tour)
    response = staff_api.post(f"/api/v1/tours/{tour.pk}/rotate-feed/")

    assert response.status_code == 200
    assert client.get(reverse("fellows:tour-feed", kwargs={"token": old})).status_code == 404


def test_rotate_api_refuses_anonymous_and_fellows(client, fellow, feed_token):
    user = UserFactory()
    client.force_login(user)

    assert client.post(f"/api/v1/fellows/{fellow.pk}/rotate-feed/").status_code == 403
    assert client.get(fellow_url(feed_token)).status_code == 200


def test_admin_action_rotates_and_shows_the_url(client, staff_user, fellow, feed_token):
    client.force_login(staff_user)
    response = client.post(
        reverse("admin:fellows_fellow_changelist"),
        {"action": "rotate_feed_tokens", "_selected_action": [fellow.pk]},
        follow=True,
    )

    assert b"/feeds/fellow/" in response.content
    assert client.get(fellow_url(feed_token)).status_code == 404


def test_unknown_token_is_404_and_needs_no_session(client, db):
    assert client.get(fellow_url("x" * 43)).status_code == 404
    assert client.get(reverse("fellows:tour-feed", kwargs={"token": "y" * 43})).status_code == 404


def test_last_use_is_recorded_without_changing_the_etag(client, fellow, feed_token):
    etag = client.get(fellow_url(feed_token))["ETag"]
    fellow.refresh_from_db()

    assert fellow.feed_last_used_at is not None
    assert client.get(fellow_url(feed_token))["ETag"] == etag


@override_settings(FEED_RATE_LIMIT="3/m")
def test_rate_limit_answers_429_per_token(client, fellow, feed_token):
    codes = [client.get(fellow_url(feed_token)).status_code for _ in range(4)]
    other = rotate_feed_token(fellow=FellowFactory())

    assert codes == [200, 200, 200, 429]
    assert client.get(fellow_url(other)).status_code == 200
