"""Where the police.uk ingest spends its CPU (issue 16, item 3; not a test).

Runs ``run_ingest`` once into a fresh store, with every SQL statement the ingest sends timed (CPU of
the whole process, DuckDB's threads included, and wall) and put in a phase by what it does, and the
Python side under cProfile. Prints the phase table and the heaviest statements and Python functions.

    PYTHONPATH=src .venv/bin/python benchmarks/ingest_profile.py [--data FOLDER] [--explain]

``--explain`` also prints DuckDB's ``EXPLAIN ANALYZE`` of the insert and roll-up statements, run
again on a copy of the store afterwards (the operator timings are DuckDB's own).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import re
import shutil
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import duckdb

DEFAULT_DATA = Path("/work/shared/data/police-uk/lancashire-2020-10_2022-10")

# (phase, pattern on the statement): the first pattern that matches names the phase.
PHASES = [
    ("checkpoint (compressed write)", r"^CHECKPOINT"),
    ("check pass (exact path only now; both paths before)", r"count\(_reject_reason\) FROM _police_checked"),
    ("insert: read + checks + convert + BNG + write", r"^INSERT INTO (crimes|outcomes|stop_search) BY NAME"),
    ("roll-up crime_monthly_counts", r"INSERT INTO crime_monthly_counts|DELETE FROM crime_monthly_counts"),
    ("roll-up crime_force_months (unlocated)", r"crime_force_months"),
    ("roll-ups lsoa/type months", r"crime_lsoa_months|crime_type_months"),
    ("repeated Crime IDs", r"repeated_crime_ids|_repeats_keys|hash\(crime_id\)"),
    ("touched force-months", r"_police_touched"),
    ("rejects / skipped lines", r"_police_csv_rejects|rejects"),
    ("schema / transaction", r"^(CREATE (TABLE|SEQUENCE|VIEW|OR REPLACE VIEW) IF|BEGIN|COMMIT"
                             r"|INSERT OR REPLACE INTO store_meta|SELECT value FROM store_meta"
                             r"|SELECT count\(\*\) FROM information)"),
]


class TimedConnection:
    """A DuckDB connection whose ``execute``/``executemany`` are timed per statement."""

    def __init__(self, con: duckdb.DuckDBPyConnection, log: list[tuple[str, float, float]]) -> None:
        self._con, self._log = con, log

    def _timed(self, method: str, sql: str, *args: Any) -> Any:
        wall, cpu = time.perf_counter(), time.process_time()
        result = getattr(self._con, method)(sql, *args)
        self._log.append((sql, time.process_time() - cpu, time.perf_counter() - wall))
        return self if result is self._con else result

    def execute(self, sql: str, *args: Any) -> Any:
        return self._timed("execute", sql, *args)

    def executemany(self, sql: str, *args: Any) -> Any:
        return self._timed("executemany", sql, *args)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._con, name)


def phase_of(sql: str) -> str:
    flat = " ".join(sql.split())
    for name, pattern in PHASES:
        if re.search(pattern, flat):
            return name
    return "other SQL (bookkeeping)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--explain", action="store_true")
    parser.add_argument("--top", type=int, default=12)
    args = parser.parse_args()
    from safer_communities.ingest import runner
    from safer_communities.store import evidence

    files = sorted(args.data.glob("*/*-street.csv"))
    work = Path(tempfile.mkdtemp(prefix="safer-profile-"))
    log: list[tuple[str, float, float]] = []
    real_connect = evidence.connect

    def connect(path: Path | str, *, read_only: bool = False) -> Any:
        return TimedConnection(real_connect(path, read_only=read_only), log)

    runner.connect = connect  # type: ignore[assignment]
    profile = cProfile.Profile()
    load = os.getloadavg()
    wall, cpu = time.perf_counter(), time.process_time()
    try:
        profile.enable()
        report = runner.run_ingest(work / "store.duckdb", "police-uk", files)
        profile.disable()
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        print(f"{len(files)} files, {report.rows_loaded:,} rows loaded, {report.rows_rejected} rejected; "
              f"{cpu:.2f} CPU-s, {wall:.2f} s wall; load {load[0]:.1f} before, "
              f"{os.getloadavg()[0]:.1f} after (duckdb {duckdb.__version__})")
        phases: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0, 0])
        for sql, c, w in log:
            entry = phases[phase_of(sql)]
            entry[0] += c
            entry[1] += w
            entry[2] += 1
        sql_cpu = sum(c for _, c, _ in log)
        phases["Python outside SQL (hash, limits, headers, zip, bookkeeping)"] = [cpu - sql_cpu, 0.0, 0]
        print(f"\n{'phase':62s} {'CPU s':>7s} {'share':>6s} {'wall s':>7s} {'stmts':>6s}")
        for name, (c, w, n) in sorted(phases.items(), key=lambda kv: -kv[1][0]):
            print(f"{name:62s} {c:7.2f} {c / cpu:6.1%} {w:7.2f} {int(n):6d}")
        print("\nHeaviest statements (CPU s, wall s):")
        for sql, c, w in sorted(log, key=lambda r: -r[1])[:args.top]:
            print(f"  {c:6.3f} {w:6.3f}  {' '.join(sql.split())[:150]}")
        out = io.StringIO()
        pstats.Stats(profile, stream=out).sort_stats("tottime").print_stats(args.top)
        print("\nPython (cProfile, by own time; DuckDB calls show as execute/fetch):")
        print("\n".join(line for line in out.getvalue().splitlines()[6:] if line.strip()))
        if args.explain:
            explain(work, files)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def explain(work: Path, files: list[Path]) -> None:
    """EXPLAIN ANALYZE of the roll-up builds over the loaded store (DuckDB's own operator timings)."""
    con = duckdb.connect(str(work / "store.duckdb"))
    for label, sql in (
        ("crime_monthly_counts build", "SELECT force, month, lsoa_code, crime_type, count(*) FROM crimes "
                                       "GROUP BY ALL ORDER BY month, lsoa_code, crime_type, force"),
        ("raw read of the same files", "SELECT count(*) FROM read_csv(["
         + ", ".join(f"'{f}'" for f in files) + "], header = true, all_varchar = true)"),
    ):
        text = con.execute(f"EXPLAIN ANALYZE {sql}").fetchall()[0][1]
        print(f"\nEXPLAIN ANALYZE: {label}\n{text}")
    con.close()


if __name__ == "__main__":
    sys.exit(main())
