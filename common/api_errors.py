"""The API's answer when the database is unreachable: 503 JSON, not an HTML error page.

A database restart or failover breaks the requests in flight. Each write path runs in one
transaction, so nothing is half-saved; the client only needs a clear, machine-readable "try
again", which DRF's default handler cannot give because a database error is not an
APIException. Everything else goes to DRF's default handler unchanged.
"""

from __future__ import annotations

import logging

from django.db import InterfaceError, OperationalError
from django.utils.translation import gettext as _
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

logger = logging.getLogger(__name__)
RETRY_AFTER_SECONDS = 5


def exception_handler(exc: Exception, context: dict) -> Response | None:
    if isinstance(exc, OperationalError | InterfaceError):
        # Django closes the broken connection at the end of the request (errors_occurred),
        # and CONN_HEALTH_CHECKS makes the next request open a fresh one.
        logger.warning("Database unavailable during %s", context.get("view"), exc_info=exc)
        return Response(
            {"detail": _("The service is briefly unavailable; please try again shortly.")},
            status=status.HTTP_503_SERVICE_UNAVAILABLE,
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        )
    return drf_exception_handler(exc, context)
