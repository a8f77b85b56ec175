"""The redis-py client behind Django's cache, for the two hot paths that poll it on every request.

Feed polls and the request limit run on every fetch of a private feed. Through Django's cache
API, `incr` costs two round trips and every call builds a new redis-py client (about 0.1 ms
each); on a path that should cost as little as the trivial endpoint, that is most of the bill.
Here a request gets one client per thread and one round trip per job, on the same keys and
values Django's cache uses, so both APIs read each other's writes. Any other cache backend
(local memory in development) gets None, and callers use Django's API.
"""

from __future__ import annotations

import threading

from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache

_local = threading.local()


def redis_client():
    """(client, backend) for the default cache when it is Django's RedisCache, else None.

    The client always talks to the primary: a replica might lag behind a write that retired
    a feed's version.
    """
    backend = caches["default"]
    if not isinstance(backend, RedisCache):
        return None
    if getattr(_local, "backend", None) is not backend:
        _local.client = backend._cache.get_client(write=True)
        _local.backend = backend
    return _local.client, backend
