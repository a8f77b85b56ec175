"""Whole-day items in the fellows' feeds: VALUE=DATE, titled in the fellow's language.

A rest day written as a timed block from Chicago midnight to midnight shows from 10 PM to 10 PM
the day before on a phone in Los Angeles; as an all-day item it stays on its date everywhere.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import icalendar
import pytest
import vobject
from django.urls import reverse
from django.utils import translation

from fellows.services import rotate_feed_token
from tests.factories import FellowFactory, ItineraryItemFactory, TourMemberFactory
from tests.test_calendars import read_with_icaljs

pytestmark = pytest.mark.django_db

CHICAGO = ZoneInfo("America/Chicago")
REST_DAY = dt.date(2027, 3, 14)  # also the day US clocks go forward: 23 hours long


def midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=CHICAGO)


@pytest.fixture
def korean_fellow(tour):
    return TourMemberFactory(tour=tour, fellow=FellowFactory(preferred_language="ko")).fellow


def add_items(tour, fellow) -> dict:
    with translation.override("en"):  # the planner names items in the active language
        rest = ItineraryItemFactory(
            tour=tour,
            fellows=[fellow],
            kind="rest",
            title="Rest day",
            starts_at=midnight(REST_DAY),
            ends_at=midnight(REST_DAY + dt.timedelta(days=1)),
            timezone="America/Chicago",
            to_location="Chicago, IL",
        )
    retreat = ItineraryItemFactory(
        tour=tour,
        fellows=[fellow],
        kind="lodging",
        title="Team retreat",
        starts_at=midnight(REST_DAY + dt.timedelta(days=2)),
        ends_at=midnight(REST_DAY + dt.timedelta(days=4)),
        timezone="America/Chicago",
    )
    drive = ItineraryItemFactory(
        tour=tour,
        fellows=[fellow],
        title="Drive to Milwaukee",
        starts_at=dt.datetime(2027, 3, 15, 9, tzinfo=CHICAGO),
        ends_at=dt.datetime(2027, 3, 15, 11, tzinfo=CHICAGO),
        timezone="America/Chicago",
    )
    return {"rest": rest, "retreat": retreat, "drive": drive}


def feed(client, fellow) -> bytes:
    token = rotate_feed_token(fellow=fellow)
    response = client.get(reverse("fellows:fellow-feed", kwargs={"token": token}))
    assert response.status_code == 200
    return response.content


def test_whole_day_items_are_all_day_dates_in_every_reader(client, tour, fellow):
    items = add_items(tour, fellow)

    body = feed(client, fellow)

    text = body.decode()
    [rest_block] = [b for b in text.split("BEGIN:VEVENT") if items["rest"].ical_uid in b]
    assert "DTSTART;VALUE=DATE:20270314" in rest_block
    assert "DTEND;VALUE=DATE:20270315" in rest_block
    assert "SUMMARY:Rest day" in rest_block
    assert "TRANSP:TRANSPARENT" in rest_block

    calendar = icalendar.Calendar.from_ical(body)
    by_uid = {str(v["UID"]): v for v in calendar.walk("VEVENT")}
    rest, retreat = by_uid[items["rest"].ical_uid], by_uid[items["retreat"].ical_uid]
    assert (rest.decoded("DTSTART"), rest.decoded("DTEND")) == (
        dt.date(2027, 3, 14),
        dt.date(2027, 3, 15),
    )
    assert (retreat.decoded("DTSTART"), retreat.decoded("DTEND")) == (
        dt.date(2027, 3, 16),
        dt.date(2027, 3, 18),
    )
    drive = by_uid[items["drive"].ical_uid]
    assert drive.decoded("DTSTART") == dt.datetime(2027, 3, 15, 9, tzinfo=CHICAGO)

    by_vobject = {v.uid.value: v for v in vobject.readOne(text).vevent_list}
    assert by_vobject[items["rest"].ical_uid].dtstart.value == dt.date(2027, 3, 14)
    assert by_vobject[items["retreat"].ical_uid].dtend.value == dt.date(2027, 3, 18)

    [read] = read_with_icaljs([{"ics": text}])
    by_icaljs = {e["uid"]: e for e in read["events"]}
    assert by_icaljs[items["rest"].ical_uid] | {"uid": None} == {
        "uid": None,
        "summary": "Rest day",
        "isDate": True,
        "start": "2027-03-14",
        "end": "2027-03-15",
        "tzid": None,
    }
    assert by_icaljs[items["drive"].ical_uid]["start"] == "2027-03-15T14:00:00.000Z"


def test_a_korean_fellow_reads_rest_days_in_korean(client, tour, korean_fellow, fellow):
    items = add_items(tour, korean_fellow)
    items["rest"].fellows.add(fellow)

    korean = icalendar.Calendar.from_ical(feed(client, korean_fellow))
    english = icalendar.Calendar.from_ical(feed(client, fellow))

    def summary(calendar, item) -> str:
        [vevent] = [v for v in calendar.walk("VEVENT") if v["UID"] == item.ical_uid]
        return str(vevent["SUMMARY"])

    assert summary(korean, items["rest"]) == "휴식일"
    assert summary(english, items["rest"]) == "Rest day"
    assert summary(korean, items["retreat"]) == "Team retreat"  # staff's own words stay


def test_the_planners_item_names_are_in_the_fellows_language(db):
    from django.utils import translation

    from common.calendars import itinerary_title
    from fellows.models import ItineraryItem

    names = []
    for kind, mode, title in (
        ("rest", "", "Rest day near Hartford, CT"),
        ("lodging", "", "Overnight near Hartford, CT"),
        ("travel", "drive", "Drive to Hartford, CT"),
        ("travel", "flight", "Fly to Hartford, CT"),
    ):
        item = ItineraryItem(
            kind=kind, mode=mode, title=title, to_location="Hartford, CT", source="planner"
        )
        with translation.override("ko"):
            names.append(itinerary_title(item))
    assert names == [
        "Hartford, CT 근처 휴식일",
        "Hartford, CT 근처 숙박",
        "Hartford, CT까지 차량 이동",
        "Hartford, CT까지 항공 이동",
    ]
    staff_written = ItineraryItem(kind="travel", title="Bus to Boston", to_location="Boston")
    with translation.override("ko"):
        assert itinerary_title(staff_written) == "Bus to Boston"


def test_a_stop_named_by_the_road_is_said_in_the_fellows_language(db):
    """The planner names a night's stop far from any known place by the road, in English; the
    fellow reads it in their own language in titles, From/To and the feed's LOCATION."""
    from django.utils import translation

    from common.calendars import itinerary_vevent, readable_place
    from events.feeds import item_description
    from fellows.models import ItineraryItem
    from planner import RoadStop

    stop = RoadStop(530, "Denver, CO", "Chicago, IL")
    assert RoadStop.parse(stop.label) == stop
    assert RoadStop.parse("Denver, CO") is None
    assert RoadStop.parse("a stop near Denver") is None
    item = ItineraryItem(
        kind="travel",
        mode="drive",
        title=f"Drive to {stop.label}",
        from_location="Denver, CO",
        to_location=stop.label,
        source="planner",
        starts_at=dt.datetime(2027, 3, 2, 9, tzinfo=dt.UTC),
        ends_at=dt.datetime(2027, 3, 2, 15, tzinfo=dt.UTC),
        timezone="America/Denver",
    )
    korean = "Denver, CO에서 Chicago, IL 방향으로 530km 지점"
    with translation.override("ko"):
        assert readable_place(stop.label) == korean
        assert item.display_title == f"{korean}까지 차량 이동"
        assert item.to_place == korean and item.from_place == "Denver, CO"
        assert korean in item_description(item)
        assert str(itinerary_vevent(item)["LOCATION"]) == korean
    with translation.override("en"):
        assert item.to_place == stop.label
        assert readable_place(RoadStop(10, "start", "the next stop").label) == (
            "a stop 10 km from the start towards the next stop"
        )


def test_a_night_and_a_rest_day_say_where_not_to(db):
    from events.feeds import item_description
    from fellows.models import ItineraryItem

    for kind in ("lodging", "rest"):
        item = ItineraryItem(kind=kind, title="Overnight", to_location="Princeton, NJ")
        text = item_description(item)
        assert "Where: Princeton, NJ" in text and "To:" not in text, kind
    leg = ItineraryItem(kind="travel", from_location="Newark, NJ", to_location="Princeton, NJ")
    assert "From: Newark, NJ\nTo: Princeton, NJ" in item_description(leg)


def test_a_drive_between_two_venues_of_one_city_reads_within_it(db):
    from django.utils import translation

    from fellows.models import ItineraryItem

    item = ItineraryItem(
        kind="travel",
        mode="drive",
        title="Drive to New York, NY",
        from_location="New York, NY",
        to_location="New York, NY",
        source="planner",
    )
    with translation.override("en"):
        assert item.display_title == "Drive within New York, NY"
    with translation.override("ko"):
        assert item.display_title == "New York, NY 안에서 차량 이동"
