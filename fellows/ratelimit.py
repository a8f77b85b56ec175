"""A fixed-window request limit on the shared Django cache, for the token-addressed pages.

Feeds are fetched by calendar servers without a session, so the limit is keyed by token and
client address together: one subscriber polling too often is slowed without touching others.
The window counter lives in the cache named by CACHE_URL, shared by every web worker; on Redis
it is counted in one round trip (fellows.redis_cache), and far from the limit each process
adds its requests to it in batches rather than one by one (_LocalCounts).
"""

from __future__ import annotations

import functools
import logging
import threading
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
    if _local.count_here(cache_key, limit):
        return True, retry_after
    increment = _local.take(cache_key)
    try:
        count = _count(cache_key, period, increment)
    except Exception:  # each cache backend raises its own connection errors
        # Fail open: while the cache (Redis) is down, hosts can still ask for a speaker and
        # fellows still get their feeds; the limit is a brake on abuse, not a safety rule.
        logger.warning("Rate limit cache unavailable; allowing the request", exc_info=True)
        return True, retry_after
    _local.counted(cache_key, count)
    return count <= limit, retry_after


class _LocalCounts:
    """Requests a web process counts before it adds them to the shared counter in one step.

    Far from the limit, a shared round trip per request buys nothing: a process counts up to
    `batch` requests of a key by itself, while its last view of the shared count plus its own
    stay under half the limit. Near the limit every request is counted in the cache at once.
    So the limit is exact for small limits (under 2 * MIN_BATCH no request is held back), and
    otherwise at most (processes - 1) * batch requests of one window can slip past it;
    requests held back when a window ends are not counted at all.
    """

    MIN_BATCH = 2
    MAX_BATCH = 50
    LIMIT = 10_000  # keys remembered per process; older windows are simply forgotten

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._keys: dict[str, list[int]] = {}  # key → [shared count last seen, held back]

    @classmethod
    def batch(cls, limit: int) -> int:
        return min(cls.MAX_BATCH, limit // 10)

    def count_here(self, key: str, limit: int) -> bool:
        """Count the request in this process if that is safe; False when it must be shared."""
        batch = self.batch(limit)
        if batch < self.MIN_BATCH:
            return False
        with self._lock:
            entry = self._keys.get(key)
            if entry is None:
                if len(self._keys) >= self.LIMIT:
                    self._keys.clear()
                entry = self._keys[key] = [0, 0]
            seen, held = entry
            if held + 1 < batch and seen + held + 1 <= limit // 2:
                entry[1] = held + 1
                return True
            return False

    def take(self, key: str) -> int:
        """The requests held back for `key` plus this one; they are then no longer held."""
        with self._lock:
            entry = self._keys.get(key)
            if entry is None:
                return 1
            held, entry[1] = entry[1], 0
            return held + 1

    def counted(self, key: str, count: int) -> None:
        with self._lock:
            entry = self._keys.get(key)
            if entry is not None:
                entry[0] = count


_local = _LocalCounts()


# INCRBY, and start the key's expiry with its window: one atomic command.
COUNT_SCRIPT = """
local count = redis.call('INCRBY', KEYS[1], ARGV[2])
if count == tonumber(ARGV[2]) then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return count
"""


def _count(cache_key: str, period: int, increment: int) -> int:
    """Add `increment` requests to the window's shared counter; return its new value."""
    direct = redis_client()
    if direct is not None:
        client, backend = direct
        return _script(client)(keys=[backend.make_key(cache_key)], args=[period + 1, increment])
    # incr first: one cache call for every request but the first of a window.
    try:
        return cache.incr(cache_key, increment)
    except ValueError:
        # add fails when another worker opened the window meanwhile; then count on theirs.
        if cache.add(cache_key, increment, timeout=period + 1):
            return increment
        return cache.incr(cache_key, increment)


@functools.lru_cache(maxsize=8)
def _script(client):
    # redis-py sends EVALSHA, and loads the script once if the server does not know it yet.
    return client.register_script(COUNT_SCRIPT)
