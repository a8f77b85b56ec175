"""The API's one translation of errors into answers, so actions never convert by hand.

- A Django ValidationError raised by a service or a model (a booking refusal, a refused status
  change, a retry of a message that was sent) is a 400 with per-field details, the shape DRF
  gives its own validation errors: `{"field": ["message", ...]}`, `non_field_errors` for
  errors that name no field. A refused submission (events.intake.RequestRejected) keeps its
  windows nested by position, like a ListSerializer's errors.
- A database that is unreachable is a 503 JSON "try again" with Retry-After, not an HTML error
  page. A database restart or failover breaks the requests in flight; each write path runs in
  one transaction, so nothing is half-saved, and the client only needs a machine-readable
  "try again".

Everything else goes to DRF's default handler unchanged.
"""

from __future__ import annotations

import logging
from typing import Any, Protocol, runtime_checkable

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import InterfaceError, OperationalError
from django.utils.translation import gettext as _
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler

logger = logging.getLogger(__name__)
RETRY_AFTER_SECONDS = 5


@runtime_checkable
class NestedErrors(Protocol):
    """A ValidationError whose errors are nested deeper than field → messages (a submission's
    windows, by position); it gives its own 400 body. events.intake.RequestRejected is one."""

    def as_nested(self) -> dict[str, Any]: ...


def validation_details(exc: DjangoValidationError) -> dict[str, Any]:
    """A Django ValidationError as DRF's 400 body: field name → messages; errors that name no
    field (a plain message, or Django's `__all__`) under DRF's `non_field_errors`."""
    if isinstance(exc, NestedErrors):
        return exc.as_nested()
    if not hasattr(exc, "error_dict"):
        return {api_settings.NON_FIELD_ERRORS_KEY: exc.messages}
    return {
        (api_settings.NON_FIELD_ERRORS_KEY if name == NON_FIELD_ERRORS else name): messages
        for name, messages in exc.message_dict.items()
    }


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """REST_FRAMEWORK["EXCEPTION_HANDLER"]: see the module docstring."""
    if isinstance(exc, DjangoValidationError):
        exc = ValidationError(validation_details(exc))
    elif isinstance(exc, OperationalError | InterfaceError):
        # Django closes the broken connection at the end of the request (errors_occurred),
        # and CONN_HEALTH_CHECKS makes the next request open a fresh one.
        logger.warning("Database unavailable during %s", context.get("view"), exc_info=exc)
        return Response(
            {"detail": _("The service is briefly unavailable; please try again shortly.")},
            status=status.HTTP_503_SERVICE_UNAVAILABLE,
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        )
    return drf_exception_handler(exc, context)
