"""Ingest benchmark (``make bench``; not a test): our police.uk ingest against named baselines.

(a) County: the 25 Lancashire months in /work/shared/data (``--data``), timed in the same run against
    polars and pandas ``read_csv`` + ``concat`` into memory and DuckDB's own ``read_csv`` of the same
    files into a table in a DuckDB file (the raw baseline); with ``--baseline-src``, also the ingest of
    another source tree (the build before). Interleaved rounds (``--repeats``, default 3), every reader
    once per round in a fresh process; ratios paired within a round; every reader's result must equal
    ours (rows per crime type, non-blank Crime IDs) or the run stops. Wall and CPU (all threads) both:
    on a shared machine CPU is the steadier figure. Target (issue 16): ours no slower than polars.
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
import os
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parent))
from synth_archive import FORCES, synthesise_archive

DEFAULT_DATA = Path("/work/shared/data/police-uk/lancashire-2020-10_2022-10")
STUDY_AREA = Path(__file__).resolve().parents[1] / "demo" / "data" / "geography"
"""Lancashire's 14 districts: loaded after the national ingest so the district query has areas to join."""
TARGETS = {"national_s": 300.0, "national_gb": 4.0, "query_s": 1.0}

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


READERS = ("ours", "polars", "pandas", "duckdb", "floor")
LABELS = {"ours": "ours (safer ingest police-uk)", "before": "ours, before (--baseline-src)",
          "polars": "polars read_csv + concat (memory)", "pandas": "pandas read_csv + concat (memory)",
          "duckdb": "DuckDB read_csv -> table (file)", "floor": "DuckDB read_csv -> crimes layout"}


def _fingerprint_frame(types: list[object], ids: int) -> dict[str, int]:
    counts: dict[str, int] = {}
    for value in types:
        counts[str(value)] = counts.get(str(value), 0) + 1
    return {**dict(sorted(counts.items())), "_crime_ids": ids}


def _child_read(reader: str, work: Path, files: list[Path]) -> dict[str, object]:
    """One timed run of one reader in this (fresh) process: wall and CPU (all threads) and a
    fingerprint of what it read (rows per crime type, non-blank Crime IDs) to assert equality."""
    if reader == "ours":
        from safer_communities.ingest.runner import run_ingest
    elif reader == "polars":
        import polars as pl
    elif reader == "pandas":
        import pandas as pd
    start, cpu = time.perf_counter(), time.process_time()
    if reader == "ours":
        run_ingest(work / "store.duckdb", "police-uk", files)
        seconds, cpu_s = time.perf_counter() - start, time.process_time() - cpu
        con = duckdb.connect(str(work / "store.duckdb"), read_only=True)
        rows = con.execute("SELECT crime_type, count(*) FROM crimes GROUP BY 1").fetchall()
        ids = con.execute("SELECT count(crime_id) FROM crimes").fetchall()[0][0]
        print_ = {**dict(sorted((str(t), int(n)) for t, n in rows)), "_crime_ids": int(ids)}
    elif reader == "duckdb":
        con = duckdb.connect(str(work / "raw.duckdb"))
        listed = ", ".join(f"'{f}'" for f in files)
        con.execute(f"CREATE TABLE raw AS SELECT * FROM read_csv([{listed}], header = true)")
        con.execute("CHECKPOINT")
        seconds, cpu_s = time.perf_counter() - start, time.process_time() - cpu
        rows = con.execute('SELECT "Crime type", count(*) FROM raw GROUP BY 1').fetchall()
        ids = con.execute('SELECT count(nullif("Crime ID", \'\')) FROM raw').fetchall()[0][0]
        print_ = {**dict(sorted((str(t), int(n)) for t, n in rows)), "_crime_ids": int(ids)}
    elif reader == "floor":
        # The floor of any ingest into this store: DuckDB's own read of the same files, typed into the
        # crimes table's layout (same columns and types), one INSERT, no checks, grid coordinates,
        # provenance, roll-ups or transaction bookkeeping; then the compressed write.
        from safer_communities.store.schema import CRIMES

        con = duckdb.connect(str(work / "floor.duckdb"))
        con.execute(CRIMES)
        listed = ", ".join(f"'{f}'" for f in files)
        con.execute(
            "INSERT INTO crimes SELECT nullif(\"Crime ID\", ''), (\"Month\" || '-01')::DATE, "
            "\"Reported by\", \"Falls within\", \"Longitude\"::DOUBLE, \"Latitude\"::DOUBLE, NULL, NULL, "
            "\"Location\", "
            "\"LSOA code\", \"LSOA name\", \"Crime type\", \"Last outcome category\", \"Context\", "
            f"'lancashire', filename, 0 FROM read_csv([{listed}], header = true, all_varchar = true, "
            "filename = true)")
        con.execute("CHECKPOINT")
        seconds, cpu_s = time.perf_counter() - start, time.process_time() - cpu
        rows = con.execute("SELECT crime_type, count(*) FROM crimes GROUP BY 1").fetchall()
        ids = con.execute("SELECT count(crime_id) FROM crimes").fetchall()[0][0]
        print_ = {**dict(sorted((str(t), int(n)) for t, n in rows)), "_crime_ids": int(ids)}
    elif reader == "polars":
        frame = pl.concat([pl.read_csv(f, infer_schema=False) for f in files])
        seconds, cpu_s = time.perf_counter() - start, time.process_time() - cpu
        ids = frame.filter(pl.col("Crime ID").is_not_null() & (pl.col("Crime ID") != "")).height
        print_ = _fingerprint_frame(frame["Crime type"].to_list(), ids)
    else:
        frame = pd.concat([pd.read_csv(f) for f in files], ignore_index=True)
        seconds, cpu_s = time.perf_counter() - start, time.process_time() - cpu
        print_ = _fingerprint_frame(frame["Crime type"].tolist(), int(frame["Crime ID"].notna().sum()))
    return {"wall": seconds, "cpu": cpu_s, "fingerprint": print_}


def _run_child(reader: str, files_from: Path, work: Path, src: str | None) -> dict[str, object]:
    """Run one reader once in a fresh interpreter (imports not timed); ``src`` puts another source
    tree of safer_communities first on the path (the build before, for a before/after)."""
    fresh = work / f"{reader}-{time.monotonic_ns()}"
    fresh.mkdir(parents=True)
    env = dict(os.environ)
    if src:
        env["PYTHONPATH"] = src + os.pathsep + env.get("PYTHONPATH", "")
    try:
        child = subprocess.run(
            [sys.executable, __file__, "--child-read", "ours" if reader.startswith("before") else reader,
             str(fresh), str(files_from)], capture_output=True, text=True, check=False, env=env)
        if child.returncode != 0:
            raise SystemExit(f"{reader} failed:\n{child.stderr[-4000:]}")
        return dict(json.loads(child.stdout.strip().splitlines()[-1]))
    finally:
        shutil.rmtree(fresh, ignore_errors=True)


def county(data: Path, repeats: int, work: Path, baseline_src: list[str] | None = None) -> dict[str, float]:
    """(a) ours vs polars, pandas and raw DuckDB on the same files: interleaved rounds, each reader in a
    fresh process once per round, ratios paired within a round, identical results asserted."""
    files = sorted(data.glob("*/*-street.csv"))
    if not files:
        raise SystemExit(f"No street files under {data}")
    listing = work / "files.txt"
    listing.write_text("\n".join(str(f) for f in files))
    baselines = {("before" if i == 0 else f"before{i + 1}"): src for i, src in enumerate(baseline_src or [])}
    for name, src in baselines.items():
        LABELS[name] = f"ours, {Path(src).resolve().parent.name} (--baseline-src)"[:36]
    readers = [*READERS, *baselines]
    print(f"(a) County: {len(files)} files under {data}; {repeats} interleaved rounds, each reader once "
          f"per round in a fresh process (duckdb {duckdb.__version__}); load average before: "
          f"{', '.join(f'{x:.1f}' for x in os.getloadavg())}")
    runs: dict[str, list[dict[str, object]]] = {r: [] for r in readers}
    for k in range(repeats):
        order = readers[k % len(readers):] + readers[:k % len(readers)]  # rotate who goes first
        for reader in order:
            runs[reader].append(_run_child(reader, listing, work,
                                           baselines.get(reader)))
    reference = runs["ours"][0]["fingerprint"]
    for reader, results in runs.items():
        for result in results:
            if result["fingerprint"] != reference:
                raise SystemExit(f"{reader} read different data from ours: {result['fingerprint']} "
                                 f"against {reference}")
    rows = sum(v for k, v in dict(reference).items() if not k.startswith("_"))  # type: ignore[misc]
    print(f"    identical results asserted: {rows:,} rows, the same count per crime type and of Crime IDs")
    print(f"    {'reader':36s} {'wall s (median)':>16s} {'CPU s (median)':>15s}")
    for reader in readers:
        wall = statistics.median(float(r["wall"]) for r in runs[reader])  # type: ignore[arg-type]
        cpu = statistics.median(float(r["cpu"]) for r in runs[reader])  # type: ignore[arg-type]
        print(f"    {LABELS[reader]:36s} {wall:16.2f} {cpu:15.2f}")
    print("    ours / baseline, paired per round (median, range); above 1 = ours slower:")
    ratios: dict[str, float] = {}
    for reader in readers[1:]:
        for measure in ("wall", "cpu"):
            paired = sorted(float(o[measure]) / float(b[measure])  # type: ignore[arg-type]
                            for o, b in zip(runs["ours"], runs[reader], strict=True))
            ratios[f"{reader}_{measure}"] = statistics.median(paired)
            print(f"      ours / {reader:7s} {measure:4s}: {statistics.median(paired):5.2f}x "
                  f"({paired[0]:.2f}-{paired[-1]:.2f})")
    print(f"    load average after: {', '.join(f'{x:.1f}' for x in os.getloadavg())}")
    return ratios


def _verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


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
    rolled = quality_report(con).to_dict()
    rolled_s = time.perf_counter() - start
    start = time.perf_counter()
    scanned = quality_report(con, scan=True).to_dict()
    scanned_s = time.perf_counter() - start
    own_peak_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e9
    print(f"    safer quality (whole report) over the store: {rolled_s:.1f} s from the roll-ups, "
          f"{scanned_s:.1f} s by the full scan ({'identical' if rolled == scanned else 'DIFFERENT'}; "
          f"peak RSS of this process, synthesis and queries included: {own_peak_gb:.2f} GB)")
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
    parser.add_argument("--baseline-src", action="append", default=None,
                        help="Also time the ingest of another source tree (e.g. main's src), paired; "
                             "may be given more than once.")
    parser.add_argument("--child-ingest", nargs=2, type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--child-read", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_ingest:
        _child_ingest(*args.child_ingest)
        return
    if args.child_read:
        reader, fresh, listing = args.child_read
        files = [Path(line) for line in Path(listing).read_text().splitlines()]
        print(json.dumps(_child_read(reader, Path(fresh), files)))
        return
    work = Path(tempfile.mkdtemp(prefix="safer-bench-", dir=args.workdir))
    # A terminated benchmark still removes its temporary files (SystemExit runs the finally below).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        if not args.national:
            county(args.data, args.repeats, work, args.baseline_src)
        if not args.quick:
            national(args.data, args.forces, args.months, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
