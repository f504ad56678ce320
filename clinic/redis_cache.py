"""Django's Redis cache, left alone for a few seconds after it fails (a circuit breaker).

A request may ask the cache more than once (the outcomes report, followups/reports.py: read,
then kept). Each call is bounded by the connection's socket timeouts (``REDIS_SOCKET_TIMEOUT``),
but a Redis that is down or hung would still cost that timeout once per call. So the first call
that fails (refused, timed out) marks the cache down for this process for
``CLINIC_CACHE_RETRY_SECONDS``: until then every call raises ``CacheUnavailable`` at once,
without touching the network, and the callers build the page from the database as they do for
any cache error. The first call after that tries Redis again; if it
fails too, the cache is left alone for another period. A page costs at most one timeout, and
each process at most one per period.

The mark is kept per process and per Redis address, not per backend instance: Django gives each
thread its own instance, and a hung Redis is hung for all of them.

Nothing security-relevant reads this cache: the sign-in lockout (clinic/lockout.py) and the
consultation form's rate limit (intake/services/inquiries.py) count database rows, and sessions
are in the database (``SESSION_ENGINE``), so an outage neither locks anyone out nor lets a
locked-out guesser in. Only what can be rebuilt from the database is kept here.
"""

import functools
import logging
import time

from django.conf import settings
from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

# Failures that say the server cannot be reached or does not answer (not, say, a wrong type).
UNREACHABLE = (RedisConnectionError, RedisTimeoutError, OSError)

# Redis address -> time.monotonic() before which it is not tried again.
_down_until: dict[str, float] = {}


class CacheUnavailable(ConnectionError):
    """The cache failed moments ago and is not being tried for now."""


def cache_down_for(location: str) -> float:
    """Seconds before the cache at ``location`` is tried again (0: it is in use)."""
    return max(0.0, _down_until.get(location, 0.0) - time.monotonic())


def reset() -> None:
    """Forget every failure (tests; a fresh process starts this way)."""
    _down_until.clear()


def _guarded(name: str):
    method = getattr(DjangoRedisCache, name)

    @functools.wraps(method)
    def call(self, *args, **kwargs):
        location = self._breaker_location
        if _down_until.get(location, 0.0) > time.monotonic():
            raise CacheUnavailable(f"cache not tried for {cache_down_for(location):.1f} s more")
        try:
            return method(self, *args, **kwargs)
        except UNREACHABLE as error:
            seconds = settings.CLINIC_CACHE_RETRY_SECONDS
            _down_until[location] = time.monotonic() + seconds
            logger.warning(
                "cache unreachable (%s): not tried for %g s", type(error).__name__, seconds
            )
            raise

    return call


class RedisCache(DjangoRedisCache):
    """``django.core.cache.backends.redis.RedisCache`` behind the breaker above."""

    def __init__(self, server, params):
        super().__init__(server, params)
        self._breaker_location = ",".join(self._servers)

    # Every call that reaches Redis (BaseCache's others, get_or_set and the async ones, go
    # through these).
    add = _guarded("add")
    get = _guarded("get")
    set = _guarded("set")
    touch = _guarded("touch")
    delete = _guarded("delete")
    get_many = _guarded("get_many")
    has_key = _guarded("has_key")
    incr = _guarded("incr")
    set_many = _guarded("set_many")
    delete_many = _guarded("delete_many")
    clear = _guarded("clear")
