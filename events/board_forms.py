"""Forms of the staff board: they parse and label input; services decide and write.

Times staff type are wall-clock times at the venue (the event's own time zone), because that
is how hosts and fellows talk about them; the forms turn them into aware datetimes.
"""

from __future__ import annotations

from typing import cast
from zoneinfo import ZoneInfo

from django import forms
from django.db import models
from django.utils.translation import gettext_lazy as _

from common import local_times
from events.geocoding import UnknownZip, locate_zip
from events.models import Event, SpeakerRequest
from events.rules import Slot
from fellows.models import Fellow, Tour, validate_state_codes

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
    """A new tour: dates, rules, where it starts (by ZIP, located offline) and its teams."""

    start_zip = forms.CharField(
        label=_("Start ZIP code"),
        max_length=10,
        help_text=_("Where the team sets out; the planner measures travel from here."),
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
    team_a = forms.ModelMultipleChoiceField(
        label=_("Team A fellows"),
        queryset=Fellow.objects.filter(active=True),
        widget=forms.CheckboxSelectMultiple,
    )
    team_b = forms.ModelMultipleChoiceField(
        label=_("Team B fellows (optional, travels separately)"),
        queryset=Fellow.objects.filter(active=True),
        widget=forms.CheckboxSelectMultiple,
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
            "max_driving_hours_per_day",
            "work_day_start",
            "work_day_end",
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
        }

    # The planner's plain-terms settings: left empty, they keep the documented defaults.
    OPTIONAL_WITH_DEFAULT = (
        "flight_worth_attendees",
        "travel_hour_worth_attendees",
        "hotel_night_worth_attendees",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in self.OPTIONAL_WITH_DEFAULT:
            self.fields[name].required = False

    def clean(self) -> dict:
        super().clean()
        data = self.cleaned_data
        for name in self.OPTIONAL_WITH_DEFAULT:
            if data.get(name) is None:
                data[name] = cast(models.Field, Tour._meta.get_field(name)).get_default()
                setattr(self.instance, name, data[name])
        zip_code = data.get("start_zip")
        if zip_code:
            try:
                place = locate_zip(zip_code)
            except UnknownZip:
                self.add_error("start_zip", _("We do not know this ZIP code."))
            else:
                self.instance.start_location = f"{place.city}, {place.state}"
                self.instance.start_latitude = place.latitude
                self.instance.start_longitude = place.longitude
                self.instance.timezone = place.timezone
        self.instance.rest_weekdays = data.get("rest_weekdays") or []
        return data

    def clean_region_state_codes(self) -> str:
        text = self.cleaned_data.get("region_state_codes", "")
        codes = [code.strip().upper() for code in text.replace(";", ",").split(",") if code.strip()]
        validate_state_codes(codes)
        self.instance.region_states = codes
        return text

    def teams(self) -> dict[str, list[Fellow]]:
        teams = {"A": list(self.cleaned_data["team_a"])}
        if self.cleaned_data.get("team_b"):
            teams["B"] = list(self.cleaned_data["team_b"])
        return teams


class ProposeForm(forms.Form):
    seconds = forms.IntegerField(
        label=_("Planning time (seconds)"),
        min_value=1,
        max_value=120,
        initial=10,
        help_text=_("Longer searches can find better itineraries."),
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
        if {"day", "start", "end"} <= data.keys():
            moments = {}
            for name in ("start", "end"):
                try:
                    moments[name] = local_times.aware(
                        data["day"],
                        data[name],
                        self.event.timezone,
                        occurrence=data.get("occurrence"),
                    )
                except forms.ValidationError as exc:
                    self.add_error(name, exc)
            if len(moments) == 2:
                data["starts_at"], data["ends_at"] = moments["start"], moments["end"]
                if data["ends_at"] <= data["starts_at"]:
                    self.add_error("end", _("The event must end after it starts."))
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


class ExportScopeForm(forms.Form):
    """What a CSV export covers: one tour, or a season given by its first and last day (board
    and API alike; events.exports.make_scope judges the combination)."""

    tour = forms.IntegerField(label=_("Tour"), required=False, min_value=1)
    date_from = forms.DateField(label=_("First day"), required=False, widget=DateInput)
    date_to = forms.DateField(label=_("Last day"), required=False, widget=DateInput)
