"""Fellows, tours with their teams and rules, unavailability, and itinerary items.

Data and constraints only; workflows live in services.py. A fellow's legal name, contact
details and unavailability reasons are private: nothing public or host-facing reads them.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from common import time_display
from common.local_times import validate_zone_name
from common.text_input import free_text_limit, one_line
from common.us_states import STATE_CODES


def validate_state_codes(value: object) -> None:
    """A tour's region states: a list of US postal codes such as "CA" (common.us_states)."""
    if not isinstance(value, list) or any(not isinstance(code, str) for code in value):
        raise ValidationError(_('A list of two-letter state codes, e.g. ["CA", "OR"].'))
    unknown = sorted({code for code in value if code.upper() not in STATE_CODES})
    if unknown:
        raise ValidationError(
            _("Not a US state code: %(codes)s.") % {"codes": ", ".join(unknown)},
            code="unknown_state",
        )


def new_ical_uid() -> str:
    return f"{uuid.uuid4()}@fellow-tours"


class Fellow(models.Model):
    class Language(models.TextChoices):
        ENGLISH = "en", _("English")
        KOREAN = "ko", _("Korean")

    display_name = models.CharField(
        _("display name"), max_length=100, unique=True, validators=[one_line]
    )
    legal_name = models.CharField(
        _("legal name (private)"), max_length=200, blank=True, validators=[one_line]
    )
    email = models.EmailField(_("email (private)"), blank=True)
    phone = models.CharField(_("phone (private)"), max_length=40, blank=True, validators=[one_line])
    languages = models.CharField(
        _("languages spoken"), max_length=200, blank=True, validators=[one_line]
    )
    preferred_language = models.CharField(
        _("language for messages"), max_length=2, choices=Language, default=Language.ENGLISH
    )
    bio = models.TextField(_("public bio"), blank=True, validators=[free_text_limit])
    # Public event listings name this fellow only as "a North Korean speaker" when set.
    unnamed_in_public_listings = models.BooleanField(
        _('listed publicly as "a North Korean speaker"'),
        default=False,
        help_text=_("Public event pages and feeds do not show this fellow's display name."),
    )
    home_base = models.CharField(_("home base"), max_length=200, blank=True, validators=[one_line])
    home_latitude = models.FloatField(null=True, blank=True)
    home_longitude = models.FloatField(null=True, blank=True)
    active = models.BooleanField(default=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="fellow",
    )
    feed_token_hash = models.CharField(max_length=64, unique=True, null=True, blank=True)
    feed_token_created_at = models.DateTimeField(null=True, blank=True)
    feed_last_used_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["display_name"]
        # fellows.permissions: staff without it see display names only.
        permissions = [("view_private_details", _("Can view fellows' private details"))]

    def __str__(self) -> str:
        return self.display_name


class Tour(models.Model):
    # Derived from the work, never stored (events.selectors.with_progress): draft until a
    # proposal is asked for or an event pencilled in, planning until an event is confirmed,
    # published then, completed after the end date.
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PLANNING = "planning", _("Planning")
        PUBLISHED = "published", _("Published")
        COMPLETED = "completed", _("Completed")

    name = models.CharField(max_length=200, validators=[one_line])
    start_date = models.DateField()
    end_date = models.DateField()
    region = models.CharField(max_length=100, blank=True, validators=[one_line])
    timezone = models.CharField(
        _("home time zone"),
        max_length=64,
        default="America/New_York",
        help_text=_("IANA zone used for day boundaries of the tour's rules."),
        validators=[validate_zone_name],
    )
    start_location = models.CharField(max_length=200, blank=True, validators=[one_line])
    start_latitude = models.FloatField(null=True, blank=True)
    start_longitude = models.FloatField(null=True, blank=True)
    # Rules the planner and every booking respect.
    work_day_start = models.TimeField(default=dt.time(8, 0))
    work_day_end = models.TimeField(default=dt.time(21, 0))
    earliest_departure = models.TimeField(
        default=dt.time(7, 0),
        help_text=_(
            "How early the team may leave for the day's first talk; talks keep to the working day."
        ),
    )
    max_events_per_day = models.PositiveSmallIntegerField(
        default=2, validators=[MinValueValidator(1), MaxValueValidator(10)]
    )
    min_gap_minutes = models.PositiveIntegerField(default=60)
    rest_weekdays = models.JSONField(
        default=list,
        blank=True,
        help_text=_("Weekdays without events, 0=Monday … 6=Sunday."),
    )
    max_driving_hours_per_day = models.DecimalField(max_digits=4, decimal_places=1, default=6)
    default_event_minutes = models.PositiveIntegerField(default=60)
    # Where the team ends the tour; empty: back where it started.
    end_location = models.CharField(max_length=200, blank=True)
    end_latitude = models.FloatField(null=True, blank=True)
    end_longitude = models.FloatField(null=True, blank=True)
    # The region the planner keeps to; both empty: anywhere.
    region_states = models.JSONField(
        _("region: states"),
        default=list,
        blank=True,
        validators=[validate_state_codes],
        help_text=_('Two-letter state codes, e.g. ["CA", "OR"]; empty: any state.'),
    )
    region_radius_km = models.PositiveIntegerField(
        _("region: radius (km)"),
        null=True,
        blank=True,
        help_text=_("Only requests within this distance of the start; empty: any distance."),
    )
    # The planner's cost model, in attendees (docs/planning.md explains the defaults).
    flight_worth_attendees = models.PositiveIntegerField(
        _("one flight is worth (attendees)"),
        default=150,
        help_text=_("A talk must draw this many more people to be worth a flight."),
    )
    flight_1000_km_worth_attendees = models.PositiveIntegerField(
        _("1,000 km flown are worth (attendees)"), default=25
    )
    travel_hour_worth_attendees = models.PositiveIntegerField(
        _("one hour on the road is worth (attendees)"),
        default=10,
        help_text=_("Driving, or a flight door to door with the time at both airports."),
    )
    driving_100_km_worth_attendees = models.PositiveIntegerField(
        _("100 km driven are worth (attendees)"), default=5
    )
    hotel_night_worth_attendees = models.PositiveIntegerField(
        _("one hotel night is worth (attendees)"), default=15
    )
    max_flights_per_week = models.PositiveSmallIntegerField(
        _("flights per week at most"),
        null=True,
        blank=True,
        default=1,
        help_text=_("Not counting the first flight out and the flight home; empty: no cap."),
    )
    ical_uid_seed = models.UUIDField(default=uuid.uuid4, editable=False)
    feed_token_hash = models.CharField(max_length=64, unique=True, null=True, blank=True)
    feed_token_created_at = models.DateTimeField(null=True, blank=True)
    feed_last_used_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-start_date", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__gte=F("start_date")),
                name="tour_ends_after_start",
                violation_error_message=_("The tour's last day is before its first day."),
            ),
            models.CheckConstraint(
                condition=Q(work_day_end__gt=F("work_day_start")),
                name="tour_work_day_ends_after_start",
                violation_error_message=_("The working day must end after it starts."),
            ),
            models.CheckConstraint(
                condition=Q(earliest_departure__lte=F("work_day_start")),
                name="tour_departs_no_later_than_the_working_day_starts",
                violation_error_message=_(
                    "The earliest departure must be no later than the working day's start."
                ),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    # Travel legs from the start name it in every fellow's feed: the tour's own start only,
    # never a fellow's home base (which is private), and a neutral label when it has no name.
    START_REQUIRED = _(
        "Give the tour a start location (where the team sets out): the planner measures "
        "travel from there, and no fellow's home base may stand in for it."
    )

    @property
    def start_label(self) -> str:
        return self.start_location or str(_("Tour start"))

    def clean(self) -> None:
        super().clean()
        # Not keyed to start_latitude: a form without that field (the board's, by ZIP code)
        # could not show it. Keyed errors name fields every tour form has.
        if self.start_latitude is None or self.start_longitude is None:
            raise ValidationError(self.START_REQUIRED)
        errors: dict[str, Any] = {}
        weekdays = self.rest_weekdays
        if not isinstance(weekdays, list) or any(
            type(day) is not int or not 0 <= day <= 6 for day in weekdays
        ):
            errors["rest_weekdays"] = _("A list of weekday numbers, 0=Monday … 6=Sunday.")
        if errors:
            raise ValidationError(errors)


class TourMember(models.Model):
    class Role(models.TextChoices):
        FELLOW = "fellow", _("Fellow")
        ESCORT = "escort", _("Staff escort")

    tour = models.ForeignKey(Tour, on_delete=models.CASCADE, related_name="members")
    role = models.CharField(max_length=10, choices=Role, default=Role.FELLOW)
    fellow = models.ForeignKey(
        Fellow, null=True, blank=True, on_delete=models.CASCADE, related_name="tour_memberships"
    )
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="tour_memberships",
    )
    team = models.CharField(
        max_length=40, default="A", help_text=_("Members of one team travel together.")
    )

    class Meta:
        ordering = ["tour", "team", "role"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(role="fellow", fellow__isnull=False, staff__isnull=True)
                    | Q(role="escort", staff__isnull=False, fellow__isnull=True)
                ),
                name="tour_member_is_fellow_or_escort",
            ),
            models.UniqueConstraint(fields=["tour", "fellow"], name="tour_member_fellow_once"),
        ]

    def __str__(self) -> str:
        who = self.fellow or self.staff
        return f"{who} ({self.get_role_display()}, team {self.team})"


class Unavailability(models.Model):
    fellow = models.ForeignKey(Fellow, on_delete=models.CASCADE, related_name="unavailabilities")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    reason = models.CharField(
        _("reason (private)"), max_length=300, blank=True, validators=[one_line]
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["starts_at"]
        verbose_name_plural = "unavailabilities"
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")),
                name="unavailability_ends_after_start",
                violation_error_message=_("The unavailability must end after it starts."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.fellow} unavailable {time_display.format_span(self.starts_at, self.ends_at)}"

    def clean(self) -> None:
        """The same time saved twice for one fellow is refused, from every door (the fellow's
        page, the board, the admin)."""
        same = Unavailability.objects.filter(
            fellow_id=self.fellow_id, starts_at=self.starts_at, ends_at=self.ends_at
        ).exclude(pk=self.pk)
        if self.fellow_id and same.exists():
            raise ValidationError({"starts_at": _("This time is already saved as unavailable.")})


class ItineraryItem(models.Model):
    """Travel legs, lodging and rest days between events, shown in fellows' feeds."""

    class Kind(models.TextChoices):
        TRAVEL = "travel", _("Travel")
        LODGING = "lodging", _("Lodging")
        REST = "rest", _("Rest day")

    class Source(models.TextChoices):
        PLANNER = "planner", _("Planner")
        STAFF = "staff", _("Staff")

    class Mode(models.TextChoices):
        """How a travel leg goes (the planner's ``TravelLeg.mode``)."""

        DRIVE = "drive", _("Drive")
        FLIGHT = "flight", _("Fly")

    tour = models.ForeignKey(Tour, on_delete=models.CASCADE, related_name="itinerary_items")
    fellows = models.ManyToManyField(Fellow, related_name="itinerary_items")
    kind = models.CharField(max_length=10, choices=Kind)
    title = models.CharField(max_length=200, validators=[one_line])
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    timezone = models.CharField(
        max_length=64, default="America/New_York", validators=[validate_zone_name]
    )
    # A flight's arrival is read in the zone where it lands ("9:00 AM CST – 11:30 AM PST");
    # blank: the end is in ``timezone`` too.
    end_timezone = models.CharField(
        max_length=64,
        blank=True,
        validators=[validate_zone_name],
        help_text=_(
            "Where the end time is read when it differs from the start's (a flight's arrival). "
            "Both times are entered in the item's zone."
        ),
    )
    from_location = models.CharField(max_length=200, blank=True, validators=[one_line])
    to_location = models.CharField(max_length=200, blank=True, validators=[one_line])
    distance_km = models.FloatField(null=True, blank=True)
    # Travel only: blank for lodging, rest days and legs staff wrote without saying how.
    mode = models.CharField(max_length=10, choices=Mode, blank=True)
    notes = models.TextField(blank=True, validators=[free_text_limit])
    source = models.CharField(max_length=10, choices=Source, default=Source.STAFF)
    ical_uid = models.CharField(max_length=255, unique=True, default=new_ical_uid, editable=False)
    sequence = models.PositiveIntegerField(default=0, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")),
                name="itinerary_item_ends_after_start",
                violation_error_message=_("The item must end after it starts."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.title}"

    @property
    def end_zone(self) -> str:
        """The zone the end time is read in: where a flight lands, else the item's zone."""
        return self.end_timezone or self.timezone

    @property
    def from_place(self) -> str:
        """``from_location`` in the active language (common.calendars.readable_place)."""
        from common.calendars import readable_place

        return readable_place(self.from_location)

    @property
    def to_place(self) -> str:
        """``to_location`` in the active language (common.calendars.readable_place)."""
        from common.calendars import readable_place

        return readable_place(self.to_location)

    @property
    def display_title(self) -> str:
        """The title in the active language: the planner's own names ("Drive to X", "Overnight
        near X", "Rest day near X") are given again from the item's kind and place, whatever
        language was active when the plan was accepted; a title staff wrote stays as written."""
        from common.calendars import itinerary_title  # the one home of these names

        return itinerary_title(self)


class StaffFeedToken(models.Model):
    """A staff user's private feed of every tour; one token per user, stored only as a hash."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff_feed_token"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    rotated_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("staff feed token")

    def __str__(self) -> str:
        return f"Staff feed of {self.user}"
