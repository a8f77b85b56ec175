"""Day sheets (by login and by feed token), languages, and unavailability with its conflicts."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from icalendar import Calendar

from events.feed_selectors import unavailability_conflicts
from events.services import cancel_event
from fellows.models import Unavailability
from fellows.services import add_unavailability
from tests.conftest import local
from tests.factories import (
    FellowFactory,
    ItineraryItemFactory,
    TourMemberFactory,
    UnavailabilityFactory,
    UserFactory,
)
from tests.fellows.conftest import book

pytestmark = pytest.mark.django_db

NEW_YORK = ZoneInfo("America/New_York")
DAY = dt.date(2027, 3, 2)


@pytest.fixture
def fellow_user(fellow):
    fellow.user = UserFactory(username="grace")
    fellow.save()
    return fellow.user


@pytest.fixture
def schedule(tour, fellow):
    event = book(
        tour=tour,
        fellows=[fellow],
        day=DAY,
        hour=18,
        title="Harvard Korea Society",
        venue_name="Harvard Hall",
        city="Cambridge",
        state="MA",
        onsite_contact_name="Min Park",
        onsite_contact_phone="+1 617 555 0199",
        day_sheet_notes="Side entrance.",
    )
    travel = ItineraryItemFactory(
        tour=tour,
        fellows=[fellow],
        title="Drive to Boston",
        starts_at=dt.datetime.combine(DAY, dt.time(9), tzinfo=NEW_YORK),
        ends_at=dt.datetime.combine(DAY, dt.time(13), tzinfo=NEW_YORK),
        from_location="New York, NY",
        to_location="Cambridge, MA",
    )
    lodging = ItineraryItemFactory(
        tour=tour,
        fellows=[fellow],
        kind="lodging",
        title="Charles Hotel",
        starts_at=dt.datetime.combine(DAY, dt.time(21), tzinfo=NEW_YORK),
        ends_at=dt.datetime.combine(DAY + dt.timedelta(days=1), dt.time(8), tzinfo=NEW_YORK),
        to_location="1 Bennett St, Cambridge",
    )
    return {"event": event, "travel": travel, "lodging": lodging}


def test_token_day_sheet_shows_the_days_events_travel_lodging_and_contacts(
    client, schedule, feed_token
):
    response = client.get(reverse("fellows:token-day-sheets", kwargs={"token": feed_token}))
    html = response.content.decode()

    assert response.status_code == 200
    assert 'id="day-2027-03-02"' in html
    for text in (
        "Harvard Korea Society",
        "6:00 PM – 7:00 PM EST",
        "5:00 PM EST",  # arrival: the tour's minimum gap (60 minutes) before
        "Min Park",
        "+1 617 555 0199",
        "Side entrance.",
        "Drive to Boston",
        "Cambridge, MA",
        "Charles Hotel",
    ):
        assert text in html, text
    assert html.index("Drive to Boston") < html.index("Harvard Korea Society")
    assert response["Cache-Control"].startswith("private")


def test_a_rest_day_reads_all_day_not_midnight_to_midnight(client, tour, fellow, feed_token):
    fellow.preferred_language = "ko"
    fellow.save()
    ItineraryItemFactory(
        tour=tour,
        fellows=[fellow],
        kind="rest",
        source="planner",
        title="Rest day",
        starts_at=dt.datetime.combine(DAY, dt.time(0), tzinfo=NEW_YORK),
        ends_at=dt.datetime.combine(DAY + dt.timedelta(days=1), dt.time(0), tzinfo=NEW_YORK),
        to_location="New York, NY",
    )
    html = client.get(
        reverse("fellows:token-day-sheets", kwargs={"token": feed_token})
    ).content.decode()
    assert "<h3>휴식일</h3>" in html and "종일" in html  # "Rest day", "all day"
    assert "오전 12:00 – 오전 12:00" not in html and "휴식일: 휴식일" not in html


def test_day_sheet_in_korean_when_the_fellow_prefers_it(client, fellow, schedule, feed_token):
    fellow.preferred_language = "ko"
    fellow.save()

    html = client.get(
        reverse("fellows:token-day-sheets", kwargs={"token": feed_token})
    ).content.decode()

    assert "현장 담당자" in html  # On-site contact
    assert "도착 시간" in html  # Arrive by
    assert "On-site contact" not in html


def test_feed_descriptions_follow_the_fellows_language(client, fellow, schedule, feed_token):
    fellow.preferred_language = "ko"
    fellow.save()

    body = client.get(reverse("fellows:fellow-feed", kwargs={"token": feed_token})).content
    descriptions = [str(v["description"]) for v in Calendar.from_ical(body).walk("VEVENT")]

    assert any("현장 담당자: Min Park" in d for d in descriptions)
    assert any("도착 시간: 2027년 3월 2일 (화요일), 오후 5:00 EST" in d for d in descriptions)


def test_day_sheet_hides_cancelled_events_and_other_fellows(client, tour, schedule, feed_token):
    other = TourMemberFactory(tour=tour, fellow=FellowFactory(display_name="Joseph")).fellow
    book(tour=tour, fellows=[other], day=DAY, hour=10, title="Joseph's school")
    cancelled = book(
        tour=tour,
        fellows=[schedule["event"].fellows.get()],
        day=DAY + dt.timedelta(days=2),
        hour=10,
        title="Called off",
    )
    cancel_event(event=cancelled)

    html = client.get(
        reverse("fellows:token-day-sheets", kwargs={"token": feed_token})
    ).content.decode()

    assert "Harvard Korea Society" in html
    assert "Joseph" not in html
    assert "Called off" not in html


def test_my_day_sheets_needs_the_fellows_login(client, schedule, fellow_user):
    url = reverse("fellows:my-day-sheets")
    anonymous = client.get(url)
    assert anonymous.status_code == 302
    assert reverse("fellows:login") in anonymous["Location"]

    client.force_login(fellow_user)
    assert "Harvard Korea Society" in client.get(url).content.decode()


def test_another_fellow_sees_only_their_own_day_sheets(client, tour, schedule):
    other = TourMemberFactory(tour=tour, fellow=FellowFactory(user=UserFactory())).fellow
    client.force_login(other.user)

    html = client.get(reverse("fellows:my-day-sheets")).content.decode()

    assert "Harvard Korea Society" not in html
    assert "Nothing is scheduled yet." in html


def test_staff_without_a_fellow_record_get_404_on_fellow_pages(client, staff_user):
    client.force_login(staff_user)

    assert client.get(reverse("fellows:my-day-sheets")).status_code == 404
    assert client.get(reverse("fellows:me")).status_code == 404


def test_unknown_token_day_sheet_is_404(client, db):
    url = reverse("fellows:token-day-sheets", kwargs={"token": "z" * 43})
    assert client.get(url).status_code == 404


def test_fellow_rotates_their_feed_from_their_page(client, fellow, fellow_user, feed_token):
    client.force_login(fellow_user)
    response = client.post(reverse("fellows:my-feed-rotate"))
    html = response.content.decode()

    assert response.status_code == 200
    assert "webcal://" in html
    assert response["Cache-Control"] == "no-store"
    old = reverse("fellows:fellow-feed", kwargs={"token": feed_token})
    assert client.get(old).status_code == 404
    new_path = html.split('id="feed-url"', 1)[1].split('value="', 1)[1].split('"', 1)[0]
    new_path = new_path.split("://", 1)[1]
    assert client.get("/" + new_path.split("/", 1)[1]).status_code == 200


def unavailability_post(start: str, end: str, reason: str = "Family") -> dict[str, str]:
    return {
        "starts_at": start,
        "ends_at": end,
        "timezone": "America/New_York",
        "reason": reason,
    }


def test_a_korean_fellows_own_page_has_no_english_controls(client, fellow, fellow_user):
    fellow.preferred_language = "ko"
    fellow.save()
    client.force_login(fellow_user)

    html = client.get(reverse("fellows:me")).content.decode()

    assert "로그아웃" in html and "로그인됨" in html  # Sign out, Signed in as
    assert "같은 시각이 두 번 있을 때" in html  # the question when a time happens twice
    for english in ("Sign out", "Signed in as", "clocks go back", "Not needed"):
        assert english not in html, english


def test_unavailability_form_refuses_an_end_before_the_start(client, fellow, fellow_user):
    client.force_login(fellow_user)

    response = client.post(
        reverse("fellows:me"), unavailability_post("2027-03-05T12:00", "2027-03-05T12:00")
    )

    assert response.status_code == 200
    assert "The end must be after the start." in response.content.decode()
    assert not Unavailability.objects.exists()


def test_the_fellows_list_reads_in_their_zone_and_a_time_is_saved_once(client, fellow, fellow_user):
    client.force_login(fellow_user)
    fields = unavailability_post("2027-01-05T08:00", "2027-01-05T20:00")

    assert client.post(reverse("fellows:me"), fields).status_code == 302
    again = client.post(reverse("fellows:me"), fields)

    assert again.status_code == 200
    assert "This time is already saved as unavailable." in again.content.decode()
    assert Unavailability.objects.filter(fellow=fellow).count() == 1
    html = client.get(reverse("fellows:me")).content.decode()
    assert "8:00 AM" in html and "8:00 PM EST" in html  # as typed, not 1:00 PM UTC
    assert "UTC" not in html


def test_unavailability_warns_the_fellow_about_their_own_overlapping_events(
    client, tour, fellow, fellow_user, schedule
):
    other = TourMemberFactory(tour=tour, fellow=FellowFactory(display_name="Joseph")).fellow
    book(tour=tour, fellows=[other], day=DAY, hour=10, title="Joseph's school")
    client.force_login(fellow_user)

    response = client.post(
        reverse("fellows:me"),
        unavailability_post("2027-03-02T08:00", "2027-03-02T23:00", "Doctor"),
    )

    assert response.status_code == 302
    texts = [str(m) for m in get_messages(response.wsgi_request)]
    warning = next(t for t in texts if "overlaps" in t)
    assert "Harvard Korea Society (Tue Mar 2, 2027, 6:00 PM EST)" in warning
    assert "Joseph" not in warning
    saved = Unavailability.objects.get()
    assert saved.reason == "Doctor"
    assert saved.starts_at == dt.datetime(2027, 3, 2, 8, tzinfo=NEW_YORK)


def test_unavailability_conflicts_lists_only_overlapping_active_events(tour, fellow, schedule):
    later = book(tour=tour, fellows=[fellow], day=DAY + dt.timedelta(days=3), hour=10, title="L")
    cancelled = book(tour=tour, fellows=[fellow], day=DAY, hour=11, title="Off")
    cancel_event(event=cancelled)
    unavailability = add_unavailability(
        fellow=fellow,
        starts_at=dt.datetime.combine(DAY, dt.time(0), tzinfo=NEW_YORK),
        ends_at=dt.datetime.combine(DAY, dt.time(23), tzinfo=NEW_YORK),
    )

    conflicts = list(unavailability_conflicts(unavailability=unavailability))

    assert conflicts == [schedule["event"]]
    assert later not in conflicts


def test_add_unavailability_service_refuses_a_bad_span(fellow):
    moment = dt.datetime(2027, 3, 2, 12, tzinfo=NEW_YORK)
    with pytest.raises(Exception, match="must end after it starts"):
        add_unavailability(fellow=fellow, starts_at=moment, ends_at=moment)


def test_staff_see_conflicts_in_the_admin(client, staff_user, fellow, schedule):
    unavailability = UnavailabilityFactory(
        fellow=fellow,
        starts_at=dt.datetime.combine(DAY, dt.time(17), tzinfo=NEW_YORK),
        ends_at=dt.datetime.combine(DAY, dt.time(20), tzinfo=NEW_YORK),
    )
    client.force_login(staff_user)

    listing = client.get(reverse("admin:fellows_unavailability_changelist")).content.decode()
    change = client.get(
        reverse("admin:fellows_unavailability_change", args=[unavailability.pk])
    ).content.decode()
    fellow_page = client.get(reverse("admin:fellows_fellow_change", args=[fellow.pk]))

    assert "Harvard Korea Society" in listing
    assert "Harvard Korea Society" in change
    assert "Harvard Korea Society" in fellow_page.content.decode()


def test_planner_items_read_in_the_fellows_language_on_the_day_sheet(
    client, tour, fellow, feed_token
):
    """Items the planner wrote in English (accepted with English active) are named again in
    the fellow's language from their kind and place; a title staff wrote stays as written."""
    fellow.preferred_language = "ko"
    fellow.save()
    night = dt.datetime.combine(DAY, dt.time(21), tzinfo=NEW_YORK)
    for kind, mode, title in (
        ("travel", "drive", "Drive to Hartford, CT"),
        ("lodging", "", "Overnight near Hartford, CT"),
    ):
        ItineraryItemFactory(
            tour=tour,
            fellows=[fellow],
            kind=kind,
            mode=mode,
            title=title,
            source="planner",
            starts_at=night - dt.timedelta(hours=3 if kind == "travel" else 0),
            ends_at=night + dt.timedelta(hours=1 if kind == "travel" else 11),
            to_location="Hartford, CT",
        )
    ItineraryItemFactory(
        tour=tour,
        fellows=[fellow],
        title="Bus to Boston",
        starts_at=night - dt.timedelta(hours=8),
        ends_at=night - dt.timedelta(hours=7),
        to_location="Boston, MA",
    )

    html = client.get(
        reverse("fellows:token-day-sheets", kwargs={"token": feed_token})
    ).content.decode()

    assert "Hartford, CT까지 차량 이동" in html
    assert "Hartford, CT 근처 숙박" in html
    assert "Drive to Hartford" not in html and "Overnight near" not in html
    assert "Bus to Boston" in html


def test_the_same_time_twice_is_refused_from_every_door(fellow):
    """The rule lives on the model, so the admin's form (which runs full_clean) refuses it too."""
    from django.core.exceptions import ValidationError

    span = {"starts_at": local(DAY, 8), "ends_at": local(DAY, 20)}
    add_unavailability(fellow=fellow, **span)
    with pytest.raises(ValidationError) as refused:
        Unavailability(fellow=fellow, **span).full_clean()
    assert refused.value.message_dict["starts_at"] == ["This time is already saved as unavailable."]
