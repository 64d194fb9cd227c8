"""Rate limits hold across processes: two processes hammering one limit through one Redis let
exactly the limit through (a read-then-write counter lets both read the same count)."""

from __future__ import annotations

import multiprocessing
import uuid

import pytest
import redis

from generations.api import throttles

REDIS_URL = "redis://127.0.0.1:6379/6"  # this engineer's Redis database number


def _hammer(url: str, key: str, attempts: int, start, results) -> None:
    from django.conf import settings

    settings.RATE_LIMIT_STORAGE_URL = url
    start.wait()
    results.put(sum(throttles.check([("50/min", key)]) is None for _ in range(attempts)))


@pytest.fixture
def shared_redis(settings):
    try:
        redis.Redis.from_url(REDIS_URL).ping()
    except redis.ConnectionError:
        pytest.skip("needs Redis on 127.0.0.1:6379")
    settings.RATE_LIMIT_STORAGE_URL = REDIS_URL
    return REDIS_URL


def test_two_processes_sharing_redis_let_exactly_the_limit_through(shared_redis):
    key = f"test-{uuid.uuid4().hex}"
    context = multiprocessing.get_context("fork")
    start, results = context.Event(), context.Queue()
    workers = [
        context.Process(target=_hammer, args=(shared_redis, key, 60, start, results)) for _ in range(2)
    ]
    for worker in workers:
        worker.start()
    start.set()
    passed = [results.get(timeout=60) for _ in workers]
    for worker in workers:
        worker.join(timeout=10)
    assert sum(passed) == 50, passed  # 120 attempts, one shared count
    # The next request waits for the window: Retry-After is at most the minute.
    wait = throttles.check([("50/min", key)])
    assert wait is not None and 0 < wait <= 60
