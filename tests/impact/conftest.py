"""Events around today (surveys open by the clock) and a staff client for the impact pages."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from events import services
from events.models import Event
from tests.conftest import local
from tests.factories import (
    FellowFactory,
    OrganizationFactory,
    SpeakerRequestFactory,
    TourFactory,
    TourMemberFactory,
)


@pytest.fixture(autouse=True)
def fresh_rate_limits():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def today() -> dt.date:
    return timezone.localdate()


@pytest.fixture
def now_tour(db, today):
    tour = TourFactory(
        start_date=today - dt.timedelta(days=20), end_date=today + dt.timedelta(days=20)
    )
    TourMemberFactory(tour=tour, fellow=FellowFactory(display_name="Grace"))
    return tour


def held_event(tour, *, day: dt.date, hour: int = 10, status: str = "confirmed", **request):
    """A booked event for the tour's first fellow, with its request, confirmed by default."""
    kind = request.pop("kind", "church")
    speaker_request = SpeakerRequestFactory(
        organization=OrganizationFactory(kind=kind, name=request.pop("org", f"Org {day}-{hour}")),
        **request,
    )
    starts = local(day, hour)
    event = services.book_event(
        tour=tour,
        fellows=[tour.members.first().fellow],
        starts_at=starts,
        ends_at=starts + dt.timedelta(hours=1),
        title=f"Talk at {speaker_request.organization.name}",
        request=speaker_request,
        timezone="America/New_York",
        override_reason="tests book outside the host's windows",
    )
    if status in (Event.Status.CONFIRMED, Event.Status.COMPLETED, Event.Status.CANCELLED):
        event = services.confirm_event(event=event)
    if status == Event.Status.CANCELLED:
        event = services.cancel_event(event=event)
    return event


@pytest.fixture
def staff_client(staff_user) -> Client:
    client = Client()
    client.force_login(staff_user)
    return client
