"""Reads for fellows: feed lookups with their cheap version stamp, feed contents, day sheets,
and the conflicts a fellow's unavailability creates.

Feed lookups resolve a presented token to its owner and derive ETag and Last-Modified from the
version stamps in fellows.feed_versions, so a poll of an unchanged feed reads only the cache and
never loads or renders the calendar. Nothing here returns another fellow's private fields.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import defaultdict
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.db.models import Model, Q, QuerySet
from django.utils import timezone
from django.utils.functional import cached_property

from events.models import Event
from fellows import feed_versions
from fellows.feed_versions import FeedKind
from fellows.models import Fellow, ItineraryItem, StaffFeedToken, Tour, Unavailability
from scheduler.tokens import hash_token

# Cancelled events stay in feeds this long so that subscribed clients see STATUS:CANCELLED and
# drop them; after that they disappear from the feed altogether.
CANCELLED_KEPT_FOR = dt.timedelta(days=30)
# Bump when the rendered feed changes shape, so every cached copy and client ETag is retired.
FEED_FORMAT_VERSION = "2"
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


OWNER_MODELS: dict[str, type[Model]] = {"fellow": Fellow, "tour": Tour, "staff": StaffFeedToken}


def feed_day(now: dt.datetime | None = None) -> dt.datetime:
    """The start of the current UTC day: feeds are rendered as of it, and it is in every ETag.

    Rendering as of the day's start makes the bytes a function of the ETag; the daily change of
    ETag retires cancelled events after their 30 days and bounds any missed invalidation.
    """
    now = now or timezone.now()
    return now.astimezone(dt.UTC).replace(hour=0, minute=0, second=0, microsecond=0)


@dataclass
class Feed:
    """A resolved feed: its owner's id and a version stamp computed without rendering it."""

    kind: FeedKind
    token: str
    token_hash: str
    owner_id: int
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


def feed_for_token(*, kind: FeedKind, token: str) -> Feed | None:
    """Resolve a presented token of a feed kind with its version; None if unknown or revoked.

    The ETag covers the format, the token, the stamps of everything the feed shows
    (fellows.feed_versions) and the day; a poll of a known feed reads no table, and not even
    the cache while this process mirrors the feed's stamps.
    """
    token_hash = hash_token(token)
    resolved = feed_versions.resolve(kind, token_hash)
    if resolved is None:
        return None
    owner_id, stamps = resolved
    day = feed_day()
    parts = [FEED_FORMAT_VERSION, kind, token_hash, day.date().isoformat(), *map(str, stamps)]
    return Feed(
        kind=kind,
        token=token,
        token_hash=token_hash,
        owner_id=owner_id,
        etag=hashlib.sha256("|".join(parts).encode()).hexdigest()[:32],
        last_modified=max(day, *map(feed_versions.stamp_time, stamps)),
        as_of=day,
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
