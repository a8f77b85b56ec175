"""Reads of the impact app: survey links and their open window, the public events listing, and
the figures staff report (per event, tour and season).

Nothing here returns a fellow's private fields: public output names fellows by display name,
or as "a North Korean speaker" where the fellow prefers. Attendees' free text and contacts are
for staff pages and exports only.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections import defaultdict
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from common.tokens import hash_token
from events.models import AGREED_STATUSES, Event, Organization
from fellows.models import Fellow, Tour
from impact.models import PublicListing, SupporterContact, SurveyLink, SurveyResponse

# The survey opens when the talk starts and closes this long after it ends.
SURVEY_OPEN_FOR = dt.timedelta(days=7)
# Events whose attendees may answer: a cancelled or merely proposed event has no survey.
SURVEY_STATUSES = AGREED_STATUSES
# Events counted as held once they have begun: the survey opens at the start, so figures count
# the answers of a talk under way too, and agree with its comments and contacts.
HELD_STATUSES = AGREED_STATUSES


class SurveyState(enum.StrEnum):
    NOT_YET = "not_yet"
    OPEN = "open"
    CLOSED = "closed"


def event_for_survey_token(token: str) -> Event | None:
    """The event a presented survey token belongs to, or None (unknown or rotated)."""
    if not token or len(token) > 100:
        return None
    link = (
        SurveyLink.objects.select_related("event", "event__request__organization")
        .filter(token_hash=hash_token(token))
        .first()
    )
    return link.event if link else None


def survey_opens_at(event: Event) -> dt.datetime:
    return event.starts_at


def survey_closes_at(event: Event) -> dt.datetime:
    return event.ends_at + SURVEY_OPEN_FOR


def survey_state(*, event: Event, now: dt.datetime | None = None) -> SurveyState:
    """Open from the event's start until SURVEY_OPEN_FOR after its end, for held events only."""
    now = now or timezone.now()
    if event.status not in SURVEY_STATUSES or now >= survey_closes_at(event):
        return SurveyState.CLOSED
    if now < survey_opens_at(event):
        return SurveyState.NOT_YET
    return SurveyState.OPEN


# -- public events --------------------------------------------------------------------------


@dataclass(frozen=True)
class PublicEvent:
    """What the public may know of a published event; `starts`/`ends`/`address` are None until
    PUBLIC_EVENT_DETAILS_DAYS before it."""

    uid: str
    date: dt.date
    city: str
    state: str
    organization: str
    topic: str
    speakers: tuple[str, ...]
    timezone: str
    starts: dt.datetime | None
    ends: dt.datetime | None
    address: str | None
    updated_at: dt.datetime


def public_speaker_name(fellow: Fellow) -> str:
    if fellow.unnamed_in_public_listings:
        return _("a North Korean speaker")
    return fellow.display_name


def _topic(event: Event) -> str:
    text = (event.request.topics if event.request else "") or ""
    first_line = text.strip().splitlines()[0] if text.strip() else ""
    return first_line[:140]


def published_events(*, now: dt.datetime | None = None) -> list[PublicEvent]:
    """Published confirmed events that have not ended, soonest first."""
    now = now or timezone.now()
    details_from = dt.timedelta(days=settings.PUBLIC_EVENT_DETAILS_DAYS)
    events = (
        # The same test as is_listable, in the database.
        Event.objects.filter(
            public_listing__isnull=False, status=Event.Status.CONFIRMED, ends_at__gt=now
        )
        .select_related("request__organization")
        .prefetch_related("fellows")
        .order_by("starts_at", "pk")
    )
    listed = []
    for event in events:
        zone = ZoneInfo(event.timezone)
        starts, ends = event.starts_at.astimezone(zone), event.ends_at.astimezone(zone)
        near = event.starts_at - details_from <= now
        organization = event.request.organization.name if event.request else event.venue_name
        listed.append(
            PublicEvent(
                uid=event.ical_uid,
                date=starts.date(),
                city=event.city,
                state=event.state,
                organization=organization,
                topic=_topic(event),
                speakers=tuple(public_speaker_name(f) for f in event.fellows.all()),
                timezone=event.timezone,
                starts=starts if near else None,
                ends=ends if near else None,
                address=(event.location_text or None) if near else None,
                updated_at=event.updated_at,
            )
        )
    return listed


def is_published(event: Event) -> bool:
    return PublicListing.objects.filter(event=event).exists()


def is_listable(event: Event, *, now: dt.datetime | None = None) -> bool:
    """Whether a listing would show the event now: confirmed and not over (published_events
    applies the same test to the page, the feed and the JSON)."""
    return event.status == Event.Status.CONFIRMED and event.ends_at > (now or timezone.now())


# -- figures ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Share:
    """`count` of `answers` (None when nobody answered): e.g. 3 of 4 said yes."""

    count: int
    answers: int

    @property
    def ratio(self) -> float | None:
        return self.count / self.answers if self.answers else None


@dataclass
class Group:
    """Events, reported attendance and survey answers of one kind of organization or state."""

    label: str
    events: int = 0
    attendance: int = 0
    responses: int = 0


@dataclass
class Figures:
    """What a set of held events achieved, from hosts' reports and attendees' answers.

    `response_rate` counts answers only at events whose attendance was reported, over that
    attendance. `perspective_changed` counts "yes" and "somewhat".
    """

    label: str
    events_held: int = 0
    attendance_reported: int = 0
    events_with_attendance: int = 0
    responses: int = 0
    responses_at_reported_events: int = 0
    first_time: Share = field(default_factory=lambda: Share(0, 0))
    perspective_changed: Share = field(default_factory=lambda: Share(0, 0))
    perspective_counts: dict[str, int] = field(default_factory=dict)
    contacts: int = 0
    by_kind: list[Group] = field(default_factory=list)
    by_state: list[Group] = field(default_factory=list)

    @property
    def response_rate(self) -> Share:
        return Share(self.responses_at_reported_events, self.attendance_reported)


def held_events(*, now: dt.datetime | None = None) -> QuerySet[Event]:
    """Confirmed or completed events that have begun (the survey opens at the start)."""
    return Event.objects.filter(status__in=HELD_STATUSES, starts_at__lte=now or timezone.now())


def events_between(*, date_from: dt.date, date_to: dt.date) -> QuerySet[Event]:
    """Events starting on the given dates (inclusive), counted in UTC."""
    start = dt.datetime.combine(date_from, dt.time(), tzinfo=dt.UTC)
    end = dt.datetime.combine(date_to + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)
    return Event.objects.filter(starts_at__gte=start, starts_at__lt=end)


def _reported_attendance(event: Event) -> int | None:
    if event.attendance is not None:
        return event.attendance
    return event.request.attendance_count if event.request is not None else None


def figures(*, label: str, events: QuerySet[Event], now: dt.datetime | None = None) -> Figures:
    """Figures over the held events among `events` (others are ignored)."""
    ids = list(events.filter(pk__in=held_events(now=now)).values_list("pk", flat=True))
    held = list(
        Event.objects.filter(pk__in=ids).select_related("request__organization").order_by("pk")
    )
    answers = list(
        SurveyResponse.objects.filter(event_id__in=ids).values_list(
            "event_id", "first_time", "perspective_changed"
        )
    )
    result = Figures(label=label, events_held=len(held))
    responses_per_event: dict[int, int] = defaultdict(int)
    first_yes = first_answers = changed = perspective_answers = 0
    perspective_counts = dict.fromkeys(("yes", "somewhat", "no"), 0)
    for event_id, first_time, perspective in answers:
        responses_per_event[event_id] += 1
        if first_time:
            first_answers += 1
            first_yes += first_time == "yes"
        if perspective:
            perspective_answers += 1
            perspective_counts[perspective] += 1
            changed += perspective in ("yes", "somewhat")
    result.responses = len(answers)
    result.first_time = Share(first_yes, first_answers)
    result.perspective_changed = Share(changed, perspective_answers)
    result.perspective_counts = perspective_counts
    result.contacts = SupporterContact.objects.filter(event_id__in=ids).count()
    kinds = dict(Organization.Kind.choices)
    by_kind: dict[str, Group] = {}
    by_state: dict[str, Group] = {}
    for event in held:
        attendance = _reported_attendance(event)
        if attendance is not None:
            result.attendance_reported += attendance
            result.events_with_attendance += 1
            result.responses_at_reported_events += responses_per_event[event.pk]
        kind = event.request.organization.kind if event.request else Organization.Kind.OTHER
        state = event.state or (event.request.state if event.request else "") or "—"
        for groups, key, name in (
            (by_kind, kind, str(kinds.get(kind, kind))),
            (by_state, state, state),
        ):
            group = groups.setdefault(key, Group(label=name))
            group.events += 1
            group.attendance += attendance or 0
            group.responses += responses_per_event[event.pk]
    result.by_kind = sorted(by_kind.values(), key=lambda g: (-g.attendance, -g.events, g.label))
    result.by_state = sorted(by_state.values(), key=lambda g: (-g.attendance, -g.events, g.label))
    return result


def event_figures(*, event: Event, now: dt.datetime | None = None) -> Figures:
    return figures(label=event.title, events=Event.objects.filter(pk=event.pk), now=now)


def tour_figures(*, tour: Tour, now: dt.datetime | None = None) -> Figures:
    return figures(label=tour.name, events=tour.events.all(), now=now)


def season_figures(
    *, date_from: dt.date, date_to: dt.date, now: dt.datetime | None = None
) -> Figures:
    return figures(
        label=f"{date_from:%Y-%m-%d} – {date_to:%Y-%m-%d}",
        events=events_between(date_from=date_from, date_to=date_to),
        now=now,
    )


def season_tours(*, date_from: dt.date, date_to: dt.date) -> QuerySet[Tour]:
    """Tours overlapping the dates, for the season page's per-tour rows."""
    return Tour.objects.filter(start_date__lte=date_to, end_date__gte=date_from).order_by(
        "start_date", "name"
    )


def comments(*, events: QuerySet[Event]) -> QuerySet[SurveyResponse]:
    """Attendees' free text, for staff only, newest first."""
    return (
        SurveyResponse.objects.filter(event__in=events)
        .exclude(comment="")
        .select_related("event")
        .order_by("-submitted_at")
    )


def consented_contacts(*, events: QuerySet[Event]) -> QuerySet[SupporterContact]:
    """Contacts of attendees who agreed to be kept informed, oldest first."""
    return (
        SupporterContact.objects.filter(event__in=events)
        .select_related("event__request__organization")
        .order_by("consented_on", "pk")
    )
