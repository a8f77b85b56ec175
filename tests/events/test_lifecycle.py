"""One lifecycle for speaker requests, and at most one live event per request."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError

from events import intake, lifecycle, services
from events.models import Event, SpeakerRequest
from notifications.models import Notification
from tests.conftest import local
from tests.events.conftest import request_data
from tests.factories import FellowFactory, TourFactory, TourMemberFactory

pytestmark = pytest.mark.django_db

DAY = dt.date(2027, 3, 3)


def submitted() -> SpeakerRequest:
    return intake.submit_speaker_request(data=request_data(), source="web").speaker_request


def tour_with_fellow(name: str):
    tour = TourFactory(start_date=DAY - dt.timedelta(days=3), end_date=DAY + dt.timedelta(days=3))
    fellow = TourMemberFactory(tour=tour, fellow=FellowFactory(display_name=name)).fellow
    return tour, fellow


def book(speaker_request, tour, fellow, hour: int = 13) -> Event:
    return services.book_event(
        tour=tour,
        fellows=[fellow],
        starts_at=local(DAY, hour),
        ends_at=local(DAY, hour + 1),
        request=speaker_request,
        override_reason="Agreed with the host.",
    )


def test_a_withdrawn_request_cannot_get_its_event_confirmed():
    speaker_request = submitted()
    event = book(speaker_request, *tour_with_fellow("Grace"))
    intake.change_request_status(
        speaker_request=speaker_request, status=SpeakerRequest.Status.WITHDRAWN
    )

    with pytest.raises(ValidationError) as refused:
        services.confirm_event(event=event)

    speaker_request.refresh_from_db()
    event.refresh_from_db()
    assert "withdrawn" in str(refused.value)
    assert speaker_request.status == SpeakerRequest.Status.WITHDRAWN
    assert event.status == Event.Status.TENTATIVE
    assert not Notification.objects.filter(kind=Notification.Kind.CONFIRMATION).exists()


@pytest.mark.parametrize("closed", ["declined", "withdrawn", "completed"])
def test_closed_requests_take_no_new_event(closed):
    speaker_request = submitted()
    SpeakerRequest.objects.filter(pk=speaker_request.pk).update(status=closed)
    speaker_request.refresh_from_db()

    with pytest.raises(services.BookingRefused) as refused:
        book(speaker_request, *tour_with_fellow("Grace"))

    assert [f.code for f in refused.value.findings] == ["request_closed"]
    assert not Event.objects.exists()


def test_a_request_booked_in_one_tour_is_refused_in_another():
    speaker_request = submitted()
    book(speaker_request, *tour_with_fellow("Grace"))

    with pytest.raises(services.BookingRefused) as refused:
        book(speaker_request, *tour_with_fellow("Joseph"), hour=16)

    assert [f.code for f in refused.value.findings] == ["request_booked"]
    assert Event.objects.filter(request=speaker_request).count() == 1


def test_the_database_refuses_a_second_live_event_for_a_request():
    speaker_request = submitted()
    event = book(speaker_request, *tour_with_fellow("Grace"))
    twin = Event(
        tour=event.tour,
        request=speaker_request,
        title="Twin",
        starts_at=event.starts_at + dt.timedelta(days=1),
        ends_at=event.ends_at + dt.timedelta(days=1),
    )
    with pytest.raises(IntegrityError):
        twin.save()


def test_a_cancelled_event_frees_the_request_for_a_new_booking():
    speaker_request = submitted()
    services.cancel_event(event=book(speaker_request, *tour_with_fellow("Grace")))

    again = book(speaker_request, *tour_with_fellow("Joseph"), hour=16)

    assert again.status == Event.Status.TENTATIVE


def test_system_moves_outside_the_table_are_refused():
    speaker_request = submitted()
    with pytest.raises(ValidationError):
        services.set_request_status(
            speaker_request=speaker_request, status=SpeakerRequest.Status.COMPLETED
        )
    assert not lifecycle.can_move("completed", "in_review")
    assert lifecycle.can_move("submitted", "proposed")
    assert not lifecycle.can_move("submitted", "proposed", by_staff=True)
