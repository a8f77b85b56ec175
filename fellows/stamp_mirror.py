"""A process-local mirror of the feeds' version stamps, kept current over Redis pub/sub.

A calendar polling an unchanged feed should cost about what the trivial endpoint costs, so
the 304 path must not wait on Redis. Every web process therefore keeps the stamps it has read,
and every bump of a stamp is published on a channel. Before a process answers from its mirror
it applies whatever has arrived on its subscription (a non-blocking read of its own socket).
A write returns only once Redis has handed its invalidation to every subscriber's socket
(`publish`), so on Redis's own host any request that starts after a write has returned finds
the invalidation waiting for it. Across hosts the message may still be on the wire; the trust
rule below then bounds how long a process can answer without it: TRUST_SECONDS.

What could make the mirror miss an invalidation is handled by refusing to trust it:
- Until the subscription is confirmed, and again after any reconnection (which redis-py may
  do by itself, re-subscribing; a new socket gives it away), every mirrored stamp is dropped
  and reads go to Redis.
- The mirror is trusted only while Redis has answered one of our pings that was sent less than
  TRUST_SECONDS ago (pings go out every PING_SECONDS while the process is busy). Redis answers
  commands in order and queues messages to a subscriber in order, so that answer proves every
  invalidation published before the ping has reached us. A process that idled for a while, or
  whose connection silently died, reads Redis instead.
- A stamp read from Redis is kept only if no invalidation arrived while it was being read
  (a generation counter), so a racing write cannot be overwritten by the value before it.
- Entries expire after ENTRY_SECONDS, which heals anything that removes stamps without a
  message (an eviction, a flush): the cost of that is one extra download, never a stale 304.
"""

from __future__ import annotations

import contextlib
import logging
import os
import select
import threading
import time
from collections.abc import Iterable

logger = logging.getLogger(__name__)

PING_SECONDS = 0.25
TRUST_SECONDS = 1.0
# Once a message has begun to arrive, how long its remainder may take before we give up.
DRAIN_SECONDS = 0.05
ENTRY_SECONDS = 300.0
RETRY_SECONDS = 5.0
ENTRY_LIMIT = 50_000


class StampMirror:
    """Stamps by cache key, for one Redis client; `channel` carries space-separated keys."""

    def __init__(self, client, channel: str) -> None:
        self.client = client
        self.channel = channel
        self._lock = threading.Lock()
        self._pid = os.getpid()
        self._pubsub = None
        self._stamps: dict[str, tuple[int, float]] = {}
        self._generation = 0
        self._confirmed_ping = float("-inf")  # send time of the latest ping Redis answered
        self._last_ping = float("-inf")
        self._retry_at = 0.0
        self._socket = None  # the socket our subscription, its trust and _poller live on
        self._poller = None

    def publish(self, pipeline, keys: Iterable[str], *, barrier: bool = True) -> None:
        """Execute `pipeline`, which writes new stamps for `keys`, with their announcement; with
        `barrier`, return only once every subscribed process has it on its socket."""
        keys = list(keys)
        self.forget(keys)
        pipeline.publish(self.channel, " ".join(keys))
        pipeline.execute()
        if barrier:
            # Redis answers a publisher before it writes to the subscribers, in the same pass
            # of its event loop; a second command is answered only after that pass. So every
            # request that starts after this returns, in any process, finds the invalidation.
            self.client.ping()
        self.forget(keys)

    def forget(self, keys: Iterable[str]) -> None:
        with self._lock:
            self._generation += 1
            for key in keys:
                self._stamps.pop(key, None)

    def read(self, keys: list[str]) -> tuple[dict[str, int], int | None]:
        """The mirrored stamps among `keys`, and a ticket for `store` (None: do not store)."""
        with self._lock:
            now = time.monotonic()
            if not self._sync(now):
                return {}, None
            found = {}
            for key in keys:
                entry = self._stamps.get(key)
                if entry is not None and entry[1] > now:
                    found[key] = entry[0]
            return found, self._generation

    def store(self, stamps: dict[str, int], ticket: int | None) -> None:
        """Keep stamps read from Redis, unless an invalidation arrived since `ticket`."""
        if ticket is None or not stamps:
            return
        expires = time.monotonic() + ENTRY_SECONDS
        with self._lock:
            if ticket != self._generation:
                return
            if len(self._stamps) + len(stamps) > ENTRY_LIMIT:
                self._stamps.clear()
            for key, stamp in stamps.items():
                self._stamps[key] = (stamp, expires)

    def close(self) -> None:
        with self._lock:
            self._reset(time.monotonic(), retry=False)

    # Everything below runs under the lock.

    def _sync(self, now: float) -> bool:
        """Apply the invalidations that have arrived; whether the mirror may be trusted now."""
        if self._pid != os.getpid():  # a forked child must not share its parent's socket
            self._pubsub = None
            self._pid = os.getpid()
            self._reset(now, retry=False)
        try:
            if self._pubsub is None:
                if now < self._retry_at:
                    return False
                self._pubsub = self.client.pubsub()
                self._pubsub.subscribe(self.channel)
            if self._may_have_messages():
                # Until nothing is left, buffered or on the socket: get_message also answers
                # None for replies it swallows, so None alone does not mean "drained". A
                # message split across packets needs a moment for its remainder.
                while self._pubsub.connection.can_read(timeout=0):
                    message = self._pubsub.get_message(timeout=DRAIN_SECONDS)
                    if message is not None:
                        self._apply(message)
            self._follow_socket()
            if now - self._last_ping >= PING_SECONDS:
                # Answered later, in order with the messages; its payload is its send time.
                self._pubsub.ping(repr(now))
                self._last_ping = now
        except Exception:  # each Redis failure has its own class; all mean "read Redis instead"
            logger.warning("Feed stamp subscription lost; reading stamps from Redis", exc_info=True)
            self._reset(now, retry=True)
            return False
        return now - self._confirmed_ping < TRUST_SECONDS

    def _forget_all(self) -> None:
        self._generation += 1
        self._stamps.clear()
        self._confirmed_ping = float("-inf")
        self._last_ping = float("-inf")

    def _follow_socket(self):
        """The subscription's socket, None while disconnected. redis-py may reconnect and
        re-subscribe by itself, and what was published meanwhile is lost: on a new socket,
        drop everything and trust only answers from now on."""
        sock = getattr(self._pubsub.connection, "_sock", None)
        if sock is not None and sock is not self._socket:
            if self._socket is not None:
                self._forget_all()
            self._socket = sock
            # poll, not select: a busy process may hold file descriptors above select's 1024.
            self._poller = select.poll()
            self._poller.register(sock, select.POLLIN | select.POLLERR | select.POLLHUP)
        return sock

    def _may_have_messages(self) -> bool:
        """Whether the subscription's socket has anything to read: a poll of a few microseconds
        where redis-py's own non-blocking read costs tens. When in doubt, say yes."""
        return self._follow_socket() is None or bool(self._poller.poll(0))

    def _apply(self, message: dict) -> None:
        kind = message["type"]
        if kind == "message":
            self._generation += 1
            for key in _text(message["data"]).split():
                self._stamps.pop(key, None)
        elif kind == "pong":
            # A payload that is no float is not ours (redis-py's own health check).
            with contextlib.suppress(ValueError):
                self._confirmed_ping = max(self._confirmed_ping, float(_text(message["data"])))
        elif kind == "subscribe":
            # A first subscription, or redis-py's silent re-subscription after a reconnect:
            # whatever was published in between is lost, so start from nothing.
            self._forget_all()

    def _reset(self, now: float, *, retry: bool) -> None:
        if self._pubsub is not None:
            # Closing a broken connection may fail too; there is nothing more to do then.
            with contextlib.suppress(Exception):
                self._pubsub.close()
        self._pubsub = None
        self._socket = self._poller = None
        self._forget_all()
        self._retry_at = now + RETRY_SECONDS if retry else 0.0


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
