"""Project-level views: the landing page and the health check."""

from __future__ import annotations

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from kombu import Connection


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


def ping(request: HttpRequest) -> HttpResponse:
    """The cheapest answer the stack can give: a baseline for load tests, no database."""
    return HttpResponse(b"pong", content_type="text/plain")


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """200 when the database and the broker answer, 503 naming what failed."""
    checks = {"database": _database_ok(), "broker": _broker_ok()}
    body = {name: ("ok" if error is None else error) for name, error in checks.items()}
    healthy = all(error is None for error in checks.values())
    body["status"] = "ok" if healthy else "unavailable"
    return JsonResponse(body, status=200 if healthy else 503)
