"""Project-level views: the landing page, the health check and the favicon."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import cache_control, never_cache
from django.views.decorators.http import require_safe
from kombu import Connection

FAVICON = Path(__file__).parent / "static" / "scheduler" / "favicon.ico"


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "home.html")


def _database_ok() -> str | None:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any driver error means "down"; report it, never raise
        return f"{type(exc).__name__}: {exc}"
    return None


def _broker_ok() -> str | None:
    try:
        with Connection(
            settings.CELERY_BROKER_URL,
            transport_options=settings.CELERY_BROKER_TRANSPORT_OPTIONS,
            connect_timeout=settings.CELERY_BROKER_CONNECTION_TIMEOUT,
        ) as conn:
            conn.ensure_connection(max_retries=1, timeout=settings.CELERY_BROKER_CONNECTION_TIMEOUT)
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"
    return None


@require_safe
def ping(request: HttpRequest) -> HttpResponse:
    """The cheapest answer the stack can give: a baseline for load tests, no database."""
    return HttpResponse(b"pong", content_type="text/plain")


@require_safe
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """200 when the database and the broker answer, 503 naming what failed."""
    checks = {"database": _database_ok(), "broker": _broker_ok()}
    body = {name: ("ok" if error is None else error) for name, error in checks.items()}
    healthy = all(error is None for error in checks.values())
    body["status"] = "ok" if healthy else "unavailable"
    return JsonResponse(body, status=200 if healthy else 503)


@cache
def _favicon_bytes() -> bytes:
    return FAVICON.read_bytes()


@require_safe
@cache_control(max_age=86400, public=True)
def favicon(request: HttpRequest) -> HttpResponse:
    """/favicon.ico, which browsers ask for on pages without an icon link (the admin's)."""
    return HttpResponse(_favicon_bytes(), content_type="image/x-icon")
