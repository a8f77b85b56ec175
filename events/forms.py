"""Staff forms for events (every booking rule is checked before anything is saved) and the
host-facing forms: the speaker request with its date windows, contact edits, attendance."""

from __future__ import annotations

from typing import cast
from zoneinfo import ZoneInfo

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from common import local_times
from common.text_input import FREE_TEXT_MAX_CHARS
from common.us_states import US_STATES
from events import request_fields
from events.intake import US_TIME_ZONES
from events.models import Event, RequestWindow
from events.rules import Slot
from events.services import (
    CALENDAR_FIELDS,
    EDITABLE_FIELDS,
    BookingRefused,
    check_booking,
    venue_zone,
    with_located_venue,
)
from fellows.models import Fellow


class EventAdminForm(forms.ModelForm):
    assigned_fellows = forms.ModelMultipleChoiceField(
        queryset=Fellow.objects.filter(active=True),
        label=_("Fellows"),
        widget=forms.CheckboxSelectMultiple,
    )
    override_reason = forms.CharField(
        required=False,
        max_length=FREE_TEXT_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Needed only to book despite a warning (host window, rest day, hours)."),
    )
    occurrence = local_times.occurrence_field()

    class Meta:
        model = Event
        # What staff set on an event: the booking service's list (the API's too).
        fields = ["request", *EDITABLE_FIELDS]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("starts_at", "ends_at"):
            self.fields[name].help_text = _("Wall-clock time at the venue, in its time zone.")
        if self.instance.pk:
            self.fields["assigned_fellows"].initial = list(self.instance.fellows.all())
            # Shown as the venue's wall clock, the way staff type them (see clean).
            zone = ZoneInfo(self.instance.timezone)
            for name in ("starts_at", "ends_at"):
                moment = getattr(self.instance, name)
                self.initial[name] = moment.astimezone(zone).replace(tzinfo=None)

    def _venue_times(self, data: dict) -> None:
        """Read the typed start and end as the venue's wall clock (common.local_times)."""
        zone = data.get("timezone")
        if not zone or not local_times.is_zone_name(zone):
            return  # clean() reports an unknown zone
        for name in ("starts_at", "ends_at"):
            value = data.get(name)
            if value is None:
                continue
            typed = timezone.make_naive(value)
            try:
                data[name] = local_times.aware(
                    typed.date(), typed.time(), zone, occurrence=data.get("occurrence")
                )
            except forms.ValidationError as exc:
                self.add_error(name, exc)

    def booking_changed(self) -> bool:
        calendar = {*CALENDAR_FIELDS, "assigned_fellows"}
        return not self.instance.pk or bool(calendar & set(self.changed_data))

    def clean(self):
        super().clean()
        data = self.cleaned_data
        if not self.instance.pk and "timezone" not in self.changed_data and data.get("tour"):
            # A new event's times are the venue's wall clock: its request's zone (or the
            # tour's), not the field's default, unless staff chose another (services.venue_zone).
            data["timezone"] = venue_zone(request=data.get("request"), tour=data["tour"])
        self._venue_times(data)
        needed = ("tour", "starts_at", "ends_at", "assigned_fellows")
        if any(data.get(name) is None for name in needed) or not self.booking_changed():
            return data
        zone = data.get("timezone") or ""
        if zone and not local_times.is_zone_name(zone):
            self.add_error("timezone", _("Not a time zone; use a name like America/Chicago."))
            return data
        if self.instance.pk:
            # Where the venue now is, as the service will see it (a new ZIP moves it).
            changes = {name: data[name] for name in self.changed_data if name in CALENDAR_FIELDS}
            try:
                located = with_located_venue(event=self.instance, changes=changes)
            except ValidationError as exc:
                self.add_error(None, exc)
                return data
            data.update(
                {k: located[k] for k in ("latitude", "longitude", "timezone") if k in located}
            )
        slot = Slot(
            tour=data["tour"],
            fellows=list(data["assigned_fellows"]),
            starts_at=data["starts_at"],
            ends_at=data["ends_at"],
            latitude=data.get("latitude"),
            longitude=data.get("longitude"),
            exclude_event_id=self.instance.pk,
            timezone=data.get("timezone") or None,
        )
        try:
            check_booking(
                slot=slot,
                request=data.get("request") or self.instance.request,
                timezone_name=data.get("timezone"),
                override_reason=data.get("override_reason") or "",
            )
        except BookingRefused as refused:
            for finding in refused.findings:
                field = finding.field if finding.field in self.fields else None
                if finding.field == "fellows":
                    field = "assigned_fellows"
                self.add_error(field, finding.message)
        return data


# --- Host-facing forms ------------------------------------------------------------------------
# These only turn text into values; whether the values are acceptable is decided by
# events.intake, which the API and the CSV import share. Inputs are typed (date, time, email,
# tel) for phone keyboards; the <form> is novalidate so every message comes from the server,
# worded the same way for every client.


class HostForm(forms.Form):
    """Host-facing forms: labels without Django's trailing colon."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


class SpeakerRequestForm(HostForm):
    """The host's request: the fields declared in events.request_fields, plus a honeypot."""

    # Honeypot: hidden from people (CSS and aria-hidden), filled in by form-filling bots.
    nickname = forms.CharField(
        label=_("Leave this field empty"),
        required=False,
        widget=forms.TextInput({"autocomplete": "off", "tabindex": "-1"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["state"]).choices = [
            ("", _("Choose a state")),
            *US_STATES,
        ]
        cast(forms.ChoiceField, self.fields["timezone"]).choices = [
            ("", _("Venue's local time")),
            *US_TIME_ZONES,
        ]

    def clean_nickname(self) -> str:
        if self.cleaned_data.get("nickname"):
            raise forms.ValidationError(_("Leave this field empty."))
        return ""


# Declared fields first, in their declared order (the order errors are reported in).
SpeakerRequestForm.base_fields = SpeakerRequestForm.declared_fields = {
    **request_fields.form_fields(),
    **SpeakerRequestForm.declared_fields,
}


class RequestWindowForm(HostForm):
    start_date = local_times.DateField(
        label=_("First possible date"), widget=forms.DateInput({"type": "date"})
    )
    end_date = local_times.DateField(
        label=_("Last possible date"), widget=forms.DateInput({"type": "date"})
    )
    earliest_start = forms.TimeField(
        label=_("Earliest start"), widget=forms.TimeInput({"type": "time"}, format="%H:%M")
    )
    latest_end = forms.TimeField(
        label=_("Latest end"), widget=forms.TimeInput({"type": "time"}, format="%H:%M")
    )
    preference = forms.ChoiceField(
        label=_("How good is this window?"),
        choices=RequestWindow.Preference.choices,
        initial=RequestWindow.Preference.PREFERRED,
        widget=forms.RadioSelect,
    )


class BaseRequestWindowFormSet(forms.BaseFormSet):
    def add_fields(self, form: forms.Form, index: int | None) -> None:
        super().add_fields(form, index)
        if "DELETE" in form.fields:
            form.fields["DELETE"].label = _("Remove this window")


# The 1–10 rule is events.intake's; the formset only needs a ceiling on what it will parse.
RequestWindowFormSet = forms.formset_factory(
    RequestWindowForm,
    formset=BaseRequestWindowFormSet,
    extra=0,
    min_num=1,
    can_delete=True,
    max_num=10,
    absolute_max=50,
)


def submitted_windows(formset: forms.BaseFormSet) -> list[tuple[forms.Form, dict]]:
    """The windows a host kept: (form, values) for forms neither removed nor left blank."""
    kept = []
    for form in formset.forms:
        if formset.can_delete and form.cleaned_data.get(forms.formsets.DELETION_FIELD_NAME):
            continue
        if not form.has_changed() and form.empty_permitted:
            continue
        values = {name: form.cleaned_data.get(name) for name in RequestWindowForm.base_fields}
        kept.append((form, values))
    return kept


class HostContactForm(HostForm):
    contact_name = SpeakerRequestForm.base_fields["contact_name"]
    contact_email = SpeakerRequestForm.base_fields["contact_email"]
    contact_phone = SpeakerRequestForm.base_fields["contact_phone"]


class ProposalAnswerForm(HostForm):
    answer = forms.ChoiceField(choices=[("yes", _("Yes")), ("no", _("No"))])
    comment = forms.CharField(
        label=_("What does not work, or which times would?"),
        required=False,
        max_length=2000,
        widget=forms.Textarea({"rows": 3}),
    )


class AttendanceForm(HostForm):
    attendance_count = forms.IntegerField(
        label=_("How many people attended?"), widget=forms.NumberInput({"inputmode": "numeric"})
    )
    first_time_count = forms.IntegerField(
        label=_("How many of them met a North Korean for the first time?"),
        help_text=_("Your best estimate is fine, e.g. from a show of hands."),
        widget=forms.NumberInput({"inputmode": "numeric"}),
    )
    attendance_comments = forms.CharField(
        label=_("Comments"),
        required=False,
        max_length=FREE_TEXT_MAX_CHARS,
        widget=forms.Textarea({"rows": 3}),
    )


class RequestImportForm(forms.Form):
    file = forms.FileField(
        label=_("CSV file"),
        help_text=_("UTF-8, with a header row; the columns are listed below."),
    )
    acknowledge = forms.BooleanField(
        label=_("Email each new host the acknowledgement with their private link"),
        required=False,
        initial=True,
    )
