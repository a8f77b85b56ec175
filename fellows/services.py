"""Writes for fellows and tours: fellows' profiles (private fields behind their permission,
home base located offline), tours with their teams, feed tokens and their last use, and
unavailability.

Tokens are returned once, at creation, and stored only as a hash (common/tokens.py); a new
token replaces the hash, so the previous URL stops working in the same transaction.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from common.geocoding import UnknownZip, locate_zip
from common.tokens import hash_token, new_token
from fellows.models import (
    Fellow,
    ItineraryItem,
    StaffFeedToken,
    Tour,
    TourMember,
    Unavailability,
)
from fellows.permissions import PRIVATE_FELLOW_FIELDS, STAFF_FELLOW_FIELDS, can_view_private_details

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
    see those conflicts (events.feed_selectors.unavailability_conflicts) and rebook.

    Raises ValidationError({"ends_at": …}) for one that does not end after it starts, and
    ValidationError({"starts_at": …}) for the very same time saved twice (Unavailability.clean).
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


def check_teams(teams: Mapping[str, Iterable[Fellow]]) -> None:
    """Raise ValidationError({"teams": …}) when a fellow is in two teams of one tour."""
    chosen = [fellow.pk for fellows in teams.values() for fellow in fellows]
    if len(chosen) != len(set(chosen)):
        raise ValidationError({"teams": _("A fellow can be in only one team of a tour.")})


@transaction.atomic
def create_tour(*, tour: Tour, teams: Mapping[str, Iterable[Fellow]]) -> Tour:
    """Save a new tour with its fellows, team by team (members of a team travel together).

    Raises ValidationError({"teams": …}) for a fellow in two teams, and the tour's own
    model errors.
    """
    check_teams(teams)
    tour.full_clean()
    tour.save()
    set_tour_teams(tour=tour, teams=teams)
    return tour


@transaction.atomic
def set_tour_teams(*, tour: Tour, teams: Mapping[str, Iterable[Fellow]]) -> None:
    """Make the tour's fellows exactly `teams` (team name → fellows); staff escorts stay.

    Callers that may remove a fellow with booked events go through events.services.update_tour,
    which refuses that first.
    """
    check_teams(teams)
    wanted = {fellow.pk: team for team, fellows in teams.items() for fellow in fellows}
    current = TourMember.objects.filter(tour=tour, role=TourMember.Role.FELLOW)
    current.exclude(fellow_id__in=wanted).delete()
    for fellow_id, team in wanted.items():
        TourMember.objects.update_or_create(
            tour=tour, fellow_id=fellow_id, defaults={"team": team, "role": "fellow"}
        )


# What a calendar shows of an itinerary item: a change raises its SEQUENCE.
ITEM_CALENDAR_FIELDS = (
    "kind",
    "title",
    "starts_at",
    "ends_at",
    "timezone",
    "end_timezone",
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


# Fields the board may change on a fellow; the private ones need fellows.view_private_details.
FELLOW_PUBLIC_FIELDS = STAFF_FELLOW_FIELDS
# Private fields typed as they are; the home base and its coordinates come from `home` only.
HOME_FIELDS = ("home_base", "home_latitude", "home_longitude")
FELLOW_PRIVATE_FIELDS = tuple(name for name in PRIVATE_FELLOW_FIELDS if name not in HOME_FIELDS)
_ZIP_IN_ADDRESS = re.compile(r"(?<![0-9])([0-9]{5})(?:-[0-9]{4})?(?![0-9])", re.ASCII)


def locate_home_base(text: str) -> tuple[str, float, float]:
    """A home base typed as a ZIP code or an address ending in one, located offline.

    Returns (label, latitude, longitude): the label is the address as typed, or "City, ST" for
    a bare ZIP code. Raises ValidationError({"home": …}) without a known ZIP code: the street
    itself cannot be located offline, and nobody types coordinates.
    """
    text = " ".join((text or "").split())
    found = _ZIP_IN_ADDRESS.findall(text)
    if not found:
        raise ValidationError(
            {"home": _("Give a ZIP code, or an address with its ZIP code (e.g. 90005).")}
        )
    try:
        place = locate_zip(found[-1])
    except UnknownZip as exc:
        raise ValidationError(
            {"home": _("We do not know the ZIP code %(zip)s.") % {"zip": found[-1]}}
        ) from exc
    label = f"{place.city}, {place.state}" if _ZIP_IN_ADDRESS.fullmatch(text) else text
    return label, place.latitude, place.longitude


@transaction.atomic
def save_fellow(
    *,
    fellow: Fellow,
    changes: Mapping[str, Any],
    home: str | None = None,
    by: User,
) -> Fellow:
    """Create (unsaved `fellow`) or change a fellow from the board.

    `changes` maps FELLOW_PUBLIC_FIELDS and, for staff holding fellows.view_private_details,
    FELLOW_PRIVATE_FIELDS to new values; `home` (a ZIP code or an address with one) sets the
    home base and its coordinates, also private. Raises ValidationError for a field not
    allowed to `by`, an unknown ZIP code or a value the model refuses (e.g. a display name
    already taken).
    """
    allowed = set(FELLOW_PUBLIC_FIELDS)
    if can_view_private_details(by):
        allowed |= set(FELLOW_PRIVATE_FIELDS)
    elif home:
        raise ValidationError({"home": _("Only staff allowed to see private details set it.")})
    refused = set(changes) - allowed
    if refused:
        raise ValidationError({name: _("This field cannot be changed here.") for name in refused})
    for name, value in changes.items():
        setattr(fellow, name, value.strip() if isinstance(value, str) else value)
    if home:
        fellow.home_base, fellow.home_latitude, fellow.home_longitude = locate_home_base(home)
    fellow.full_clean(exclude=["user"])
    fellow.save()
    return fellow


@transaction.atomic
def remove_unavailability(*, unavailability: Unavailability) -> None:
    """Drop a blackout the fellow no longer has; the booking rules stop refusing those dates."""
    unavailability.delete()
