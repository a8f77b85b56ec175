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
from collections.abc import Sequence

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
    allowed, retry_after, _values = allow_and_read(scope=scope, key=key, rate=rate)
    return allowed, retry_after


def allow_and_read(
    *, scope: str, key: str, rate: str, read: Sequence[str] = ()
) -> tuple[bool, int, dict[str, int]]:
    """Count one request and, in the same round trip, read the integer cache values `read`.

    For callers that need both on every request (feed polls read their version stamps): on
    Redis that is one command instead of two. Keys that are missing are left out.
    """
    limit, period = parse_rate(rate)
    now = time.time()
    window = int(now // period)
    retry_after = int(period - now % period) + 1
    cache_key = f"ratelimit:{scope}:{key}:{window}"
    try:
        count, values = _count_and_read(cache_key, period, list(read))
    except Exception:  # each cache backend raises its own connection errors
        # Fail open: while the cache (Redis) is down, hosts can still ask for a speaker and
        # fellows still get their feeds; the limit is a brake on abuse, not a safety rule.
        logger.warning("Rate limit cache unavailable; allowing the request", exc_info=True)
        return True, retry_after, {}
    return count <= limit, retry_after, values


# INCR, start the key's expiry with its window, and read the other keys: one atomic command.
COUNT_SCRIPT = """
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
if #KEYS == 1 then return {count, {}} end
return {count, redis.call('MGET', unpack(KEYS, 2))}
"""


def _count_and_read(cache_key: str, period: int, read: list[str]) -> tuple[int, dict[str, int]]:
    """This request's number in its window, and the values of `read` that exist."""
    direct = redis_client()
    if direct is not None:
        client, backend = direct
        keys = [backend.make_key(k) for k in (cache_key, *read)]
        count, raw = _script(client)(keys=keys, args=[period + 1])
        # Django's Redis cache stores integers as plain digits, so they need no unpickling.
        return count, {k: int(v) for k, v in zip(read, raw, strict=True) if v is not None}
    # incr first: one cache call for every request but the first of a window.
    try:
        count = cache.incr(cache_key)
    except ValueError:
        # add fails when another worker opened the window meanwhile; then count on theirs.
        count = 1 if cache.add(cache_key, 1, timeout=period + 1) else cache.incr(cache_key)
    return count, cache.get_many(read) if read else {}


@functools.lru_cache(maxsize=8)
def _script(client):
    # redis-py sends EVALSHA, and loads the script once if the server does not know it yet.
    return client.register_script(COUNT_SCRIPT)
