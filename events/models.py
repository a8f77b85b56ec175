"""Host organizations, speaker requests with their date windows, and scheduled events.

Data and constraints only; the booking rules live in events/rules.py and the workflows in
events/services.py. EventAssignment mirrors each event's fellows and time span so that
PostgreSQL can refuse overlapping bookings with an exclusion constraint.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Upper
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from common import time_display
from common.local_times import validate_zone_name
from common.text_input import free_text_limit, one_line
from fellows.models import Fellow, Tour, new_ical_uid


class Organization(models.Model):
    class Kind(models.TextChoices):
        CHURCH = "church", _("Church")
        UNIVERSITY = "university", _("University")
        HIGH_SCHOOL = "high_school", _("High school")
        COMPANY = "company", _("Company")
        COMMUNITY_CENTER = "community_center", _("Community center")
        GOVERNMENT = "government", _("Government / policy")
        OTHER = "other", _("Other")

    name = models.CharField(max_length=200, validators=[one_line])
    kind = models.CharField(max_length=20, choices=Kind, default=Kind.OTHER)
    website = models.URLField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        # Every submission looks its organization up by name__iexact and kind (events.intake);
        # PostgreSQL can answer UPPER(name) = UPPER(%s) from this index instead of a scan.
        indexes = [models.Index(Upper("name"), "kind", name="organization_name_ci_kind")]

    def __str__(self) -> str:
        return self.name


class SpeakerRequest(models.Model):
    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("Submitted")
        IN_REVIEW = "in_review", _("In review")
        PROPOSED = "proposed", _("Proposed")
        CONFIRMED = "confirmed", _("Confirmed")
        COMPLETED = "completed", _("Completed")
        DECLINED = "declined", _("Declined")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    class Format(models.TextChoices):
        IN_PERSON = "in_person", _("In person")
        VIRTUAL = "virtual", _("Virtual")

    class AudienceType(models.TextChoices):
        STUDENTS = "students", _("Students")
        CONGREGATION = "congregation", _("Congregation")
        EMPLOYEES = "employees", _("Employees")
        GENERAL_PUBLIC = "general_public", _("General public")
        POLICY = "policy", _("Policy makers")
        OTHER = "other", _("Other")

    class Source(models.TextChoices):
        WEB = "web", _("Web form")
        API = "api", _("API")
        IMPORT = "import", _("Import")
        STAFF = "staff", _("Staff")

    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="requests"
    )
    contact_name = models.CharField(max_length=200, validators=[one_line])
    contact_email = models.EmailField()
    contact_phone = models.CharField(max_length=40, blank=True, validators=[one_line])
    format = models.CharField(max_length=10, choices=Format, default=Format.IN_PERSON)
    street = models.CharField(max_length=200, blank=True, validators=[one_line])
    city = models.CharField(max_length=100, blank=True, validators=[one_line])
    state = models.CharField(max_length=2, blank=True, validators=[one_line])
    zip_code = models.CharField("ZIP", max_length=10, blank=True, validators=[one_line])
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    timezone = models.CharField(
        max_length=64, default="America/New_York", validators=[validate_zone_name]
    )
    expected_audience = models.PositiveIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(100_000)]
    )
    audience_type = models.CharField(
        max_length=20, choices=AudienceType, default=AudienceType.GENERAL_PUBLIC
    )
    event_length_minutes = models.PositiveIntegerField(
        default=60, validators=[MinValueValidator(15), MaxValueValidator(480)]
    )
    topics = models.TextField(blank=True, validators=[free_text_limit])
    interpretation_needed = models.BooleanField(default=False)
    honorarium_offered = models.BooleanField(default=False)
    travel_support_offered = models.BooleanField(default=False)
    # The host's opt-in to the public events page; staff still publish each event (impact).
    list_publicly = models.BooleanField(_("we'd like this listed publicly"), default=False)
    notes = models.TextField(blank=True, validators=[free_text_limit])
    priority = models.FloatField(
        default=1.0,
        validators=[MinValueValidator(0)],
        help_text=_("Weight staff give this request; the planner values audience × priority."),
    )
    status = models.CharField(max_length=20, choices=Status, default=Status.SUBMITTED)
    source = models.CharField(max_length=10, choices=Source, default=Source.WEB)
    external_id = models.CharField(
        max_length=100, unique=True, null=True, blank=True, validators=[one_line]
    )
    decline_reason = models.TextField(blank=True, validators=[free_text_limit])
    host_token_hash = models.CharField(max_length=64, unique=True, null=True, blank=True)
    # The host's link is derived from this salt and SECRET_KEY (common.tokens), so later
    # emails can carry it while the database holds no working link. Empty for requests of
    # the first release, whose random links still work but cannot be written again.
    host_link_salt = models.CharField(max_length=64, blank=True, editable=False)
    host_token_revoked = models.BooleanField(default=False)
    attendance_count = models.PositiveIntegerField(null=True, blank=True)
    first_time_count = models.PositiveIntegerField(null=True, blank=True)
    attendance_comments = models.TextField(blank=True, validators=[free_text_limit])
    status_changed_at = models.DateTimeField(null=True, blank=True)
    # Set when events.retention removed the host's contact data; the aggregates stay.
    anonymised_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "state"])]

    def __str__(self) -> str:
        return f"#{self.pk} {self.organization}"

    @property
    def address_text(self) -> str:
        """The venue's address on one line, leaving out the parts not given."""
        parts = [self.street, self.city, f"{self.state} {self.zip_code}".strip()]
        return ", ".join(p for p in parts if p)

    @property
    def reference(self) -> str:
        return f"REQ-{self.pk:05d}"


class RequestStatusChange(models.Model):
    """One move of a request along events.lifecycle, written by set_request_status alone.

    The request page's history reads these; no contact data is copied here, so retention has
    nothing to scrub. `changed_by` is the signed-in user of the web request that made the move
    (none for the host's own moves, tasks and commands).
    """

    request = models.ForeignKey(
        SpeakerRequest, on_delete=models.CASCADE, related_name="status_changes"
    )
    old_status = models.CharField(max_length=20, choices=SpeakerRequest.Status)
    new_status = models.CharField(max_length=20, choices=SpeakerRequest.Status)
    changed_at = models.DateTimeField()
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["changed_at", "pk"]

    def __str__(self) -> str:
        return f"{self.request_id}: {self.old_status} → {self.new_status}"


class RequestWindow(models.Model):
    """A span of dates on each of which the event could run between two local times."""

    class Preference(models.TextChoices):
        PREFERRED = "preferred", _("Preferred")
        POSSIBLE = "possible", _("Possible")

    request = models.ForeignKey(SpeakerRequest, on_delete=models.CASCADE, related_name="windows")
    start_date = models.DateField()
    end_date = models.DateField()
    earliest_start = models.TimeField()
    latest_end = models.TimeField()
    preference = models.CharField(max_length=10, choices=Preference, default=Preference.PREFERRED)

    class Meta:
        ordering = ["start_date", "earliest_start"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__gte=F("start_date")), name="window_end_date_after_start"
            ),
            models.CheckConstraint(
                condition=Q(latest_end__gt=F("earliest_start")), name="window_end_after_start"
            ),
        ]

    def __str__(self) -> str:
        return (
            f"{self.start_date}–{self.end_date} {self.earliest_start:%H:%M}–{self.latest_end:%H:%M}"
        )


class HostAnswer(models.TextChoices):
    ACCEPTED = "accepted", _("The time works")
    DECLINED = "declined", _("The time does not work")


class Event(models.Model):
    class Status(models.TextChoices):
        TENTATIVE = "tentative", _("Tentative")
        CONFIRMED = "confirmed", _("Confirmed")
        CANCELLED = "cancelled", _("Cancelled")
        COMPLETED = "completed", _("Completed")

    class Visibility(models.TextChoices):
        PUBLIC = "public", _("Public")
        PRIVATE = "private", _("Private")

    request = models.ForeignKey(
        SpeakerRequest, null=True, blank=True, on_delete=models.SET_NULL, related_name="events"
    )
    tour = models.ForeignKey(Tour, on_delete=models.PROTECT, related_name="events")
    fellows = models.ManyToManyField(Fellow, through="EventAssignment", related_name="events")
    title = models.CharField(max_length=200, validators=[one_line])
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    timezone = models.CharField(
        max_length=64, default="America/New_York", validators=[validate_zone_name]
    )
    venue_name = models.CharField(max_length=200, blank=True, validators=[one_line])
    street = models.CharField(max_length=200, blank=True, validators=[one_line])
    city = models.CharField(max_length=100, blank=True, validators=[one_line])
    state = models.CharField(max_length=2, blank=True, validators=[one_line])
    zip_code = models.CharField("ZIP", max_length=10, blank=True, validators=[one_line])
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    status = models.CharField(max_length=12, choices=Status, default=Status.TENTATIVE)
    visibility = models.CharField(max_length=10, choices=Visibility, default=Visibility.PRIVATE)
    ical_uid = models.CharField(max_length=255, unique=True, default=new_ical_uid, editable=False)
    sequence = models.PositiveIntegerField(default=0, editable=False)
    locked = models.BooleanField(
        default=False, help_text=_("Locked events stay where they are when the tour is re-planned.")
    )
    onsite_contact_name = models.CharField(max_length=200, blank=True, validators=[one_line])
    onsite_contact_phone = models.CharField(max_length=40, blank=True, validators=[one_line])
    arrival_minutes_before = models.PositiveIntegerField(default=30)
    day_sheet_notes = models.TextField(blank=True, validators=[free_text_limit])
    window_override_reason = models.TextField(blank=True, validators=[free_text_limit])
    attendance = models.PositiveIntegerField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancellation_reason = models.TextField(
        blank=True, help_text=_("Told to the host in the cancellation.")
    )
    # The host's answer to the proposed time (tentative events); cleared when the time moves.
    host_answer = models.CharField(max_length=10, choices=HostAnswer, blank=True)
    host_answer_comment = models.TextField(blank=True)
    host_answered_at = models.DateTimeField(null=True, blank=True)
    confirmation_note = models.TextField(
        blank=True, help_text=_("Why staff confirmed without the host's yes, if they did.")
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # The audit trail staff read on the board: who changed what and when (the user comes from
    # simple_history's request middleware; tasks and commands record no user).
    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        ordering = ["starts_at"]
        indexes = [models.Index(fields=["tour", "starts_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="event_ends_after_start"
            ),
            # The backstop under concurrency for events.services: one live event per request.
            models.UniqueConstraint(
                fields=["request"],
                condition=Q(status__in=["tentative", "confirmed"]),
                name="one_live_event_per_request",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({time_display.format_date_time(self.starts_at, self.timezone)})"

    @property
    def location_text(self) -> str:
        parts = [self.venue_name, self.street, self.city, f"{self.state} {self.zip_code}".strip()]
        return ", ".join(p for p in parts if p)


# Events that hold their request: a request has at most one of these at a time.
LIVE_STATUSES = (Event.Status.TENTATIVE, Event.Status.CONFIRMED)
# Events that take a fellow's time (every status but cancelled): the booking rules, feeds.
ACTIVE_STATUSES = (*LIVE_STATUSES, Event.Status.COMPLETED)
# Events the host agreed to: confirmed, or held since. What surveys, impact and reports count.
AGREED_STATUSES = (Event.Status.CONFIRMED, Event.Status.COMPLETED)
# Requests still waiting for a date (the planner's input; a rest day can still cost them a
# preferred window).
OPEN_REQUEST_STATUSES = (
    SpeakerRequest.Status.SUBMITTED,
    SpeakerRequest.Status.IN_REVIEW,
    SpeakerRequest.Status.PROPOSED,
)


class EventAssignment(models.Model):
    """One fellow booked at one event; the span is copied from the event by the service.

    The copy exists for the exclusion constraint (see migration 0002): PostgreSQL then refuses a
    second overlapping active booking for the same fellow even when two transactions race.
    """

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="assignments")
    fellow = models.ForeignKey(Fellow, on_delete=models.PROTECT, related_name="assignments")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    active = models.BooleanField(default=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["event", "fellow"], name="assignment_once_per_event"),
        ]

    def __str__(self) -> str:
        return f"{self.fellow} at {self.event_id}"


class PlanningRun(models.Model):
    """One request for a proposed itinerary: its progress while the planner runs, then the plan.

    The plan stays a proposal (JSON in the planner's documented format) until staff accept all
    or part of it; accepting turns it into tentative events and itinerary items.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    tour = models.ForeignKey(Tour, on_delete=models.CASCADE, related_name="planning_runs")
    status = models.CharField(max_length=10, choices=Status, default=Status.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0)
    message = models.CharField(max_length=300, blank=True)
    seconds = models.FloatField(default=10.0)
    seed = models.PositiveIntegerField(default=0)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    problem = models.JSONField(null=True, blank=True)
    plan = models.JSONField(null=True, blank=True)
    error = models.TextField(blank=True)
    accepted_request_ids = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Proposal #{self.pk} for {self.tour} ({self.status})"
