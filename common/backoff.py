"""Resting after a failure: a per-process memory that a service (the broker, the cache) just
failed, so that for a while a page skips it at once instead of waiting a socket timeout.

The broker's publishes and the rate limits' cache calls use it; what they skip is covered
elsewhere (the outbox sweeper sends the messages; the limits fail open). Each failure in a row
doubles the rest, up to MAX_REST_FACTOR times the first, so a long outage is probed rarely.
"""

from __future__ import annotations

import time
from collections.abc import Callable

MAX_REST_FACTOR = 6


class RestAfterFailure:
    """`resting()` is true for `seconds()` (doubling per failure in a row, capped) after the
    last `failed()` in this process; a success (`succeeded()`) starts over."""

    def __init__(self, seconds: Callable[[], float]) -> None:
        self._seconds = seconds
        self._failed_at = float("-inf")
        self._failures = 0

    def resting(self) -> bool:
        rest = self._seconds() * min(2 ** max(self._failures - 1, 0), MAX_REST_FACTOR)
        return time.monotonic() - self._failed_at < rest

    def failed(self) -> None:
        self._failures += 1
        self._failed_at = time.monotonic()

    def succeeded(self) -> None:
        self._failures = 0

    def reset(self) -> None:
        """Forget every failure (tests start each case with a healthy service)."""
        self._failed_at = float("-inf")
        self._failures = 0
