"""Fixtures shared by the whole suite, and each pytest-xdist worker's own Redis dbs."""

from __future__ import annotations

import datetime as dt
import os
from urllib.parse import urlsplit, urlunsplit
from zoneinfo import ZoneInfo

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib import admin
from django.db.models import Model
from django.test import override_settings
from rest_framework.test import APIClient

from tests.factories import FellowFactory, StaffFactory, TourFactory, TourMemberFactory

NEW_YORK = ZoneInfo("America/New_York")


def redis_db_for_worker(url: str, worker: int) -> str:
    """The same Redis server, `2 × worker` dbs below the given one (worker 0 keeps it)."""
    parts = urlsplit(url)
    if parts.scheme not in ("redis", "rediss") or worker == 0:
        return url
    db = int(parts.path.strip("/") or 0) - 2 * worker
    if db < 0:
        raise pytest.UsageError(f"{url}: no Redis db {db} for test worker {worker}; use higher dbs")
    return urlunsplit(parts._replace(path=f"/{db}"))


def _own_redis_dbs_per_worker() -> None:
    """Under pytest-xdist (scripts/test.sh runs two workers) each worker has its own test
    database (pytest-django names it ..._gw<n>) and, from here, its own broker and cache dbs:
    worker n uses the dbs 2n below the given ones (14 and 15 by default: worker 1 uses 12 and
    13), so one worker's purge or cache.clear() never reaches the other's queue or counters.
    Celery workers the tests start read settings.CELERY_BROKER_URL, so they follow."""
    worker = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw"))
    if worker == 0:
        return
    from scheduler.celery import app as celery_app

    broker = redis_db_for_worker(settings.CELERY_BROKER_URL, worker)
    cache = {**settings.CACHES["default"]}
    cache["LOCATION"] = redis_db_for_worker(cache["LOCATION"], worker)
    # override_settings also resets Django's cache handlers (the setting_changed signal).
    override_settings(CELERY_BROKER_URL=broker, CACHES={"default": cache}).enable()
    # Celery prefers the environment's CELERY_BROKER_URL to its configuration; processes the
    # tests start inherit the environment too.
    os.environ["CELERY_BROKER_URL"], os.environ["CACHE_URL"] = broker, cache["LOCATION"]
    celery_app.conf.broker_url = broker


_own_redis_dbs_per_worker()


def _fast_password_hashing() -> None:
    """Hash test passwords with a cheap hasher. The production hasher (PBKDF2, a million
    rounds: half a second a password on this machine) would spend a minute of the suite on
    factories and logins; Django's own test suite does the same. The production hashers stay
    listed after it, so a hash made by a process the tests start (seed_demo under gunicorn)
    is still checked the production way."""
    fast = "django.contrib.auth.hashers.MD5PasswordHasher"
    override_settings(PASSWORD_HASHERS=[fast, *settings.PASSWORD_HASHERS]).enable()


_fast_password_hashing()


def local(day: dt.date, hour: int, minute: int = 0, zone: ZoneInfo = NEW_YORK) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=zone)


def registered_models() -> list[type[Model]]:
    """Every model with a ModelAdmin on the admin site (public API: is_registered)."""
    return [model for model in apps.get_models() if admin.site.is_registered(model)]


@pytest.fixture(autouse=True)
def healthy_services():
    """No test inherits another's memory of a broker or cache outage (common.backoff)."""
    from common import rate_limits
    from notifications.services import broker_health

    broker_health.reset()
    rate_limits._cache_health.reset()


@pytest.fixture
def staff_user(db):
    return StaffFactory(username="coordinator")


@pytest.fixture
def staff_api(staff_user) -> APIClient:
    client = APIClient()
    client.force_authenticate(staff_user)
    return client


@pytest.fixture
def tour(db):
    return TourFactory()


@pytest.fixture
def fellow(tour):
    member = TourMemberFactory(tour=tour, fellow=FellowFactory(display_name="Grace"))
    return member.fellow
