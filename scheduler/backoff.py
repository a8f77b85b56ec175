"""Resting after a failure: a per-process memory that a service (the broker, the cache) just
failed, so that for a few seconds a page skips it at once instead of waiting a socket timeout.

The broker's publishes and the rate limits' cache calls use it; what they skip is covered
elsewhere (the outbox sweeper sends the messages; the limits fail open).
"""

from __future__ import annotations

import time
from collections.abc import Callable


class RestAfterFailure:
    """`resting()` is true for `seconds()` after the last `failed()` in this process."""

    def __init__(self, seconds: Callable[[], float]) -> None:
        self._seconds = seconds
        self._failed_at = float("-inf")

    def resting(self) -> bool:
        return time.monotonic() - self._failed_at < self._seconds()

    def failed(self) -> None:
        self._failed_at = time.monotonic()

    def reset(self) -> None:
        """Forget the last failure (tests start each case with a healthy service)."""
        self._failed_at = float("-inf")
