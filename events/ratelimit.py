"""The per-client budget for public speaker-request submissions (form and API share it).

The counting itself is fellows.ratelimit's fixed window in the shared cache (Redis in
production, so every web worker sees the same count); this module only says whose budget a
submission spends (the client address, scheduler.client_address) and how large it is
(settings.REQUEST_RATE_LIMIT, e.g. "10/h"). The form view and the API decide how to answer:
429 with a readable message.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest

from fellows import ratelimit
from scheduler.client_address import client_address


def seconds_until_allowed(request: HttpRequest) -> int | None:
    """Count one submission from this client: None within budget, else seconds to wait."""
    allowed, retry_after = ratelimit.allow(
        scope="intake", key=client_address(request), rate=settings.REQUEST_RATE_LIMIT
    )
    return None if allowed else retry_after
