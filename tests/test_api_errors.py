"""The API's one exception handler: a service's ValidationError is a 400 with field details."""

from __future__ import annotations

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError

from common.api_errors import validation_details
from events.intake import RequestRejected


def test_field_errors_keep_their_fields():
    error = ValidationError({"starts_at": ["Overlaps."], "fellows": ["On leave."]})
    assert validation_details(error) == {"starts_at": ["Overlaps."], "fellows": ["On leave."]}


def test_errors_naming_no_field_are_non_field_errors():
    assert validation_details(ValidationError("No.")) == {"non_field_errors": ["No."]}
    assert validation_details(ValidationError({NON_FIELD_ERRORS: ["Clash."]})) == {
        "non_field_errors": ["Clash."]
    }


def test_a_refused_submission_keeps_its_windows_nested_by_position():
    rejected = RequestRejected({"city": ["Needed."]}, [{}, {"end_date": ["Too early."]}])
    assert validation_details(rejected) == {
        "city": ["Needed."],
        "windows": {1: {"end_date": ["Too early."]}},
    }
