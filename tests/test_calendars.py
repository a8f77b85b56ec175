"""VTIMEZONE blocks as three independent readers see them: icalendar, vobject (dateutil) and
ical.js (Thunderbird's parser, run with Node.js from tests/js).

Every reader must place every event time, and every change of offset from 2027 to 2045, exactly
where zoneinfo does; the zone's current rules are written as yearly RRULEs (what Outlook reads),
with no RDATE lists and no "only works from … to …" range.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import shutil
import subprocess
from pathlib import Path
from zoneinfo import ZoneInfo

import icalendar
import pytest
import vobject

from common.calendars import calendar_bytes, vtimezone
from events.models import Event
from notifications import invites

JS_DIR = Path(__file__).resolve().parent / "js"
YEARS = (2027, 2031)
CHECKED_UNTIL = 2045
ICALENDAR_EXPANDS_UNTIL = dt.datetime(2038, 1, 1)
US_ZONES = [
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Phoenix",
    "America/Los_Angeles",
    "America/Anchorage",
    "America/Indiana/Indianapolis",
    "America/Puerto_Rico",
    "Pacific/Honolulu",
]
# Virtual events name any zone: a southern one, one without DST since 1988, one whose rule
# moves the day (Friday after the 4th Thursday), one at -1:00 on Saturday, half-hour DST.
OTHER_ZONES = [
    "Asia/Seoul",
    "Europe/London",
    "Australia/Sydney",
    "Asia/Jerusalem",
    "America/Santiago",
    "America/Nuuk",
    "Australia/Lord_Howe",
]


@functools.cache
def zoneinfo_changes(zone_name: str, first_year: int, last_year: int) -> list[tuple]:
    """(UTC instant, offset before, offset after) of every change zoneinfo makes, hour by hour."""
    zone = ZoneInfo(zone_name)
    moment = dt.datetime(first_year, 1, 1, tzinfo=dt.UTC)
    end = dt.datetime(last_year + 1, 1, 1, tzinfo=dt.UTC)
    offset = moment.astimezone(zone).utcoffset()
    changes = []
    while moment < end:
        following = moment + dt.timedelta(hours=1)
        if following.astimezone(zone).utcoffset() != offset:
            low, high = moment, following
            while high - low > dt.timedelta(minutes=1):
                middle = low + (high - low) / 2
                if middle.astimezone(zone).utcoffset() == offset:
                    low = middle
                else:
                    high = middle
            after = high.astimezone(zone).utcoffset()
            changes.append((high, offset, after))
            offset = after
        moment = following
    return changes


def read_with_icaljs(calendars: list[dict]) -> list[dict]:
    """Run tests/js/parse_ics.mjs (ical.js from package-lock.json) over several calendars."""
    node = shutil.which("node")
    if node is None or not (JS_DIR / "node_modules" / "ical.js").is_dir():
        pytest.fail(
            "ical.js is not installed: run ./scripts/test.sh (it calls scripts/ensure_node.sh), "
            "or install Node.js and `npm ci --prefix tests/js`."
        )
    result = subprocess.run(
        [node, str(JS_DIR / "parse_ics.mjs")],
        input=json.dumps({"calendars": calendars}),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)["calendars"]


def wall(moment: dt.datetime, zone: str) -> str:
    return moment.astimezone(ZoneInfo(zone)).replace(tzinfo=None).isoformat(timespec="seconds")


def unambiguous(local: dt.datetime, zone: ZoneInfo) -> bool:
    """A wall time that exists once: neither skipped nor repeated by a change."""
    first = local.replace(tzinfo=zone, fold=0)
    second = local.replace(tzinfo=zone, fold=1)
    round_trip = first.astimezone(dt.UTC).astimezone(zone).replace(tzinfo=None)
    return first.utcoffset() == second.utcoffset() and round_trip == local


def probes(zone_name: str) -> list[tuple[str, dt.timedelta]]:
    """Wall times just before and after every change, with the offset zoneinfo gives them.

    A minute either side when that time exists once; otherwise just outside the skipped or
    repeated hour, so a reader that moves a change by an hour or a day is caught either way.
    """
    zone = ZoneInfo(zone_name)
    found = []
    for at, before, after in zoneinfo_changes(zone_name, YEARS[0], CHECKED_UNTIL):
        jump = abs(after - before)
        for moment in (
            at - dt.timedelta(minutes=1),
            at + dt.timedelta(minutes=1),
            at - jump - dt.timedelta(minutes=1),
            at + jump + dt.timedelta(minutes=1),
        ):
            local = moment.astimezone(zone).replace(tzinfo=None)
            if unambiguous(local, zone):
                found.append(
                    (local.isoformat(timespec="seconds"), moment.astimezone(zone).utcoffset())
                )
    return found


def test_current_rules_are_yearly_rrules_from_the_zone_database():
    text = vtimezone("America/New_York", first_year=2027, last_year=2031).to_ical().decode()

    assert text.splitlines() == [
        "BEGIN:VTIMEZONE",
        "TZID:America/New_York",
        "BEGIN:DAYLIGHT",
        "DTSTART:20070311T020000",
        "RRULE:FREQ=YEARLY;BYDAY=2SU;BYMONTH=3",
        "TZNAME:EDT",
        "TZOFFSETFROM:-0500",
        "TZOFFSETTO:-0400",
        "END:DAYLIGHT",
        "BEGIN:STANDARD",
        "DTSTART:20071104T020000",
        "RRULE:FREQ=YEARLY;BYDAY=1SU;BYMONTH=11",
        "TZNAME:EST",
        "TZOFFSETFROM:-0400",
        "TZOFFSETTO:-0500",
        "END:STANDARD",
        "END:VTIMEZONE",
    ]


@pytest.mark.parametrize("zone", [z for z in US_ZONES + OTHER_ZONES if z != "Asia/Seoul"])
def test_no_rdate_list_and_no_limited_range(zone):
    text = vtimezone(zone, first_year=2027, last_year=2031).to_ical().decode()

    assert "RDATE" not in text
    assert "COMMENT" not in text
    changes = zoneinfo_changes(zone, 2027, 2028)
    assert text.count("RRULE:FREQ=YEARLY") == (2 if changes else 0), text


def test_history_an_event_spans_is_written_before_the_rules_began():
    """US rules changed in 2007: an old event needs the 2006 change; zoneinfo agrees on it."""
    component = vtimezone("America/New_York", first_year=2006, last_year=2006)
    reader = component.to_tz(lookup_tzid=False)

    old = dt.datetime(2006, 4, 2, 12, tzinfo=dt.UTC)  # hours after the 2006 change (April)
    assert old.astimezone(reader).utcoffset() == dt.timedelta(hours=-4)
    assert dt.datetime(2006, 3, 12, 12, tzinfo=dt.UTC).astimezone(reader).utcoffset() == (
        dt.timedelta(hours=-5)  # 2007's rule would already say daylight time here
    )
    assert sum(1 for c in component.walk() if "RRULE" in c) == 2


@pytest.mark.parametrize("zone", US_ZONES + OTHER_ZONES)
def test_every_change_matches_zoneinfo_in_three_readers(zone):
    component = vtimezone(zone, first_year=YEARS[0], last_year=YEARS[-1])
    expected = [
        (at.replace(tzinfo=None), after)
        for at, _before, after in zoneinfo_changes(zone, YEARS[0], CHECKED_UNTIL)
    ]

    # icalendar expands the observances itself (its expansion stops at 2038).
    times, info = component.get_transitions()
    from_icalendar = [
        (at, offset)
        for at, (offset, _dst, _name) in zip(times, info, strict=True)
        if dt.datetime(YEARS[0], 1, 1) <= at < ICALENDAR_EXPANDS_UNTIL
    ]
    assert from_icalendar == [(at, o) for at, o in expected if at < ICALENDAR_EXPANDS_UNTIL]

    # vobject hands the VTIMEZONE to dateutil.
    calendar = calendar_bytes([], method=None).decode()
    text = calendar.replace("END:VCALENDAR", component.to_ical().decode() + "END:VCALENDAR")
    reader = vobject.readOne(text).vtimezone.gettzinfo()
    zone_info = ZoneInfo(zone)
    for at, before, after in zoneinfo_changes(zone, YEARS[0], CHECKED_UNTIL):
        for moment, offset in ((at - dt.timedelta(seconds=1), before), (at, after)):
            assert moment.astimezone(reader).utcoffset() == offset, (zone, moment)
            assert moment.astimezone(zone_info).utcoffset() == offset  # the expectation itself

    # ical.js places wall times by the VTIMEZONE alone.
    checks = probes(zone)
    [read] = read_with_icaljs([{"ics": text, "probes": {zone: [w for w, _ in checks]}}])
    assert read["offsets"][zone] == [int(offset.total_seconds()) for _, offset in checks]
    assert len(checks) >= 2 * len(expected)


def invite_events(zone: str, year: int) -> list[Event]:
    """Unsaved events at 10:00 local on a winter day, a summer day and each day clocks change."""
    days = {dt.date(year, 1, 15), dt.date(year, 7, 15)}
    days |= {at.astimezone(ZoneInfo(zone)).date() for at, *_ in zoneinfo_changes(zone, year, year)}
    events = []
    for day in sorted(days):
        starts = dt.datetime.combine(day, dt.time(10), tzinfo=ZoneInfo(zone))
        events.append(
            Event(
                title=f"Visit {zone} {day}",
                starts_at=starts,
                ends_at=starts + dt.timedelta(hours=1, minutes=30),
                timezone=zone,
                status=Event.Status.CONFIRMED,
                sequence=1,
                city="Springfield",
            )
        )
    return events


@pytest.mark.parametrize("year", YEARS)
def test_invites_for_events_in_2027_and_2031_read_right_in_three_parsers(year):
    events = [e for zone in US_ZONES + OTHER_ZONES for e in invite_events(zone, year)]
    texts = [
        invites.render_invite(
            event=event,
            method=invites.REQUEST,
            attendee_email="host@example.org",
            attendee_name="Host",
            fellow_names="Grace",
        )
        for event in events
    ]

    from_icaljs = read_with_icaljs([{"ics": text} for text in texts])
    for event, text, js in zip(events, texts, from_icaljs, strict=True):
        start, end = event.starts_at.astimezone(dt.UTC), event.ends_at.astimezone(dt.UTC)

        calendar = icalendar.Calendar.from_ical(text)
        [component] = calendar.walk("VTIMEZONE")
        [vevent] = calendar.walk("VEVENT")
        assert str(component["TZID"]) == vevent["DTSTART"].params["TZID"] == event.timezone
        local = vevent.decoded("DTSTART").replace(tzinfo=None)
        reader = component.to_tz(lookup_tzid=False)  # from the VTIMEZONE, not by name
        assert local.replace(tzinfo=reader).astimezone(dt.UTC) == start, text

        parsed = vobject.readOne(text)
        assert parsed.vevent.dtstart.value.astimezone(dt.UTC) == start
        assert parsed.vevent.dtend.value.astimezone(dt.UTC) == end

        [read] = js["events"]
        assert read["tzid"] == event.timezone
        assert (read["start"], read["end"]) == (
            start.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
            end.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
        )


def test_organizer_is_the_staff_address_even_with_a_display_name(settings):
    from common.calendars import event_vevent
    from tests.factories import TourFactory

    settings.STAFF_MAILBOX = '"LiNK Fellow Tours, Chicago" <tours@example.org>'
    tour = TourFactory.build()
    event = Event(
        tour=tour,
        title="Talk",
        starts_at=dt.datetime(2027, 3, 2, 15, tzinfo=dt.UTC),
        ends_at=dt.datetime(2027, 3, 2, 16, tzinfo=dt.UTC),
        timezone="America/Chicago",
    )

    vevent = event_vevent(event, summary="Talk", description="")

    assert str(vevent["organizer"]) == "mailto:tours@example.org"
    assert str(vevent["organizer"].params["cn"]) == "LiNK Fellow Tours, Chicago"
