"""Ingest benchmark (``make bench``; not a test): our police.uk ingest against named baselines.

(a) County: the 25 Lancashire months in /work/shared/data (``--data``), timed in the same run against
    DuckDB's own ``read_csv`` of the same files into a table in a DuckDB file (the raw baseline) and
    pandas ``read_csv`` + ``concat``. Each timing is the median of ``--repeats`` runs (default 3).
    Targets: ours >= 0.5x raw DuckDB and >= 2x pandas.
(b) National (default; skipped with ``--quick``): a synthetic England and Wales archive of ten years
    (43 forces x 120 months, about 70 million rows) resampled from the real Lancashire rows into a
    temporary folder outside the repository, ingested in a subprocess whose peak RSS is measured, then
    an area x month x crime-type count over the whole store. Targets: ingest < 5 min, peak < 4 GB,
    query < 1 s. ``--forces N`` scales it down on a busy machine; the figures are then extrapolated
    linearly and the report says so.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parent))
from synth_archive import FORCES, synthesise_archive

DEFAULT_DATA = Path("/work/shared/data/police-uk/lancashire-2020-10_2022-10")
STUDY_AREA = Path(__file__).resolve().parents[1] / "demo" / "data" / "geography"
"""Lancashire's 14 districts: loaded after the national ingest so the district query has areas to join."""
TARGETS = {"vs_duckdb": 0.5, "vs_pandas": 2.0, "national_s": 300.0, "national_gb": 4.0, "query_s": 1.0}

# The store's answer: the crime_monthly_counts roll-up kept by the ingest. Baseline in the same run: the
# same counts by a full scan of crimes.
AREA_MONTH_TYPE = """
    SELECT lsoa_code, month, crime_type, sum(records) AS n
    FROM crime_monthly_counts GROUP BY lsoa_code, month, crime_type
"""
DISTRICT_MONTH_TYPE = """
    SELECT a.district_code, k.month, k.crime_type, sum(k.records) AS n
    FROM crime_monthly_counts AS k JOIN areas AS a ON a.lsoa_code = k.lsoa_code
    GROUP BY a.district_code, k.month, k.crime_type
"""
AREA_MONTH_TYPE_SCAN = """
    SELECT lsoa_code, month, crime_type, count(*) AS n
    FROM crimes GROUP BY lsoa_code, month, crime_type
"""


def _median_time(run: Callable[[Path], int], work: Path, repeats: int) -> tuple[float, int]:
    """Median wall time of run(fresh_dir) over repeats; run returns the rows it loaded."""
    times: list[float] = []
    rows = 0
    for k in range(repeats):
        fresh = work / f"run{k}"
        fresh.mkdir(parents=True)
        start = time.perf_counter()
        rows = run(fresh)
        times.append(time.perf_counter() - start)
        shutil.rmtree(fresh)
    return statistics.median(times), rows


def _ours(files: list[Path]) -> Callable[[Path], int]:
    from safer_communities.ingest.runner import run_ingest

    def run(work: Path) -> int:
        return run_ingest(work / "store.duckdb", "police-uk", files).rows_loaded

    return run


def _duckdb_raw(files: list[Path]) -> Callable[[Path], int]:
    def run(work: Path) -> int:
        con = duckdb.connect(str(work / "raw.duckdb"))
        listed = ", ".join(f"'{f}'" for f in files)
        con.execute(f"CREATE TABLE raw AS SELECT * FROM read_csv([{listed}], header = true)")
        con.execute("CHECKPOINT")
        rows = int(con.execute("SELECT count(*) FROM raw").fetchall()[0][0])
        con.close()
        return rows

    return run


def _pandas(files: list[Path]) -> Callable[[Path], int]:
    import pandas as pd

    def run(work: Path) -> int:
        return len(pd.concat([pd.read_csv(f) for f in files], ignore_index=True))

    return run


def _verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def county(data: Path, repeats: int, work: Path) -> dict[str, float]:
    """(a) ours vs raw DuckDB vs pandas on the same files, medians of repeats."""
    files = sorted(data.glob("*/*-street.csv"))
    if not files:
        raise SystemExit(f"No street files under {data}")
    import pandas as pd

    print(f"(a) County: {len(files)} files under {data}, median of {repeats} runs each "
          f"(duckdb {duckdb.__version__}, pandas {pd.__version__})")
    results: dict[str, tuple[float, int]] = {}
    for name, make in (("ours (safer ingest police-uk)", _ours), ("DuckDB read_csv -> table", _duckdb_raw),
                       ("pandas read_csv + concat", _pandas)):
        seconds, rows = _median_time(make(files), work, repeats)
        results[name] = (seconds, rows)
        print(f"    {name:32s} {rows:>10,} rows  {seconds:7.2f} s  {rows / seconds:>12,.0f} rows/s")
    (ours_s, ours_rows), (raw_s, raw_rows), (pd_s, _) = results.values()
    if ours_rows != raw_rows:
        print(f"    note: ours loaded {ours_rows:,} rows, DuckDB read {raw_rows:,}")
    vs_raw, vs_pandas = raw_s / ours_s, pd_s / ours_s
    print(f"    ours / raw DuckDB = {vs_raw:.2f}x (target >= {TARGETS['vs_duckdb']}x): "
          f"{_verdict(vs_raw >= TARGETS['vs_duckdb'])}")
    print(f"    ours / pandas     = {vs_pandas:.2f}x (target >= {TARGETS['vs_pandas']}x): "
          f"{_verdict(vs_pandas >= TARGETS['vs_pandas'])}")
    return {"ours_rows_per_s": ours_rows / ours_s, "vs_duckdb": vs_raw, "vs_pandas": vs_pandas}


def _child_ingest(db: Path, root: Path) -> None:
    """Run inside the subprocess: ingest the synthetic archive and print what it loaded."""
    from safer_communities.ingest.runner import run_ingest

    start = time.perf_counter()
    report = run_ingest(db, "police-uk", [root])
    print(json.dumps({"rows_loaded": report.rows_loaded, "rows_rejected": report.rows_rejected,
                      "files": len(report.files), "seconds": time.perf_counter() - start}))


def national(data: Path, forces: int, months: int, work: Path) -> dict[str, float]:
    """(b) synthesise, ingest in a subprocess (peak RSS), then time the area x month x type count."""
    scale = (len(FORCES) * 120) / (forces * months)
    print(f"\n(b) National: {forces} forces x {months} months resampled from {data}")
    archive = work / "archive"
    synth = synthesise_archive(data, archive, forces=forces, months=months)
    print(f"    synthesised {synth.files:,} files, {synth.rows:,} rows, {synth.bytes / 1e9:.1f} GB "
          f"in {synth.seconds:.0f} s (in {work})")
    db = work / "national.duckdb"
    start = time.perf_counter()
    child = subprocess.run(
        [sys.executable, __file__, "--child-ingest", str(db), str(archive)],
        capture_output=True, text=True, check=False,
    )
    wall = time.perf_counter() - start
    if child.returncode != 0:
        raise SystemExit(f"Ingest failed:\n{child.stderr[-4000:]}")
    loaded = json.loads(child.stdout.strip().splitlines()[-1])
    peak_gb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024 / 1e9  # KiB on Linux
    shutil.rmtree(archive)
    print(f"    ingest: {loaded['rows_loaded']:,} rows loaded ({loaded['rows_rejected']:,} rejected) from "
          f"{loaded['files']:,} files in {wall:.1f} s ({loaded['rows_loaded'] / wall:,.0f} rows/s), "
          f"peak RSS {peak_gb:.2f} GB, store {db.stat().st_size / 1e9:.2f} GB")
    if STUDY_AREA.is_dir():
        from safer_communities.errors import SaferError
        from safer_communities.ingest.runner import run_ingest

        start = time.perf_counter()
        try:
            areas = run_ingest(db, "geography", [STUDY_AREA])
            print(f"    study area loaded for the district query ({areas.rows_loaded:,} rows, "
                  f"{time.perf_counter() - start:.1f} s, not part of the ingest figure)")
        except SaferError as exc:
            print(f"    study area not loaded ({exc.what}): district query skipped")
    con = duckdb.connect(str(db), read_only=True)
    timings = {}
    for label, sql in (("LSOA x month x crime type", AREA_MONTH_TYPE),
                       ("district x month x crime type", DISTRICT_MONTH_TYPE)):
        if "areas" in sql and int(con.execute("SELECT count(*) FROM areas").fetchall()[0][0]) == 0:
            continue
        runs = []
        for _ in range(3):
            start = time.perf_counter()
            groups = con.sql(sql).to_arrow_table().num_rows
            runs.append(time.perf_counter() - start)
        timings[label] = statistics.median(runs)
        print(f"    query {label}: {groups:,} groups in {timings[label]:.3f} s (median of 3): "
              f"{_verdict(timings[label] < TARGETS['query_s'])} (target < {TARGETS['query_s']:.0f} s)")
    runs = []
    for _ in range(3):
        start = time.perf_counter()
        groups = con.sql(AREA_MONTH_TYPE_SCAN).to_arrow_table().num_rows
        runs.append(time.perf_counter() - start)
    scan_s = statistics.median(runs)
    first = next(iter(timings.values()))
    print(f"    baseline: the same LSOA x month x crime type count by scanning crimes: {groups:,} groups "
          f"in {scan_s:.2f} s; the roll-up is {scan_s / first:.1f}x faster (a result of this many rows is "
          "bound by producing it, not by the scan)")
    from safer_communities.analysis.quality import quality_report

    start = time.perf_counter()
    quality_report(con)
    own_peak_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e9
    print(f"    safer quality (whole report) over the store: {time.perf_counter() - start:.1f} s "
          f"(peak RSS of this process, synthesis and queries included: {own_peak_gb:.2f} GB)")
    con.close()
    query_s = next(iter(timings.values()))
    if scale > 1.01:
        print(f"    scaled run: x{scale:.1f} to national size, extrapolated linearly (an estimate, "
              f"not a measurement): ingest ~{wall * scale:.0f} s; peak RSS is not linear in rows")
    full_s = wall * scale
    print(f"    ingest time {full_s:.0f} s{' (extrapolated)' if scale > 1.01 else ''} "
          f"(target < {TARGETS['national_s']:.0f} s): {_verdict(full_s < TARGETS['national_s'])}")
    if scale > 1.01:
        print(f"    peak memory {peak_gb:.2f} GB at 1/{scale:.1f} of national size (target < "
              f"{TARGETS['national_gb']:.0f} GB at full size): not measured at full size")
    else:
        print(f"    peak memory {peak_gb:.2f} GB (target < {TARGETS['national_gb']:.0f} GB): "
              f"{_verdict(peak_gb < TARGETS['national_gb'])}")
    return {"ingest_s": wall, "ingest_s_national": full_s, "peak_gb": peak_gb, "query_s": query_s,
            "rows": loaded["rows_loaded"]}


def main() -> None:
    parser = argparse.ArgumentParser(description="police.uk ingest benchmark (issue 2, item 8).")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="Folder in archive layout.")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="County benchmark only.")
    parser.add_argument("--national", action="store_true", help="National benchmark only.")
    parser.add_argument("--forces", type=int, default=len(FORCES), help="Scale down the national run.")
    parser.add_argument("--months", type=int, default=120)
    parser.add_argument("--workdir", type=Path, default=None, help="Temporary folder (default: system tmp).")
    parser.add_argument("--child-ingest", nargs=2, type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_ingest:
        _child_ingest(*args.child_ingest)
        return
    work = Path(tempfile.mkdtemp(prefix="safer-bench-", dir=args.workdir))
    # A terminated benchmark still removes its temporary files (SystemExit runs the finally below).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        if not args.national:
            county(args.data, args.repeats, work)
        if not args.quick:
            national(args.data, args.forces, args.months, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
