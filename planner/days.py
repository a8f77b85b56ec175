"""The one day rule: which day an event falls on, and which working hours bind it.

An event's day is its local date at the venue, and the tour's working hours and rest weekdays
are read there, on that date: "Tuesday, 08:00-21:00" means Tuesday at the venue, wherever the
tour's home zone is. Travel between venues keeps to the working hours in the tour's zone. The
booking rules (``events.rules``), the planner (``tour.py``) and the verifier (``verify.py``) all
ask this module, so they cannot disagree about the same rule.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time
from zoneinfo import ZoneInfo


def event_day(start: datetime, zone: str) -> date:
    """The event's day: its local date at the venue."""
    return start.astimezone(ZoneInfo(zone)).date()


def working_hours(
    day: date, zone: str, work_start: time, work_end: time
) -> tuple[datetime, datetime]:
    """The working hours of ``day`` at a place in ``zone``, as aware datetimes."""
    tz = ZoneInfo(zone)
    return datetime.combine(day, work_start, tzinfo=tz), datetime.combine(day, work_end, tzinfo=tz)


def within_working_hours(
    start: datetime, end: datetime, zone: str, work_start: time, work_end: time
) -> bool:
    """Whether an event from ``start`` to ``end`` keeps to the working hours of its day."""
    opens, closes = working_hours(event_day(start, zone), zone, work_start, work_end)
    return opens <= start and end <= closes


def is_rest_day(start: datetime, zone: str, rest_weekdays: Iterable[int]) -> bool:
    """Whether the event's day (at the venue) is one of the tour's rest weekdays."""
    return event_day(start, zone).weekday() in set(rest_weekdays)
