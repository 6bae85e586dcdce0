"""Django's Redis cache, with one Redis client per connection pool instead of one per call.

``django.core.cache.backends.redis`` makes a new ``redis.Redis`` for every cache operation, and
making one copies its table of response callbacks: about half a millisecond for each of the
two operations the API's throttle makes per request. A client is only a handle on its
connection pool and is safe to share between threads, so one per pool is kept.
"""

from __future__ import annotations

from django.core.cache.backends.redis import RedisCache, RedisCacheClient


class SharedClientRedisCacheClient(RedisCacheClient):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, object] = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class SharedClientRedisCache(RedisCache):
    def __init__(self, server, params) -> None:
        super().__init__(server, params)
        self._class = SharedClientRedisCacheClient
