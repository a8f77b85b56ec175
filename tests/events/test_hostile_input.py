"""Hostile and broken input at the public doors: every body that once got a 500 or was stored
as typed (shared/cases/intake) now answers 4xx with a field error, and nothing is saved.
"""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from events import intake
from events.csv_import import import_requests_from_bytes
from events.models import Organization, RequestWindow, SpeakerRequest
from notifications.models import Notification
from tests.events.conftest import as_form_post, as_json, request_data, window

pytestmark = pytest.mark.django_db
URL = "/api/v1/requests/"


def nothing_saved() -> bool:
    return not (
        SpeakerRequest.objects.exists()
        or Organization.objects.exists()
        or RequestWindow.objects.exists()
        or Notification.objects.exists()
    )


def post_api(body) -> tuple[int, dict]:
    response = APIClient().post(URL, body, format="json")
    return response.status_code, response.json()


@pytest.mark.parametrize("zip_code", ["６０６０１", "1234é", "6060١", "606\n01", "6060"])
def test_zip_codes_with_foreign_digits_are_field_errors(zip_code, client):
    status, errors = post_api(as_json(request_data(zip_code=zip_code)))
    assert status == 400 and "zip_code" in errors
    response = client.post("/request/", as_form_post(request_data(zip_code=zip_code)))
    assert response.status_code == 200
    assert response.context["form"].errors["zip_code"]
    assert nothing_saved()


def test_an_enormous_event_length_is_a_field_error_not_an_overflow():
    status, errors = post_api(as_json(request_data(event_length_minutes=1_000_000_000_000_000)))
    assert status == 400 and "event_length_minutes" in errors
    with pytest.raises(intake.RequestRejected) as rejected:
        intake.submit_speaker_request(data=request_data(event_length_minutes=10**20), source="api")
    assert "event_length_minutes" in rejected.value.field_errors
    assert nothing_saved()


@pytest.mark.parametrize("body", ["[" * 1000 + "]" * 1000, '{"a":' * 100 + "1" + "}" * 100])
def test_bodies_nested_deeper_than_any_request_are_refused(body):
    response = APIClient().post(URL, body, content_type="application/json")
    assert response.status_code == 400
    assert "deeper" in response.json()["detail"]
    assert nothing_saved()


@pytest.mark.parametrize("zone", ["America", "America/", "../etc/passwd", "Mars/Olympus", "Etc"])
def test_only_real_zone_names_are_accepted(zone):
    status, errors = post_api(as_json(request_data(format="virtual", timezone=zone)))
    assert status == 400 and errors["timezone"]
    assert nothing_saved()


@pytest.mark.parametrize("field", ["organization_name", "contact_name", "street", "city"])
@pytest.mark.parametrize("breaker", ["\r\n", "\n", "\t", "\x00", "\x1b", "\u2028"])
def test_one_line_fields_refuse_control_characters(field, breaker, client):
    value = f"Loop Church{breaker}On-site contact: Mallory"
    status, errors = post_api(as_json(request_data(**{field: value})))
    # DRF names NUL characters itself; every other one gets our message.
    assert status == 400 and ("single line" in errors[field][0] or breaker == "\x00")
    response = client.post("/request/", as_form_post(request_data(**{field: value})))
    assert response.status_code == 200 and response.context["form"].errors[field]
    assert nothing_saved()


def test_the_csv_import_refuses_line_breaks_too():
    first = window()
    csv = (
        "external_id,organization_name,organization_kind,contact_name,contact_email,street,"
        "city,state,zip_code,expected_audience,windows\n"
        '"ext-1","Loop Church\nDay sheet: https://evil.example",church,Dana,dana@example.org,'
        f"100 W Randolph St,Chicago,IL,60601,100,{first['start_date']}..{first['end_date']} "
        "09:00-17:00\n"
    )
    report = import_requests_from_bytes(csv.encode())
    assert report.count("created") == 0 and report.count("error") == 1
    assert any("single line" in message for message in report.rows[0].messages)
    assert nothing_saved()


def test_free_text_has_a_ceiling():
    status, errors = post_api(as_json(request_data(notes="x" * 2_400_000)))
    assert status == 400 and errors["notes"]
    status, errors = post_api(as_json(request_data(topics="x" * 5_001)))
    assert status == 400 and errors["topics"]
    assert nothing_saved()
    # Up to the ceiling, and across lines, is fine.
    status, _body = post_api(as_json(request_data(notes="Parking:\r\nbehind.\n" + "x" * 4_900)))
    assert status == 201


def test_an_impossible_date_says_no_such_date(client):
    body = as_json(request_data())
    body["windows"][0]["start_date"] = "2027-02-29"
    status, errors = post_api(body)
    assert status == 400
    assert errors["windows"]["0"]["start_date"] == ["No such date: February 2027 has 28 days."]
    post = as_form_post(request_data())
    post["windows-0-start_date"] = "2027-02-29"
    response = client.post("/request/", post)
    assert "No such date" in str(response.context["formset"].forms[0].errors["start_date"])
    assert nothing_saved()
