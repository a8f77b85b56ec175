"""A fixed-window request limit on the shared Django cache, for the token-addressed pages.

Feeds are fetched by calendar servers without a session, so the limit is keyed by token and
client address together: one subscriber polling too often is slowed without touching others.
The window counter lives in the cache named by CACHE_URL, shared by every web worker; on Redis
it is counted in one round trip (fellows.redis_cache).
"""

from __future__ import annotations

import functools
import logging
import time

from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured

from fellows.redis_cache import redis_client

logger = logging.getLogger(__name__)
PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


@functools.lru_cache(maxsize=8)
def parse_rate(rate: str) -> tuple[int, int]:
    """'120/h' → (120, 3600): requests allowed per period in seconds."""
    try:
        count, period = rate.strip().split("/")
        return int(count), PERIODS[period.strip().lower()[:1]]
    except (ValueError, KeyError) as exc:
        raise ImproperlyConfigured(
            f"FEED_RATE_LIMIT must look like '120/h' (per s, m, h or d), not {rate!r}."
        ) from exc


def allow(*, scope: str, key: str, rate: str) -> tuple[bool, int]:
    """Count one request; return whether it is allowed and the seconds until the window ends."""
    limit, period = parse_rate(rate)
    now = time.time()
    window = int(now // period)
    retry_after = int(period - now % period) + 1
    cache_key = f"ratelimit:{scope}:{key}:{window}"
    try:
        count = _count(cache_key, period)
    except Exception:  # each cache backend raises its own connection errors
        # Fail open: while the cache (Redis) is down, hosts can still ask for a speaker and
        # fellows still get their feeds; the limit is a brake on abuse, not a safety rule.
        logger.warning("Rate limit cache unavailable; allowing the request", exc_info=True)
        return True, retry_after
    return count <= limit, retry_after


def _count(cache_key: str, period: int) -> int:
    """This request's number in its window."""
    direct = redis_client()
    if direct is not None:
        # One round trip. Each window has its own key, so refreshing the expiry on every hit
        # only keeps a key until a little after its window's last request.
        client, backend = direct
        redis_key = backend.make_key(cache_key)
        count, _ = (
            client.pipeline(transaction=False)
            .incr(redis_key)
            .expire(redis_key, period + 1)
            .execute()
        )
        return count
    # incr first: one cache call for every request but the first of a window.
    try:
        return cache.incr(cache_key)
    except ValueError:
        if cache.add(cache_key, 1, timeout=period + 1):
            return 1
        return cache.incr(cache_key)  # another worker opened the window meanwhile
