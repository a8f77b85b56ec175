"""Who is asking: the client's address, the one rule behind every per-client limit.

The request rate limit, the feed rate limit and django-axes' login throttling all key on it.
Directly exposed, that is REMOTE_ADDR. Behind proxies (a load balancer, a CDN), REMOTE_ADDR is
the nearest proxy, shared by every visitor, so one abuser would lock everyone out. Then
TRUSTED_PROXY_COUNT says how many proxies in front of us append to X-Forwarded-For, and the
client is the address the outermost of them saw: that many entries from the right. Entries to
its left are whatever the client sent and are never trusted (that would let anyone choose a
fresh identity per request), as in Werkzeug's ProxyFix.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def client_address(request: HttpRequest) -> str:
    """The client's address, or "unknown" when the request names none (a key must exist)."""
    return client_ip(request) or "unknown"


def client_ip(request: HttpRequest) -> str | None:
    """The client's address, or None: what django-axes asks for (AXES_CLIENT_IP_CALLABLE)."""
    trusted = settings.TRUSTED_PROXY_COUNT
    remote = request.META.get("REMOTE_ADDR") or None
    if trusted <= 0:
        return remote
    forwarded = [
        part.strip()
        for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        if part.strip()
    ]
    # Fewer entries than proxies: the request did not come through them all; do not guess.
    return forwarded[-trusted] if len(forwarded) >= trusted else remote
