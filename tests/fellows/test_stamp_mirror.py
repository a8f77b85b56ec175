"""The process-local mirror of feed stamps and the batched feed rate limit, on the real Redis.

A poll of an unchanged feed must cost no Redis command, yet a write made anywhere, by any
process, must retire the mirrored stamp before the next poll; and when the subscription that
carries those writes breaks, the mirror must stop answering rather than answer stale.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis
from django.core.cache import cache
from django.test import override_settings
from django.urls import reverse

from fellows import feed_versions, ratelimit
from fellows.redis_cache import redis_client
from fellows.stamp_mirror import StampMirror
from tests.fellows.conftest import book

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _needs_redis():
    if redis_client() is None:
        pytest.skip("the mirror exists only on a Redis cache (CACHE_URL)")


def fellow_url(token: str) -> str:
    return reverse("fellows:fellow-feed", kwargs={"token": token})


def settle(mirror_keys: list[str]) -> None:
    """Wait until this process's mirror trusts its subscription (its first ping answered)."""
    client, backend = redis_client()
    mirror = feed_versions.stamp_mirror(client, backend)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        if mirror.read(mirror_keys)[1] is not None:
            return
        time.sleep(0.05)
    raise AssertionError("the stamp mirror never trusted its subscription")


class CommandCounter:
    """Counts the commands this process sends to Redis, pipelines and scripts included."""

    def __init__(self, monkeypatch) -> None:
        self.commands: list[str] = []
        original = redis.Redis.execute_command
        original_pipeline = redis.client.Pipeline.execute

        def counted(client, *args, **options):
            self.commands.append(str(args[0]))
            return original(client, *args, **options)

        def counted_pipeline(pipeline, *args, **options):
            self.commands.extend(str(c[0][0]) for c in pipeline.command_stack)
            return original_pipeline(pipeline, *args, **options)

        monkeypatch.setattr(redis.Redis, "execute_command", counted)
        monkeypatch.setattr(redis.client.Pipeline, "execute", counted_pipeline)


@override_settings(FEED_RATE_LIMIT="100000/h")
def test_polls_of_an_unchanged_feed_send_no_redis_command(
    client, tour, fellow, feed_token, monkeypatch
):
    book(tour=tour, fellows=[fellow], day=dt.date(2027, 3, 2), hour=10)
    url = fellow_url(feed_token)
    etag = client.get(url)["ETag"]
    settle([])
    assert client.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 304  # stamps now mirrored
    counter = CommandCounter(monkeypatch)

    codes = {client.get(url, HTTP_IF_NONE_MATCH=etag).status_code for _ in range(40)}

    assert codes == {304}
    # The rate limit adds its count in batches (of 50 for this limit): none fell due here.
    assert counter.commands == []


def test_a_write_in_another_process_retires_the_mirrored_stamp(client, tour, fellow, feed_token):
    book(tour=tour, fellows=[fellow], day=dt.date(2027, 3, 2), hour=10)
    url = fellow_url(feed_token)
    etag = client.get(url)["ETag"]
    settle([])
    assert client.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 304

    # Another process (a web worker, a Celery task) writes: it only bumps and publishes.
    code = (
        "from fellows.feed_versions import invalidate_feeds; "
        f"invalidate_feeds(fellow_ids=[{fellow.pk}])"
    )
    subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "scheduler.settings"},
        check=True,
    )

    response = client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 200
    assert response["ETag"] != etag


def mirror_pair():
    """Two mirrors on one channel, as two web processes have."""
    client, backend = redis_client()
    channel = f"test-mirror-{time.monotonic_ns()}"
    return StampMirror(client, channel), StampMirror(client, channel), client


def trusted(mirror: StampMirror, keys: list[str]) -> tuple[dict[str, int], int]:
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        found, ticket = mirror.read(keys)
        if ticket is not None:
            return found, ticket
        time.sleep(0.05)
    raise AssertionError("mirror never trusted")


def test_a_bump_published_by_one_mirror_reaches_the_other_before_its_next_read():
    reader, writer, client = mirror_pair()
    _found, ticket = trusted(reader, ["k"])
    reader.store({"k": 1}, ticket)
    assert reader.read(["k"])[0] == {"k": 1}

    writer.publish(client.pipeline(transaction=False), ["k"])

    assert reader.read(["k"])[0] == {}


def test_a_value_read_while_a_bump_arrived_is_not_kept():
    reader, writer, client = mirror_pair()
    _found, ticket = trusted(reader, ["k"])
    writer.publish(client.pipeline(transaction=False), ["k"])
    reader.read(["other"])  # the bump is applied here, after the ticket was taken

    reader.store({"k": 1}, ticket)

    assert reader.read(["k"])[0] == {}


def test_a_broken_subscription_drops_every_stamp_and_distrusts_until_answered():
    reader, writer, client = mirror_pair()
    _found, ticket = trusted(reader, ["k"])
    reader.store({"k": 1}, ticket)
    host, port = reader._pubsub.connection._sock.getsockname()[:2]
    client.execute_command("CLIENT", "KILL", "ADDR", f"{host}:{port}")
    # Published while nobody listens: this invalidation is lost for good.
    client.publish(reader.channel, "k")

    found, ticket = reader.read(["k"])

    assert found == {}
    assert ticket is None


def test_the_mirror_is_not_trusted_once_its_pings_go_unanswered(monkeypatch):
    reader, _writer, _client = mirror_pair()
    _found, ticket = trusted(reader, ["k"])
    reader.store({"k": 1}, ticket)
    later = time.monotonic() + 10
    monkeypatch.setattr(time, "monotonic", lambda: later)  # ten seconds without an answer

    assert reader.read(["k"]) == ({}, None)


def test_small_limits_are_counted_exactly_in_redis():
    assert ratelimit._LocalCounts.batch(10) < ratelimit._LocalCounts.MIN_BATCH
    key = f"exact-{time.monotonic_ns()}"
    results = [ratelimit.allow(scope="t", key=key, rate="10/h")[0] for _ in range(12)]
    assert results == [True] * 10 + [False] * 2


def test_large_limits_are_counted_in_batches_and_hold_across_processes(monkeypatch):
    """Two processes (two local counters) share one window: the limit holds within its
    documented slack of (processes - 1) * batch, and no request is refused early."""
    limit = 400
    batch = ratelimit._LocalCounts.batch(limit)
    processes = [ratelimit._LocalCounts(), ratelimit._LocalCounts()]
    key = f"batched-{time.monotonic_ns()}"
    allowed = 0
    for n in range(limit * 2):
        monkeypatch.setattr(ratelimit, "_local", processes[n % 2])
        allowed += ratelimit.allow(scope="t", key=key, rate=f"{limit}/h")[0]

    assert limit <= allowed <= limit + (len(processes) - 1) * batch
    window = int(time.time() // 3600)
    shared = cache.get(f"ratelimit:t:{key}:{window}")
    assert shared >= limit  # the shared counter saw (nearly) every request


def test_every_thread_of_a_process_shares_one_mirror():
    """Django gives each thread its own cache backend; a gthread worker must still keep one
    mirror, or each request would open a new subscription and never trust it."""
    import threading

    mirrors = []

    def look() -> None:
        mirrors.append(feed_versions.stamp_mirror(*redis_client()))

    threads = [threading.Thread(target=look) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    look()

    assert len(mirrors) == 5 and all(m is mirrors[0] for m in mirrors)


def test_a_silent_reconnection_drops_every_stamp_until_answered_again():
    reader, _writer, _client = mirror_pair()
    _found, ticket = trusted(reader, ["k"])
    reader.store({"k": 1}, ticket)
    # What redis-py does by itself when a read fails and its pool allows a retry.
    reader._pubsub.connection.disconnect()
    reader._pubsub.connection.connect()

    found, _ticket = reader.read(["k"])

    assert found == {}
