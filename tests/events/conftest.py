"""Fixtures for the intake tests: valid submissions as service data, JSON and form fields."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.cache import cache

# Far enough ahead to stay in the future whenever the suite runs.
FIRST_DAY = dt.date.today() + dt.timedelta(days=60)


@pytest.fixture(autouse=True)
def fresh_rate_limit():
    """Each test starts with an untouched submission budget (the cache is shared)."""
    cache.clear()
    yield
    cache.clear()


def window(offset_days: int = 0, **changes: Any) -> dict[str, Any]:
    start = FIRST_DAY + dt.timedelta(days=offset_days)
    values = {
        "start_date": start,
        "end_date": start + dt.timedelta(days=4),
        "earliest_start": dt.time(9),
        "latest_end": dt.time(17),
        "preference": "preferred",
    }
    values.update(changes)
    return values


def request_data(**changes: Any) -> dict[str, Any]:
    """Valid data for events.intake.submit_speaker_request: a church in Chicago."""
    values = {
        "organization_name": "Loop Community Church",
        "organization_kind": "church",
        "contact_name": "Dana Host",
        "contact_email": "dana@example.org",
        "contact_phone": "+1 312 555 0100",
        "format": "in_person",
        "street": "100 W Randolph St",
        "city": "Chicago",
        "state": "IL",
        "zip_code": "60601",
        "expected_audience": 150,
        "audience_type": "congregation",
        "event_length_minutes": 60,
        "topics": "Life in North Korea, escape",
        "interpretation_needed": True,
        "honorarium_offered": False,
        "travel_support_offered": True,
        "notes": "Parking behind the building.",
        "windows": [window(0), window(14, preference="possible")],
    }
    values.update(changes)
    return values


def as_json(data: dict[str, Any]) -> dict[str, Any]:
    """The same submission as the public API's JSON body."""

    def text(value: Any) -> Any:
        if isinstance(value, dt.date | dt.time):
            return value.isoformat()
        return value

    body = {k: text(v) for k, v in data.items() if k != "windows"}
    body["windows"] = [{k: text(v) for k, v in w.items()} for w in data["windows"]]
    return body


def as_form_post(data: dict[str, Any], *, extra_rows: int = 0) -> dict[str, str]:
    """The same submission as the web form's POST fields (checkboxes absent when off)."""
    post: dict[str, str] = {}
    for name, value in data.items():
        if name == "windows":
            continue
        if isinstance(value, bool):
            if value:
                post[name] = "on"
            continue
        post[name] = str(value)
    rows = data["windows"]
    for index, values in enumerate(rows):
        for name, value in values.items():
            post[f"windows-{index}-{name}"] = (
                value.strftime("%H:%M") if isinstance(value, dt.time) else str(value)
            )
    for index in range(len(rows), len(rows) + extra_rows):
        # A blank row as a browser sends it: only the pre-checked "preferred" radio.
        post[f"windows-{index}-preference"] = "preferred"
    post["windows-TOTAL_FORMS"] = str(len(rows) + extra_rows)
    post["windows-INITIAL_FORMS"] = "0"
    post["windows-MIN_NUM_FORMS"] = "1"
    post["windows-MAX_NUM_FORMS"] = "10"
    return post
