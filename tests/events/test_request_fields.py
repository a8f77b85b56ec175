"""One declaration of the speaker-request fields (events.request_fields), and of the Event
fields staff set (events.services.EDITABLE_FIELDS): every door takes its fields from them."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings

from events import csv_import, intake, request_fields
from events.forms import EventAdminForm, SpeakerRequestForm
from events.models import Event, SpeakerRequest
from events.serializers import (
    EventSerializer,
    SpeakerRequestSerializer,
    SpeakerRequestSubmissionSerializer,
)
from events.services import EDITABLE_FIELDS

DECLARED = [f.name for f in request_fields.FIELDS]


def test_the_host_form_has_the_declared_fields_and_its_honeypot():
    declared = [f.name for f in request_fields.FIELDS if f.form is not None]
    assert list(SpeakerRequestForm.base_fields) == [*declared, "nickname"]


def test_the_request_form_template_shows_every_form_field():
    template = Path(settings.BASE_DIR, "events/templates/events/request_form.html").read_text()
    missing = [name for name in SpeakerRequestForm.base_fields if f"form.{name}" not in template]
    assert missing == []


def test_the_api_parses_the_declared_fields_and_the_windows():
    declared = [f.name for f in request_fields.FIELDS if f.api is not None]
    assert list(SpeakerRequestSubmissionSerializer().fields) == [*declared, "windows"]


def test_csv_columns_and_the_admin_help_come_from_the_declaration():
    assert tuple(name for name, _takes in request_fields.csv_help()) == csv_import.COLUMNS
    assert set(csv_import.COLUMNS) == set(DECLARED)


def test_the_readme_table_lists_the_declared_columns():
    readme = Path(settings.BASE_DIR, "README.md").read_text()
    table = readme.split("| column | takes |\n|---|---|\n", 1)[1].split("\n\n", 1)[0]
    expected = [f"| `{column}` | {takes} |" for column, takes in request_fields.csv_help()]
    assert table.splitlines() == expected


def test_copied_fields_are_request_fields_staff_read():
    model_fields = {f.name for f in SpeakerRequest._meta.concrete_fields}
    assert set(request_fields.COPIED) <= model_fields
    assert intake.REQUEST_FIELDS == request_fields.COPIED
    assert set(request_fields.COPIED) <= set(SpeakerRequestSerializer.Meta.fields)


def test_every_event_field_is_placed():
    """A new Event field is either set by staff (EDITABLE_FIELDS, hence the admin form and the
    API), or kept by the booking service itself."""
    kept_by_services = {
        "id",
        "request",
        "status",
        "ical_uid",
        "sequence",
        "window_override_reason",
        "confirmation_note",
        "cancellation_reason",
        "cancelled_at",
        "host_answer",
        "host_answer_comment",
        "host_answered_at",
        "created_at",
        "updated_at",
    }
    fields = {f.name for f in Event._meta.concrete_fields}
    assert fields - set(EDITABLE_FIELDS) - kept_by_services == set()
    assert set(EDITABLE_FIELDS) <= set(EventAdminForm.base_fields)
    assert set(EDITABLE_FIELDS) <= set(EventSerializer.Meta.fields)
