"""The per-client budget for public speaker-request submissions (form and API share it).

Counted by common.rate_limits (django-ratelimit, keyed on the client address); this module
only names the budget and its size (settings.REQUEST_RATE_LIMIT, e.g. "10/h"). The form view and
the API decide how to answer: 429 with a readable message.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest

from common import rate_limits


def seconds_until_allowed(request: HttpRequest) -> int | None:
    """Count one submission from this client: None within budget, else seconds to wait."""
    return rate_limits.seconds_until_allowed(
        request, group="speaker-requests", rate=settings.REQUEST_RATE_LIMIT
    )
