"""The submission parser (events.serializers): fields built per instance from factories
(events.request_fields) instead of DRF's deep copy must parse exactly as declared fields do and
never be shared between requests."""

from __future__ import annotations

from rest_framework import serializers

from events.serializers import SpeakerRequestSubmissionSerializer
from tests.events.conftest import as_json, request_data, window


def deep_copied_twin() -> type[serializers.Serializer]:
    """The same fields, declared, with DRF's own get_fields (a deep copy per instance)."""
    return type(
        "Twin", (serializers.Serializer,), SpeakerRequestSubmissionSerializer().get_fields()
    )


def test_each_parser_gets_fields_of_its_own():
    first, second = SpeakerRequestSubmissionSerializer(), SpeakerRequestSubmissionSerializer()
    for name, field in first.fields.items():
        assert field is not second.fields[name]
        assert field.parent is first
    first_window = first.fields["windows"].child
    second_window = second.fields["windows"].child
    assert first_window is not second_window
    assert first_window.fields["start_date"] is not second_window.fields["start_date"]
    assert first_window.fields["start_date"].parent is first_window


def test_valid_and_invalid_input_parse_as_with_a_deep_copy():
    bad = as_json(request_data(organization_kind="castle", expected_audience="lots"))
    bad["windows"] = [as_json(request_data(windows=[window(0, preference="maybe")]))["windows"][0]]
    for body in (as_json(request_data()), bad, {}):
        ours = SpeakerRequestSubmissionSerializer(data=body)
        twin = deep_copied_twin()(data=body)
        assert ours.is_valid() == twin.is_valid()
        assert ours.errors == twin.errors
        assert dict(ours.validated_data) == dict(twin.validated_data)
