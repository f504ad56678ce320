"""Fixtures shared by the outbox's real-worker tests."""

import pytest

from .outbox_helpers import PrivateRedis


@pytest.fixture
def redis_server():
    """A Redis of the test's own, stopped at the end if it still answers."""
    server = PrivateRedis()
    server.start()
    yield server
    if server.answers():
        server.stop()
