"""A cache of small store look-ups for the length of one run (a needs assessment, all its districts).

A report asks the store the same small questions hundreds of times (the study area's districts, the
months loaded, the units within an area, the population, the unlocated records): each answer is the
same within a run, because the report reads the store through one read-only connection. Inside
``with run_cache():`` a function decorated with ``@per_run`` answers each distinct call once and then
from memory; outside it the function runs as before, every time.

The key is the function, the connection and every argument, so the answer for one area, period,
crime type or level can never be served for another. Callers get a deep copy, so a caller that
changes a returned frame cannot change what the next caller sees. An error (a ``SaferError``: no data,
no such area) is remembered and raised again, just as the function would raise it.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

from safer_communities.errors import SaferError

F = TypeVar("F", bound=Callable[..., Any])

_STORE: ContextVar[dict[tuple, Any] | None] = ContextVar("safer_run_cache", default=None)


@contextmanager
def run_cache() -> Iterator[dict[tuple, Any]]:
    """Cache ``@per_run`` look-ups until the block ends (nested blocks share the outer cache)."""
    current = _STORE.get()
    if current is not None:
        yield current
        return
    token = _STORE.set({})
    try:
        yield _STORE.get()  # type: ignore[misc]
    finally:
        _STORE.reset(token)


def per_run(fn: F) -> F:
    """Answer each distinct call of ``fn(con, ...)`` once per ``run_cache()`` block."""

    @functools.wraps(fn)
    def wrapper(con: Any, *args: Any, **kwargs: Any) -> Any:
        store = _STORE.get()
        if store is None:
            return fn(con, *args, **kwargs)
        key = (fn.__module__, fn.__qualname__, id(con), args, tuple(sorted(kwargs.items())))
        try:
            hash(key)
        except TypeError:  # an unhashable argument (a list, a frame): no caching, same answer
            return fn(con, *args, **kwargs)
        if key not in store:
            try:
                store[key] = (fn(con, *args, **kwargs), None)
            except SaferError as exc:
                store[key] = (None, exc)
        value, error = store[key]
        if error is not None:
            raise error
        return copy.deepcopy(value)

    wrapper.uncached = fn  # type: ignore[attr-defined]
    return wrapper  # type: ignore[return-value]
