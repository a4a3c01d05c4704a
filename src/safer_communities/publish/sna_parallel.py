"""``--all-districts`` on several worker processes, computing the county-wide inputs once.

Fifteen reports share their heaviest inputs: the protected publication grid of each issue (every
district's table), the county forecast of each issue, the partner summary and the display boundaries.
Each worker used to compute all of them for itself before its first report. Now the pool first
computes them once, one task per issue spread over the workers, writes them to one file in a
temporary folder, and every worker seeds its run cache from that file before its first report. Each
cached result is keyed by what it depends on (the issue, the level, the area where it has one), so a
seeded result is exactly what the worker would have computed itself.
"""

from __future__ import annotations

import pickle
import tempfile
from concurrent.futures import ProcessPoolExecutor
from contextlib import suppress
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from safer_communities.errors import SaferError

# The worker's store connection and run cache, kept between the jobs it is given.
_WORKER_SHARED: dict[tuple, Any] = {}
_SEEDED: set[str] = set()


def build_in_pool(args: tuple, jobs: list[tuple[str, str, str, Path]], *, workers: int,
                  county: tuple[str, str], issues: list[str]) -> set[Path]:
    """Build ``jobs`` on ``workers`` processes; ``args`` is what a worker needs to open the run
    (store path, settings, period, definitions file, formats, all_districts, strategy)."""
    with tempfile.TemporaryDirectory(prefix="safer-sna-") as tmp, \
            ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn")) as pool:
        seed: dict[tuple, Any] = {}
        for part in pool.map(_warm, [(*args, county, issue) for issue in [None, *issues]]):
            seed.update(part)
        seed_path = Path(tmp) / "seed.pickle"
        seed_path.write_bytes(pickle.dumps(seed, protocol=pickle.HIGHEST_PROTOCOL))
        # One job per report, the county (the biggest) first, handed out as workers come free.
        done = pool.map(_build_chunk, [(*args, [job], str(seed_path)) for job in jobs])
        return {folder for result in done for folder in result}


def _worker_shared(args: tuple) -> Any:
    """This worker's ``Shared`` for the run (its read-only connection stays open for the worker's life)."""
    from safer_communities.analysis.definitions import resolve
    from safer_communities.config import Settings
    from safer_communities.publish.sna import _shared
    from safer_communities.store.evidence import connect

    db_path, settings_data, period, definitions_path, _formats, _all, strategy, internal = args
    key = (str(db_path), repr(sorted(settings_data.items())), period, str(definitions_path), internal)
    if key not in _WORKER_SHARED:
        con = connect(db_path, read_only=True)
        _WORKER_SHARED[key] = _shared(con, Settings(**settings_data), resolve(definitions_path), period,
                                      strategy, internal)
    return _WORKER_SHARED[key]


def _warm(args: tuple) -> dict[tuple, Any]:
    """Worker task: the county-wide inputs of one issue (or, for None, of the whole run); returns the
    results it computed (errors are left out: a worker meeting the same gap computes it again)."""
    from safer_communities.analysis.run_cache import run_cache
    from safer_communities.publish.sna_context import Context
    from safer_communities.publish.sna_next import _forecast
    from safer_communities.publish.sna_shared import partner_summary
    from safer_communities.publish.sna_tables import district_rates_table
    from safer_communities.publish.sna_where import _boundaries

    *run, (county_code, county_name), issue = args
    shared = _worker_shared(tuple(run))
    before = set(shared.cache)
    ctx = Context(shared=shared, area_code=county_code, area_name=county_name, area_level="county",
                  out_dir=Path("."))
    with run_cache():
        steps = ([lambda: partner_summary(ctx, ""), lambda: _boundaries(ctx)] if issue is None else
                 [lambda: district_rates_table(ctx, shared.definitions.get(issue)),
                  lambda: _forecast(ctx, shared.definitions.get(issue))])
        for step in steps:
            with suppress(SaferError):  # the report says so where it needs the result
                step()
    return {key: value for key, value in shared.cache.items()
            if key not in before and not isinstance(value, SaferError)}


def _build_chunk(args: tuple) -> list[Path]:
    """Worker task: build reports, after seeding the run cache with the county-wide inputs once."""
    from safer_communities.publish.sna import _build_jobs

    *run, jobs, seed_path = args
    shared = _worker_shared(tuple(run))
    if seed_path not in _SEEDED:
        for key, value in pickle.loads(Path(seed_path).read_bytes()).items():
            shared.cache.setdefault(key, value)
        _SEEDED.add(seed_path)
    _, _, period, _, formats, all_districts, _, _ = run
    # The small store look-ups (``analysis.run_cache``) are answered once per worker, not once per
    # report: the store is open read-only on one connection for the worker's life (the pool's run).
    with _WORKER_RUN_CACHE:
        return _build_jobs(shared, jobs, period=period, formats=formats, all_districts=all_districts)


class _WorkerRunCache:
    """A ``run_cache()`` block that stays open from a worker's first report to its last."""

    def __init__(self) -> None:
        self._block: Any = None

    def __enter__(self) -> None:
        if self._block is None:
            from safer_communities.analysis.run_cache import run_cache

            self._block = run_cache()
            self._block.__enter__()

    def __exit__(self, *exc: object) -> None:
        return None


_WORKER_RUN_CACHE = _WorkerRunCache()
