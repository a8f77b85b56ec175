"""Reads for fellows: feed lookups with their cheap version stamp, feed contents, day sheets,
and the conflicts a fellow's unavailability creates.

Feed lookups resolve a presented token to its owner and, in the same query, a small aggregate
(latest change and row counts) from which views derive ETag and Last-Modified without loading or
rendering the calendar. Nothing here returns another fellow's private fields.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Literal
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Model, Q, QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.functional import cached_property

from events.models import Event
from fellows.models import Fellow, ItineraryItem, StaffFeedToken, Tour, Unavailability
from scheduler.tokens import hash_token

FeedKind = Literal["fellow", "tour", "staff"]

# Cancelled events stay in feeds this long so that subscribed clients see STATUS:CANCELLED and
# drop them; after that they disappear from the feed altogether.
CANCELLED_KEPT_FOR = dt.timedelta(days=30)
# Bump when the rendered feed changes shape, so every cached copy and client ETag is retired.
FEED_FORMAT_VERSION = "1"
ACTIVE_STATUSES = (Event.Status.TENTATIVE, Event.Status.CONFIRMED, Event.Status.COMPLETED)


def feed_event_filter(*, now: dt.datetime | None = None) -> Q:
    """Events a feed shows: active ones, and cancelled ones for CANCELLED_KEPT_FOR."""
    cutoff = (now or timezone.now()) - CANCELLED_KEPT_FOR
    recently_cancelled = Q(status=Event.Status.CANCELLED) & (
        Q(cancelled_at__gte=cutoff) | Q(cancelled_at__isnull=True, updated_at__gte=cutoff)
    )
    return Q(status__in=ACTIVE_STATUSES) | recently_cancelled


def fellow_feed_events(*, fellow: Fellow, now: dt.datetime | None = None) -> QuerySet[Event]:
    return Event.objects.filter(feed_event_filter(now=now), assignments__fellow=fellow)


def fellow_feed_items(*, fellow: Fellow) -> QuerySet[ItineraryItem]:
    return ItineraryItem.objects.filter(fellows=fellow)


def tour_feed_events(*, tour: Tour, now: dt.datetime | None = None) -> QuerySet[Event]:
    return Event.objects.filter(feed_event_filter(now=now), tour=tour)


def tour_feed_items(*, tour: Tour) -> QuerySet[ItineraryItem]:
    return ItineraryItem.objects.filter(tour=tour)


def staff_feed_events(*, now: dt.datetime | None = None) -> QuerySet[Event]:
    return Event.objects.filter(feed_event_filter(now=now))


def staff_feed_items() -> QuerySet[ItineraryItem]:
    return ItineraryItem.objects.all()


def _version_sql() -> dict[str, str]:
    """One statement per feed kind: the owner row plus max(updated_at) and count of its events
    (in the feed's status window) and of its itinerary items.

    Hand-written because this runs on every poll and must stay cheap: compiling the equivalent
    ORM query with its correlated subqueries costs several milliseconds of Python per request,
    more than the database needs to answer it. Plain SQL that PostgreSQL and SQLite both accept.
    """
    event = Event._meta.db_table
    assignment = Event.fellows.through._meta.db_table
    item = ItineraryItem._meta.db_table
    item_fellow = ItineraryItem.fellows.through._meta.db_table
    user = get_user_model()._meta.db_table
    in_feed = (
        "(e.status IN ('tentative', 'confirmed', 'completed') OR (e.status = 'cancelled' "
        "AND COALESCE(e.cancelled_at, e.updated_at) >= %(cutoff)s))"
    )

    def stats(event_join: str, event_where: str, item_join: str, item_where: str) -> str:
        return (
            f"(SELECT MAX(e.updated_at) FROM {event} e {event_join} "
            f"WHERE {in_feed}{event_where}), "
            f"(SELECT COUNT(*) FROM {event} e {event_join} WHERE {in_feed}{event_where}), "
            f"(SELECT MAX(i.updated_at) FROM {item} i {item_join}{item_where}), "
            f"(SELECT COUNT(*) FROM {item} i {item_join}{item_where})"
        )

    by_fellow = stats(
        f"JOIN {assignment} a ON a.event_id = e.id",
        " AND a.fellow_id = o.id",
        f"JOIN {item_fellow} m ON m.itineraryitem_id = i.id",
        " WHERE m.fellow_id = o.id",
    )
    by_tour = stats("", " AND e.tour_id = o.id", "", " WHERE i.tour_id = o.id")
    everything = stats("", "", "", "")
    return {
        "fellow": (
            f"SELECT o.id, o.updated_at, o.feed_last_used_at, {by_fellow} "
            f"FROM {Fellow._meta.db_table} o "
            "WHERE o.feed_token_hash = %(token_hash)s AND o.active"
        ),
        "tour": (
            f"SELECT o.id, o.updated_at, o.feed_last_used_at, {by_tour} "
            f"FROM {Tour._meta.db_table} o WHERE o.feed_token_hash = %(token_hash)s"
        ),
        "staff": (
            f"SELECT o.id, COALESCE(o.rotated_at, o.created_at), o.last_used_at, {everything} "
            f"FROM {StaffFeedToken._meta.db_table} o JOIN {user} u ON u.id = o.user_id "
            "WHERE o.token_hash = %(token_hash)s AND u.is_staff AND u.is_active"
        ),
    }


VERSION_SQL = _version_sql()
OWNER_MODELS: dict[str, type[Model]] = {"fellow": Fellow, "tour": Tour, "staff": StaffFeedToken}


def _aware(value: dt.datetime | str | None) -> dt.datetime | None:
    # SQLite hands aggregates back as text; PostgreSQL as aware datetimes.
    if isinstance(value, str):
        value = parse_datetime(value)
    if value is not None and timezone.is_naive(value):
        value = timezone.make_aware(value, dt.UTC)
    return value


@dataclass
class Feed:
    """A resolved feed: its owner's id and a version stamp computed without rendering it."""

    kind: FeedKind
    token: str
    owner_id: int
    last_used_at: dt.datetime | None
    etag: str
    last_modified: dt.datetime

    @cached_property
    def owner(self) -> Fellow | Tour | StaffFeedToken:
        return OWNER_MODELS[self.kind].objects.get(pk=self.owner_id)

    @property
    def fellow(self) -> Fellow:
        assert isinstance(self.owner, Fellow)
        return self.owner

    @property
    def tour(self) -> Tour:
        assert isinstance(self.owner, Tour)
        return self.owner


def feed_for_token(*, kind: FeedKind, token: str) -> Feed | None:
    """Resolve a presented token of a feed kind, with its version, in one query; None if unknown.

    The ETag covers the token, the owner's own changes and, for events and items, the latest
    change and the count (which also moves when a row leaves the feed, e.g. a cancelled event
    passing its 30 days or a fellow taken off an item).
    """
    token_hash = hash_token(token)
    cutoff = timezone.now() - CANCELLED_KEPT_FOR
    with connection.cursor() as cursor:
        cursor.execute(VERSION_SQL[kind], {"token_hash": token_hash, "cutoff": cutoff})
        row = cursor.fetchone()
    if row is None:
        return None
    owner_id, owner_changed, last_used_at, ev_max, ev_count, it_max, it_count = row
    stamps = [_aware(owner_changed), _aware(ev_max), _aware(it_max)]
    parts = [FEED_FORMAT_VERSION, kind, token_hash, *map(str, stamps), str(ev_count), str(it_count)]
    return Feed(
        kind=kind,
        token=token,
        owner_id=owner_id,
        last_used_at=_aware(last_used_at),
        etag=hashlib.sha256("|".join(parts).encode()).hexdigest()[:32],
        last_modified=max(s for s in stamps if s is not None),
    )


def fellow_feed_timezone(*, fellow: Fellow, default: str) -> str:
    """The zone of the fellow's latest tour: what X-WR-TIMEZONE suggests to calendar apps."""
    membership = (
        fellow.tour_memberships.select_related("tour").order_by("-tour__start_date").first()
    )
    return membership.tour.timezone if membership else default


def fellow_for_user(*, user) -> Fellow | None:
    """The fellow record linked to a logged-in user, if any."""
    if not user.is_authenticated:
        return None
    return Fellow.objects.filter(user=user, active=True).first()


def unavailability_conflicts(*, unavailability: Unavailability) -> QuerySet[Event]:
    """The fellow's active events that overlap an unavailability (for staff to rebook)."""
    return (
        Event.objects.filter(
            assignments__fellow_id=unavailability.fellow_id,
            assignments__active=True,
            status__in=ACTIVE_STATUSES,
            starts_at__lt=unavailability.ends_at,
            ends_at__gt=unavailability.starts_at,
        )
        .select_related("tour")
        .order_by("starts_at")
    )


@dataclass
class DaySheetEntry:
    """One line of a day sheet: an event or an itinerary item, in its own zone."""

    kind: str
    starts: dt.datetime
    ends: dt.datetime
    event: Event | None = None
    item: ItineraryItem | None = None

    @property
    def arrival(self) -> dt.datetime | None:
        if self.event is None:
            return None
        return self.starts - dt.timedelta(minutes=self.event.arrival_minutes_before)


@dataclass
class DaySheetDay:
    date: dt.date
    entries: list[DaySheetEntry] = field(default_factory=list)


def day_sheets(*, fellow: Fellow, since: dt.date | None = None) -> list[DaySheetDay]:
    """The fellow's days from `since` on: events (not cancelled) and itinerary items by day.

    Each entry is grouped by its local date in its own venue's zone, as the fellow lives it.
    """
    entries: list[DaySheetEntry] = []
    events = Event.objects.filter(assignments__fellow=fellow, status__in=ACTIVE_STATUSES)
    items = ItineraryItem.objects.filter(fellows=fellow)
    if since is not None:
        # A day earlier in UTC so that zones west of UTC keep their whole first day.
        horizon = dt.datetime.combine(since - dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)
        events = events.filter(ends_at__gte=horizon)
        items = items.filter(ends_at__gte=horizon)
    for event in events:
        zone = ZoneInfo(event.timezone)
        entries.append(
            DaySheetEntry(
                kind="event",
                starts=event.starts_at.astimezone(zone),
                ends=event.ends_at.astimezone(zone),
                event=event,
            )
        )
    for item in items:
        zone = ZoneInfo(item.timezone)
        entries.append(
            DaySheetEntry(
                kind=item.kind,
                starts=item.starts_at.astimezone(zone),
                ends=item.ends_at.astimezone(zone),
                item=item,
            )
        )
    by_day: dict[dt.date, DaySheetDay] = defaultdict(lambda: DaySheetDay(date=dt.date.min))
    for entry in sorted(entries, key=lambda e: e.starts):
        day = entry.starts.date()
        if since is not None and day < since:
            continue
        by_day[day].date = day
        by_day[day].entries.append(entry)
    return [by_day[day] for day in sorted(by_day)]
