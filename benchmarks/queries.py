"""National-scale queries (issue 16, item 4): the roll-ups the ingest keeps against a full scan of crimes.

Over one store (``--db``, e.g. one built by ``benchmarks/ingest.py`` or from ``synth_archive.py``), in the
same run, interleaved, each pair's results asserted identical:

- LSOA x month x crime type: ``crime_monthly_counts`` against ``GROUP BY`` over ``crimes``;
- district x month x crime type (when ``areas`` is loaded): the roll-up joined to ``areas`` against the
  same join over ``crimes``;
- ``safer quality``: ``quality_report`` (roll-ups and the ingests table) against
  ``quality_report(scan=True)`` (the full scan it replaced).

Prints medians of ``--repeats`` (default 3), the paired ratios, the store's rows and the load average.

    python benchmarks/queries.py --db /path/to/store.duckdb [--repeats 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb

from safer_communities.analysis.quality import quality_report

LSOA_ROLLUP = """SELECT lsoa_code, month, crime_type, sum(records) AS n FROM crime_monthly_counts
                 GROUP BY ALL"""
LSOA_SCAN = "SELECT lsoa_code, month, crime_type, count(*) AS n FROM crimes GROUP BY ALL"
DISTRICT_ROLLUP = """SELECT a.district_code, k.month, k.crime_type, sum(k.records) AS n
                     FROM crime_monthly_counts AS k JOIN areas AS a USING (lsoa_code) GROUP BY ALL"""
DISTRICT_SCAN = """SELECT a.district_code, c.month, c.crime_type, count(*) AS n
                   FROM crimes AS c JOIN areas AS a USING (lsoa_code) GROUP BY ALL"""


def _table(con: duckdb.DuckDBPyConnection, sql: str) -> Callable[[], Any]:
    """The query's whole result as an Arrow table (what a caller gets); compared after timing."""
    return lambda: con.sql(sql).to_arrow_table()


def _comparable(result: Any) -> Any:
    if isinstance(result, dict):
        return result
    names = result.column_names
    return sorted(zip(*(result.column(n).to_pylist() for n in names), strict=True), key=repr)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    con = duckdb.connect(str(args.db), read_only=True)
    rows = con.execute("SELECT count(*) FROM crimes").fetchall()[0][0]
    has_areas = con.execute("SELECT count(*) FROM areas").fetchall()[0][0] > 0
    print(f"Store {args.db}: {rows:,} rows of crimes; duckdb {duckdb.__version__}; load average "
          f"{', '.join(f'{x:.1f}' for x in os.getloadavg())}; {args.repeats} interleaved rounds")
    pairs: dict[str, tuple[Callable[[], Any], Callable[[], Any]]] = {
        "LSOA x month x crime type": (_table(con, LSOA_ROLLUP), _table(con, LSOA_SCAN)),
        "safer quality (whole report)": (lambda: quality_report(con).to_dict(),
                                         lambda: quality_report(con, scan=True).to_dict()),
    }
    if has_areas:
        pairs["district x month x crime type"] = (_table(con, DISTRICT_ROLLUP), _table(con, DISTRICT_SCAN))
    times: dict[str, tuple[list[float], list[float]]] = {name: ([], []) for name in pairs}
    sizes: dict[str, int] = {}
    for k in range(args.repeats):
        for name, (ours, scan) in pairs.items():
            results = []
            for index, run in sorted(enumerate((ours, scan)), key=lambda p: (p[0] + k) % 2):
                start = time.perf_counter()
                results.append((index, run()))
                times[name][index].append(time.perf_counter() - start)
            (_, first), (_, second) = sorted(results, key=lambda r: r[0])
            first, second = _comparable(first), _comparable(second)
            if first != second:
                raise SystemExit(f"{name}: the roll-up and the scan disagree")
            sizes[name] = len(first) if isinstance(first, list) else 1
    print(f"    {'query':32s} {'roll-up s':>10s} {'full scan s':>12s} {'scan / roll-up':>15s}")
    for name, (ours, scan) in times.items():
        paired = sorted(s / o for o, s in zip(ours, scan, strict=True))
        print(f"    {name:32s} {statistics.median(ours):10.3f} {statistics.median(scan):12.3f} "
              f"{statistics.median(paired):9.1f}x ({paired[0]:.1f}-{paired[-1]:.1f})"
              + (f"  {sizes[name]:,} groups" if sizes[name] > 1 else ""))
    print("    identical results asserted for every pair; load average after: "
          f"{', '.join(f'{x:.1f}' for x in os.getloadavg())}")
    con.close()


if __name__ == "__main__":
    main()
