"""Small pieces shared by the apps' API viewsets (the project owns them so no app imports
another app's API module).

not_found: the project's 404 handler, JSON under /api/.

ProtectedDeleteMixin: deleting a row that bookings or requests still point at (PROTECT foreign
keys) is a conflict the client can act on, so it answers 409 naming what blocks it instead of
letting ProtectedError become a 500.
"""

from __future__ import annotations

from django.db.models import ProtectedError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import defaults
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import mixins, serializers, status
from rest_framework.exceptions import APIException
from rest_framework.request import Request
from rest_framework.response import Response


class StillInUse(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = gettext_lazy("This is still in use and cannot be deleted.")
    default_code = "protected"


StillInUseSerializer = inline_serializer(
    name="StillInUse", fields={"detail": serializers.CharField()}
)


class ProtectedDeleteMixin(mixins.DestroyModelMixin):
    """For ModelViewSets whose rows other rows protect: DELETE answers 409, not 500."""

    @extend_schema(
        responses={
            204: OpenApiResponse(description="Deleted."),
            409: OpenApiResponse(
                StillInUseSerializer, description="Still referenced; nothing was deleted."
            ),
        }
    )
    def destroy(self, request: Request, *args, **kwargs) -> Response:
        try:
            return super().destroy(request, *args, **kwargs)
        except ProtectedError as exc:
            blocking = sorted({str(obj._meta.verbose_name_plural) for obj in exc.protected_objects})
            raise StillInUse(
                _("Still used by %(things)s; nothing was deleted.")
                % {"things": ", ".join(str(name) for name in blocking)}
            ) from exc


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """handler404: API clients get DRF's JSON shape even for a URL no route matches (an id like
    "0.5"); everyone else gets the ordinary page."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": _("Not found.")}, status=404)
    return defaults.page_not_found(request, exception)


# -- schema post-processing --------------------------------------------------------------------

_DETAIL = {
    "type": "object",
    "properties": {"detail": {"type": "string"}},
    "required": ["detail"],
}
# DRF's 400: field name -> messages, nested for nested input (windows, non_field_errors...).
_FIELD_ERRORS = {"type": "object", "additionalProperties": True}
# Local wall-clock times (a request's earliest start, a tour's working hours) carry no offset:
# RFC 3339 "partial-time". JSON Schema's "time" format means full-time with an offset, so the
# schema states the shape DRF really reads and writes instead.
_LOCAL_TIME = {
    "type": "string",
    "pattern": r"^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d{1,6})?)?$",
    "description": "Local wall-clock time, HH:MM[:SS], without an offset.",
}


def _local_times(node):
    if isinstance(node, dict):
        if node.get("type") == "string" and node.get("format") == "time":
            extra = {k: v for k, v in node.items() if k not in {"type", "format"}}
            return {**_LOCAL_TIME, **extra}
        return {key: _local_times(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_local_times(item) for item in node]
    return node


def document_error_responses(result, generator, request, public):
    """drf-spectacular post-processing hook: name the error answers every operation can give.

    drf-spectacular documents only success responses; clients (and the schema fuzzing test)
    also need the errors: 400 for input that fails validation (bodies, filters, ids in query
    strings), 401/403 for a missing or non-staff credential, 404 for an unknown id or page, 429
    where a rate limit applies (public request submission).
    """
    result = _local_times(result)
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            responses = operation.setdefault("responses", {})

            def add(code: str, description: str, schema: dict, responses=responses) -> None:
                responses.setdefault(
                    code,
                    {
                        "description": description,
                        "content": {"application/json": {"schema": schema}},
                    },
                )

            if operation.get("requestBody") or operation.get("parameters"):
                add("400", "Invalid input; messages per field.", _FIELD_ERRORS)
            if operation.get("security") != [{}] and {} not in operation.get("security", []):
                add("401", "No valid credentials.", _DETAIL)
                add("403", "Signed in, but not staff.", _DETAIL)
            # An unknown id, an id the URL cannot even match, or a page past the end.
            add("404", "No such object or page.", _DETAIL)
            if method == "post" and path.endswith("/requests/"):
                add("429", "Too many submissions from this address; see Retry-After.", _DETAIL)
    return result
