"""The garbage collector of a serving worker: long-lived objects frozen, so a full collection is short.

A worker holds about half a million long-lived objects once its answers are warm (pandas, GeoPandas,
SciPy and libpysal modules, spatial weights, cached frames). CPython's full collection walks all of them
(150-300 ms of CPU on the development machine), stalling every request the worker is serving; under 50
clients that happened about every three seconds per worker and set the 95th percentile of every page.
Frozen objects (:func:`gc.freeze`) are skipped by collections, so a full collection then only walks what
was made since.

Freezing keeps reference cycles among frozen objects alive, so the frozen set is rebuilt from scratch
(unfreeze, collect everything, freeze) rather than added to: at start-up, and after an answer is computed
(new modules and long-lived structures appear then), at most once every ``SETTLE_INTERVAL_S`` seconds so
a cold cache under load does not pay for a full collection per answer. Answers served from the cache
make no long-lived objects, so a warm worker stays frozen and collects only young garbage.
"""

from __future__ import annotations

import gc
import threading
import time

SETTLE_INTERVAL_S = 30.0

_lock = threading.Lock()
_state = {"enabled": False, "last": float("-inf")}


def enable() -> None:
    """Freeze what this process holds now, and settle again after computed answers (serving workers)."""
    _state["enabled"] = True
    settle(force=True)


def settle(*, force: bool = False) -> bool:
    """Collect everything and freeze the survivors, unless done within ``SETTLE_INTERVAL_S`` (True if
    done). A no-op until :func:`enable`, so tests and the CLI keep CPython's default behaviour."""
    if not _state["enabled"]:
        return False
    now = time.monotonic()
    if not force and now - _state["last"] < SETTLE_INTERVAL_S:
        return False
    if not _lock.acquire(blocking=False):  # another thread is settling
        return False
    try:
        _state["last"] = now
        gc.unfreeze()
        gc.collect()
        gc.freeze()
    finally:
        _lock.release()
    return True


def frozen() -> int:
    """Objects in the permanent generation (for the benchmark and tests)."""
    return gc.get_freeze_count()
