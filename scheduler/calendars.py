"""iCalendar building: the one module that turns events and itinerary items into VEVENTs.

Invites (notifications) and feeds (fellows) both build their calendars here, so UIDs, SEQUENCE,
time zones and privacy rules cannot drift apart. Times are written in the venue's IANA zone with
a matching VTIMEZONE. Host-facing output names fellows by display name only; nothing here ever
reads a fellow's legal name, email, phone or unavailability.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from zoneinfo import ZoneInfo

import icalendar
from django.conf import settings

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
    """Add a VTIMEZONE for every zone used (spanning the events' years) and serialise."""
    starts = [c.decoded("dtstart") for c in calendar.walk("VEVENT") if c.get("dtstart")]
    if starts:
        first = min(s.date() if isinstance(s, dt.datetime) else s for s in starts)
        last = max(s.date() if isinstance(s, dt.datetime) else s for s in starts)
        calendar.add_missing_timezones(
            first_date=dt.date(first.year - 1, 1, 1), last_date=dt.date(last.year + 2, 1, 1)
        )
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
    organizer = icalendar.vCalAddress(f"mailto:{settings.STAFF_MAILBOX}")
    organizer.params["cn"] = icalendar.vText("LiNK Fellow Tours")
    vevent.add("organizer", organizer)
    if attendee_email:
        attendee = icalendar.vCalAddress(f"mailto:{attendee_email}")
        attendee.params["cn"] = icalendar.vText(attendee_name or attendee_email)
        attendee.params["role"] = icalendar.vText("REQ-PARTICIPANT")
        attendee.params["partstat"] = icalendar.vText("NEEDS-ACTION")
        attendee.params["rsvp"] = icalendar.vText("TRUE")
        vevent.add("attendee", attendee)
    return vevent


def itinerary_vevent(
    item, *, description: str = "", stamp: dt.datetime | None = None
) -> icalendar.Event:
    """A VEVENT for a travel leg, lodging night or rest day."""
    zone = ZoneInfo(item.timezone)
    vevent = icalendar.Event()
    vevent.add("uid", item.ical_uid)
    vevent.add("dtstamp", stamp or dt.datetime.now(dt.UTC))
    vevent.add("sequence", item.sequence)
    vevent.add("dtstart", item.starts_at.astimezone(zone))
    vevent.add("dtend", item.ends_at.astimezone(zone))
    vevent.add("summary", item.title)
    if item.to_location or item.from_location:
        vevent.add("location", item.to_location or item.from_location)
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
