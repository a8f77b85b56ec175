"""Staff forms for events: every booking rule is checked before anything is saved."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from events.models import Event
from events.rules import Slot
from events.services import BookingRefused, check_booking
from fellows.models import Fellow


class EventAdminForm(forms.ModelForm):
    assigned_fellows = forms.ModelMultipleChoiceField(
        queryset=Fellow.objects.filter(active=True),
        label=_("Fellows"),
        widget=forms.CheckboxSelectMultiple,
    )
    override_reason = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Needed only to book despite a warning (host window, rest day, hours)."),
    )

    class Meta:
        model = Event
        fields = [
            "tour",
            "request",
            "title",
            "starts_at",
            "ends_at",
            "timezone",
            "venue_name",
            "street",
            "city",
            "state",
            "zip_code",
            "latitude",
            "longitude",
            "visibility",
            "locked",
            "onsite_contact_name",
            "onsite_contact_phone",
            "arrival_minutes_before",
            "day_sheet_notes",
            "attendance",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["assigned_fellows"].initial = list(self.instance.fellows.all())

    def booking_changed(self) -> bool:
        return not self.instance.pk or bool(
            {"starts_at", "ends_at", "assigned_fellows", "tour"} & set(self.changed_data)
        )

    def clean(self):
        data = super().clean()
        needed = ("tour", "starts_at", "ends_at", "assigned_fellows")
        if any(data.get(name) is None for name in needed) or not self.booking_changed():
            return data
        slot = Slot(
            tour=data["tour"],
            fellows=list(data["assigned_fellows"]),
            starts_at=data["starts_at"],
            ends_at=data["ends_at"],
            latitude=data.get("latitude"),
            longitude=data.get("longitude"),
            exclude_event_id=self.instance.pk,
        )
        try:
            check_booking(
                slot=slot,
                request=data.get("request"),
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
