"""Under concurrency PostgreSQL leaves exactly one of several overlapping bookings."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import IntegrityError, connection, connections, transaction

from events import services
from events.models import Event, EventAssignment
from tests.conftest import local
from tests.factories import FellowFactory, TourFactory

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="exclusion constraints need PostgreSQL"
)
DAY = dt.date(2027, 3, 3)


@pytest.mark.django_db(transaction=True)
def test_ten_concurrent_overlapping_bookings_leave_exactly_one():
    tour = TourFactory()
    fellow = FellowFactory()
    barrier = threading.Barrier(10)
    outcomes: list[str] = []
    lock = threading.Lock()

    def attempt(offset_minutes: int) -> None:
        try:
            barrier.wait()
            start = local(DAY, 10) + dt.timedelta(minutes=offset_minutes)
            services.book_event(
                tour=tour,
                fellows=[fellow],
                starts_at=start,
                ends_at=start + dt.timedelta(hours=1),
                title=f"Attempt {offset_minutes}",
            )
            result = "booked"
        except services.BookingRefused:
            result = "refused"
        finally:
            connections.close_all()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=attempt, args=(i * 5,)) for i in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["booked"] + ["refused"] * 9
    assert Event.objects.count() == 1
    assert EventAssignment.objects.filter(fellow=fellow, active=True).count() == 1


@pytest.mark.django_db
def test_exclusion_constraint_refuses_overlap_that_skips_the_service():
    tour = TourFactory()
    fellow = FellowFactory()
    event = services.book_event(
        tour=tour, fellows=[fellow], starts_at=local(DAY, 10), ends_at=local(DAY, 11), title="A"
    )
    twin = Event.objects.create(
        tour=tour, title="B", starts_at=local(DAY, 10, 30), ends_at=local(DAY, 11, 30)
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        EventAssignment.objects.create(
            event=twin, fellow=fellow, starts_at=twin.starts_at, ends_at=twin.ends_at
        )
    assert EventAssignment.objects.filter(fellow=fellow).get().event == event
