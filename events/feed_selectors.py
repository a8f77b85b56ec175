"""Reads for the private feeds: feed lookups with their cheap version stamp, feed contents, day
sheets, and the conflicts a fellow's unavailability creates.

Feed lookups resolve a presented token to its owner and derive ETag and Last-Modified from
the rows the feed shows in one query, so a poll of an unchanged feed never loads or renders
the calendar, and no write has to tell the feeds that it happened. Nothing here returns another
fellow's private fields.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal
from zoneinfo import ZoneInfo

from django.db import connection
from django.db.models import Count, Max, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.functional import cached_property

from common.tokens import hash_token
from events.models import ACTIVE_STATUSES, Event
from fellows.models import (
    Fellow,
    ItineraryItem,
    StaffFeedToken,
    Tour,
    Unavailability,
)

# Cancelled events stay in feeds this long so that subscribed clients see STATUS:CANCELLED and
# drop them; after that they disappear from the feed altogether.
CANCELLED_KEPT_FOR = dt.timedelta(days=30)
# Bump when the rendered feed changes shape, so every cached copy and client ETag is retired.
FEED_FORMAT_VERSION = "2"


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


OWNER_MODELS: dict[str, type[Fellow] | type[Tour] | type[StaffFeedToken]] = {
    "fellow": Fellow,
    "tour": Tour,
    "staff": StaffFeedToken,
}
FeedKind = Literal["fellow", "tour", "staff"]


def feed_day(now: dt.datetime | None = None) -> dt.datetime:
    """The start of the current UTC day: feeds are rendered as of it, and it is in every ETag.

    Rendering as of the day's start makes the bytes a function of the ETag; the daily change of
    ETag retires cancelled events after their 30 days.
    """
    now = now or timezone.now()
    return now.astimezone(dt.UTC).replace(hour=0, minute=0, second=0, microsecond=0)


@dataclass
class Feed:
    """A resolved feed: its owner's id and a version derived from the rows it shows."""

    kind: FeedKind
    token: str
    token_hash: str
    owner_id: int
    last_used_at: dt.datetime | None
    etag: str
    last_modified: dt.datetime
    as_of: dt.datetime

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


def _owner_with_changes(owners: QuerySet, sources: dict[str, tuple[QuerySet, str]]) -> QuerySet:
    """The owner's row with, per source, the newest `updated_at` and the row count.

    `sources` maps a name to rows correlated with the owner (OuterRef("pk")) and the lookup that
    leads back to it. Together the figures change whenever a row is saved (services save
    through the ORM, so `updated_at` moves), added or removed: no write has to remember to
    invalidate anything.
    """
    annotations = {}
    for name, (rows, of) in sources.items():
        grouped = rows.order_by().values(of)
        annotations[f"{name}_newest"] = Subquery(grouped.annotate(v=Max("updated_at")).values("v"))
        annotations[f"{name}_count"] = Subquery(grouped.annotate(v=Count("pk")).values("v"))
    return owners.annotate(**annotations).values(
        "pk", "updated_at", "feed_last_used_at", *annotations
    )[:1]


def _fellow_feed_rows(token_hash: str) -> QuerySet:
    outer = OuterRef("pk")
    sources = {
        "events": (Event.objects.filter(assignments__fellow=outer), "assignments__fellow"),
        "items": (ItineraryItem.objects.filter(fellows=outer), "fellows"),
        # The fellow's latest tour gives the feed its time zone.
        "tours": (Tour.objects.filter(members__fellow=outer), "members__fellow"),
    }
    fellows = Fellow.objects.filter(feed_token_hash=token_hash, active=True)
    return _owner_with_changes(fellows, sources)


def _tour_feed_rows(token_hash: str) -> QuerySet:
    outer = OuterRef("pk")
    sources = {
        "events": (Event.objects.filter(tour=outer), "tour"),
        "items": (ItineraryItem.objects.filter(tour=outer), "tour"),
        # Tour feeds name the fellows of each event.
        "fellows": (
            Fellow.objects.filter(assignments__event__tour=outer),
            "assignments__event__tour",
        ),
    }
    return _owner_with_changes(Tour.objects.filter(feed_token_hash=token_hash), sources)


_TOKEN_PLACEHOLDER = "token-hash-placeholder"


@functools.cache
def _compiled(kind: str, vendor: str) -> tuple[str, tuple, list[str]]:
    """The version query of a feed kind as SQL, built by the ORM once per process.

    Building this many subqueries costs the ORM several milliseconds a poll, far more than the
    database takes to answer; the SQL never changes but for the token's hash.
    """
    query = FEED_QUERIES[kind](_TOKEN_PLACEHOLDER).query
    sql, params = query.sql_with_params()
    return sql, params, [*query.values_select, *query.annotation_select]


def _as_datetime(value):
    # Raw rows from SQLite carry text; Django stores UTC there.
    if isinstance(value, str):
        value = parse_datetime(value)
    if isinstance(value, dt.datetime) and value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value


def _owner_row(kind: str, token_hash: str) -> dict | None:
    sql, params, names = _compiled(kind, connection.vendor)
    with connection.cursor() as cursor:
        cursor.execute(sql, [token_hash if p == _TOKEN_PLACEHOLDER else p for p in params])
        row = cursor.fetchone()
    if row is None:
        return None
    return {
        name: _as_datetime(value) if name.endswith(("_at", "_newest")) else value
        for name, value in zip(names, row, strict=True)
    }


FEED_QUERIES = {"fellow": _fellow_feed_rows, "tour": _tour_feed_rows}


def _staff_feed_rows(token_hash: str) -> dict | None:
    token = (
        StaffFeedToken.objects.filter(
            token_hash=token_hash, user__is_staff=True, user__is_active=True
        )
        .values("pk", "rotated_at", "last_used_at")
        .first()
    )
    if token is None:
        return None
    row = {
        "pk": token["pk"],
        "updated_at": token["rotated_at"],
        "feed_last_used_at": token["last_used_at"],
    }
    for prefix, model in (("events", Event), ("items", ItineraryItem), ("fellows", Fellow)):
        summary = model.objects.aggregate(newest=Max("updated_at"), count=Count("pk"))
        row[f"{prefix}_newest"], row[f"{prefix}_count"] = summary["newest"], summary["count"]
    return row


FEED_ROWS: dict[str, Callable[[str], dict[str, Any] | None]] = {
    "fellow": functools.partial(_owner_row, "fellow"),
    "tour": functools.partial(_owner_row, "tour"),
    "staff": _staff_feed_rows,
}


def feed_for_token(*, kind: FeedKind, token: str) -> Feed | None:
    """Resolve a presented token of a feed kind with its version; None if unknown or revoked.

    One query (three for a staff feed) reads the owner and, for everything the feed shows,
    the newest change and the number of rows; the ETag is a hash of those, the feed format and
    the day, so it is derived from the data and right in every process with any cache.
    """
    token_hash = hash_token(token)
    row = FEED_ROWS[kind](token_hash)
    if row is None:
        return None
    day = feed_day()
    parts = [FEED_FORMAT_VERSION, kind, token_hash, day.date().isoformat()]
    parts += [f"{name}={row[name]}" for name in sorted(row) if name != "feed_last_used_at"]
    changed = [value for name, value in row.items() if name.endswith(("_newest", "updated_at"))]
    return Feed(
        kind=kind,
        token=token,
        token_hash=token_hash,
        owner_id=row["pk"],
        last_used_at=row["feed_last_used_at"],
        etag=hashlib.sha256("|".join(parts).encode()).hexdigest()[:32],
        last_modified=max([day, *(value for value in changed if value is not None)]),
        as_of=day,
    )


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
    # The request brings the host's topics, notes, interpretation need and contact: this
    # fellow is booked at the event, so they may read them.
    events = Event.objects.filter(
        assignments__fellow=fellow, status__in=ACTIVE_STATUSES
    ).select_related("request")
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
                ends=item.ends_at.astimezone(ZoneInfo(item.end_zone)),
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
