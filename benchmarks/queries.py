"""National-scale queries (issue 16, item 4): the roll-ups the ingest keeps against a full scan of crimes.

Over one store (``--db``, e.g. one built from ``synth_archive.py`` with ``safer ingest police-uk``), in
the same run, interleaved (the order alternates each round), each pair's results asserted identical:

- what the product runs, through the analysis functions, reading the roll-up against the same
  function inside ``crime_rollup.scanning()`` (a scan of crimes):
  - rates of violence per district over the latest 12 months (``issue_rates``, as ``safer evidence rates``);
  - counts and rates per LSOA of the study area's county over the latest 12 months, every crime type;
  - one district's monthly series of each of the 14 crime types over every month loaded
    (``monthly_series``, as ``safer evidence trends`` per type);
- district x month x crime type over the whole store (SQL: the roll-up joined to ``areas``, against the
  same join over ``crimes``);
- LSOA x month x crime type (``crime_rollup.lsoa_month_type_sql``) materialised as Arrow: for the
  study area's county over every month loaded, and for the whole store, each against the scan, and the
  whole store also against main's query (a GROUP BY of the whole roll-up: in that pair the second
  column is that query, not a scan);
- ``safer quality``: ``quality_report`` (roll-ups, ``repeated_crime_ids`` and the ingests table) against
  ``quality_report(scan=True)``.

Prints wall medians of ``--repeats`` (default 3) with the CPU seconds of this process (all threads), the
paired ratios scan / roll-up, the answer's rows, the store's rows and the load average before and after.

    python benchmarks/queries.py --db /path/to/store.duckdb [--repeats 3] [--only NAME ...] [--attach STORE]
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import statistics
import time
from collections.abc import Callable
from typing import Any

import duckdb
import pandas as pd

from safer_communities.analysis import crime_rollup
from safer_communities.analysis.definitions import load_definitions
from safer_communities.analysis.quality import quality_report
from safer_communities.analysis.rates import issue_rates
from safer_communities.analysis.trends import monthly_series

MAIN_LSOA_ROLLUP = """SELECT lsoa_code, month, crime_type, sum(records) AS n FROM crime_monthly_counts
                      GROUP BY ALL"""  # main's query (54a4477): every one of 21 million rows grouped again
DISTRICT_ROLLUP = """SELECT a.district_code, k.month, k.crime_type, sum(k.records) AS n
                     FROM crime_monthly_counts AS k JOIN areas AS a USING (lsoa_code) GROUP BY ALL"""
DISTRICT_SCAN = """SELECT a.district_code, c.month, c.crime_type, count(*) AS n
                   FROM crimes AS c JOIN areas AS a USING (lsoa_code) GROUP BY ALL"""


def _table(con: duckdb.DuckDBPyConnection, sql: str) -> Callable[[], Any]:
    """The query's whole result as an Arrow table (what a caller gets); compared after timing."""
    return lambda: con.sql(sql).to_arrow_table()


def _lsoa_table(con: duckdb.DuckDBPyConnection, codes: str | None = None) -> Callable[[], Any]:
    """LSOA x month x crime type as Arrow, the SQL chosen when it runs (inside ``scanning()`` or not)."""
    return lambda: con.sql(crime_rollup.lsoa_month_type_sql(con, codes)).to_arrow_table()


def _scanned(fn: Callable[[], Any]) -> Callable[[], Any]:
    def run() -> Any:
        with crime_rollup.scanning():
            return fn()
    return run


def _same(first: Any, second: Any) -> bool:
    """Whether two results hold the same rows (Arrow tables compared sorted, in Arrow: a 21-million-row
    answer would not fit in memory as Python tuples; counts compared as integers, whatever their type)."""
    if hasattr(first, "column_names") and hasattr(second, "column_names"):
        return _sorted_arrow(first).equals(_sorted_arrow(second))
    return bool(_comparable(first) == _comparable(second))


def _sorted_arrow(table: Any) -> Any:
    import pyarrow as pa

    columns = [table.column(n).cast(pa.int64()) if pa.types.is_decimal(table.schema.field(n).type)
               else table.column(n) for n in table.column_names]
    table = pa.table(columns, names=table.column_names)
    return table.sort_by([(n, "ascending") for n in table.column_names])


def _comparable(result: Any) -> Any:
    if isinstance(result, dict):
        return result
    if isinstance(result, list):  # of data frames
        return [_comparable(r) for r in result]
    if isinstance(result, pd.DataFrame):
        return (result.to_dict("split"), {k: repr(v) for k, v in result.attrs.items()})
    names = result.column_names
    return sorted(zip(*(result.column(n).to_pylist() for n in names), strict=True), key=repr)


def _size(result: Any) -> int:
    if isinstance(result, list):
        return sum(_size(r) for r in result)
    if isinstance(result, pd.DataFrame):
        return len(result)
    return 1 if isinstance(result, dict) else int(result.num_rows)


def _cpu() -> float:
    t = os.times()
    return t.user + t.system


def pairs(con: duckdb.DuckDBPyConnection) -> dict[str, tuple[Callable[[], Any], Callable[[], Any]]]:
    definitions = load_definitions()
    types = [r[0] for r in con.execute("SELECT DISTINCT crime_type FROM crime_force_months JOIN "
                                       "crime_monthly_counts USING (force, month) ORDER BY 1").fetchall()]
    base = definitions.get("violence")
    every = dataclasses.replace(base, issue="all-crime", crime_types=tuple(types))
    per_type = [dataclasses.replace(base, issue=f"type-{k}", crime_types=(t,)) for k, t in enumerate(types)]
    county = con.execute("SELECT min(county_code) FROM areas").fetchall()[0][0]
    district = con.execute("SELECT coalesce(min(district_code) FILTER (WHERE district_name = 'Preston'), "
                           "min(district_code)) FROM areas").fetchall()[0][0]

    def rates() -> Any:
        return issue_rates(con, "violence", area_level="district", period="latest-12-months")

    def county_lsoas() -> Any:
        return issue_rates(con, every, area_level="lsoa", period="latest-12-months")

    def series() -> Any:
        return [monthly_series(con, d, area_level="district", area_code=district) for d in per_type]

    out: dict[str, tuple[Callable[[], Any], Callable[[], Any]]] = {}
    if county is not None:
        out["violence rates, districts, 12 months"] = (rates, _scanned(rates))
        out[f"LSOA rates, county {county}, 12 months"] = (county_lsoas, _scanned(county_lsoas))
        out[f"{district} monthly series x {len(types)} types"] = (series, _scanned(series))
        out["district x month x type, whole store"] = (_table(con, DISTRICT_ROLLUP),
                                                       _table(con, DISTRICT_SCAN))
        codes = f"SELECT lsoa_code FROM areas WHERE county_code = '{county}'"
        out[f"LSOA x month x type, county {county}"] = (_lsoa_table(con, codes),
                                                       _scanned(_lsoa_table(con, codes)))
    out["LSOA x month x type, whole store"] = (_lsoa_table(con), _scanned(_lsoa_table(con)))
    out["LSOA x month x type, whole, vs main's query"] = (_lsoa_table(con), _table(con, MAIN_LSOA_ROLLUP))
    out["safer quality (whole report)"] = (lambda: quality_report(con).to_dict(),
                                           lambda: quality_report(con, scan=True).to_dict())
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--only", nargs="*", default=None, help="Run only the pairs whose name starts so.")
    parser.add_argument("--attach", default=None,
                        help="A store to attach read-only as 'nat' (a small store whose crimes and "
                             "crime_monthly_counts are views of a large one: see quality_cli.py).")
    args = parser.parse_args()
    con = duckdb.connect(str(args.db), read_only=True)
    if args.attach:
        con.execute(f"ATTACH '{args.attach}' AS nat (READ_ONLY)")
    con.execute("SET enable_progress_bar = false")
    rows = con.execute("SELECT count(*) FROM crimes").fetchall()[0][0]
    rollup_rows = con.execute("SELECT count(*) FROM crime_monthly_counts").fetchall()[0][0]
    print(f"Store {args.db}: {rows:,} rows of crimes, {rollup_rows:,} of crime_monthly_counts; duckdb "
          f"{duckdb.__version__}; load average {', '.join(f'{x:.1f}' for x in os.getloadavg())}; "
          f"{args.repeats} interleaved rounds")
    todo = {k: v for k, v in pairs(con).items()
            if args.only is None or any(k.startswith(o) for o in args.only)}
    times: dict[str, tuple[list[float], list[float]]] = {name: ([], []) for name in todo}
    cpus: dict[str, tuple[list[float], list[float]]] = {name: ([], []) for name in todo}
    sizes: dict[str, int] = {}
    for k in range(args.repeats):
        for name, (ours, scan) in todo.items():
            results = []
            for index, run in sorted(enumerate((ours, scan)), key=lambda p: (p[0] + k) % 2):
                cpu, start = _cpu(), time.perf_counter()
                results.append((index, run()))
                times[name][index].append(time.perf_counter() - start)
                cpus[name][index].append(_cpu() - cpu)
            (_, first), (_, second) = sorted(results, key=lambda r: r[0])
            if not _same(first, second):
                raise SystemExit(f"{name}: the roll-up and the scan disagree")
            sizes[name] = _size(first)
            (ours_s, scan_s), (ours_cpu, scan_cpu) = times[name], cpus[name]
            print(f"    round {k + 1}: {name}: roll-up {ours_s[-1]:.2f} s ({ours_cpu[-1]:.2f} CPU), "
                  f"scan {scan_s[-1]:.2f} s ({scan_cpu[-1]:.2f} CPU); load {os.getloadavg()[0]:.1f}",
                  flush=True)
    print(f"    {'query':44s} {'roll-up s':>9s} {'(CPU)':>7s} {'scan s':>8s} {'(CPU)':>7s} "
          f"{'scan/roll-up':>13s}  rows of the answer")
    for name, (ours, scan) in times.items():
        paired = sorted(s / o for o, s in zip(ours, scan, strict=True))
        print(f"    {name:44s} {statistics.median(ours):9.3f} {statistics.median(cpus[name][0]):7.2f} "
              f"{statistics.median(scan):8.3f} {statistics.median(cpus[name][1]):7.2f} "
              f"{statistics.median(paired):6.1f}x ({paired[0]:.1f}-{paired[-1]:.1f})  {sizes[name]:,}"
              f"  [roll-up s: {', '.join(f'{t:.2f}' for t in ours)}]")
    print("    identical results asserted for every pair; load average after: "
          f"{', '.join(f'{x:.1f}' for x in os.getloadavg())}")
    con.close()


if __name__ == "__main__":
    main()
