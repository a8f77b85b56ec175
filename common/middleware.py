"""Pages answer "briefly unavailable" (503) when the database is out of reach, not a bare 500.

A database restart or failover breaks the requests in flight; each write runs in one
transaction, so nothing is half-saved and the visitor only needs to know that, and to try again.
The API has its own JSON answer (common.api_errors); the public request form keeps what the
host typed (events.views). This covers every other page.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string

from common.api_errors import RETRY_AFTER_SECONDS

logger = logging.getLogger(__name__)


class DatabaseUnavailableMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, OperationalError | InterfaceError):
            return None
        logger.warning("Database unavailable during %s", request.path, exc_info=exception)
        # Rendered without the request: context processors would reach for the database.
        response = HttpResponse(render_to_string("503.html"), status=503)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
