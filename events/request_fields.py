"""The one declaration of what a host tells us about a speaker request.

Each entry names one submitted value and says, in one place, how every door takes it:

- `form`: the host form's field (events.forms.SpeakerRequestForm), or None when not on it;
- `api`: the public API's field, which also parses each CSV import row
  (events.serializers.SpeakerRequestSubmissionSerializer), or None;
- `csv`: what the CSV import column takes (Markdown, no `|`), shown on the admin's import page
  and in the README's table (tests/events/test_request_fields.py checks the README against
  it), or None for no column;
- `copied`: events.intake copies the value onto the SpeakerRequest as given (the organization
  and the time zone are built or checked by the intake itself).

Adding a field: one entry here, e.g. `_yes_no("listed_publicly", _("List our event publicly"))`,
plus its model field and migration and its place in the request form's template, which lays
fields out by hand (tests/events/test_request_fields.py says when one is missing). The README's
CSV table then needs the row the test prints.
Whether a value is acceptable stays events.intake's decision, as for every other field.

Fields are made by factories (functools.partial), so every form and serializer gets fresh
field objects without deep-copying their arguments.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

from django import forms
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from common.text_input import FREE_TEXT_MAX_CHARS
from events.models import Organization, SpeakerRequest

if TYPE_CHECKING:
    from django_stubs_ext import StrPromise  # a lazily translated label


@dataclass(frozen=True)
class RequestField:
    name: str
    form: Callable[[], forms.Field] | None
    api: Callable[[], serializers.Field] | None
    csv: str | None
    copied: bool = True


def _choices(choices: Iterable[tuple[str, object]]) -> str:
    return ", ".join(f"`{value}`" for value, _label in choices)


def _free_text(name: str, label: str | StrPromise) -> RequestField:
    """Free text the host may leave empty, up to the free-text limit."""
    return RequestField(
        name,
        form=partial(
            forms.CharField,
            label=label,
            required=False,
            max_length=FREE_TEXT_MAX_CHARS,
            widget=forms.Textarea({"rows": 3}),
        ),
        api=partial(
            serializers.CharField, required=False, allow_blank=True, max_length=FREE_TEXT_MAX_CHARS
        ),
        csv="free text",
    )


def _yes_no(name: str, label: str | StrPromise) -> RequestField:
    """A checkbox, unticked unless the host ticks it."""
    return RequestField(
        name,
        form=partial(forms.BooleanField, label=label, required=False),
        api=partial(serializers.BooleanField, default=False),
        csv="`yes`/`no`, `true`/`false` or `1`/`0` (default no)",
    )


def _optional_line(
    name: str, label: str | StrPromise, max_length: int, csv: str, widget: forms.Widget, **form: Any
) -> RequestField:
    """A one-line text the host may leave empty (the intake decides when it is needed)."""
    return RequestField(
        name,
        form=partial(
            forms.CharField,
            label=label,
            max_length=max_length,
            required=False,
            widget=widget,
            **form,
        ),
        api=partial(serializers.CharField, max_length=max_length, required=False, allow_blank=True),
        csv=csv,
    )


FIELDS: tuple[RequestField, ...] = (
    RequestField(
        "external_id",
        form=None,
        api=None,
        csv="required; your identifier for the row, unique across imports",
    ),
    RequestField(
        "organization_name",
        form=partial(forms.CharField, label=_("Organization name"), max_length=200),
        api=partial(serializers.CharField, max_length=200),
        csv="required",
        copied=False,
    ),
    RequestField(
        "organization_kind",
        form=partial(
            forms.ChoiceField,
            label=_("Kind of organization"),
            choices=Organization.Kind.choices,
        ),
        api=partial(serializers.ChoiceField, choices=Organization.Kind.choices),
        csv=_choices(Organization.Kind.choices),
        copied=False,
    ),
    RequestField(
        "contact_name",
        form=partial(
            forms.CharField,
            label=_("Your name"),
            max_length=200,
            widget=forms.TextInput({"autocomplete": "name"}),
        ),
        api=partial(serializers.CharField, max_length=200),
        csv="required",
    ),
    RequestField(
        "contact_email",
        form=partial(
            forms.CharField,
            label=_("Email"),
            max_length=254,
            help_text=_("We send your private link for this request here."),
            widget=forms.EmailInput({"autocomplete": "email"}),
        ),
        api=partial(serializers.CharField, max_length=254),
        csv="required",
    ),
    _optional_line(
        "contact_phone",
        _("Phone"),
        40,
        "optional",
        forms.TextInput({"type": "tel", "autocomplete": "tel"}),
    ),
    RequestField(
        "format",
        form=partial(
            forms.ChoiceField,
            label=_("Format"),
            choices=SpeakerRequest.Format.choices,
            initial=SpeakerRequest.Format.IN_PERSON,
            widget=forms.RadioSelect,
        ),
        api=partial(
            serializers.ChoiceField,
            choices=SpeakerRequest.Format.choices,
            default=SpeakerRequest.Format.IN_PERSON,
        ),
        csv=f"{_choices(SpeakerRequest.Format.choices)} (default `in_person`)",
    ),
    _optional_line(
        "street",
        _("Street address"),
        200,
        "required for in-person events",
        forms.TextInput({"autocomplete": "street-address"}),
        help_text=_("Needed for in-person events."),
    ),
    _optional_line(
        "city",
        _("City"),
        100,
        "required for in-person events",
        forms.TextInput({"autocomplete": "address-level2"}),
    ),
    RequestField(
        "state",
        # The form offers the states as choices (events.forms.SpeakerRequestForm.__init__).
        form=partial(forms.ChoiceField, label=_("State"), choices=[], required=False),
        api=partial(serializers.CharField, max_length=2, required=False, allow_blank=True),
        csv="required for in-person events; the two-letter code",
    ),
    _optional_line(
        "zip_code",
        _("ZIP code"),
        10,
        "required for in-person events",
        forms.TextInput({"autocomplete": "postal-code", "inputmode": "numeric"}),
    ),
    RequestField(
        "expected_audience",
        form=partial(
            forms.IntegerField,
            label=_("Expected audience"),
            help_text=_("About how many people, from 1 to 100,000."),
            widget=forms.NumberInput({"inputmode": "numeric"}),
        ),
        api=serializers.IntegerField,
        csv="required, 1 to 100000",
    ),
    RequestField(
        "audience_type",
        form=partial(
            forms.ChoiceField, label=_("Audience"), choices=SpeakerRequest.AudienceType.choices
        ),
        api=partial(
            serializers.ChoiceField,
            choices=SpeakerRequest.AudienceType.choices,
            default=SpeakerRequest.AudienceType.GENERAL_PUBLIC,
        ),
        csv=f"{_choices(SpeakerRequest.AudienceType.choices)} (default `general_public`)",
    ),
    RequestField(
        "event_length_minutes",
        form=partial(
            forms.TypedChoiceField,
            label=_("Length of the talk"),
            coerce=int,
            initial=60,
            choices=[(m, _("%(minutes)d minutes") % {"minutes": m}) for m in (30, 45, 60, 90, 120)],
        ),
        api=partial(serializers.IntegerField, default=60),
        csv="minutes, default 60",
    ),
    _free_text("topics", _("Topics you would like covered")),
    _yes_no("interpretation_needed", _("Korean–English interpretation needed")),
    _yes_no("honorarium_offered", _("We can offer an honorarium")),
    _yes_no("travel_support_offered", _("We can support travel costs")),
    _free_text("notes", _("Anything else we should know")),
    RequestField(
        "timezone",
        # The form offers the zones as choices (events.forms.SpeakerRequestForm.__init__).
        form=partial(
            forms.ChoiceField,
            label=_("Time zone of your times (virtual events)"),
            required=False,
            help_text=_("In-person times are always the venue's local time, from its ZIP code."),
        ),
        api=partial(
            serializers.CharField,
            max_length=64,
            required=False,
            allow_blank=True,
            help_text="IANA zone of the window times, for virtual events; in-person events use "
            "the venue's zone.",
        ),
        csv="IANA zone of the window times, virtual events only",
        copied=False,
    ),
    # The date windows are a list, parsed by events.serializers.RequestWindowInputSerializer
    # and the form's formset; in a CSV cell they are written out as text.
    RequestField(
        "windows",
        form=None,
        api=None,
        csv="required; one to ten, separated by `;`, each "
        "`FIRST_DATE[..LAST_DATE] HH:MM-HH:MM [preferred or possible]`, e.g. "
        "`2027-03-01..2027-03-05 09:00-17:00; 2027-03-10 18:00-20:00 possible`",
        copied=False,
    ),
)

# The SpeakerRequest fields events.intake copies from the submitted data as given.
COPIED = tuple(f.name for f in FIELDS if f.copied)
# The CSV import's columns, in the order the README and the admin list them.
CSV_COLUMNS = tuple(f.name for f in FIELDS if f.csv is not None)


def form_fields() -> dict[str, forms.Field]:
    """Fresh host-form fields, in the order the form validates and reports them."""
    return {f.name: f.form() for f in FIELDS if f.form is not None}


def api_fields() -> dict[str, serializers.Field]:
    """Fresh public-API fields (without the nested windows)."""
    return {f.name: f.api() for f in FIELDS if f.api is not None}


def csv_help() -> list[tuple[str, str]]:
    """(column, what it takes) for every CSV column; the admin's import page shows these."""
    return [(f.name, f.csv) for f in FIELDS if f.csv is not None]
