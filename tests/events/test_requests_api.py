"""The requests API: public creation with the form's rules and per-field JSON errors, and the
staff list, filters, status changes and declines."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from events import intake
from events.models import SpeakerRequest
from notifications.models import Notification
from tests.events.conftest import as_form_post, as_json, request_data, window
from tests.factories import OrganizationFactory, RequestWindowFactory, SpeakerRequestFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/requests/"


def test_anyone_can_submit_and_only_the_creator_sees_the_link(client, staff_api):
    response = APIClient().post(URL, as_json(request_data()), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    saved = SpeakerRequest.objects.get()
    assert body["reference"] == saved.reference
    assert body["timezone"] == "America/Chicago"
    assert saved.source == SpeakerRequest.Source.API
    assert client.get(body["host_url"].split("127.0.0.1:8000", 1)[-1]).status_code == 200
    ack = Notification.objects.get(speaker_request=saved)
    assert body["host_url"] not in ack.body_text and not ack.sealed_link.count(body["host_url"])
    # Staff reads never carry the link or its hash.
    staff_view = staff_api.get(f"{URL}{saved.pk}/").content.decode()
    assert body["host_url"] not in staff_view and saved.host_token_hash not in staff_view


def test_errors_are_given_per_field_and_per_window_and_nothing_is_saved():
    data = request_data(expected_audience=0, zip_code="10001")
    data["windows"] = [window(0), window(-90)]
    response = APIClient().post(URL, as_json(data), format="json")
    assert response.status_code == 400
    errors = response.json()
    assert set(errors) == {"expected_audience", "zip_code", "windows"}
    assert list(errors["windows"]) == ["1"]  # keyed by position, like DRF's list errors
    assert "future" in errors["windows"]["1"]["start_date"][0]
    assert SpeakerRequest.objects.count() == 0 and Notification.objects.count() == 0


def test_unparseable_values_are_field_errors_too():
    body = as_json(request_data())
    body["expected_audience"] = "lots"
    body["windows"][0]["start_date"] = "next tuesday"
    errors = APIClient().post(URL, body, format="json").json()
    assert "expected_audience" in errors
    assert "start_date" in errors["windows"]["0"]
    assert SpeakerRequest.objects.count() == 0


def test_form_and_api_share_one_submission_budget(client, settings):
    settings.REQUEST_RATE_LIMIT = "2/h"
    client.post("/request/", as_form_post(request_data(expected_audience=0)))
    assert APIClient().post(URL, as_json(request_data()), format="json").status_code == 201
    refused = APIClient().post(URL, as_json(request_data()), format="json")
    assert refused.status_code == 429
    assert "try again later" in refused.json()["detail"]
    assert SpeakerRequest.objects.count() == 1


def test_staff_only_for_everything_but_creating(staff_user):
    speaker_request = SpeakerRequestFactory()
    anonymous = APIClient()
    assert anonymous.get(URL).status_code == 401
    assert anonymous.get(f"{URL}{speaker_request.pk}/").status_code == 401
    declined = anonymous.post(f"{URL}{speaker_request.pk}/decline/", {"reason": "x"})
    assert declined.status_code == 401
    speaker_request.refresh_from_db()
    assert speaker_request.status == SpeakerRequest.Status.SUBMITTED


def references(response) -> set[str]:
    assert response.status_code == 200, response.content
    return {item["reference"] for item in response.json()["results"]}


def test_staff_filters(staff_api):
    nyc = SpeakerRequestFactory(
        expected_audience=300, organization=OrganizationFactory(kind="university")
    )
    philly = SpeakerRequestFactory(
        state="PA",
        city="Philadelphia",
        zip_code="19103",
        latitude=39.95,
        longitude=-75.17,
        expected_audience=80,
        status="in_review",
    )
    seattle = SpeakerRequestFactory(
        state="WA",
        city="Seattle",
        zip_code="98101",
        latitude=47.61,
        longitude=-122.33,
        expected_audience=40,
        timezone="America/Los_Angeles",
    )
    RequestWindowFactory(
        request=nyc, start_date=window(0)["start_date"], end_date=window(3)["start_date"]
    )
    RequestWindowFactory(
        request=philly, start_date=window(20)["start_date"], end_date=window(22)["start_date"]
    )
    RequestWindowFactory(
        request=seattle, start_date=window(40)["start_date"], end_date=window(41)["start_date"]
    )

    assert references(staff_api.get(URL, {"status": "in_review"})) == {philly.reference}
    assert references(staff_api.get(URL, {"state": "wa"})) == {seattle.reference}
    assert references(staff_api.get(URL, {"organization_kind": "university"})) == {nyc.reference}
    assert references(staff_api.get(URL, {"audience_min": 50, "audience_max": 100})) == {
        philly.reference
    }
    in_range = {"date_from": window(2)["start_date"], "date_to": window(21)["start_date"]}
    assert references(staff_api.get(URL, in_range)) == {nyc.reference, philly.reference}
    assert references(staff_api.get(URL, {"date_from": window(30)["start_date"]})) == {
        seattle.reference
    }

    near_nyc = staff_api.get(URL, {"near": "40.75,-73.99", "radius_km": 200})
    assert [r["reference"] for r in near_nyc.json()["results"]] == [
        nyc.reference,
        philly.reference,
    ]
    assert near_nyc.json()["results"][1]["distance_km"] == pytest.approx(130, abs=10)
    assert references(staff_api.get(URL, {"near": "40.75,-73.99", "radius_km": 50})) == {
        nyc.reference
    }
    assert staff_api.get(URL, {"near": "somewhere"}).status_code == 400


def test_staff_change_status_along_allowed_moves(staff_api):
    speaker_request = SpeakerRequestFactory()
    moved = staff_api.post(f"{URL}{speaker_request.pk}/status/", {"status": "in_review"})
    assert moved.status_code == 200 and moved.json()["status"] == "in_review"
    refused = staff_api.post(f"{URL}{speaker_request.pk}/status/", {"status": "completed"})
    assert refused.status_code == 400 and "status" in refused.json()
    no_shortcut = staff_api.post(f"{URL}{speaker_request.pk}/status/", {"status": "declined"})
    assert no_shortcut.status_code == 400
    speaker_request.refresh_from_db()
    assert speaker_request.status == SpeakerRequest.Status.IN_REVIEW


def test_staff_decline_with_a_reason_sends_the_notice(staff_api):
    speaker_request = intake.submit_speaker_request(data=request_data(), source="web")
    pk = speaker_request.speaker_request.pk
    assert staff_api.post(f"{URL}{pk}/decline/", {"reason": " "}).status_code == 400
    response = staff_api.post(
        f"{URL}{pk}/decline/", {"reason": "Our spring tour does not reach Chicago."}
    )
    assert response.status_code == 200
    assert response.json()["status"] == "declined"
    notice = Notification.objects.get(speaker_request_id=pk, kind="decline")
    assert "does not reach Chicago" in notice.body_text
    assert staff_api.post(f"{URL}{pk}/decline/", {"reason": "again"}).status_code == 400


def test_a_request_reopened_and_declined_again_sends_a_second_notice(staff_api):
    pk = intake.submit_speaker_request(data=request_data(), source="web").speaker_request.pk
    assert staff_api.post(f"{URL}{pk}/decline/", {"reason": "No dates in May."}).status_code == 200
    reopened = staff_api.post(f"{URL}{pk}/status/", {"status": "in_review"})
    assert reopened.status_code == 200

    again = staff_api.post(f"{URL}{pk}/decline/", {"reason": "Nor in June, sorry."})

    assert again.status_code == 200
    notices = Notification.objects.filter(speaker_request_id=pk, kind="decline")
    assert [n.body_text.count("June") for n in notices.order_by("created_at")] == [0, 1]
