"""Each worker's cache of answers derived from the evidence store and the application database.

An answer is keyed on the versions of its inputs, so it is never invalidated by hand: a new version is
a new key, and the old entry ages out of the least-recently-used order.

- **The evidence store**: its file's path, modification time and size, and those of its write-ahead
  log. Every write (an ingest, a purge, a checkpoint) changes one of them, and reading them is a
  ``stat`` (microseconds), where asking the ``ingests`` table would mean opening the store per request.
- **The application database**: the change stamp (:mod:`safer_communities.store.generation`) that
  triggers move on every change to the register, strategies, case reviews and sharing agreements, in
  whichever process writes. One indexed row, read per request by the answers that need it, so an
  action updated through one worker shows at once through every other.
- **The day**: strategy ratings, overdue actions and compliance are judged on today's date.
- **The settings** that change what is shown (disclosure thresholds, public mode, tile server, the
  amber window).

Concurrent requests for one missing answer compute it once (the others wait for it), so a cold cache
under load does not start fifty copies of a five-second computation.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine
from starlette.concurrency import run_in_threadpool

from safer_communities.config import Settings
from safer_communities.store.generation import read_stamp
from safer_communities.web import collector

MAX_ENTRIES = 8192
"""The load benchmark's warm-up fills about 400 (every issue x area x kind, answers and their JSON);
pages add one entry per page, user and filter."""
MAX_BYTES = 384 * 1024 * 1024
"""Encoded answers (JSON, HTML) count their length; other values count ``NOMINAL_BYTES``."""
NOMINAL_BYTES = 64 * 1024


def _weight(value: Any) -> int:
    if isinstance(value, bytes | str):
        return len(value)
    if isinstance(value, tuple) and any(isinstance(v, bytes | str) for v in value):
        return sum(len(v) for v in value if isinstance(v, bytes | str))
    return NOMINAL_BYTES


class AnswerCache:
    """A thread-safe LRU of computed answers with one computation per missing key at a time."""

    def __init__(self, max_entries: int = MAX_ENTRIES, max_bytes: int = MAX_BYTES) -> None:
        self.max_entries, self.max_bytes = max_entries, max_bytes
        self._entries: OrderedDict[Hashable, tuple[Any, int]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self._computing: dict[Hashable, threading.Lock] = {}
        self.bypass = False
        self.hits = self.misses = 0

    def __len__(self) -> int:
        return len(self._entries)

    def peek(self, key: Hashable) -> Any:
        """The cached value or None (cheap enough to call from the event loop)."""
        if self.bypass:
            return None
        with self._lock:
            found = self._entries.get(key)
            if found is None:
                return None
            self._entries.move_to_end(key)
            self.hits += 1
            return found[0]

    def get(self, key: Hashable, compute: Callable[[], Any]) -> Any:
        """The cached value, or ``compute()`` stored under ``key`` (an exception is not cached)."""
        if self.bypass:
            return compute()
        found = self.peek(key)
        if found is not None:
            return found
        with self._lock:
            gate = self._computing.setdefault(key, threading.Lock())
        with gate:  # a second request for the same key waits here for the first one's answer
            found = self.peek(key)
            if found is not None:
                return found
            try:
                value = compute()
            finally:
                with self._lock:
                    self._computing.pop(key, None)
            self.put(key, value)
            return value

    def put(self, key: Hashable, value: Any) -> None:
        if self.bypass or value is None:
            return
        weight = _weight(value)
        with self._lock:
            self.misses += 1
            old = self._entries.pop(key, None)
            if old is not None:
                self._bytes -= old[1]
            self._entries[key] = (value, weight)
            self._bytes += weight
            while self._entries and (len(self._entries) > self.max_entries or self._bytes > self.max_bytes):
                _, (_, dropped) = self._entries.popitem(last=False)
                self._bytes -= dropped
        collector.settle()  # a computed answer leaves new long-lived objects: refreeze (throttled)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._bytes = 0
            self.hits = self.misses = 0

    def stats(self) -> dict[str, int]:
        with self._lock:
            return {"entries": len(self._entries), "bytes": self._bytes, "hits": self.hits,
                    "misses": self.misses}


CACHE = AnswerCache()


@contextmanager
def bypassed() -> Iterator[None]:
    """Compute every answer afresh inside the block (the tests compare cached and uncached answers)."""
    previous, CACHE.bypass = CACHE.bypass, True
    try:
        yield
    finally:
        CACHE.bypass = previous


def _stat(path: Path) -> tuple[int, int]:
    try:
        stat = path.stat()
    except FileNotFoundError:
        return (0, -1)
    return (stat.st_mtime_ns, stat.st_size)


def store_version(path: Path) -> tuple[str, int, int, int, int]:
    """The evidence store's version: its file and write-ahead log, as ``stat`` sees them (through any
    symbolic link, so a link moved to a new store is a new version)."""
    wal = Path(f"{path}.wal")
    return (str(path), *_stat(Path(path)), *_stat(wal))


def app_version(engine: Engine) -> str:
    """The application database's change stamp (one row; moved by triggers on every relevant change)."""
    return read_stamp(engine)


_SETTINGS_KEYS: dict[int, tuple[Settings, int]] = {}
_SHOWN = ("suppress_below", "rate_numerator_min", "public_mode", "tile_url", "compliance_amber_days")


def settings_key(settings: Settings) -> int:
    """A fingerprint of the settings that change what an answer or page shows."""
    found = _SETTINGS_KEYS.get(id(settings))
    if found is not None and found[0] is settings:
        return found[1]
    key = hash(tuple(repr(getattr(settings, name, None)) for name in _SHOWN))
    if len(_SETTINGS_KEYS) > 256:
        _SETTINGS_KEYS.clear()
    _SETTINGS_KEYS[id(settings)] = (settings, key)  # the reference keeps the id from being reused
    return key


def versions(settings: Settings, engine: Engine | None = None, *, today: bool = True) -> tuple[Hashable, ...]:
    """Everything an answer derived from the store (and the app database, when ``engine``) depends on."""
    parts: list[Hashable] = [settings_key(settings), store_version(settings.db)]
    if engine is not None:
        parts.append(app_version(engine))
    if today:
        parts.append(date.today().isoformat())
    return tuple(parts)


def cached(settings: Settings, engine: Engine | None, key: tuple, compute: Callable[[], Any]) -> Any:
    """``compute()`` once per version of its inputs (see :func:`versions`)."""
    return CACHE.get((*key, *versions(settings, engine)), compute)


async def answer(key: tuple, compute: Callable[[], Any]) -> Any:
    """``CACHE.get(key, compute)`` for an async route: a cached answer is given on the event loop, and only
    a missing one goes to the thread pool (the hop costs more CPU than the rest of a cached answer)."""
    found = CACHE.peek(key)
    return found if found is not None else await run_in_threadpool(CACHE.get, key, compute)
