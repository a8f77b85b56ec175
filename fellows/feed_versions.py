"""Version stamps of the private feeds, kept in the shared cache so that a poll needs no query.

Owns three things and nothing else:

- A stamp per scope ("fellow:<id>", "tour:<id>", "staff" for the content every staff feed shows,
  "staff-token:<id>" for one staff member's token and account). A stamp is a fresh random value
  written whenever something in its scope may have changed; feeds derive their ETag from their
  stamps and the current day, so an ETag moves on every write and at least daily (which also
  retires cancelled events after their 30 days, and heals any write that slipped past us).
- Which token belongs to which owner. A cached answer records the owner's stamp at the time it
  was checked against the database and is trusted only while that stamp is current, so rotating
  a token, deactivating a fellow or removing a user's staff status retires it at once.
- Invalidation: model signals cover saves, deletes and m2m changes of everything a feed shows;
  queryset writes send no signals and call `invalidate_feeds` or `invalidate_event_feeds`.
  On Redis every bump is also published, so that each web process can keep the stamps it
  read in memory (fellows.stamp_mirror) and answer a repeat poll without a round trip.

Stamps are written immediately and again after commit: the first makes the change visible to the
writing transaction, the second retires anything rendered from the old rows meanwhile.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
import threading
import time
from collections.abc import Iterable
from typing import Literal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import signals

from events.models import Event, EventAssignment
from fellows.models import Fellow, ItineraryItem, StaffFeedToken, Tour, TourMember
from fellows.redis_cache import redis_client
from fellows.services import LAST_USE_RESOLUTION
from fellows.stamp_mirror import StampMirror

logger = logging.getLogger(__name__)

FeedKind = Literal["fellow", "tour", "staff"]
KEY_PREFIX = "feeds:v2"
# Unused stamps expire; a feed then gets a new one, which only costs its clients one download.
STAMP_SECONDS = 7 * 24 * 3600
# Process-local memos are bounded; a cleared memo only costs a query on the next poll.
MEMO_LIMIT = 10_000

# token hash → (kind, owner id, owner stamp when the token was last checked in the database)
_owners: dict[str, tuple[str, int, int]] = {}
# token hash → monotonic time before which this process records no further use
_use_recorded_until: dict[str, float] = {}
# The mirror of the Redis cache this process uses now, with the settings it was made for.
_mirror: tuple[dict, StampMirror] | None = None
_mirror_lock = threading.Lock()


STAMP_RANDOM = 10**6


def new_stamp() -> int:
    """A stamp: the microsecond it was made (for Last-Modified) and randomness (never reused).

    An integer, which Django's Redis cache stores as plain digits: read back without pickle.
    """
    return time.time_ns() // 1000 * STAMP_RANDOM + secrets.randbelow(STAMP_RANDOM)


def stamp_time(stamp: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(stamp // STAMP_RANDOM / 1e6, tz=dt.UTC)


def _key(scope: str) -> str:
    return f"{KEY_PREFIX}:stamp:{scope}"


def owner_scope(kind: FeedKind, owner_id: int) -> str:
    return f"staff-token:{owner_id}" if kind == "staff" else f"{kind}:{owner_id}"


def feed_scopes(kind: FeedKind, owner_id: int) -> list[str]:
    """The stamps one feed depends on, its owner's first."""
    scopes = [owner_scope(kind, owner_id)]
    if kind == "staff":
        scopes.append("staff")
    return scopes


def stamp_mirror(client, backend) -> StampMirror:
    """This process's mirror of the stamps in the default cache, created on first use.

    Django builds a cache backend per thread, so the mirror belongs to the cache's settings:
    one per process (and a new one when tests override CACHES).
    """
    global _mirror
    config = settings.CACHES["default"]
    current = _mirror
    if current is not None and current[0] is config:
        return current[1]
    with _mirror_lock:
        if _mirror is None or _mirror[0] is not config:
            if _mirror is not None:
                _mirror[1].close()
            # Pub/sub channels span every database of a server: name ours after the database.
            db = client.connection_pool.connection_kwargs.get("db", 0)
            channel = f"{backend.make_key(f'{KEY_PREFIX}:bumps')}@{db}"
            _mirror = (config, StampMirror(client, channel))
        return _mirror[1]


def _get_stamps(keys: list[str]) -> dict[str, int]:
    direct = redis_client()
    if direct is None:
        return cache.get_many(keys)
    client, backend = direct
    mirror = stamp_mirror(client, backend)
    found, ticket = mirror.read(keys)
    missing = [key for key in keys if key not in found]
    if missing:
        values = client.mget([backend.make_key(key) for key in missing])
        read = {
            key: int(value) for key, value in zip(missing, values, strict=True) if value is not None
        }
        mirror.store(read, ticket)
        found.update(read)
    return found


def current_stamps(scopes: list[str]) -> list[int]:
    """The stamps of these scopes, creating missing ones: from this process's mirror when it
    holds them all, else one cache round trip when all exist."""
    keys = [_key(scope) for scope in scopes]
    found = _get_stamps(keys)
    missing = [key for key in keys if key not in found]
    if missing:
        for key in missing:
            # add, not set: when two requests race, both end up with the winner's stamp.
            cache.add(key, new_stamp(), STAMP_SECONDS)
        found.update(_get_stamps(missing))
    # A stamp evicted between add and get is replaced by a fresh one: a new ETag, never a stale.
    return [found.get(key) or new_stamp() for key in keys]


def _bump(scopes: set[str], *, barrier: bool = True) -> None:
    stamps = {_key(scope): new_stamp() for scope in scopes}
    try:
        direct = redis_client()
        if direct is None:
            cache.set_many(stamps, STAMP_SECONDS)
            return
        client, backend = direct
        # The new stamps and their announcement in one round trip, stamps first.
        pipeline = client.pipeline(transaction=False)
        for key, stamp in stamps.items():
            pipeline.set(backend.make_key(key), stamp, ex=STAMP_SECONDS)
        stamp_mirror(client, backend).publish(pipeline, stamps, barrier=barrier)
    except Exception:  # each cache backend raises its own connection errors
        # The write itself must not fail because the cache is down; the daily part of the ETag
        # bounds how long a feed can miss this change.
        logger.warning("Could not invalidate feeds %s", sorted(scopes), exc_info=True)


def invalidate_feeds(
    *,
    fellow_ids: Iterable[int | None] = (),
    tour_ids: Iterable[int | None] = (),
    staff_token_ids: Iterable[int] = (),
) -> None:
    """Give new ETags to the feeds of these fellows, tours and staff tokens.

    A tour's content is also in every staff feed, so naming a tour refreshes those too.
    """
    scopes = {f"fellow:{pk}" for pk in fellow_ids if pk is not None}
    tours = {f"tour:{pk}" for pk in tour_ids if pk is not None}
    scopes |= tours | {f"staff-token:{pk}" for pk in staff_token_ids}
    if tours:
        scopes.add("staff")
    if not scopes:
        return
    if connection.in_atomic_block:
        # Other processes must see the change once it is committed, which the second bump
        # waits for; the first only has to reach this transaction's own reads.
        _bump(scopes, barrier=False)
        transaction.on_commit(lambda: _bump(scopes))
    else:
        _bump(scopes)


def invalidate_event_feeds(*, event_ids: Iterable[int]) -> None:
    """Feeds showing any of these events: after a queryset update of events or assignments."""
    event_ids = list(event_ids)
    rows = EventAssignment.objects.filter(event_id__in=event_ids).values_list(
        "fellow_id", "event__tour_id"
    )
    tours = set(Event.objects.filter(pk__in=event_ids).values_list("tour_id", flat=True))
    invalidate_feeds(fellow_ids={f for f, _t in rows}, tour_ids=tours | {t for _f, t in rows})


def owner_for_token(kind: FeedKind, token_hash: str) -> int | None:
    """The owner of a live token, from the database: fellows must be active, staff still staff."""
    if kind == "fellow":
        owners = Fellow.objects.filter(feed_token_hash=token_hash, active=True)
    elif kind == "tour":
        owners = Tour.objects.filter(feed_token_hash=token_hash)
    else:
        owners = StaffFeedToken.objects.filter(
            token_hash=token_hash, user__is_staff=True, user__is_active=True
        )
    return owners.values_list("pk", flat=True).first()


def resolve(kind: FeedKind, token_hash: str) -> tuple[int, list[int]] | None:
    """The owner id and current stamps of a token's feed, or None for an unknown token.

    A poll of a known feed costs no query, and no cache round trip either while this process
    mirrors its stamps (fellows.stamp_mirror). Otherwise the token is
    looked up, the owner's stamp read, and the token looked up again: a rotation committed
    before the second lookup makes it fail, one committed after it bumps the stamp we record.
    While the cache is down, feeds are still served, from the database, with a fresh stamp
    each time (never a 304 that might be stale).
    """
    try:
        return _resolve(kind, token_hash)
    except Exception:  # each cache backend raises its own connection errors
        logger.warning("Feed versions unavailable; resolving from the database", exc_info=True)
        owner_id = owner_for_token(kind, token_hash)
        if owner_id is None:
            return None
        return owner_id, [new_stamp() for _scope in feed_scopes(kind, owner_id)]


def _resolve(kind: FeedKind, token_hash: str) -> tuple[int, list[int]] | None:
    memo = _owners.get(token_hash)
    if memo is not None and memo[0] == kind:
        stamps = current_stamps(feed_scopes(kind, memo[1]))
        if stamps[0] == memo[2]:
            return memo[1], stamps
    owner_id = owner_for_token(kind, token_hash)
    if owner_id is None:
        return None
    stamps = current_stamps(feed_scopes(kind, owner_id))
    if owner_for_token(kind, token_hash) != owner_id:
        return None
    if len(_owners) >= MEMO_LIMIT:
        _owners.clear()
    _owners[token_hash] = (kind, owner_id, stamps[0])
    return owner_id, stamps


def use_due(token_hash: str) -> bool:
    """Whether this poll should record the feed's last use: once per LAST_USE_RESOLUTION.

    Checked in process memory first, so most polls cost nothing; the cache then makes one
    process of all the web workers the one that writes.
    """
    now = time.monotonic()
    if _use_recorded_until.get(token_hash, 0.0) > now:
        return False
    if len(_use_recorded_until) >= MEMO_LIMIT:
        _use_recorded_until.clear()
    seconds = LAST_USE_RESOLUTION.total_seconds()
    _use_recorded_until[token_hash] = now + seconds
    try:
        return cache.add(f"{KEY_PREFIX}:used:{token_hash}", 1, int(seconds))
    except Exception:  # each cache backend raises its own connection errors
        return True  # without the cache each process records its own use, still throttled


# Signal receivers: every write path that goes through a model instance lands here.


def _tour_of_event(event_id: int) -> int | None:
    return Event.objects.filter(pk=event_id).values_list("tour_id", flat=True).first()


def _event_saved(sender, instance: Event, **kwargs) -> None:
    fellows = EventAssignment.objects.filter(event_id=instance.pk).values_list("fellow_id")
    invalidate_feeds(fellow_ids=[f for (f,) in fellows], tour_ids=[instance.tour_id])


def _event_deleted(sender, instance: Event, **kwargs) -> None:
    # Its assignments were deleted just before, each with its own signal naming the fellow.
    invalidate_feeds(tour_ids=[instance.tour_id])


def _assignment_changed(sender, instance: EventAssignment, **kwargs) -> None:
    field = EventAssignment._meta.get_field("event")
    tour_id = (
        instance.event.tour_id if field.is_cached(instance) else _tour_of_event(instance.event_id)
    )
    invalidate_feeds(fellow_ids=[instance.fellow_id], tour_ids=[tour_id])


def _item_saved(sender, instance: ItineraryItem, created: bool = False, **kwargs) -> None:
    # A new item has no fellows yet; adding them sends m2m_changed.
    fellows = [] if created else list(instance.fellows.values_list("pk", flat=True))
    invalidate_feeds(fellow_ids=fellows, tour_ids=[instance.tour_id])


def _item_deleting(sender, instance: ItineraryItem, **kwargs) -> None:
    # pre_delete: afterwards the item's fellows are gone with it.
    fellows = list(instance.fellows.values_list("pk", flat=True))
    invalidate_feeds(fellow_ids=fellows, tour_ids=[instance.tour_id])


def _fellows_changed(sender, instance, action: str, reverse: bool, model, pk_set, **kwargs):
    """m2m_changed of ItineraryItem.fellows or Event.fellows, from either side."""
    if action not in ("post_add", "post_remove", "pre_clear"):
        return
    if not reverse:  # instance is the item or event; pk_set holds fellows
        fellows = pk_set if action != "pre_clear" else instance.fellows.values_list("pk", flat=True)
        invalidate_feeds(fellow_ids=list(fellows), tour_ids=[instance.tour_id])
        return
    # instance is the fellow; pk_set holds items or events (model)
    related = model.objects.filter(pk__in=pk_set) if action != "pre_clear" else None
    if related is None:
        manager = "itinerary_items" if model is ItineraryItem else "events"
        related = getattr(instance, manager).all()
    invalidate_feeds(
        fellow_ids=[instance.pk], tour_ids=set(related.values_list("tour_id", flat=True))
    )


def _fellow_changed(sender, instance: Fellow, **kwargs) -> None:
    # Tour and staff feeds name the fellow; the fellow's own feed shows everything of theirs.
    pk = instance.pk
    tours = set(TourMember.objects.filter(fellow_id=pk).values_list("tour_id", flat=True))
    tours |= set(Event.objects.filter(assignments__fellow_id=pk).values_list("tour_id", flat=True))
    tours |= set(ItineraryItem.objects.filter(fellows=pk).values_list("tour_id", flat=True))
    invalidate_feeds(fellow_ids=[pk], tour_ids=tours)


def _tour_changed(sender, instance: Tour, **kwargs) -> None:
    # A fellow's feed takes its time zone from the fellow's latest tour.
    members = TourMember.objects.filter(tour_id=instance.pk).values_list("fellow_id", flat=True)
    invalidate_feeds(fellow_ids=list(members), tour_ids=[instance.pk])


def _member_changed(sender, instance: TourMember, **kwargs) -> None:
    invalidate_feeds(fellow_ids=[instance.fellow_id])


def _staff_token_changed(sender, instance: StaffFeedToken, **kwargs) -> None:
    invalidate_feeds(staff_token_ids=[instance.pk])


def _user_changed(sender, instance, update_fields=None, **kwargs) -> None:
    # Logging in saves only last_login; anything else may change is_staff or is_active.
    if update_fields is not None and set(update_fields) == {"last_login"}:
        return
    tokens = StaffFeedToken.objects.filter(user_id=instance.pk).values_list("pk", flat=True)
    invalidate_feeds(staff_token_ids=list(tokens))


def connect_signals() -> None:
    """Called once from FellowsConfig.ready()."""
    uid = "fellows.feed_versions"
    receivers = [
        (signals.post_save, _event_saved, Event),
        (signals.post_delete, _event_deleted, Event),
        (signals.post_save, _assignment_changed, EventAssignment),
        (signals.post_delete, _assignment_changed, EventAssignment),
        (signals.post_save, _item_saved, ItineraryItem),
        (signals.pre_delete, _item_deleting, ItineraryItem),
        (signals.m2m_changed, _fellows_changed, ItineraryItem.fellows.through),
        (signals.m2m_changed, _fellows_changed, Event.fellows.through),
        (signals.post_save, _fellow_changed, Fellow),
        (signals.post_delete, _fellow_changed, Fellow),
        (signals.post_save, _tour_changed, Tour),
        (signals.post_delete, _tour_changed, Tour),
        (signals.post_save, _member_changed, TourMember),
        (signals.post_delete, _member_changed, TourMember),
        (signals.post_save, _staff_token_changed, StaffFeedToken),
        (signals.post_delete, _staff_token_changed, StaffFeedToken),
        (signals.post_save, _user_changed, get_user_model()),
        (signals.post_delete, _user_changed, get_user_model()),
    ]
    for signal, receiver, sender in receivers:
        signal.connect(receiver, sender=sender, dispatch_uid=f"{uid}.{receiver.__name__}.{sender}")
