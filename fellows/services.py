"""Writes for fellows and tours: feed tokens, their last use, and unavailability.

Tokens are returned once, at creation, and stored only as a hash (common/tokens.py); a new
token replaces the hash, so the previous URL stops working in the same transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from common.tokens import hash_token, new_token
from fellows.models import (
    Fellow,
    ItineraryItem,
    StaffFeedToken,
    Tour,
    TourMember,
    Unavailability,
)

# Recording every fetch would turn each feed poll into a write; a coarse stamp is all staff need
# to tell a live subscription from a dead one.
LAST_USE_RESOLUTION = dt.timedelta(minutes=5)


def _replace_feed_token(owner: Fellow | Tour) -> str:
    """Store only the new token's hash; the old URL's hash is gone, so it answers 404 at once."""
    token = new_token()
    owner.feed_token_hash = hash_token(token)
    owner.feed_token_created_at = timezone.now()
    owner.save(update_fields=["feed_token_hash", "feed_token_created_at", "updated_at"])
    return token


@transaction.atomic
def rotate_feed_token(*, fellow: Fellow) -> str:
    """Give the fellow a new feed token and return it; the old feed URL stops working at once."""
    return _replace_feed_token(fellow)


@transaction.atomic
def rotate_tour_feed_token(*, tour: Tour) -> str:
    """Give the tour a new feed token and return it; the old tour feed URL stops working."""
    return _replace_feed_token(tour)


@transaction.atomic
def rotate_staff_feed_token(*, user: User) -> str:
    """Give a staff user a (new) token for the all-tours feed and return it.

    Raises ValidationError for a user who is not staff.
    """
    if not user.is_staff:
        raise ValidationError(_("Only staff members have a staff feed."))
    token = new_token()
    StaffFeedToken.objects.update_or_create(
        user=user, defaults={"token_hash": hash_token(token), "rotated_at": timezone.now()}
    )
    return token


def record_feed_use(
    *,
    model: type[Fellow | Tour | StaffFeedToken],
    pk: int,
    field: str,
    last_used_at: dt.datetime | None,
) -> None:
    """Stamp a feed's last use, at most once per LAST_USE_RESOLUTION.

    A queryset update leaves `updated_at` alone, so recording a poll never changes the feed's
    ETag or Last-Modified.
    """
    now = timezone.now()
    if last_used_at is not None and now - last_used_at < LAST_USE_RESOLUTION:
        return
    model.objects.filter(pk=pk).update(**{field: now})


@transaction.atomic
def add_unavailability(
    *, fellow: Fellow, starts_at: dt.datetime, ends_at: dt.datetime, reason: str = ""
) -> Unavailability:
    """Record a blackout; overlapping bookings are reported by selectors, not refused here.

    The fellow cannot be in two places, so the blackout stands even if events overlap it; staff
    see those conflicts (fellows.selectors.unavailability_conflicts) and rebook.

    Raises ValidationError({"ends_at": …}) for one that does not end after it starts.
    """
    if ends_at <= starts_at:
        raise ValidationError({"ends_at": _("The unavailability must end after it starts.")})
    unavailability = Unavailability(
        fellow=fellow, starts_at=starts_at, ends_at=ends_at, reason=reason.strip()
    )
    unavailability.full_clean()
    unavailability.save()
    return unavailability


def set_preferred_language(*, fellow: Fellow, language: str) -> Fellow:
    """Choose the language of the fellow's day sheets, feed descriptions and messages.

    Raises ValidationError({"preferred_language": …}) for a language we do not write in.
    """
    if language not in Fellow.Language.values:
        raise ValidationError({"preferred_language": _("Choose English or Korean.")})
    fellow.preferred_language = language
    fellow.save(update_fields=["preferred_language", "updated_at"])
    return fellow


@transaction.atomic
def create_tour(*, tour: Tour, teams: dict[str, list[Fellow]]) -> Tour:
    """Save a new tour with its fellows, team by team (members of a team travel together).

    Raises ValidationError({"teams": …}) for a fellow in two teams, and the tour's own
    model errors.
    """
    chosen = [fellow.pk for fellows in teams.values() for fellow in fellows]
    if len(chosen) != len(set(chosen)):
        raise ValidationError({"teams": _("A fellow can be in only one team of a tour.")})
    tour.full_clean()
    tour.save()
    for team, fellows in teams.items():
        for fellow in fellows:
            TourMember.objects.create(tour=tour, fellow=fellow, team=team)
    return tour


# What a calendar shows of an itinerary item: a change raises its SEQUENCE.
ITEM_CALENDAR_FIELDS = (
    "kind",
    "title",
    "starts_at",
    "ends_at",
    "timezone",
    "from_location",
    "to_location",
    "notes",
)


@transaction.atomic
def save_itinerary_item(
    *, item: ItineraryItem, changed: Iterable[str] = (), fellows: Iterable[Fellow] | None = None
) -> ItineraryItem:
    """Save a staff-entered or edited travel leg, lodging or rest day (the admin's door).

    `changed` names the fields that changed; anything a calendar shows, or the fellows, raises
    SEQUENCE so subscribed calendars replace the old copy. Raises ValidationError for a
    model-level problem (an item ending before it starts).
    """
    item.full_clean(exclude=["fellows"])
    if item.pk is not None and (set(changed) & set(ITEM_CALENDAR_FIELDS) or fellows is not None):
        item.sequence += 1
    item.save()
    if fellows is not None:
        item.fellows.set(fellows)
    return item
