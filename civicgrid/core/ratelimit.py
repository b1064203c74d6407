"""A fixed-window request counter in Django's cache: at most `limit` hits per `window` seconds.

Counts live in the default cache. With the local-memory cache each server process counts on its own,
so N gunicorn workers allow up to N × limit; configure a shared cache (memcached, Redis, the database
cache) in production for one count per key. See docs/api.md "Rate limits".
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from django.core.cache import cache


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    limit: int
    remaining: int
    retry_after: int  # seconds until the window resets


def hit(bucket: str, limit: int, window: int = 60) -> Verdict:
    now = time.time()
    slot = int(now // window)
    retry_after = max(1, int(window - (now % window)))
    key = f"civicgrid:rl:{bucket}:{slot}"
    if cache.add(key, 1, timeout=window + 1):
        count = 1
    else:
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add() and incr()
            cache.set(key, 1, timeout=window + 1)
            count = 1
    return Verdict(count <= limit, limit, max(0, limit - count), retry_after)
