"""Reads for fellows alone: who a signed-in user is, the board's fellow list, a fellow's
tours and unavailability, and the zone a fellow's feed suggests.

Reads that join a fellow with their events (feeds, day sheets, the conflicts of an
unavailability) live in events/feed_selectors.py.
"""

from __future__ import annotations

from django.db.models import Count, QuerySet

from fellows.models import Fellow, TourMember, Unavailability


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


def board_fellows() -> QuerySet[Fellow]:
    """Every fellow for the board's list, active first, with how many tours each is on."""
    return Fellow.objects.annotate(tour_count=Count("tour_memberships")).order_by(
        "-active", "display_name"
    )


def fellow_unavailabilities(*, fellow: Fellow) -> QuerySet[Unavailability]:
    return fellow.unavailabilities.order_by("starts_at")


def fellow_tours(*, fellow: Fellow) -> QuerySet[TourMember]:
    """The fellow's tour memberships, newest tour first."""
    return fellow.tour_memberships.select_related("tour").order_by("-tour__start_date")
