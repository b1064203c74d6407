"""With CIVICGRID_CACHE_URL pointing at Redis, a rate limit is one count across processes (gunicorn
workers): two processes hitting the same bucket are allowed `limit` hits between them, not each."""

import os
import subprocess
import sys
import uuid

import pytest

REDIS_URL = os.environ.get("CIVICGRID_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")

pytestmark = pytest.mark.redis


def _redis_up() -> bool:
    try:
        import redis

        return redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except Exception:
        return False


@pytest.fixture(scope="module", autouse=True)
def _need_redis():
    if not _redis_up():
        pytest.skip(f"Redis is not reachable at {REDIS_URL}")


WORKER = """
import django, os
django.setup()
from civicgrid.core import ratelimit
print(sum(ratelimit.hit("shared-test", 10, 3600).allowed for _ in range(8)))
"""


def _worker(prefix: str) -> subprocess.Popen:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "civicgrid.settings",
        "CIVICGRID_CACHE_URL": REDIS_URL,
        "CIVICGRID_CACHE_PREFIX": prefix,
    }
    return subprocess.Popen([sys.executable, "-c", WORKER], env=env, stdout=subprocess.PIPE, text=True)


def test_two_worker_processes_share_one_count():
    prefix = f"cg-test-{uuid.uuid4().hex}"
    workers = [_worker(prefix), _worker(prefix)]
    allowed = [int(w.communicate(timeout=60)[0].strip()) for w in workers]
    assert sum(allowed) == 10  # 16 hits, limit 10: one count, not 10 per process
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    for key in client.scan_iter(f"{prefix}:*"):
        client.delete(key)


def test_the_cache_url_selects_djangos_redis_backend():
    from civicgrid.settings import cache_from_url

    assert cache_from_url(REDIS_URL)["BACKEND"] == "django.core.cache.backends.redis.RedisCache"
    assert cache_from_url("")["BACKEND"].endswith("LocMemCache")
    with pytest.raises(ValueError):
        cache_from_url("memcached://x")
