"""Fixtures shared by the whole suite."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from rest_framework.test import APIClient

from tests.factories import FellowFactory, StaffFactory, TourFactory, TourMemberFactory

NEW_YORK = ZoneInfo("America/New_York")


def local(day: dt.date, hour: int, minute: int = 0, zone: ZoneInfo = NEW_YORK) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=zone)


@pytest.fixture(autouse=True)
def healthy_services():
    """No test inherits another's memory of a broker or cache outage (common.backoff)."""
    from common import rate_limits
    from notifications.services import broker_health

    broker_health.reset()
    rate_limits._cache_health.reset()


@pytest.fixture
def staff_user(db):
    return StaffFactory(username="coordinator")


@pytest.fixture
def staff_api(staff_user) -> APIClient:
    client = APIClient()
    client.force_authenticate(staff_user)
    return client


@pytest.fixture
def tour(db):
    return TourFactory()


@pytest.fixture
def fellow(tour):
    member = TourMemberFactory(tour=tour, fellow=FellowFactory(display_name="Grace"))
    return member.fellow
