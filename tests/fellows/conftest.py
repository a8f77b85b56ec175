"""Fixtures for the fellows' feeds and day sheets: booked events and fresh feed tokens."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from events.models import Event
from events.services import book_event
from fellows.models import Fellow, Tour
from fellows.services import rotate_feed_token


def book(
    *,
    tour: Tour,
    fellows: list[Fellow],
    day: dt.date,
    hour: int,
    zone: str = "America/New_York",
    minutes: int = 60,
    **details,
) -> Event:
    """Book through the real service, at a local wall-clock time in the venue's zone."""
    starts = dt.datetime.combine(day, dt.time(hour), tzinfo=ZoneInfo(zone))
    return book_event(
        tour=tour,
        fellows=fellows,
        starts_at=starts,
        ends_at=starts + dt.timedelta(minutes=minutes),
        timezone=zone,
        **details,
    )


@pytest.fixture
def feed_token(fellow) -> str:
    return rotate_feed_token(fellow=fellow)
