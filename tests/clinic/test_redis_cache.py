"""A Redis cache that is down or hung costs each process one short timeout, after which the
process leaves it alone for a while (clinic/redis_cache.py); the outcomes page, the cache's
user, is then worked out from the database."""

import time
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.core.cache.backends.redis import RedisCacheClient
from django.utils import timezone
from redis.exceptions import ResponseError

from clinic import redis_cache
from followups import reports
from tests.followups.outbox_helpers import wait_until
from tests.redis_helpers import SilentRedis

TIMEOUT = 0.2  # the socket timeouts here; production's are REDIS_*_TIMEOUT


def redis_cache_at(url: str, backend: str = "clinic.redis_cache.RedisCache") -> dict:
    options = {"socket_connect_timeout": TIMEOUT, "socket_timeout": TIMEOUT}
    return {"default": {"BACKEND": backend, "LOCATION": url, "OPTIONS": options}}


@pytest.fixture
def silent_redis(settings):
    """The cache on a server that takes connections and never answers, the breaker fresh."""
    server = SilentRedis()
    settings.CACHES = redis_cache_at(server.url)
    settings.CLINIC_CACHE_RETRY_SECONDS = 60
    redis_cache.reset()
    yield server
    redis_cache.reset()
    server.close()


def test_a_hung_cache_costs_one_timeout_not_one_per_call(silent_redis):
    started = time.monotonic()
    # The first call times out; the others fail at once.
    for key in ("one", "two", "three"):
        with pytest.raises(redis_cache.UNREACHABLE):
            cache.get(key)

    assert silent_redis.connections == 1
    assert time.monotonic() - started < 3 * TIMEOUT


def test_without_the_breaker_each_call_would_wait_for_the_cache(silent_redis, settings):
    # What the breaker saves (and proof that the server above does hang its clients).
    settings.CACHES = redis_cache_at(
        silent_redis.url, backend="django.core.cache.backends.redis.RedisCache"
    )
    started = time.monotonic()
    for key in ("one", "two", "three"):
        with pytest.raises(redis_cache.UNREACHABLE):  # redis-py's timeout, each time
            cache.get(key)

    assert silent_redis.connections == 3
    assert time.monotonic() - started >= 3 * TIMEOUT


def test_the_cache_is_left_alone_until_the_retry_period_ends(silent_redis, settings):
    settings.CLINIC_CACHE_RETRY_SECONDS = 1
    with pytest.raises(redis_cache.UNREACHABLE):  # the timeout that marks it down
        cache.get("anything")
    location = silent_redis.url
    assert 0 < redis_cache.cache_down_for(location) <= 1

    with pytest.raises(redis_cache.CacheUnavailable):
        cache.set("anything", 1)
    assert silent_redis.connections == 1

    wait_until(
        lambda: redis_cache.cache_down_for(location) == 0, seconds=5, what="the retry period"
    )
    with pytest.raises(redis_cache.UNREACHABLE):  # tried again, once, and still hung
        cache.get("anything")
    assert silent_redis.connections == 2
    assert redis_cache.cache_down_for(location) > 0


def test_an_error_that_is_not_the_servers_leaves_the_cache_in_use(settings, monkeypatch):
    settings.CACHES = redis_cache_at("redis://127.0.0.1:1/0")
    redis_cache.reset()

    def wrong_type(*args, **kwargs):
        raise ResponseError("WRONGTYPE Operation against a key holding the wrong kind of value")

    monkeypatch.setattr(RedisCacheClient, "get", wrong_type)
    with pytest.raises(ResponseError):
        cache.get("a-list")

    assert redis_cache.cache_down_for("redis://127.0.0.1:1/0") == 0


@pytest.mark.django_db
def test_the_outcomes_report_is_worked_out_when_the_cache_hangs(silent_redis):
    end = timezone.now()
    started = time.monotonic()

    report = reports.outcome_report(start=end - timedelta(days=30), end=end, route=None)

    assert report.rows[0].label == "All routes"
    # One timeout reading the kept report; keeping the new one fails at once.
    assert silent_redis.connections == 1
    assert time.monotonic() - started < 3 * TIMEOUT + 1
