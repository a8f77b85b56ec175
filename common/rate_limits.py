"""Per-client request budgets (speaker requests, feeds), counted by django-ratelimit.

Every budget keys on the one client-address rule (common.client_address), optionally
narrowed by a part of the URL (a feed's token), and lives in the cache named by
RATELIMIT_USE_CACHE: shared by every web worker on Redis; on `make run`'s local-memory cache
it is counted by the single web process.
"""

from __future__ import annotations

from django.core import checks
from django.http import HttpRequest
from django_ratelimit.core import get_usage

from common.backoff import RestAfterFailure
from common.client_address import client_address

RATE_SETTINGS = ("REQUEST_RATE_LIMIT", "FEED_RATE_LIMIT")
PERIODS = {"s", "m", "h", "d"}
CACHE_REST_SECONDS = 10.0


# After a cache failure this process counts nothing for a few seconds (fails open at once).
_cache_health = RestAfterFailure(lambda: CACHE_REST_SECONDS)


def seconds_until_allowed(
    request: HttpRequest, *, group: str, rate: str, narrow_by: str = ""
) -> int | None:
    """Count one request of this client to `group`: None within budget, else seconds to wait.

    `rate` is "<count>/<s|m|h|d>", e.g. "10/h". Fails open while the cache is unreachable: the
    limit is a brake on abuse, not a safety rule, so hosts can still ask for a speaker.
    """
    if _cache_health.resting():
        return None
    key = f"{client_address(request)}:{narrow_by}"
    try:
        usage = get_usage(
            request, group=group, key=lambda _group, _request: key, rate=rate, increment=True
        )
    except Exception:  # each cache backend raises its own connection errors
        _cache_health.failed()
        return None
    _cache_health.succeeded()
    if usage is None or not usage["should_limit"]:
        return None
    return max(1, int(usage["time_left"]))


def valid_rate(rate: str) -> bool:
    count, _, period = rate.strip().partition("/")
    return count.isdigit() and int(count) > 0 and period[:1].lower() in PERIODS


@checks.register(checks.Tags.security)
def check_rate_settings(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """A mistyped limit stops `manage.py check` instead of failing on the first request."""
    from django.conf import settings

    return [
        checks.Error(
            f"{name} must look like '120/h' (a count per s, m, h or d), "
            f"not {getattr(settings, name)!r}.",
            id="scheduler.E010",
        )
        for name in RATE_SETTINGS
        if not valid_rate(getattr(settings, name))
    ]
