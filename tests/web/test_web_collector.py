"""A serving worker's garbage collector: what is frozen is rebuilt from scratch (so no cycle is kept for
ever), at most once per interval, and cached answers are given without the thread pool."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient

from safer_communities.web import cache, collector


@pytest.fixture
def enabled() -> Iterator[None]:
    before = dict(collector._state)
    try:
        yield
    finally:
        collector._state.update(before)
        gc.unfreeze()


class _Node:
    def __init__(self) -> None:
        self.me = self  # a reference cycle: only the cyclic collector frees it


def test_off_until_enabled_so_tests_and_the_cli_keep_cpython_defaults(enabled: None) -> None:
    gc.unfreeze()
    assert collector.settle(force=True) is False
    assert collector.frozen() == 0


def test_enable_freezes_what_the_worker_holds(enabled: None) -> None:
    collector.enable()
    assert collector.frozen() > 10_000  # the modules imported so far
    assert len(gc.get_objects(generation=2)) < collector.frozen()


def test_settling_is_throttled_except_when_forced(enabled: None) -> None:
    collector.enable()
    assert collector.settle() is False  # within the interval of enable()
    collector._state["last"] -= collector.SETTLE_INTERVAL_S + 1
    assert collector.settle() is True
    assert collector.settle() is False


def test_a_frozen_cycle_dropped_later_is_freed_by_the_next_settle(enabled: None) -> None:
    """Freezing without unfreezing first would keep every cached frame evicted since for ever."""
    collector.enable()
    node = _Node()
    alive = weakref.ref(node)
    collector.settle(force=True)  # the cycle is now frozen
    del node
    gc.collect()
    assert alive() is not None  # a frozen cycle survives a full collection ...
    collector.settle(force=True)
    assert alive() is None  # ... until the frozen set is rebuilt


def test_a_computed_answer_settles_the_worker(enabled: None) -> None:
    collector.enable()
    collector._state["last"] -= collector.SETTLE_INTERVAL_S + 1
    before = collector._state["last"]
    cache.CACHE.get(("collector-test", object()), lambda: b"answer")
    assert collector._state["last"] > before


def test_cached_pages_and_answers_are_given_without_the_thread_pool(
        login_as: Callable[[str], TestClient], monkeypatch: pytest.MonkeyPatch) -> None:
    client = login_as("editor")
    paths = ["/", "/issues/violence", "/strategy", "/quality", "/framework", "/areas/E07000117",
             "/api/v1/strategy/status"]
    first = {path: client.get(path).content for path in paths}

    async def refused(*args: object, **kwargs: object) -> None:
        raise AssertionError("a cached answer went to the thread pool")

    monkeypatch.setattr(cache, "run_in_threadpool", refused)
    for path in paths:
        response = client.get(path)
        assert response.status_code == 200, path
        if path.startswith("/api"):
            assert response.content == first[path], path
