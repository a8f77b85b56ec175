"""Project-level behaviour: health check, API schema and offline docs, admin pages, demo data."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client, RequestFactory
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from events.models import Event, Organization, SpeakerRequest
from fellows.models import Fellow, Tour
from tests.conftest import registered_models


@pytest.mark.django_db
def test_healthz_reports_database_and_broker_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"database": "ok", "broker": "ok", "status": "ok"}


@pytest.mark.django_db
def test_healthz_is_503_naming_the_broker_when_it_is_down(client, settings):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {}
    settings.CELERY_BROKER_CONNECTION_TIMEOUT = 0.5
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["database"] == "ok"
    assert body["broker"] != "ok" and body["status"] == "unavailable"


@pytest.mark.django_db
def test_openapi_schema_and_docs_work_offline(client):
    schema = client.get("/api/schema/")
    assert schema.status_code == 200
    assert b"/api/v1/events/" in schema.content
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    html = docs.content.decode()
    external = re.findall(r'(?:src|href)="(https?://[^"]+)"', html)
    assert external == [], "the docs page must not load assets from the internet"


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/api/v1/events/", "/api/v1/fellows/", "/api/v1/tours/"])
def test_staff_api_refuses_anonymous_and_non_staff(url, django_user_model):
    anonymous = APIClient().get(url)
    assert anonymous.status_code == 401  # no credentials: a challenge, not a refusal
    assert anonymous["WWW-Authenticate"] == "Token"
    user = django_user_model.objects.create_user("host", password="x" * 12)
    signed_in = APIClient()
    signed_in.force_authenticate(user)
    assert signed_in.get(url).status_code == 403


@pytest.mark.django_db
def test_staff_api_accepts_token_auth(staff_user, tour):
    token = Token.objects.create(user=staff_user)
    api = APIClient(HTTP_AUTHORIZATION=f"Token {token.key}")
    response = api.get("/api/v1/tours/")
    assert response.status_code == 200
    assert [t["name"] for t in response.json()["results"]] == [tour.name]


@pytest.mark.django_db
def test_tour_api_gives_field_errors(staff_api):
    response = staff_api.post(
        "/api/v1/tours/",
        {
            "name": "Bad",
            "start_date": "2027-03-10",
            "end_date": "2027-03-01",
            "rest_weekdays": [9],
            "start_latitude": 40.7,
            "start_longitude": -74.0,
        },
        format="json",
    )
    assert response.status_code == 400
    errors = response.json()
    assert "0=Monday" in errors["rest_weekdays"][0]
    assert "last day is before its first day" in errors["non_field_errors"][0]
    assert Tour.objects.count() == 0


@pytest.mark.django_db
def test_every_admin_changelist_and_add_page_renders(client, staff_user):

    client.force_login(staff_user)
    call_command("seed_demo", verbosity=0)
    request = RequestFactory().get("/admin/")
    request.user = staff_user
    for model in registered_models():
        opts = model._meta
        # Some rows are only ever made by a service (feed tokens, outbox rows, proposals).
        addable = admin.site.get_model_admin(model).has_add_permission(request)
        changelist = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
        assert client.get(changelist).status_code == 200, changelist
        add = reverse(f"admin:{opts.app_label}_{opts.model_name}_add")
        answer = client.get(add)
        if model is SpeakerRequest:  # new requests come in through intake (the request form)
            assert (answer.status_code, answer["Location"]) == (302, "/request/"), add
            continue
        assert answer.status_code == (200 if addable else 403), add
        first = model.objects.first()
        if first is not None:
            change = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[first.pk])
            assert client.get(change).status_code == 200, change


@pytest.mark.django_db
def test_seed_demo_loads_once_and_is_idempotent():
    call_command("seed_demo", verbosity=0)
    counts = (Fellow.objects.count(), Tour.objects.count(), SpeakerRequest.objects.count())
    assert counts[0] == 3 and counts[1] == 2 and counts[2] >= 40
    kinds = set(Organization.objects.values_list("kind", flat=True))
    assert kinds == set(Organization.Kind.values)
    assert Event.objects.exists()
    assert SpeakerRequest.objects.filter(latitude__isnull=True).count() == 0
    call_command("seed_demo", verbosity=0)
    assert (Fellow.objects.count(), Tour.objects.count(), SpeakerRequest.objects.count()) == counts


@pytest.mark.django_db
def test_seed_demo_logins_and_a_season_clear_of_holidays(client):
    from zoneinfo import ZoneInfo

    from events.management.commands.seed_demo import demo_holidays
    from events.models import RequestWindow

    call_command("seed_demo", verbosity=0)
    tours = list(Tour.objects.order_by("start_date"))
    days_off = demo_holidays(tours[0].start_date, tours[-1].end_date)
    assert dt.date(2027, 12, 24) in demo_holidays(dt.date(2027, 12, 1), dt.date(2027, 12, 31))
    for window in RequestWindow.objects.all():
        assert not [d for d in days_off if window.start_date <= d <= window.end_date], window
    for event in Event.objects.all():
        assert event.starts_at.astimezone(ZoneInfo(event.timezone)).date() not in days_off
    # The coordinator is staff with the group's permissions, not a superuser.
    staff = get_user_model().objects.get(username="staff")
    assert (staff.is_staff, staff.is_superuser) == (True, False)
    assert staff.has_perm("fellows.view_private_details")
    assert not staff.has_perm("events.delete_event")
    assert (
        client.post(
            "/staff/login/", {"username": "staff", "password": "fellow-tours-demo"}
        ).status_code
        == 302
    )
    assert client.get("/staff/").status_code == 200
    fellow = Client()
    assert (
        fellow.post(
            "/me/login/", {"username": "grace", "password": "fellow-tours-demo"}
        ).status_code
        == 302
    )
    assert fellow.get("/me/").status_code == 200


@pytest.mark.django_db
def test_a_signed_in_fellow_on_the_board_gets_a_page_that_says_where_to_go(client):
    from django.contrib.auth import get_user_model

    fellow_user = get_user_model().objects.create_user("fellow-user", password="x-long-password")
    client.force_login(fellow_user)

    response = client.get("/staff/")

    assert response.status_code == 403
    page = response.content.decode()
    assert "Not for this account" in page and "The tour board is for staff." in page
    assert 'href="/me/"' in page
