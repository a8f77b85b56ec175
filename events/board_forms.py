"""Forms of the staff board: they parse and label input; services decide and write.

Times staff type are wall-clock times at the venue (the event's own time zone), because that
is how hosts and fellows talk about them; the forms turn them into aware datetimes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING, cast
from zoneinfo import ZoneInfo

from django import forms
from django.db import models
from django.utils.translation import gettext_lazy as _

from common import local_times
from common.geocoding import UnknownZip, locate_zip
from common.text_input import one_line
from common.time_display import format_day
from events import lifecycle
from events.models import Event, SpeakerRequest
from events.rules import Slot
from fellows.models import Fellow, Tour, validate_state_codes
from fellows.services import FELLOW_PRIVATE_FIELDS, FELLOW_PUBLIC_FIELDS

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

WEEKDAYS = [
    (0, _("Monday")),
    (1, _("Tuesday")),
    (2, _("Wednesday")),
    (3, _("Thursday")),
    (4, _("Friday")),
    (5, _("Saturday")),
    (6, _("Sunday")),
]


class DateInput(forms.DateInput):
    input_type = "date"


class TimeInput(forms.TimeInput):
    input_type = "time"


class TourForm(forms.ModelForm):
    """A tour's dates, rules, region, where it starts and ends (by ZIP, located offline) and its
    teams; for a new tour or, with `instance`, an existing one (then an empty start ZIP keeps
    the start)."""

    start_zip = forms.CharField(
        label=_("Start ZIP code"),
        max_length=10,
        help_text=_("Where the team sets out; the planner measures travel from here."),
    )
    end_zip = forms.CharField(
        label=_("End ZIP code (optional)"),
        max_length=10,
        required=False,
        help_text=_("Where the team finishes; empty: back where it started."),
    )
    rest_weekdays = forms.TypedMultipleChoiceField(
        label=_("Rest weekdays"),
        choices=WEEKDAYS,
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    region_state_codes = forms.CharField(
        label=_("Region: states"),
        required=False,
        help_text=_("Two-letter codes separated by commas, e.g. CA, OR, WA; empty: any state."),
    )
    accept_overlap = forms.BooleanField(
        label=_("Save anyway: these fellows are on both tours on purpose"),
        required=False,
    )

    class Meta:
        model = Tour
        fields = [
            "name",
            "start_date",
            "end_date",
            "region",
            "max_events_per_day",
            "min_gap_minutes",
            "default_event_minutes",
            "max_driving_hours_per_day",
            "work_day_start",
            "work_day_end",
            "earliest_departure",
            "region_radius_km",
            "flight_worth_attendees",
            "travel_hour_worth_attendees",
            "hotel_night_worth_attendees",
            "max_flights_per_week",
        ]
        widgets = {
            "start_date": DateInput,
            "end_date": DateInput,
            "work_day_start": TimeInput,
            "work_day_end": TimeInput,
            "earliest_departure": TimeInput,
        }

    # How the page groups the fields, in staff's order of thinking.
    SECTIONS = (
        (_("Dates and places"), ("name", "start_date", "end_date", "start_zip", "end_zip")),
        (_("Region"), ("region", "region_state_codes", "region_radius_km")),
        (
            _("Rules every booking keeps"),
            (
                "max_events_per_day",
                "min_gap_minutes",
                "default_event_minutes",
                "work_day_start",
                "work_day_end",
                "earliest_departure",
                "rest_weekdays",
                "max_driving_hours_per_day",
                "max_flights_per_week",
            ),
        ),
        (
            _("What travel is worth to the planner"),
            (
                "flight_worth_attendees",
                "travel_hour_worth_attendees",
                "hotel_night_worth_attendees",
            ),
        ),
    )
    # Teams offered on every tour form; a tour's own team names (say "North", set through the
    # API) are offered beside them, so editing never moves a fellow to another team.
    TEAMS_OFFERED = ("A", "B", "C")

    # The planner's plain-terms settings: left empty, they keep the documented defaults.
    OPTIONAL_WITH_DEFAULT = (
        "default_event_minutes",
        "earliest_departure",
        "flight_worth_attendees",
        "travel_hour_worth_attendees",
        "hotel_night_worth_attendees",
    )
    # What the form sets besides Meta.fields: all of it goes to the tour service as changes.
    DERIVED_FIELDS = (
        "rest_weekdays",
        "region_states",
        "start_location",
        "start_latitude",
        "start_longitude",
        "timezone",
        "end_location",
        "end_latitude",
        "end_longitude",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Other tours a chosen fellow is on at the same time (events.selectors.TourOverlap),
        # filled in by the view before saving.
        self.overlaps: list = []
        for name in self.OPTIONAL_WITH_DEFAULT:
            self.fields[name].required = False
        self.editing = self.instance.pk is not None
        if self.editing:
            tour = self.instance
            self.fields["start_zip"].required = False
            self.fields["start_zip"].help_text = _(
                "Now: %(place)s. Empty keeps it; a ZIP code moves the start there."
            ) % {"place": tour.start_label}
            self.fields["end_zip"].help_text = _(
                "Now: %(place)s. Empty keeps it; type “start” to end where it started."
            ) % {"place": tour.end_location or _("back at the start")}
            members: dict[str, list[int]] = {}
            for member in tour.members.filter(role="fellow"):
                members.setdefault(member.team, []).append(member.fellow_id)
            self.initial.update(
                rest_weekdays=tour.rest_weekdays,
                region_state_codes=", ".join(tour.region_states or []),
            )
            # A fellow made inactive since stays listed while on the tour.
            on_tour = Fellow.objects.filter(tour_memberships__tour=tour)
            choices = (Fellow.objects.filter(active=True) | on_tour).distinct()
        else:
            members = {}
            choices = Fellow.objects.filter(active=True)
            self.fields["rest_weekdays"].initial = [6]  # Sunday, the tours' usual rest day
        # team name → its field's name, in the page's order
        self.team_fields: dict[str, str] = {}
        for index, team in enumerate(sorted({*self.TEAMS_OFFERED, *members}), start=1):
            readable = team.isascii() and team.isalnum() and not self._team_field_taken(team)
            self.team_fields[team] = f"team_{team.lower()}" if readable else f"team_{index}"
        for number, (team, name) in enumerate(self.team_fields.items()):
            self.fields[name] = forms.ModelMultipleChoiceField(
                label=_("Team %(team)s") % {"team": team}
                if number == 0
                else _("Team %(team)s (optional)") % {"team": team},
                queryset=choices,
                widget=forms.CheckboxSelectMultiple,
                required=False,  # at least one fellow in some team: clean()
                help_text=_("Each team travels and speaks on its own; a fellow is in one team.")
                if number == 0
                else "",
            )
            self.initial[name] = members.get(team, [])

    def clean(self) -> dict:
        super().clean()
        data = self.cleaned_data
        for name in self.OPTIONAL_WITH_DEFAULT:
            if data.get(name) is None:
                default = cast(models.Field, Tour._meta.get_field(name)).get_default()
                if name == "earliest_departure" and data.get("work_day_start"):
                    default = min(default, data["work_day_start"])  # an earlier working day
                data[name] = default
                setattr(self.instance, name, data[name])
        place = self._place("start_zip")
        if place is not None:
            self.instance.start_location = f"{place.city}, {place.state}"
            self.instance.start_latitude = place.latitude
            self.instance.start_longitude = place.longitude
            self.instance.timezone = place.timezone
        if (data.get("end_zip") or "").strip().lower() == "start":
            self.instance.end_location = ""
            self.instance.end_latitude = self.instance.end_longitude = None
        else:
            end = self._place("end_zip")
            if end is not None:
                self.instance.end_location = f"{end.city}, {end.state}"
                self.instance.end_latitude = end.latitude
                self.instance.end_longitude = end.longitude
        self.instance.rest_weekdays = data.get("rest_weekdays") or []
        team_errors = any(name in self.errors for name in self.team_fields.values())
        if not team_errors and not self.teams():
            first_team = next(iter(self.team_fields.values()))
            self.add_error(first_team, _("Choose the fellows who go on this tour."))
        return data

    def _place(self, name: str):
        zip_code = (self.cleaned_data.get(name) or "").strip()
        if not zip_code:
            return None
        try:
            return locate_zip(zip_code)
        except UnknownZip:
            self.add_error(name, _("We do not know this ZIP code."))
            return None

    def clean_region_state_codes(self) -> str:
        text = self.cleaned_data.get("region_state_codes", "")
        codes = [code.strip().upper() for code in text.replace(";", ",").split(",") if code.strip()]
        try:
            validate_state_codes(codes)
        except forms.ValidationError:
            raise forms.ValidationError(
                _("Two-letter state codes separated by commas, e.g. CA, OR.")
            ) from None
        self.instance.region_states = codes
        return text

    def _team_field_taken(self, team: str) -> bool:
        return f"team_{team.lower()}" in self.team_fields.values()

    def teams(self) -> dict[str, list[Fellow]]:
        """Team name → its chosen fellows; teams left empty are not returned."""
        chosen = {
            team: list(self.cleaned_data.get(name) or []) for team, name in self.team_fields.items()
        }
        return {team: fellows for team, fellows in chosen.items() if fellows}

    def sections(self) -> list[tuple[StrOrPromise, list]]:
        """(title, bound fields) for each group of the page."""
        sections = [*self.SECTIONS, (_("Teams"), tuple(self.team_fields.values()))]
        return [(title, [self[name] for name in names]) for title, names in sections]

    def changes(self) -> dict:
        """Every tour field the form sets, for events.services.update_tour."""
        names = [*self.Meta.fields, *self.DERIVED_FIELDS]
        return {name: getattr(self.instance, name) for name in names}


class ProposeForm(forms.Form):
    seconds = forms.IntegerField(
        label=_("Planning time (seconds)"),
        min_value=1,
        max_value=120,
        initial=10,
        help_text=_(
            "At most this long: a small tour is answered sooner, once the search stops "
            "finding better itineraries. Longer searches help big tours."
        ),
    )


class AcceptForm(forms.Form):
    request_ids = forms.MultipleChoiceField(
        label=_("Requests to accept"), required=False, widget=forms.CheckboxSelectMultiple
    )
    accept_all = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, choices: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.MultipleChoiceField, self.fields["request_ids"]).choices = choices

    def clean(self) -> dict:
        super().clean()
        data = self.cleaned_data
        if not data.get("accept_all") and not data.get("request_ids"):
            raise forms.ValidationError(_("Tick the events to accept, or accept them all."))
        return data

    def chosen(self) -> list[str] | None:
        """None accepts the whole proposal (and retires tentative events it left out)."""
        return None if self.cleaned_data.get("accept_all") else self.cleaned_data["request_ids"]


class EventChoiceForm(forms.Form):
    """Events ticked on a tour page (to confirm them together)."""

    event_ids = forms.ModelMultipleChoiceField(
        label=_("Events"), queryset=Event.objects.none(), widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, tour: Tour, **kwargs):
        super().__init__(*args, **kwargs)
        cast(
            forms.ModelMultipleChoiceField, self.fields["event_ids"]
        ).queryset = Event.objects.filter(tour=tour)


class RescheduleForm(forms.Form):
    day = local_times.DateField(label=_("Date"), widget=DateInput)
    start = forms.TimeField(label=_("Starts (venue time)"), widget=TimeInput)
    end = forms.TimeField(label=_("Ends (venue time)"), widget=TimeInput)
    occurrence = local_times.occurrence_field()
    override_reason = forms.CharField(
        label=_("Reason to override warnings"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Needed only when the new time is outside the host's windows or rules."),
    )

    def __init__(self, *args, event: Event, **kwargs):
        self.event = event
        zone = ZoneInfo(event.timezone)
        start, end = event.starts_at.astimezone(zone), event.ends_at.astimezone(zone)
        kwargs.setdefault(
            "initial", {"day": start.date(), "start": start.time(), "end": end.time()}
        )
        super().__init__(*args, **kwargs)

    @property
    def asks_occurrence(self) -> bool:
        """Show the earlier/later question: a time happens twice, or it was answered."""
        return bool(self.data.get("occurrence")) or any(
            error.code == "ambiguous_time"
            for name in ("start", "end")
            for error in self.errors.as_data().get(name, [])
        )

    def clean(self) -> dict:
        super().clean()
        data = self.cleaned_data
        _set_local_span(self, data, self.event.timezone)
        return data

    def slot(self) -> Slot:
        """Where the event would be after the move, for checking before saving."""
        return Slot(
            tour=self.event.tour,
            fellows=list(self.event.fellows.all()),
            starts_at=self.cleaned_data["starts_at"],
            ends_at=self.cleaned_data["ends_at"],
            latitude=self.event.latitude,
            longitude=self.event.longitude,
            exclude_event_id=self.event.pk,
            timezone=self.event.timezone,
        )


class BulkRequestForm(forms.Form):
    IN_REVIEW = "in_review"
    DECLINE = "decline"

    action = forms.ChoiceField(
        label=_("Action"),
        choices=[(IN_REVIEW, _("Mark in review")), (DECLINE, _("Decline"))],
    )
    request_ids = forms.ModelMultipleChoiceField(
        label=_("Requests"),
        queryset=SpeakerRequest.objects.all(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Tick at least one request.")},
    )
    reason = forms.CharField(
        label=_("Reason for declining (the host reads it)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def clean(self) -> dict:
        super().clean()
        data = self.cleaned_data
        if data.get("action") == self.DECLINE and not (data.get("reason") or "").strip():
            self.add_error("reason", _("Tell the hosts why, in a sentence or two."))
        return data


class RequestStatusForm(forms.Form):
    """A staff move of a request by hand; the choices are the lifecycle's manual moves."""

    status = forms.ChoiceField(label=_("Move the request to"))

    def __init__(self, *args, speaker_request: SpeakerRequest, **kwargs):
        super().__init__(*args, **kwargs)
        targets = [
            value
            for value in lifecycle.staff_targets(speaker_request.status)
            # Declining has its own form (the host reads the reason); proposing and
            # confirming follow from booking and confirming an event.
            if value
            not in (
                SpeakerRequest.Status.DECLINED,
                SpeakerRequest.Status.PROPOSED,
                SpeakerRequest.Status.CONFIRMED,
            )
        ]
        cast(forms.ChoiceField, self.fields["status"]).choices = [
            (value, SpeakerRequest.Status(value).label) for value in targets
        ]


class DeclineForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for declining (the host reads it)"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Tell the host why, in a sentence or two.")},
    )


class RequestBookingForm(forms.Form):
    """Book a request on a tour, for one of its teams, at a wall-clock time at the venue."""

    where = forms.ChoiceField(label=_("Tour and team"))
    day = local_times.DateField(label=_("Date"), widget=DateInput)
    start = forms.TimeField(label=_("Starts (venue time)"), widget=TimeInput)
    end = forms.TimeField(label=_("Ends (venue time)"), widget=TimeInput)
    occurrence = local_times.occurrence_field()
    override_reason = forms.CharField(
        label=_("Reason to override warnings"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Needed only when the time is outside the host's windows or the tour's rules."),
    )

    def __init__(self, *args, speaker_request: SpeakerRequest, tours: Sequence[Tour], **kwargs):
        self.speaker_request = speaker_request
        self.tours = {tour.pk: tour for tour in tours}
        preferred = [w for w in speaker_request.windows.all() if w.preference == "preferred"]
        windows = preferred or list(speaker_request.windows.all())
        if windows:
            first = windows[0]
            start = dt.datetime.combine(first.start_date, first.earliest_start)
            end = start + dt.timedelta(minutes=speaker_request.event_length_minutes)
            kwargs.setdefault(
                "initial", {"day": first.start_date, "start": start.time(), "end": end.time()}
            )
        super().__init__(*args, **kwargs)
        choices = []
        for tour in tours:
            teams: dict[str, list[str]] = {}
            for member in tour.members.all():
                if member.fellow is not None:
                    teams.setdefault(member.team, []).append(member.fellow.display_name)
            for team, names in sorted(teams.items()):
                label = _("%(tour)s (%(start)s – %(end)s), team %(team)s: %(names)s") % {
                    "tour": tour.name,
                    "start": format_day(tour.start_date),
                    "end": format_day(tour.end_date),
                    "team": team,
                    "names": ", ".join(names),
                }
                choices.append((f"{tour.pk}:{team}", label))
        cast(forms.ChoiceField, self.fields["where"]).choices = choices

    @property
    def asks_occurrence(self) -> bool:
        return bool(self.data.get("occurrence")) or any(
            error.code == "ambiguous_time"
            for name in ("start", "end")
            for error in self.errors.as_data().get(name, [])
        )

    def clean(self) -> dict:
        super().clean()
        data = self.cleaned_data
        if data.get("where"):
            tour_id, team = data["where"].split(":", 1)
            data["tour"] = self.tours[int(tour_id)]
            data["fellows"] = [
                member.fellow
                for member in data["tour"].members.all()
                if member.team == team and member.fellow is not None
            ]
        _set_local_span(self, data, self.speaker_request.timezone)
        return data

    def slot(self) -> Slot:
        request = self.speaker_request
        return Slot(
            tour=self.cleaned_data["tour"],
            fellows=self.cleaned_data["fellows"],
            starts_at=self.cleaned_data["starts_at"],
            ends_at=self.cleaned_data["ends_at"],
            latitude=request.latitude,
            longitude=request.longitude,
            timezone=request.timezone,
        )


class FellowForm(forms.Form):
    """A fellow on the board: the fields fellows.services.save_fellow takes, as the model
    declares them (fellows.permissions lists which are private). The private fields (legal
    name, email, phone, home base) are only in the form for staff with
    fellows.view_private_details; the home base is typed as a ZIP code or an address with one,
    and located offline by the service, which also runs the model's checks."""

    FIELDS = (*FELLOW_PUBLIC_FIELDS, *FELLOW_PRIVATE_FIELDS)
    ORDER = ("display_name", "legal_name", "email", "phone", "home")

    home = forms.CharField(
        label=_("Home base (private): ZIP code, or address with ZIP code"),
        required=False,
        max_length=200,
        validators=[one_line],
        help_text=_("Located offline from the ZIP code; empty keeps the current home base."),
    )

    def __init__(self, data=None, *, instance: Fellow | None = None, show_private: bool):
        initial = forms.model_to_dict(instance, fields=self.FIELDS) if instance else None
        super().__init__(data, initial=initial)
        self.show_private = show_private
        declared = forms.fields_for_model(
            Fellow, fields=self.FIELDS, widgets={"bio": forms.Textarea(attrs={"rows": 3})}
        )
        fields = {**declared, "home": self.fields["home"]}
        if not show_private:
            for name in (*FELLOW_PRIVATE_FIELDS, "home"):
                del fields[name]
        elif instance is not None and instance.home_base:
            fields["home"].help_text = _("Now: %(place)s. Empty keeps it.") % {
                "place": instance.home_base
            }
        first = [name for name in self.ORDER if name in fields]
        self.fields = {
            name: fields[name] for name in [*first, *(n for n in fields if n not in first)]
        }

    def changes(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.FIELDS if name in self.fields}


class ExportScopeForm(forms.Form):
    """What a CSV export covers: one tour, or a season given by its first and last day (board
    and API alike; events.exports.make_scope judges the combination)."""

    tour = forms.IntegerField(label=_("Tour"), required=False, min_value=1)
    date_from = forms.DateField(label=_("First day"), required=False, widget=DateInput)
    date_to = forms.DateField(label=_("Last day"), required=False, widget=DateInput)


def _set_local_span(form: forms.Form, data: dict, zone: str) -> None:
    """The form's venue-local day, start and end as `starts_at`/`ends_at` in UTC-aware
    datetimes (common.local_times rules for gaps and repeated hours), or field errors."""
    if not {"day", "start", "end"} <= data.keys():
        return
    moments = {}
    for name in ("start", "end"):
        try:
            moments[name] = local_times.aware(
                data["day"], data[name], zone, occurrence=data.get("occurrence")
            )
        except forms.ValidationError as exc:
            form.add_error(name, exc)
    if len(moments) == 2:
        data["starts_at"], data["ends_at"] = moments["start"], moments["end"]
        if data["ends_at"] <= data["starts_at"]:
            form.add_error("end", _("The event must end after it starts."))
