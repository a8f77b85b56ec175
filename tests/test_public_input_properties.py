"""Property-based tests of the public doors: a valid submission broken in generated ways (values
of every JSON type, control characters, foreign digits, huge numbers, impossible dates, deep
nesting, missing and unknown fields) is thrown at the endpoints that take a body from anyone: 1,000
bodies each per run at the public API and the public form, 250 at the host's private pages.
Those full runs carry the `fuzz` marker (`make fuzz` and CI run them); every run, `make test`
included, throws 25 such bodies at each door.

The properties: never a server error, and a refused body saves nothing (no request,
organization, window or outbox row; for the host's own pages, no change to the request).
Derandomized with no example database, so a failure here fails the same way everywhere.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from events import intake
from events.models import Organization, RequestWindow, SpeakerRequest
from notifications.models import Notification
from tests.events.conftest import as_form_post, as_json, request_data

pytestmark = pytest.mark.django_db
BODIES_PER_ENDPOINT = 1_000
SMOKE_BODIES = 25
PROPERTY_SETTINGS = settings(
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)

ONE_LINE_FIELDS = ["organization_name", "contact_name", "contact_phone", "street", "city"]
FIELDS = [
    *ONE_LINE_FIELDS,
    "organization_kind",
    "contact_email",
    "format",
    "state",
    "zip_code",
    "timezone",
    "expected_audience",
    "audience_type",
    "event_length_minutes",
    "topics",
    "notes",
    "interpretation_needed",
    "windows",
]
WINDOW_FIELDS = ["start_date", "end_date", "earliest_start", "latest_end", "preference"]

hostile_text = st.one_of(
    st.text(max_size=40),
    st.sampled_from(
        [
            "６０６０１",
            "1234é",
            "6060١",
            "America",
            "America/",
            "2027-02-29",
            "2027-13-01",
            "0000-01-01",
            "9999-12-31",
            "24:00",
            "02:30",
            "Loop\r\nOn-site contact: Mallory",
            "tab\there",
            "nul\x00byte",
            "\u2028",
            "x" * 5_001,
        ]
    ),
    st.builds(lambda a, b: f"{a}\n{b}", st.text(max_size=10), st.text(max_size=10)),
)
numbers = st.one_of(
    st.integers(),
    st.sampled_from([10**15, -(10**15), 10**100, 2**63, -1, 0]),
    st.floats(allow_nan=False, allow_infinity=False),
)
json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), numbers, hostile_text),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)


@st.composite
def broken_submissions(draw) -> dict[str, Any]:
    """The valid submission of tests/events/conftest.py with one to three things broken."""
    body = as_json(request_data())
    for _change in range(draw(st.integers(min_value=1, max_value=3))):
        kind = draw(st.sampled_from(["field", "window", "drop", "unknown", "windows"]))
        if kind == "field":
            body[draw(st.sampled_from(FIELDS))] = draw(json_values)
        elif kind == "window":
            windows = body.get("windows")
            window = windows[0] if isinstance(windows, list) and windows else None
            if isinstance(window, dict):
                window[draw(st.sampled_from(WINDOW_FIELDS))] = draw(json_values)
        elif kind == "drop":
            body.pop(draw(st.sampled_from(FIELDS)), None)
        elif kind == "unknown":
            body[draw(st.text(max_size=12))] = draw(json_values)
        else:
            body["windows"] = draw(st.lists(json_values, max_size=12))
    return body


def saved_rows() -> tuple[int, int, int, int]:
    return (
        SpeakerRequest.objects.count(),
        Organization.objects.count(),
        RequestWindow.objects.count(),
        Notification.objects.count(),
    )


def as_form_fields(body: dict[str, Any]) -> dict[str, str]:
    """A broken JSON body as the form's POST fields: every value as the text a browser sends."""
    fields: dict[str, str] = {}
    for name, value in body.items():
        if name == "windows":
            continue
        if value is not None and value is not False:
            fields[str(name)] = value if isinstance(value, str) else json.dumps(value)
    windows = body.get("windows") if isinstance(body.get("windows"), list) else []
    for index, window in enumerate(windows):
        if isinstance(window, dict):
            for name, value in window.items():
                fields[f"windows-{index}-{name}"] = str(value)
    fields |= {
        "windows-TOTAL_FORMS": str(len(windows)),
        "windows-INITIAL_FORMS": "0",
        "windows-MIN_NUM_FORMS": "1",
        "windows-MAX_NUM_FORMS": "10",
    }
    return {k.replace("\x00", ""): v.replace("\x00", "") for k, v in fields.items()}


@pytest.fixture
def unlimited(settings):
    # The per-address budget would refuse most examples with 429 before they are judged.
    settings.REQUEST_RATE_LIMIT = "1000000/h"
    cache.clear()


def test_the_generated_bodies_start_from_a_valid_one(client, unlimited):
    assert (
        client.post("/api/v1/requests/", as_json(request_data()), "application/json").status_code
        == 201
    )
    assert client.post("/request/", as_form_post(request_data())).status_code == 302


def body_counts(full: int) -> list:
    """A short slice in every run, the full count under the `fuzz` marker."""
    return [
        pytest.param(SMOKE_BODIES, id="smoke"),
        pytest.param(full, id="full", marks=pytest.mark.fuzz),
    ]


def for_each_body(bodies: int, check) -> None:
    """Run `check` over `bodies` generated broken submissions (the same ones on every machine).
    Fixtures serve the whole run, as with @given on a test: the checks compare before and after
    each body, so what earlier bodies saved does not matter."""
    settings(PROPERTY_SETTINGS, max_examples=bodies)(given(body=broken_submissions())(check))()


@pytest.mark.parametrize("bodies", body_counts(BODIES_PER_ENDPOINT))
def test_the_public_api_never_fails_and_saves_nothing_it_refuses(bodies, unlimited):
    for_each_body(bodies, public_api_answers_and_saves_nothing_it_refuses)


def public_api_answers_and_saves_nothing_it_refuses(body: dict[str, Any]) -> None:
    before = saved_rows()
    response = Client().post("/api/v1/requests/", json.dumps(body), "application/json")
    assert response.status_code < 500, response.content[:300]
    if response.status_code == 201:
        assert saved_rows()[0] == before[0] + 1
    else:
        assert response.status_code == 400, response.content[:300]
        assert response.json(), "a refusal names what is wrong"
        assert saved_rows() == before


@pytest.mark.parametrize("bodies", body_counts(BODIES_PER_ENDPOINT))
def test_the_public_form_never_fails_and_saves_nothing_it_refuses(bodies, unlimited):
    for_each_body(bodies, public_form_answers_and_saves_nothing_it_refuses)


def public_form_answers_and_saves_nothing_it_refuses(body: dict[str, Any]) -> None:
    before = saved_rows()
    response = Client().post("/request/", as_form_fields(body))
    assert response.status_code < 500
    if response.status_code == 302:
        assert saved_rows()[0] == before[0] + 1
    else:
        assert response.status_code == 200  # the form again, with its errors
        context = response.context
        assert (
            context["form"].errors
            or context["formset"].total_error_count()
            or context["window_errors"]
        )
        assert saved_rows() == before


@pytest.fixture
def host_page(db) -> tuple[str, SpeakerRequest]:
    submission = intake.submit_speaker_request(data=request_data(), source="web")
    token = submission.host_url.rstrip("/").rsplit("/", 1)[1]
    return f"/r/{token}/", submission.speaker_request


def request_state(speaker_request: SpeakerRequest) -> tuple:
    speaker_request.refresh_from_db()
    windows = list(speaker_request.windows.values_list("start_date", "earliest_start"))
    return (
        speaker_request.contact_name,
        speaker_request.contact_phone,
        speaker_request.attendance_count,
        windows,
    )


# The host's pages answer only holders of a private link and apply the same intake rules; a
# quarter of the public budget keeps the suite's time reasonable (each answer is a full page).
@pytest.mark.parametrize("bodies", body_counts(BODIES_PER_ENDPOINT // 4))
def test_the_host_page_never_fails_and_changes_nothing_it_refuses(bodies, host_page):
    path, speaker_request = host_page

    def answers_and_changes_nothing_it_refuses(body: dict[str, Any]) -> None:
        host_page_answers_and_changes_nothing_it_refuses(body, path, speaker_request)

    for_each_body(bodies, answers_and_changes_nothing_it_refuses)


def host_page_answers_and_changes_nothing_it_refuses(
    body: dict[str, Any], path: str, speaker_request: SpeakerRequest
) -> None:
    before = request_state(speaker_request)
    response = Client().post(path, as_form_fields(body))
    if response.status_code == 302:  # saved: back to the same page
        assert response["Location"] == path
    else:
        assert response.status_code == 200  # refused: the page again, with its errors
        assert request_state(speaker_request) == before
    # Attendance is judged on the same page's sibling, with numbers from the same bodies.
    attendance = Client().post(
        path + "attendance/",
        {
            "attendance_count": as_form_fields(body).get("expected_audience", ""),
            "first_time_count": as_form_fields(body).get("event_length_minutes", ""),
            "attendance_comments": as_form_fields(body).get("notes", ""),
        },
    )
    assert attendance.status_code == 200  # the event has not happened: refused, shown again
    speaker_request.refresh_from_db()
    assert speaker_request.attendance_count is None


def test_dates_at_the_ends_of_the_calendar_are_judged_without_overflow(client, unlimited):
    body = as_json(request_data())
    answers = []
    for day in (dt.date.min, dt.date.max):
        body["windows"][0] |= {"start_date": day.isoformat(), "end_date": day.isoformat()}
        answers.append(client.post("/api/v1/requests/", body, "application/json").status_code)
    # Year 1 is in the past; year 9999 is odd but a real date, in the future.
    assert answers == [400, 201]
