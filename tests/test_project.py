"""Project-level behaviour: health check, API schema and offline docs, admin pages, demo data."""

from __future__ import annotations

import re

import pytest
from django.contrib import admin
from django.core.management import call_command
from django.test import RequestFactory
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
    assert anonymous.status_code == 403
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
        {"name": "Bad", "start_date": "2027-03-10", "end_date": "2027-03-01", "rest_weekdays": [9]},
        format="json",
    )
    assert response.status_code == 400
    assert set(response.json()) == {"end_date"} or set(response.json()) == {"rest_weekdays"}
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
        assert client.get(add).status_code == (200 if addable else 403), add
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
