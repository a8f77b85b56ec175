"""Feed versions derived from the data: every write path moves the ETag at once.

Each test first fetches the feed twice (the second time conditionally, answered 304), so the
rendered calendar is cached under its ETag before the write. No write calls anything to
invalidate feeds: the version is computed from the rows each feed shows.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from common.tokens import hash_token, new_token
from events.models import Event, EventAssignment
from events.services import cancel_event, confirm_event, reschedule_event
from fellows.models import ItineraryItem
from fellows.services import rotate_feed_token, rotate_staff_feed_token, rotate_tour_feed_token
from tests.factories import FellowFactory, ItineraryItemFactory, StaffFactory, TourMemberFactory
from tests.fellows.conftest import book

pytestmark = pytest.mark.django_db


def fellow_url(token: str) -> str:
    return reverse("fellows:fellow-feed", kwargs={"token": token})


def tour_url(token: str) -> str:
    return reverse("fellows:tour-feed", kwargs={"token": token})


def warm(client, url: str) -> str:
    """Fetch a feed, then revalidate it from the caches; return its ETag."""
    etag = client.get(url)["ETag"]
    assert client.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 304
    return etag


def changed(client, url: str, etag: str) -> bytes:
    """Assert the feed no longer matches the ETag; return the new calendar."""
    response = client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 200
    assert response["ETag"] != etag
    return response.content


@pytest.fixture
def event(tour, fellow):
    return book(tour=tour, fellows=[fellow], day=dt.date(2027, 3, 2), hour=10, title="Talk")


def test_service_writes_change_the_etag_at_once(client, event, feed_token):
    url = fellow_url(feed_token)
    etag = warm(client, url)
    confirm_event(event=event)
    assert b"STATUS:CONFIRMED" in changed(client, url, etag)

    etag = warm(client, url)
    reschedule_event(
        event=event,
        starts_at=event.starts_at + dt.timedelta(hours=2),
        ends_at=event.ends_at + dt.timedelta(hours=2),
    )
    assert b"DTSTART;TZID=America/New_York:20270302T120000" in changed(client, url, etag)


def test_model_saves_as_the_admin_does_change_the_etag(client, tour, event, fellow, feed_token):
    url = fellow_url(feed_token)
    tour_feed = tour_url(rotate_tour_feed_token(tour=tour))

    etag = warm(client, url)
    event.day_sheet_notes = "Bring the banner."
    event.save()
    # Unfolded: iCalendar folds long DESCRIPTION lines (RFC 5545, 3.1).
    assert b"Bring the banner." in changed(client, url, etag).replace(b"\r\n ", b"")

    etag, tour_etag = warm(client, url), warm(client, tour_feed)
    fellow.display_name = "Grace L."
    fellow.save()
    assert b"Grace L." in changed(client, url, etag)
    assert b"Grace L." in changed(client, tour_feed, tour_etag)

    etag = warm(client, url)
    tour.timezone = "America/Phoenix"
    tour.save()
    assert b"X-WR-TIMEZONE:America/Phoenix" in changed(client, url, etag)


def test_itinerary_items_and_their_fellows_change_the_etag(client, tour, fellow, feed_token):
    url = fellow_url(feed_token)
    etag = warm(client, url)
    item = ItineraryItemFactory(tour=tour, fellows=[fellow], title="Bus to Boston")
    assert b"Bus to Boston" in changed(client, url, etag)

    etag = warm(client, url)
    item.title = "Train to Boston"
    item.save()
    assert b"Train to Boston" in changed(client, url, etag)

    etag = warm(client, url)
    fellow.itinerary_items.remove(item)
    assert b"Train to Boston" not in changed(client, url, etag)

    etag = warm(client, url)
    fellow.itinerary_items.add(item)
    assert b"Train to Boston" in changed(client, url, etag)

    etag = warm(client, url)
    ItineraryItem.objects.filter(pk=item.pk).delete()
    assert b"Train to Boston" not in changed(client, url, etag)


def test_cancel_event_with_its_queryset_update_changes_the_etag(client, event, feed_token):
    url = fellow_url(feed_token)
    etag = warm(client, url)

    cancel_event(event=event)

    assert b"STATUS:CANCELLED" in changed(client, url, etag)
    assert not EventAssignment.objects.filter(event=event, active=True).exists()


def test_queryset_updates_that_move_updated_at_reach_feeds(client, tour, event, feed_token):
    Event.objects.filter(pk=event.pk).update(day_sheet_notes="Secret door code 1234")
    url = fellow_url(feed_token)
    tour_feed = tour_url(rotate_tour_feed_token(tour=tour))
    etag, tour_etag = warm(client, url), warm(client, tour_feed)

    # What events.retention does when it clears host data: a queryset update moving updated_at.
    Event.objects.filter(pk=event.pk).update(day_sheet_notes="", updated_at=timezone.now())

    assert b"Secret door code" not in changed(client, url, etag)
    assert b"Secret door code" not in changed(client, tour_feed, tour_etag)


def test_rotated_token_stops_working_at_once_with_caches_warm(client, tour, event, fellow):
    old = rotate_feed_token(fellow=fellow)
    warm(client, fellow_url(old))

    new = rotate_feed_token(fellow=fellow)

    assert client.get(fellow_url(old)).status_code == 404
    assert client.get(fellow_url(new)).status_code == 200

    old_tour = rotate_tour_feed_token(tour=tour)
    warm(client, tour_url(old_tour))
    rotate_tour_feed_token(tour=tour)
    assert client.get(tour_url(old_tour)).status_code == 404


def test_token_replaced_by_a_plain_save_stops_working_at_once(client, event, fellow, feed_token):
    warm(client, fellow_url(feed_token))

    fellow.feed_token_hash = hash_token(new_token())
    fellow.save()

    assert client.get(fellow_url(feed_token)).status_code == 404


def test_deactivated_fellow_and_former_staff_lose_their_feeds_at_once(client, event, fellow):
    token = rotate_feed_token(fellow=fellow)
    warm(client, fellow_url(token))
    fellow.active = False
    fellow.save()
    assert client.get(fellow_url(token)).status_code == 404

    staff = StaffFactory()
    url = reverse("fellows:staff-feed", kwargs={"token": rotate_staff_feed_token(user=staff)})
    warm(client, url)
    staff.is_active = False
    staff.save()
    assert client.get(url).status_code == 404


def test_staff_feed_follows_changes_in_any_tour(client, event):
    url = reverse(
        "fellows:staff-feed", kwargs={"token": rotate_staff_feed_token(user=StaffFactory())}
    )
    etag = warm(client, url)
    other = TourMemberFactory(fellow=FellowFactory(display_name="Joseph")).fellow

    book(tour=other.tour_memberships.get().tour, fellows=[other], day=dt.date(2027, 3, 9), hour=9)

    assert b"Joseph" in changed(client, url, etag)


def test_etag_moves_with_the_day_and_drops_events_cancelled_thirty_days_ago(
    client, event, feed_token, monkeypatch
):
    cancel_event(event=event)
    url = fellow_url(feed_token)
    etag = warm(client, url)
    later = timezone.now() + dt.timedelta(days=31)

    monkeypatch.setattr(timezone, "now", lambda: later)

    assert event.ical_uid.encode() not in changed(client, url, etag)


def test_last_use_is_written_once_per_resolution(client, fellow, feed_token):
    client.get(fellow_url(feed_token))
    fellow.refresh_from_db()
    first = fellow.feed_last_used_at

    client.get(fellow_url(feed_token))

    fellow.refresh_from_db()
    assert first is not None
    assert fellow.feed_last_used_at == first  # not written again within five minutes


UNREACHABLE_REDIS = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://127.0.0.1:1/0",
    }
}


def test_feeds_are_served_and_revalidated_while_the_cache_is_down(client, event, feed_token):
    url = fellow_url(feed_token)
    etag = warm(client, url)

    with override_settings(CACHES=UNREACHABLE_REDIS):
        unchanged = client.get(url, HTTP_IF_NONE_MATCH=etag)
        confirm_event(event=event)
        after_write = client.get(url, HTTP_IF_NONE_MATCH=etag)

    # The version comes from the database, so a 304 without the cache is still a true one.
    assert (unchanged.status_code, after_write.status_code) == (304, 200)
    assert b"STATUS:CONFIRMED" in after_write.content


def test_removing_a_fellow_from_an_event_changes_their_etag(client, tour, event, fellow):
    token = rotate_feed_token(fellow=fellow)
    partner = TourMemberFactory(tour=tour, fellow=FellowFactory(display_name="Ruth")).fellow
    reschedule_event(
        event=event, starts_at=event.starts_at, ends_at=event.ends_at, fellows=[fellow, partner]
    )
    etag = warm(client, fellow_url(token))

    reschedule_event(
        event=event, starts_at=event.starts_at, ends_at=event.ends_at, fellows=[partner]
    )

    assert event.ical_uid.encode() not in changed(client, fellow_url(token), etag)
