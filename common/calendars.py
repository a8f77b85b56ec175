"""iCalendar building: the one module that turns events and itinerary items into VEVENTs.

Invites (notifications) and feeds (fellows) both build their calendars here, so UIDs, SEQUENCE,
time zones and privacy rules cannot drift apart. Times are written in the venue's IANA zone with
a matching VTIMEZONE (the zone's current rules as yearly RRULEs, see "VTIMEZONE" below); items
that cover whole days are all-day dates. Host-facing output names fellows by display name only;
nothing here ever reads a fellow's legal name, email, phone or unavailability.
"""

from __future__ import annotations

import datetime as dt
import functools
import importlib.resources
import re
import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass
from email.utils import parseaddr
from pathlib import Path
from zoneinfo import ZoneInfo

import icalendar
from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from planner.model import RoadStop

PRODID = "-//Liberty in North Korea//Fellow Tour Scheduler//EN"

EVENT_STATUS = {
    "tentative": "TENTATIVE",
    "confirmed": "CONFIRMED",
    "completed": "CONFIRMED",
    "cancelled": "CANCELLED",
}


def new_calendar(
    *,
    method: str | None = None,
    name: str | None = None,
    timezone: str | None = None,
    refresh: dt.timedelta | None = None,
) -> icalendar.Calendar:
    """A VCALENDAR; subscribed feeds pass their display zone and how often clients re-fetch."""
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    if method:
        calendar.add("method", method)
    if name:
        calendar.add("x-wr-calname", name)
    if timezone:
        calendar.add("x-wr-timezone", timezone)
    if refresh:
        # RFC 7986 for standard clients, X-PUBLISHED-TTL for Outlook and older Apple clients.
        calendar.add("refresh-interval", refresh, parameters={"VALUE": "DURATION"})
        calendar.add("x-published-ttl", icalendar.vDuration(refresh))
    return calendar


def finish_calendar(calendar: icalendar.Calendar) -> bytes:
    """Put a VTIMEZONE for every zone the calendar's times name first, and serialise."""
    years: dict[str, list[int]] = {}
    for component in calendar.walk():
        for name in ("DTSTART", "DTEND", "RECURRENCE-ID"):
            prop = component.get(name) if component.name != "VTIMEZONE" else None
            tzid = prop.params.get("TZID") if prop is not None else None
            if prop is not None and tzid and isinstance(prop.dt, dt.datetime):
                years.setdefault(str(tzid), []).append(prop.dt.year)
    calendar.subcomponents[:0] = [
        vtimezone(zone, first_year=min(found), last_year=max(found))
        for zone, found in sorted(years.items())
    ]
    return calendar.to_ical()


def fellow_names(event) -> str:
    """Public names of the event's fellows: display names only."""
    return ", ".join(f.display_name for f in event.fellows.all())


def event_vevent(
    event,
    *,
    summary: str,
    description: str,
    attendee_email: str | None = None,
    attendee_name: str = "",
    cancelled: bool = False,
    stamp: dt.datetime | None = None,
) -> icalendar.Event:
    """A VEVENT for a booked event, in the venue's time zone, with its stable UID and SEQUENCE."""
    zone = ZoneInfo(event.timezone)
    vevent = icalendar.Event()
    vevent.add("uid", event.ical_uid)
    vevent.add("dtstamp", stamp or dt.datetime.now(dt.UTC))
    vevent.add("sequence", event.sequence)
    vevent.add("dtstart", event.starts_at.astimezone(zone))
    vevent.add("dtend", event.ends_at.astimezone(zone))
    vevent.add("summary", summary)
    if event.location_text:
        vevent.add("location", event.location_text)
    if event.latitude is not None and event.longitude is not None:
        vevent.add("geo", (event.latitude, event.longitude))
    vevent.add("description", description)
    vevent.add("status", "CANCELLED" if cancelled else EVENT_STATUS[event.status])
    vevent.add("last-modified", event.updated_at or dt.datetime.now(dt.UTC))
    # STAFF_MAILBOX may carry a display name ("LiNK Tours" <tours@…>): ORGANIZER is the address.
    name, address = parseaddr(settings.STAFF_MAILBOX)
    organizer = icalendar.vCalAddress(f"mailto:{address}")
    organizer.params["cn"] = icalendar.vText(name or "LiNK Fellow Tours")
    vevent.add("organizer", organizer)
    if attendee_email:
        attendee = icalendar.vCalAddress(f"mailto:{attendee_email}")
        attendee.params["cn"] = icalendar.vText(attendee_name or attendee_email)
        attendee.params["role"] = icalendar.vText("REQ-PARTICIPANT")
        attendee.params["partstat"] = icalendar.vText("NEEDS-ACTION")
        attendee.params["rsvp"] = icalendar.vText("TRUE")
        vevent.add("attendee", attendee)
    return vevent


def public_event_vevent(event, *, stamp: dt.datetime) -> icalendar.Event:
    """A VEVENT for the public events feed from impact.selectors.PublicEvent: an all-day date
    until the exact time may be shown, then the time and address. Its UID differs from the
    invite's, so a host subscribed to the public feed does not see their own invite replaced."""
    vevent = icalendar.Event()
    vevent.add("uid", f"public-{event.uid}")
    vevent.add("dtstamp", stamp)
    if event.starts is not None:
        vevent.add("dtstart", event.starts)
        vevent.add("dtend", event.ends)
    else:
        vevent.add("dtstart", event.date)
        vevent.add("dtend", event.date + dt.timedelta(days=1))
        vevent.add("transp", "TRANSPARENT")
    place = ", ".join(part for part in (event.city, event.state) if part)
    vevent.add("summary", " · ".join(part for part in (event.organization, place) if part))
    if event.address or place:
        vevent.add("location", event.address or place)
    lines = [event.topic, ", ".join(event.speakers)]
    vevent.add("description", "\n".join(line for line in lines if line))
    vevent.add("status", "CONFIRMED")
    vevent.add("last-modified", event.updated_at)
    return vevent


def whole_days(item) -> tuple[dt.date, dt.date] | None:
    """The first day and the day after the last, for an item that covers whole local days.

    A rest day always does, whatever times it was entered with; any other item does when it
    runs from midnight to midnight in its zone. Written as VALUE=DATE, such an item stays on
    its dates on a phone in any zone, instead of sliding into the evening before.
    """
    zone = ZoneInfo(item.timezone)
    start, end = item.starts_at.astimezone(zone), item.ends_at.astimezone(zone)
    midnight = dt.time()
    if item.kind != "rest" and not (start.time() == midnight == end.time()):
        return None
    last = end.date() if end.time() == midnight else end.date() + dt.timedelta(days=1)
    return start.date(), max(last, start.date() + dt.timedelta(days=1))


def _in_every_language(message: str) -> frozenset[str]:
    titles = set()
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            titles.add(_(message))
    return frozenset(titles)


def readable_place(place: str) -> str:
    """A place the planner named, in the reader's language: a stop it named by the road
    (``planner.RoadStop``, "a stop 530 km from Denver, CO towards Chicago, IL") is said again
    with the active language's words; any other name is a place's own and stays as written."""
    stop = RoadStop.parse(place)
    if stop is None:
        return place
    ends = {"start": _("the start"), "the next stop": _("the next stop")}
    return _("a stop %(km)s km from %(origin)s towards %(towards)s") % {
        "km": stop.km,
        "origin": ends.get(stop.origin, stop.origin),
        "towards": ends.get(stop.towards, stop.towards),
    }


def itinerary_title(item) -> str:
    """The item's title in the reader's language.

    The planner names its rest days, overnights and legs in the language active when its plan
    was accepted; those names are given again in the active language. A title staff wrote is
    theirs and stays as written.
    """
    if item.kind == "rest" and item.title in _in_every_language("Rest day"):
        return _("Rest day")
    place = readable_place(item.to_location)
    if getattr(item, "source", "") != "planner" or not place:
        return item.title
    # The planner's own names (events.proposals), written again in the reader's language.
    if item.kind == "rest":
        return _("Rest day near %(place)s") % {"place": place}
    if item.kind == "lodging":
        return _("Overnight near %(place)s") % {"place": place}
    if item.kind == "travel" and item.mode == "drive" and item.from_location == item.to_location:
        # Between two venues of one city: "Drive to New York, NY" from New York reads wrong.
        return _("Drive within %(place)s") % {"place": place}
    if item.kind == "travel" and item.mode:
        mode = _("Fly") if item.mode == "flight" else _("Drive")
        return _("%(mode)s to %(place)s") % {"mode": mode, "place": place}
    return item.title


def itinerary_vevent(
    item, *, description: str = "", stamp: dt.datetime | None = None
) -> icalendar.Event:
    """A VEVENT for a travel leg, lodging night or rest day; whole days as VALUE=DATE."""
    vevent = icalendar.Event()
    vevent.add("uid", item.ical_uid)
    vevent.add("dtstamp", stamp or dt.datetime.now(dt.UTC))
    vevent.add("sequence", item.sequence)
    days = whole_days(item)
    if days is not None:
        vevent.add("dtstart", days[0])
        vevent.add("dtend", days[1])
    else:
        vevent.add("dtstart", item.starts_at.astimezone(ZoneInfo(item.timezone)))
        # RFC 5545 lets DTEND carry its own TZID: a flight ends in the zone where it lands.
        vevent.add("dtend", item.ends_at.astimezone(ZoneInfo(item.end_zone)))
    vevent.add("summary", itinerary_title(item))
    if item.to_location or item.from_location:
        vevent.add("location", readable_place(item.to_location or item.from_location))
    vevent.add("description", description or item.notes)
    vevent.add("status", "CONFIRMED")
    vevent.add("transp", "TRANSPARENT" if item.kind == "rest" else "OPAQUE")
    vevent.add("categories", [item.kind.upper()])
    vevent.add("last-modified", item.updated_at or dt.datetime.now(dt.UTC))
    return vevent


def calendar_bytes(
    components: Iterable[icalendar.Event],
    *,
    method: str | None = None,
    name: str | None = None,
    timezone: str | None = None,
    refresh: dt.timedelta | None = None,
) -> bytes:
    calendar = new_calendar(method=method, name=name, timezone=timezone, refresh=refresh)
    for component in components:
        calendar.add_component(component)
    return finish_calendar(calendar)


# --- VTIMEZONE -------------------------------------------------------------------------------
#
# Each zone is written the way Outlook, Google, Apple and Thunderbird all read it (RFC 5545
# §3.6.5, MS-OXCICAL): the zone's current rules as two yearly RRULE observances, valid for any
# later date, plus, only when the calendar's dates reach back before those rules began, the
# historical transitions in between as single observances. Everything comes from the zone
# database that zoneinfo reads: the transitions from zoneinfo itself, the current rules from the
# POSIX TZ string that ends the same TZif file (RFC 8536 §3.3). A rule the RRULE grammar cannot
# say (a shifted day that leaves its month) falls back to single observances over the span.

EARLIEST_YEAR = 1970  # no calendar of ours reaches back further
# Zone files list explicit transitions up to 2037; later years follow the POSIX string.
EXPLICIT_TABLE_END = 2037
_ICAL_WEEKDAYS = ("SU", "MO", "TU", "WE", "TH", "FR", "SA")  # POSIX weekday 0 is Sunday
_POSIX_NAME = r"(?:<[^>]+>|[A-Za-z]{3,})"
_POSIX_OFFSET = r"[+-]?\d{1,3}(?::\d{1,2}){0,2}"
_POSIX_DATE = r"M(\d{1,2})\.([1-5])\.([0-6])(?:/(" + _POSIX_OFFSET + r"))?"
_POSIX_TZ = re.compile(
    rf"^({_POSIX_NAME})({_POSIX_OFFSET})(?:({_POSIX_NAME})({_POSIX_OFFSET})?"
    rf",{_POSIX_DATE},{_POSIX_DATE})?$"
)


def _posix_seconds(text: str) -> int:
    sign = -1 if text.startswith("-") else 1
    parts = [int(p) for p in text.lstrip("+-").split(":")]
    parts += [0] * (3 - len(parts))
    return sign * (parts[0] * 3600 + parts[1] * 60 + parts[2])


def _posix_name(text: str) -> str:
    return text.strip("<>")


@dataclass(frozen=True)
class _YearlyRule:
    """One yearly change of a POSIX TZ string, "Mm.w.d/time": the w-th (5 = last) weekday d of
    month m, at `seconds` after local midnight, counted in the offset in force before it."""

    month: int
    week: int
    weekday: int  # 0 = Sunday
    seconds: int

    def onset(self, year: int) -> dt.datetime:
        """The local wall-clock time of the change in `year` (naive, in the offset before)."""
        first = dt.date(year, self.month, 1)
        day = first + dt.timedelta(days=(self.weekday - first.isoweekday()) % 7)
        if self.week == 5:
            next_month = dt.date(year + self.month // 12, self.month % 12 + 1, 1)
            day += dt.timedelta(weeks=((next_month - day).days - 1) // 7)
        else:
            day += dt.timedelta(weeks=self.week - 1)
        return dt.datetime.combine(day, dt.time()) + dt.timedelta(seconds=self.seconds)

    def rrule(self) -> dict | None:
        """The same change as an RRULE, or None when the grammar cannot say it."""
        days = self.seconds // 86400  # a time past 24:00 (or below 0) moves to another day
        weekday = _ICAL_WEEKDAYS[(self.weekday + days) % 7]
        ordinal = -1 if self.week == 5 else self.week
        if days == 0:
            return {"freq": "yearly", "bymonth": self.month, "byday": f"{ordinal}{weekday}"}
        # "The Friday after the fourth Thursday" is the Friday among days 23..29.
        shortest = 28 if self.month == 2 else 30 if self.month in (4, 6, 9, 11) else 31
        if self.week == 5:
            first, last = -7 + days, -1 + days
            fits = first >= -shortest and last <= -1
            if self.month != 2:  # positive days read more widely (ical.js misreads -8..-2)
                first, last = shortest + 1 + first, shortest + 1 + last
        else:
            first, last = 7 * (self.week - 1) + 1 + days, 7 * self.week + days
            fits = first >= 1 and last <= shortest
        if not fits:
            return None
        return {
            "freq": "yearly",
            "bymonth": self.month,
            "bymonthday": list(range(first, last + 1)),
            "byday": weekday,
        }


@dataclass(frozen=True)
class _CurrentRules:
    """A zone's rules for the years after its last explicit transition (its POSIX TZ string)."""

    standard_name: str
    standard_offset: dt.timedelta
    daylight_name: str = ""
    daylight_offset: dt.timedelta | None = None
    daylight_starts: _YearlyRule | None = None
    daylight_ends: _YearlyRule | None = None

    def changes(self, year: int) -> list[tuple[_Transition, _YearlyRule]]:
        """This year's changes into and out of daylight time, in order, with their rules."""
        if self.daylight_starts is None or self.daylight_ends is None:
            return []
        assert self.daylight_offset is not None
        into_daylight = _Transition.at_onset(
            self.daylight_starts.onset(year),
            offset_from=self.standard_offset,
            offset_to=self.daylight_offset,
            name=self.daylight_name,
            daylight=True,
        )
        into_standard = _Transition.at_onset(
            self.daylight_ends.onset(year),
            offset_from=self.daylight_offset,
            offset_to=self.standard_offset,
            name=self.standard_name,
            daylight=False,
        )
        return sorted(
            [(into_daylight, self.daylight_starts), (into_standard, self.daylight_ends)],
            key=lambda change: change[0].at,
        )


@dataclass(frozen=True)
class _Transition:
    at: dt.datetime  # UTC
    offset_from: dt.timedelta
    offset_to: dt.timedelta
    name: str
    daylight: bool

    @classmethod
    def at_onset(cls, onset: dt.datetime, *, offset_from: dt.timedelta, **fields) -> _Transition:
        """The change whose local wall-clock time, in the offset before it, is `onset`."""
        at = (onset - offset_from).replace(tzinfo=dt.UTC)
        return cls(at=at, offset_from=offset_from, **fields)

    @property
    def onset(self) -> dt.datetime:
        """Local wall-clock time of the change, in the offset before it (as DTSTART wants)."""
        return (self.at + self.offset_from).replace(tzinfo=None)


@dataclass(frozen=True)
class _Observance:
    """One STANDARD or DAYLIGHT block of a VTIMEZONE."""

    transition: _Transition
    rrule: dict | None = None


def _tzif_bytes(zone_name: str) -> bytes | None:
    """The zone's TZif file, found where zoneinfo finds it (TZPATH first, then tzdata)."""
    if not zone_name or zone_name.startswith(("/", ".")) or ".." in zone_name:
        return None
    for directory in zoneinfo.TZPATH:
        path = Path(directory, zone_name)
        if path.is_file():
            return path.read_bytes()
    try:
        return (
            importlib.resources.files("tzdata.zoneinfo")
            .joinpath(*zone_name.split("/"))
            .read_bytes()
        )
    except (ModuleNotFoundError, FileNotFoundError, IsADirectoryError, NotADirectoryError):
        return None


@functools.lru_cache(maxsize=512)
def _current_rules(zone_name: str) -> _CurrentRules | None:
    """Parse the POSIX TZ string at the end of a version 2+ TZif file (RFC 8536 §3.3)."""
    data = _tzif_bytes(zone_name)
    if not data or not data.startswith(b"TZif") or data[4:5] not in (b"2", b"3", b"4"):
        return None
    footer = data.rstrip(b"\n").rsplit(b"\n", 1)[-1].decode("ascii", errors="replace")
    match = _POSIX_TZ.match(footer)
    if not match:
        return None
    std, std_offset, dst, dst_offset, *rules = match.groups()
    standard = dt.timedelta(seconds=-_posix_seconds(std_offset))  # POSIX counts west positive
    if dst is None:
        return _CurrentRules(standard_name=_posix_name(std), standard_offset=standard)
    daylight = (
        dt.timedelta(seconds=-_posix_seconds(dst_offset))
        if dst_offset
        else standard + dt.timedelta(hours=1)
    )

    def rule(month: str, week: str, weekday: str, time: str | None) -> _YearlyRule:
        seconds = _posix_seconds(time) if time else 2 * 3600
        return _YearlyRule(int(month), int(week), int(weekday), seconds)

    return _CurrentRules(
        standard_name=_posix_name(std),
        standard_offset=standard,
        daylight_name=_posix_name(dst),
        daylight_offset=daylight,
        daylight_starts=rule(*rules[:4]),
        daylight_ends=rule(*rules[4:]),
    )


def _state(zone: ZoneInfo, moment: dt.datetime) -> tuple:
    local = moment.astimezone(zone)
    return local.utcoffset(), local.tzname(), bool(local.dst())


@functools.lru_cache(maxsize=4096)
def _year_transitions(zone_name: str, year: int) -> tuple[_Transition, ...]:
    """Every change of offset or name zoneinfo makes in one UTC year, to the second."""
    zone = ZoneInfo(zone_name)
    found = []
    moment = dt.datetime(year, 1, 1, tzinfo=dt.UTC)
    end = dt.datetime(year + 1, 1, 1, tzinfo=dt.UTC)
    before = _state(zone, moment - dt.timedelta(seconds=1))
    while moment < end:
        # Day by day, then halving the day that changed down to the second.
        step = min(moment + dt.timedelta(days=1), end)
        after = _state(zone, step - dt.timedelta(seconds=1))
        if after != before:
            low, high = moment - dt.timedelta(seconds=1), step - dt.timedelta(seconds=1)
            while high - low > dt.timedelta(seconds=1):
                middle = low + (high - low) / 2
                middle = middle.replace(microsecond=0)
                if _state(zone, middle) == before:
                    low = middle
                else:
                    high = middle
            old, new = _state(zone, low), _state(zone, high)
            found.append(
                _Transition(
                    at=high, offset_from=old[0], offset_to=new[0], name=new[1], daylight=new[2]
                )
            )
            before = after
        moment = step
    return tuple(found)


@functools.lru_cache(maxsize=512)
def _rules_hold_from(zone_name: str, horizon: int) -> int | None:
    """The first year from which every year up to `horizon` follows the current rules exactly."""
    rules = _current_rules(zone_name)
    if rules is None:
        return None
    year = horizon
    while year >= EARLIEST_YEAR and list(_year_transitions(zone_name, year)) == [
        change for change, _rule in rules.changes(year)
    ]:
        year -= 1
    return year + 1 if year < horizon else None


def _transition_in_force(zone_name: str, moment: dt.datetime) -> _Transition | None:
    """The last change at or before `moment`, looking back no further than EARLIEST_YEAR."""
    for year in range(moment.year, EARLIEST_YEAR - 1, -1):
        earlier = [t for t in _year_transitions(zone_name, year) if t.at <= moment]
        if earlier:
            return earlier[-1]
    return None


@functools.lru_cache(maxsize=1024)
def _observances(zone_name: str, first_year: int, last_year: int) -> tuple[_Observance, ...]:
    """What a VTIMEZONE needs to place every time from `first_year` to `last_year` and later."""
    zone = ZoneInfo(zone_name)
    start = dt.datetime(first_year, 1, 1, tzinfo=dt.UTC) - dt.timedelta(days=1)
    end = dt.datetime(last_year + 1, 1, 1, tzinfo=dt.UTC) + dt.timedelta(days=1)
    rules = _current_rules(zone_name)
    held_from = _rules_hold_from(zone_name, max(last_year + 1, EXPLICIT_TABLE_END + 1))
    yearly: list[_Observance] = []
    if rules is not None and held_from is not None and held_from <= last_year + 1:
        yearly = [_Observance(change, rule.rrule()) for change, rule in rules.changes(held_from)]
        if not all(observance.rrule for observance in yearly):
            yearly = []  # not expressible as RRULE: single observances over the span instead
    # Times before the yearly rules start need the changes zoneinfo knows for them.
    history_end = min(yearly[0].transition.at, end) if yearly else end
    history: list[_Transition] = []
    in_force = _transition_in_force(zone_name, min(start, history_end))
    if in_force is not None and not (yearly and yearly[0].transition.at <= start):
        history.append(in_force)
    for year in range(start.year, history_end.year + 1):
        history += [
            t
            for t in _year_transitions(zone_name, year)
            if start < t.at < history_end and (not history or t.at > history[-1].at)
        ]
    if not history and not yearly:
        # No change since EARLIEST_YEAR (UTC, Asia/Kolkata): one block that always applies.
        offset, name, daylight = _state(zone, start)
        epoch = dt.datetime(EARLIEST_YEAR, 1, 1, tzinfo=dt.UTC)
        history = [
            _Transition(
                at=epoch - offset,
                offset_from=offset,
                offset_to=offset,
                name=name,
                daylight=daylight,
            )
        ]
    return tuple(_Observance(t) for t in history) + tuple(yearly)


def vtimezone(zone_name: str, *, first_year: int, last_year: int) -> icalendar.Timezone:
    """The VTIMEZONE for one IANA zone, right for every time from `first_year` on."""
    component = icalendar.Timezone()
    component.add("tzid", zone_name)
    for observance in _observances(zone_name, first_year, last_year):
        change = observance.transition
        block = icalendar.TimezoneDaylight() if change.daylight else icalendar.TimezoneStandard()
        block.add("dtstart", change.onset)
        if observance.rrule:
            block.add("rrule", observance.rrule)
        block.add("tzoffsetfrom", change.offset_from)
        block.add("tzoffsetto", change.offset_to)
        block.add("tzname", change.name)
        component.add_component(block)
    return component
