"""The private feeds (a fellow's, a tour's, a staff member's): contents, text and caching.

VEVENTs come from common/calendars.py, the one iCalendar builder; this module only chooses
what goes into each feed, writes the day-sheet DESCRIPTION in the reader's language, and caches
rendered bytes under the feed's ETag (derived from the data, so never stale). Fellow feeds
hold only that fellow's events and items and never another fellow's name; no feed reads legal
names, contact details or unavailability.
"""

from __future__ import annotations

import datetime as dt
import logging
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.cache import cache
from django.utils import translation
from django.utils.translation import gettext as _

from common import time_display
from common.calendars import calendar_bytes, event_vevent, itinerary_vevent, readable_place
from events.feed_selectors import (
    Feed,
    fellow_feed_events,
    fellow_feed_items,
    staff_feed_events,
    staff_feed_items,
    tour_feed_events,
    tour_feed_items,
)
from events.models import Event
from fellows.feed_links import day_sheets_url
from fellows.models import ItineraryItem
from fellows.selectors import fellow_feed_timezone

logger = logging.getLogger(__name__)

# Calendar apps re-fetch at most this often; the 304 path keeps the polling cheap.
REFRESH_INTERVAL = dt.timedelta(hours=1)
# Rendered calendars are keyed by ETag, so an entry is never stale, only unused; expire those.
RENDERED_CACHE_SECONDS = 24 * 3600
DEFAULT_FEED_TIMEZONE = "America/New_York"


def local_text(moment: dt.datetime, zone: str) -> str:
    """A time as the venue lives it, in the one display format: Sun Mar 14, 2027, 9:30 AM EDT."""
    return time_display.format_date_time(moment, zone)


def event_description(event: Event, *, link: str = "", fellows: str = "") -> str:
    """The day sheet of one event: address, arrival time, on-site contact, notes, link."""
    lines = []
    if event.status == Event.Status.CANCELLED:
        lines.append(_("This event is cancelled."))
    if event.location_text:
        lines.append(_("Address: %(address)s") % {"address": event.location_text})
    arrival = event.starts_at - dt.timedelta(minutes=event.arrival_minutes_before)
    lines.append(_("Arrive by: %(time)s") % {"time": local_text(arrival, event.timezone)})
    contact = " ".join(p for p in (event.onsite_contact_name, event.onsite_contact_phone) if p)
    if contact:
        lines.append(_("On-site contact: %(contact)s") % {"contact": contact})
    if fellows:
        lines.append(_("Fellows: %(names)s") % {"names": fellows})
    if event.day_sheet_notes:
        lines.append(_("Notes: %(notes)s") % {"notes": event.day_sheet_notes})
    if link:
        lines.append(_("Day sheet: %(url)s") % {"url": link})
    return "\n".join(lines)


def item_description(item: ItineraryItem, *, link: str = "") -> str:
    """A travel leg, lodging night or rest day, with where from and to."""
    lines = []
    if item.kind != ItineraryItem.Kind.TRAVEL:  # a night or a rest day is somewhere, not to
        place = item.to_location or item.from_location
        if place:
            lines.append(_("Where: %(place)s") % {"place": readable_place(place)})
    else:
        if item.from_location:
            lines.append(_("From: %(place)s") % {"place": readable_place(item.from_location)})
        if item.to_location:
            lines.append(_("To: %(place)s") % {"place": readable_place(item.to_location)})
    if item.distance_km:
        lines.append(_("Distance: %(km).0f km") % {"km": item.distance_km})
    if item.notes:
        lines.append(_("Notes: %(notes)s") % {"notes": item.notes})
    if link:
        lines.append(_("Day sheet: %(url)s") % {"url": link})
    return "\n".join(lines)


def event_summary(event: Event) -> str:
    # Many clients hide STATUS; the title is the one place every app shows.
    if event.status == Event.Status.TENTATIVE:
        return _("(tentative) %(title)s") % {"title": event.title}
    return event.title


def _local_day(moment: dt.datetime, zone: str) -> dt.date:
    return moment.astimezone(ZoneInfo(zone)).date()


def render_feed(feed: Feed) -> bytes:
    """Render a feed's calendar as of its day, stamped with its Last-Modified: equal ETags give
    equal bytes."""
    stamp = feed.last_modified
    if feed.kind == "fellow":
        fellow = feed.fellow
        events = fellow_feed_events(fellow=fellow, now=feed.as_of).order_by("starts_at")
        items = fellow_feed_items(fellow=fellow).order_by("starts_at")
        language = fellow.preferred_language
        zone = fellow_feed_timezone(fellow=fellow, default=DEFAULT_FEED_TIMEZONE)
    elif feed.kind == "tour":
        tour = feed.tour
        events = (
            tour_feed_events(tour=tour, now=feed.as_of)
            .order_by("starts_at")
            .prefetch_related("fellows")
        )
        items = tour_feed_items(tour=tour).order_by("starts_at")
        language, zone = settings.LANGUAGE_CODE, tour.timezone
    else:
        events = staff_feed_events(now=feed.as_of).order_by("starts_at").prefetch_related("fellows")
        items = staff_feed_items().order_by("starts_at")
        language, zone = settings.LANGUAGE_CODE, DEFAULT_FEED_TIMEZONE

    with translation.override(language):
        components = []
        for event in events:
            link = names = ""
            if feed.kind == "fellow":
                day = _local_day(event.starts_at, event.timezone)
                link = day_sheets_url(token=feed.token, day=day)
            else:
                names = ", ".join(f.display_name for f in event.fellows.all())
            components.append(
                event_vevent(
                    event,
                    summary=event_summary(event),
                    description=event_description(event, link=link, fellows=names),
                    stamp=stamp,
                )
            )
        for item in items:
            link = ""
            if feed.kind == "fellow":
                day = _local_day(item.starts_at, item.timezone)
                link = day_sheets_url(token=feed.token, day=day)
            components.append(
                itinerary_vevent(item, description=item_description(item, link=link), stamp=stamp)
            )
        if feed.kind == "fellow":
            name = _("LiNK tour: %(name)s") % {"name": feed.fellow.display_name}
        elif feed.kind == "tour":
            name = _("LiNK tour: %(name)s") % {"name": feed.tour.name}
        else:
            name = _("LiNK fellow tours (staff)")
    return calendar_bytes(components, name=name, timezone=zone, refresh=REFRESH_INTERVAL)


def feed_bytes(feed: Feed) -> bytes:
    """The rendered calendar, kept in Django's cache under its ETag.

    The ETag is derived from everything the feed shows, so a cached copy is never stale, only
    unused; a cache that is down or per process costs a render, never a wrong answer.
    """
    key = f"feeds:ics:{feed.etag}"
    try:
        body = cache.get(key)
    except Exception:  # each cache backend raises its own connection errors
        logger.warning("Rendered feeds cache unavailable", exc_info=True)
        return render_feed(feed)
    if body is None:
        body = render_feed(feed)
        try:
            cache.set(key, body, RENDERED_CACHE_SECONDS)
        except Exception:  # each cache backend raises its own connection errors
            logger.warning("Rendered feeds cache unavailable", exc_info=True)
    return body
