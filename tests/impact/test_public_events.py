"""Public events: the host opts in, staff publish, the page, iCalendar feed and JSON show only
public facts, the exact time and address only from PUBLIC_EVENT_DETAILS_DAYS before, and an
unpublished, cancelled or ended event is gone on the next request."""

from __future__ import annotations

import datetime as dt
import json

import icalendar
import pytest
from django.core.exceptions import ValidationError
from django.test import Client, override_settings
from django.urls import reverse

from events import services as event_services
from impact import selectors, services
from impact.models import PublicListing
from tests.impact.conftest import held_event

pytestmark = pytest.mark.django_db

PAGES = ("impact:public-events", "impact:public-events-ics", "impact:public-events-json")


@pytest.fixture
def soon(now_tour, today):
    """A confirmed event in ten days whose host asked to be listed."""
    fellow = now_tour.members.first().fellow
    fellow.legal_name = "LEGAL-NAME-MARK"
    fellow.phone = "+1 555 0100 99"
    fellow.save()
    return held_event(
        now_tour,
        day=today + dt.timedelta(days=10),
        hour=19,
        list_publicly=True,
        street="12 Quiet Lane",
        topics="Life in North Korea\nsecond line stays private",
        org="First Church",
        contact_email="pastor@example.org",
    )


def texts() -> dict[str, str]:
    return {name: Client().get(reverse(name)).content.decode() for name in PAGES}


def test_nothing_is_listed_until_staff_publish(soon):
    assert all("First Church" not in text for text in texts().values())
    services.publish_event(event=soon)
    for name, text in texts().items():
        assert "First Church" in text, name
        assert "Grace" in text, name
        assert "Life in North Korea" in text
        for private in ("LEGAL-NAME-MARK", "555 0100", "pastor@example.org", "second line"):
            assert private not in text, (name, private)


@override_settings(PUBLIC_EVENT_DETAILS_DAYS=2)
def test_time_and_address_appear_only_days_before(soon):
    services.publish_event(event=soon)
    early = texts()
    for text in early.values():
        assert "12 Quiet Lane" not in text
        assert "New York" in text
    listed = json.loads(early["impact:public-events-json"])["events"][0]
    assert listed["starts_at"] is None and listed["address"] is None
    assert listed["city"] == "New York" and listed["speakers"] == ["Grace"]
    calendar = icalendar.Calendar.from_ical(early["impact:public-events-ics"])
    vevent = calendar.walk("VEVENT")[0]
    assert isinstance(vevent["DTSTART"].dt, dt.date) and not isinstance(
        vevent["DTSTART"].dt, dt.datetime
    )
    close = selectors.published_events(now=soon.starts_at - dt.timedelta(days=1))[0]
    assert close.address and "12 Quiet Lane" in close.address
    assert close.starts.hour == 19


@override_settings(PUBLIC_EVENT_DETAILS_DAYS=30)
def test_within_the_window_the_feed_has_the_time_and_place(soon):
    services.publish_event(event=soon)
    calendar = icalendar.Calendar.from_ical(texts()["impact:public-events-ics"])
    vevent = calendar.walk("VEVENT")[0]
    assert isinstance(vevent["DTSTART"].dt, dt.datetime)
    assert "12 Quiet Lane" in str(vevent["LOCATION"])
    assert str(vevent["UID"]) == f"public-{soon.ical_uid}"


def test_a_fellow_who_prefers_is_a_north_korean_speaker(soon):
    fellow = soon.fellows.get()
    fellow.unnamed_in_public_listings = True
    fellow.save()
    services.publish_event(event=soon)
    for text in texts().values():
        assert "Grace" not in text
        assert "a North Korean speaker" in text


def test_unpublish_is_immediate_even_for_a_client_holding_an_etag(soon):
    services.publish_event(event=soon)
    client = Client()
    first = client.get(reverse("impact:public-events-json"))
    assert "no-cache" in first["Cache-Control"]
    again = client.get(reverse("impact:public-events-json"), HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304
    assert services.unpublish_event(event=soon) is True
    after = client.get(reverse("impact:public-events-json"), HTTP_IF_NONE_MATCH=first["ETag"])
    assert after.status_code == 200
    assert json.loads(after.content)["events"] == []


def test_cancelled_and_ended_events_leave_the_page(soon, now_tour, today):
    services.publish_event(event=soon)
    event_services.cancel_event(event=soon)
    assert "First Church" not in texts()["impact:public-events"]
    assert selectors.published_events(now=soon.ends_at) == []


def test_publishing_needs_the_hosts_opt_in_and_a_confirmed_future_event(now_tour, today):
    private = held_event(now_tour, day=today + dt.timedelta(days=5), list_publicly=False)
    with pytest.raises(ValidationError, match="did not ask"):
        services.publish_event(event=private)
    tentative = held_event(
        now_tour, day=today + dt.timedelta(days=6), list_publicly=True, status=""
    )
    with pytest.raises(ValidationError, match="confirmed"):
        services.publish_event(event=tentative)
    past = held_event(now_tour, day=today - dt.timedelta(days=3), list_publicly=True)
    with pytest.raises(ValidationError, match="ended"):
        services.publish_event(event=past)
    assert PublicListing.objects.count() == 0


def test_staff_publish_from_the_board_and_the_api(soon, staff_client, staff_api):
    publish = staff_client.post(reverse("impact:event-publish", args=[soon.pk]))
    assert publish.status_code == 302
    assert PublicListing.objects.filter(event=soon).exists()
    page = staff_client.get(reverse("impact:event", args=[soon.pk]))
    assert "Unpublish" in page.content.decode()
    assert staff_client.post(reverse("impact:event-unpublish", args=[soon.pk])).status_code == 302
    assert not PublicListing.objects.exists()
    created = staff_api.post("/api/v1/public-listings/", {"event": soon.pk}, format="json")
    assert created.status_code == 201 and created.json()["event"] == soon.pk
    listed = staff_api.get("/api/v1/public-listings/")
    assert listed.status_code == 200 and listed.json()["count"] == 1
    assert staff_api.delete(f"/api/v1/public-listings/{soon.pk}/").status_code == 204
    assert staff_api.delete(f"/api/v1/public-listings/{soon.pk}/").status_code == 404
    soon.request.list_publicly = False
    soon.request.save()
    refused = staff_api.post("/api/v1/public-listings/", {"event": soon.pk}, format="json")
    assert refused.status_code == 400 and "did not ask" in refused.json()["event"][0]


def test_hosts_opt_in_through_the_api_and_the_form(db):
    from rest_framework.test import APIClient

    from events.models import SpeakerRequest
    from tests.events.conftest import as_json, request_data

    answer = APIClient().post(
        "/api/v1/requests/", as_json(request_data(list_publicly=True)), format="json"
    )
    assert answer.status_code == 201, answer.content
    assert SpeakerRequest.objects.get().list_publicly is True
    form = Client().get(reverse("events:request-speaker")).content.decode()
    assert 'name="list_publicly"' in form


def test_hosts_opt_in_through_the_csv_import(db):
    import io

    from events import csv_import
    from events.models import SpeakerRequest
    from tests.events.test_import import csv_text, row

    report = csv_import.import_requests(
        io.StringIO(csv_text(row("P-1", list_publicly="yes"), row("P-2", list_publicly="no")))
    )
    assert [r.outcome for r in report.rows] == ["created", "created"], report
    listed = dict(SpeakerRequest.objects.values_list("external_id", "list_publicly"))
    assert listed == {"P-1": True, "P-2": False}


def test_staff_see_that_a_cancelled_published_event_is_no_longer_shown(soon, staff_client):

    services.publish_event(event=soon)
    event_services.cancel_event(event=soon, reason="The hall flooded.")

    page = staff_client.get(reverse("impact:event", args=[soon.pk])).content.decode()

    assert "Published, but not shown: the event is cancelled or over." in page
    assert soon.title not in staff_client.get(reverse("impact:public-events")).content.decode()
