"""The one way a date or a time is shown to a person: board, host and fellow pages, emails, the
admin. Every time is shown in a named zone (the venue's, the tour's, or UTC said out loud).

    day:       Tue Mar 2, 2027
    time:      7:00 PM EST
    date_time: Tue Mar 2, 2027, 7:00 PM EST
    span:      Tue Mar 2, 2027, 7:00 PM – 8:00 PM EST   (a second date when it ends another day)

Korean follows Korean order (2027년 3월 2일 (화), 오후 7:00 EST). The zone is its abbreviation
where the zone database has a lettered one (EST, PDT, KST) and the IANA name otherwise
("America/Sao_Paulo" rather than "-03"). Exports (events.exports) are data, not display: ISO
dates, 24-hour times and the IANA zone in a column of its own.

Template filters: scheduler/templatetags/time_display.py.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.utils import translation
from django.utils.formats import date_format

# Django date-format strings per language; English is the default.
FORMATS = {
    "en": {"day": "D M j, Y", "time": "g:i A"},
    "ko": {"day": "Y년 n월 j일 (D)", "time": "A g:i"},
}


def _formats() -> dict[str, str]:
    language = (translation.get_language() or "en").split("-")[0]
    return FORMATS.get(language, FORMATS["en"])


def zone_name(local: dt.datetime) -> str:
    """EST, PDT, UTC; the IANA name when the abbreviation is only an offset (-03)."""
    abbreviation = local.tzname() or ""
    if abbreviation[:1].isalpha():
        return abbreviation
    return getattr(local.tzinfo, "key", None) or abbreviation


def localize(value: dt.datetime, zone: str | dt.tzinfo | None) -> dt.datetime:
    """An aware datetime in the given zone; without one, in its own zone (UTC if naive)."""
    if not zone:
        return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)
    return value.astimezone(ZoneInfo(zone) if isinstance(zone, str) else zone)


def format_day(value: dt.date | dt.datetime, zone: str | dt.tzinfo | None = None) -> str:
    """Tue Mar 2, 2027. A datetime is first put in the zone, so the day is the local day."""
    if isinstance(value, dt.datetime):
        value = localize(value, zone).date()
    return date_format(value, _formats()["day"])


def format_time(value: dt.datetime, zone: str | dt.tzinfo | None = None) -> str:
    """7:00 PM EST."""
    local = localize(value, zone)
    return f"{date_format(local, _formats()['time'])} {zone_name(local)}"


def format_date_time(value: dt.datetime, zone: str | dt.tzinfo | None = None) -> str:
    """Tue Mar 2, 2027, 7:00 PM EST."""
    local = localize(value, zone)
    return f"{format_day(local.date())}, {format_time(local)}"


def format_span(start: dt.datetime, end: dt.datetime, zone: str | dt.tzinfo | None = None) -> str:
    """Tue Mar 2, 2027, 7:00 PM – 8:00 PM EST; with the end's date when it ends on another day."""
    begin, finish = localize(start, zone), localize(end, zone)
    if begin.date() != finish.date():
        return f"{format_date_time(begin)} – {format_date_time(finish)}"
    first = date_format(begin, _formats()["time"])
    if zone_name(begin) != zone_name(finish):  # across a change of clocks: name both
        first = f"{first} {zone_name(begin)}"
    return f"{format_day(begin.date())}, {first} – {format_time(finish)}"


def format_clock_span(
    start: dt.datetime, end: dt.datetime, zone: str | dt.tzinfo | None = None
) -> str:
    """7:00 PM – 8:00 PM EST, for rows already under their day's heading."""
    begin, finish = localize(start, zone), localize(end, zone)
    first = date_format(begin, _formats()["time"])
    if zone_name(begin) != zone_name(finish):
        first = f"{first} {zone_name(begin)}"
    return f"{first} – {format_time(finish)}"
