"""The intake rules (events.intake): what a valid request saves, and that any problem saves
nothing and is reported against the field (or window) it concerns."""

from __future__ import annotations

import datetime as dt
import socket

import pytest

from common.geocoding import locate_zip
from common.tokens import hash_token
from events import intake
from events.models import Organization, RequestWindow, SpeakerRequest
from notifications.models import Notification
from notifications.sealed_links import LINK_PLACEHOLDER
from tests.events.conftest import request_data, window
from tests.factories import OrganizationFactory

pytestmark = pytest.mark.django_db


def nothing_saved() -> bool:
    return (
        SpeakerRequest.objects.count() == 0
        and RequestWindow.objects.count() == 0
        and Organization.objects.count() == 0
        and Notification.objects.count() == 0
    )


def test_valid_request_is_saved_geocoded_and_acknowledged_with_the_private_link():
    submission = intake.submit_speaker_request(data=request_data(), source="web")

    saved = SpeakerRequest.objects.get()
    assert saved.status == SpeakerRequest.Status.SUBMITTED
    assert saved.source == SpeakerRequest.Source.WEB
    assert saved.organization.name == "Loop Community Church"
    assert saved.timezone == "America/Chicago"
    assert saved.latitude == pytest.approx(41.88, abs=0.05)
    assert saved.longitude == pytest.approx(-87.63, abs=0.05)
    assert [w.preference for w in saved.windows.all()] == ["preferred", "possible"]

    token = submission.host_url.rstrip("/").rsplit("/", 1)[1]
    assert len(token) >= 43  # 32 random bytes, URL-safe base64
    assert saved.host_token_hash == hash_token(token)
    assert token not in saved.host_token_hash

    acknowledgement = Notification.objects.get()
    assert acknowledgement.kind == Notification.Kind.ACKNOWLEDGEMENT
    assert acknowledgement.recipient_email == "dana@example.org"
    # The stored body holds a placeholder; the link is sealed until sending.
    assert submission.host_url not in acknowledgement.body_text
    assert LINK_PLACEHOLDER in acknowledgement.body_text
    assert saved.reference in acknowledgement.body_text


def test_geocoding_needs_no_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("geocoding tried to open a network connection")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    place = locate_zip("98101", "WA")
    assert place.timezone == "America/Los_Angeles"
    assert place.latitude == pytest.approx(47.61, abs=0.05)


@pytest.mark.parametrize(
    ("changes", "field", "fragment"),
    [
        ({"expected_audience": 0}, "expected_audience", "between 1 and"),
        ({"expected_audience": 100_001}, "expected_audience", "between 1 and"),
        ({"contact_email": "dana-at-example"}, "contact_email", "valid email"),
        ({"contact_phone": "call me"}, "contact_phone", "phone number"),
        ({"contact_phone": "12345"}, "contact_phone", "phone number"),
        ({"zip_code": "00000"}, "zip_code", "does not exist"),
        ({"zip_code": "10001"}, "zip_code", "does not exist in IL"),
        ({"zip_code": ""}, "zip_code", "in-person"),
        ({"organization_name": ""}, "organization_name", "blank"),
        ({"contact_name": ""}, "contact_name", "blank"),
        ({"windows": []}, "windows", "at least one"),
        ({"windows": [window(i * 7) for i in range(11)]}, "windows", "at most 10"),
        ({"format": "virtual", "timezone": ""}, "timezone", "time zone"),
        ({"format": "virtual", "timezone": "Mars/Olympus"}, "timezone", "from the list"),
    ],
)
def test_a_bad_field_is_reported_and_nothing_is_saved(changes, field, fragment):
    with pytest.raises(intake.RequestRejected) as rejected:
        intake.submit_speaker_request(data=request_data(**changes), source="api")
    messages = " ".join(rejected.value.field_errors.get(field, []))
    assert fragment in messages, rejected.value.field_errors
    assert nothing_saved()


@pytest.mark.parametrize(
    ("bad_window", "field", "fragment"),
    [
        (window(-90), "start_date", "future"),
        (window(0, end_date=dt.date.today() + dt.timedelta(days=50)), "end_date", "before"),
        (window(0, earliest_start=dt.time(18), latest_end=dt.time(9)), "latest_end", "after"),
        (window(0, earliest_start=dt.time(9), latest_end=dt.time(9, 30)), "latest_end", "shorter"),
        (window(0, preference="someday"), "preference", "preferred or possible"),
        (window(0, start_date=None), "start_date", "required"),
    ],
)
def test_a_bad_window_is_reported_against_that_window(bad_window, field, fragment):
    data = request_data(windows=[window(0), bad_window])
    with pytest.raises(intake.RequestRejected) as rejected:
        intake.submit_speaker_request(data=data, source="api")
    first, second = rejected.value.window_errors
    assert first == {}
    assert fragment in " ".join(second[field]), second
    assert rejected.value.as_nested()["windows"] == {1: second}
    assert nothing_saved()


def test_every_problem_is_reported_at_once():
    data = request_data(expected_audience=0, zip_code="00000", windows=[window(-90)])
    with pytest.raises(intake.RequestRejected) as rejected:
        intake.submit_speaker_request(data=data, source="api")
    assert {"expected_audience", "zip_code"} <= set(rejected.value.field_errors)
    assert "start_date" in rejected.value.window_errors[0]


def test_virtual_event_times_are_read_in_the_chosen_zone():
    data = request_data(
        format="virtual", timezone="America/Denver", street="", city="", state="", zip_code=""
    )
    submission = intake.submit_speaker_request(data=data, source="api")
    assert submission.speaker_request.timezone == "America/Denver"
    assert submission.speaker_request.latitude is None


def test_in_person_times_are_in_the_venues_zone_whatever_zone_is_sent():
    data = request_data(timezone="Pacific/Honolulu")
    submission = intake.submit_speaker_request(data=data, source="api")
    assert submission.speaker_request.timezone == "America/Chicago"


def test_an_existing_organization_is_reused_whatever_its_capitalisation():
    existing = OrganizationFactory(name="Loop Community Church", kind="church")
    data = request_data(organization_name="loop community church")
    submission = intake.submit_speaker_request(data=data, source="web")
    assert submission.speaker_request.organization == existing
    assert Organization.objects.count() == 1


def _resubmit(form) -> dict[str, str]:
    """POST data for a form exactly as the page showed it."""
    data = {}
    for bound in form:
        value = bound.value()
        if isinstance(value, bool):
            if value:
                data[bound.html_name] = "on"
        elif value is not None:
            data[bound.html_name] = str(value)
    return data


def test_a_submission_is_one_lookup_and_one_insert_per_table(django_assert_num_queries):
    OrganizationFactory(name="LOOP COMMUNITY CHURCH", kind=Organization.Kind.CHURCH)
    # The test's transaction makes the service's atomic block a savepoint (two statements);
    # the acknowledgement is keyed by the request inserted just before, so nothing looks it up.
    with django_assert_num_queries(6):
        intake.submit_speaker_request(data=request_data(), source="api")
    assert Notification.objects.get().speaker_request == SpeakerRequest.objects.get()


def test_an_external_id_taken_already_is_still_a_field_error():
    intake.submit_speaker_request(data=request_data(external_id="row-1"), source="import")
    with pytest.raises(intake.RequestRejected) as rejected:
        intake.submit_speaker_request(data=request_data(external_id="row-1"), source="import")
    assert set(rejected.value.field_errors) == {"external_id"}
    assert SpeakerRequest.objects.count() == 1 and Notification.objects.count() == 1


def test_staff_can_correct_coordinates_in_the_admin(admin_client):
    speaker_request = intake.submit_speaker_request(data=request_data(), source="web")
    pk = speaker_request.speaker_request.pk
    url = f"/admin/events/speakerrequest/{pk}/change/"
    page = admin_client.get(url)
    data = _resubmit(page.context["adminform"].form)
    for inline in page.context["inline_admin_formsets"]:
        formset = inline.formset
        data.update(_resubmit(formset.management_form))
        for form in formset.forms:
            data.update(_resubmit(form))
    data.update({"latitude": "41.9", "longitude": "-87.62", "timezone": "America/Chicago"})
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.context["errors"]
    corrected = SpeakerRequest.objects.get(pk=pk)
    assert (corrected.latitude, corrected.longitude) == (41.9, -87.62)
    assert corrected.windows.count() == 2
