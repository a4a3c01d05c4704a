"""Benchmark (issue 5 item 6): the county needs assessment plus all 14 district reports, from a store
holding the 25 months of real Lancashire police.uk data, in under 60 seconds in total.

Usage: python benchmarks/reports.py [--source ../shared/data] [--store PATH] [--workers N]

The store is built once (and kept at --store, default benchmarks/.cache/reports-25m.duckdb) from the
demo's reference data (geography, population, deprivation, STATS19) and the 25 monthly street files
in ``police-uk/lancashire-2020-10_2022-10``; building it is not timed. The timed run is exactly what
``safer report sna --all-districts`` does: 15 reports, each as HTML, PDF, Word, Excel/CSV, maps,
GeoPackage and manifest. The baseline is the same 15 reports built one after another in one process
(``--workers 1``), reported in the same run when ``--baseline`` is given.
"""

from __future__ import annotations

import argparse
import logging
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TARGET_S = 60.0


def build_store(store: Path, source: Path) -> None:
    from safer_communities.ingest.runner import run_ingest

    demo = REPO / "demo" / "data"
    street = source / "police-uk" / "lancashire-2020-10_2022-10"
    if not street.is_dir():
        sys.exit(f"police.uk data not found at {street}; pass --source DIR (the shared data folder).")
    tmp = store.with_suffix(".building")
    tmp.unlink(missing_ok=True)
    for kind, paths in (("geography", [demo / "geography"]), ("population", [demo / "population"]),
                        ("deprivation", [demo / "deprivation"]), ("stats19", [demo / "road-safety"]),
                        ("police-uk", [street])):
        started = time.perf_counter()
        report = run_ingest(tmp, kind, paths)
        print(f"  loaded {kind}: {report.rows_loaded:,} rows in {time.perf_counter() - started:.1f} s")
    tmp.rename(store)


def _cpu_seconds() -> float:
    """User + system CPU of this process and its finished children (the worker processes)."""
    me, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + children.ru_utime + children.ru_stime


def time_reports(store: Path, workers: int) -> tuple[float, int, float]:
    from safer_communities.config import Settings
    from safer_communities.publish.sna import build_needs_assessment
    from safer_communities.store.evidence import connect

    out = Path(tempfile.mkdtemp(prefix="safer-bench-reports-"))
    con = connect(store, read_only=True)
    try:
        started, cpu = time.perf_counter(), _cpu_seconds()
        folders = build_needs_assessment(con, Settings(), out_dir=out, all_districts=True, workers=workers)
        elapsed, cpu = time.perf_counter() - started, _cpu_seconds() - cpu
    finally:
        con.close()
    complete = [f for f in folders if all((f / name).is_file() for name in
                                          ("index.html", "report.pdf", "report.docx", "manifest.json"))]
    shutil.rmtree(out, ignore_errors=True)
    return elapsed, len(complete), cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--store", type=Path, default=REPO / "benchmarks" / ".cache" / "reports-25m.duckdb")
    parser.add_argument("--workers", type=int, default=None, help="worker processes (default: CPUs)")
    parser.add_argument("--baseline", action="store_true", help="also time one process, one report at a time")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    if not args.store.exists():
        print(f"Building the 25-month store at {args.store} (not timed)...")
        args.store.parent.mkdir(parents=True, exist_ok=True)
        build_store(args.store, args.source)
    import os

    workers = args.workers or os.cpu_count() or 1
    load_before = os.getloadavg()[0]
    elapsed, reports, cpu = time_reports(args.store, workers)
    verdict = "PASS" if elapsed < TARGET_S and reports == 15 else "FAIL"
    print(f"county + district needs assessments: {reports} complete reports in {elapsed:.1f} s wall "
          f"with {workers} worker(s) ({cpu:.1f} CPU-seconds; load average before the run "
          f"{load_before:.1f}); target < {TARGET_S:.0f} s: {verdict}")
    if args.baseline:
        base, _, _ = time_reports(args.store, 1)
        print(f"baseline, one process: {base:.1f} s; speed-up {base / elapsed:.2f}x")


if __name__ == "__main__":
    main()
