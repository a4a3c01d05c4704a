"""Benchmark (issue 16 item 5): the county needs assessment in under 5 CPU-seconds, and the county plus
its 14 district reports (``--all-districts``) in under 60 s on 2 workers, each against a baseline build
timed in the same run.

Usage: python benchmarks/reports.py [--store demo/demo.duckdb] [--baseline-src PATH] [--repeats N]
                                    [--period 2021-04..2022-03] [--baseline-store demo/demo.duckdb]

``--baseline-src`` is the ``src`` folder of the build to compare with, for example main at the branch
point in a worktree of its own::

    git worktree add --detach /tmp/safer-base main
    python benchmarks/reports.py --baseline-src /tmp/safer-base/src

Each measurement runs in a fresh process (PYTHONPATH set to this build's or the baseline's ``src``),
baseline and ours interleaved: first the county report in one process (``--repeats`` pairs), then
the county and all districts on ``--workers`` processes (one pair). The figure is CPU-seconds (the
process and its finished worker processes: the machine may be shared, so wall time depends on the
load) with wall time and the load average beside it; ratios are ours / baseline. Every report is
written in every format (HTML, PDF, Word, Excel/CSV, maps, GeoPackage, manifest). The store is
opened read-only (default: the demo store from ``make demo``).

``--baseline-store`` makes the baseline this build over another store instead (issue 16 item 4: the
county report over the national synthetic store against the demo store's, same period, same run)::

    python benchmarks/reports.py --store national.duckdb --baseline-store demo/demo.duckdb \
        --period 2021-04..2022-03 --skip-all --repeats 1
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from statistics import median

REPO = Path(__file__).resolve().parents[1]
COUNTY_CPU_TARGET_S = 5.0
ALL_WALL_TARGET_S = 60.0


def _cpu_seconds() -> float:
    """User + system CPU of this process and its finished children (the worker processes)."""
    me, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + children.ru_utime + children.ru_stime


def child(store: Path, kind: str, workers: int, period: str) -> None:
    """One measurement, in this process: print the CPU-seconds, wall time and reports as JSON."""
    import logging

    from safer_communities.config import Settings
    from safer_communities.publish.sna import build_needs_assessment
    from safer_communities.store.evidence import connect

    logging.basicConfig(level=logging.WARNING)
    out = Path(tempfile.mkdtemp(prefix="safer-bench-reports-"))
    con = connect(store, read_only=True)
    try:
        load = os.getloadavg()[0]
        started, cpu = time.perf_counter(), _cpu_seconds()
        folders = build_needs_assessment(con, Settings(), out_dir=out, all_districts=kind == "all",
                                         workers=workers if kind == "all" else 1, period=period)
        elapsed, cpu = time.perf_counter() - started, _cpu_seconds() - cpu
    finally:
        con.close()
    complete = [f for f in folders if all((f / name).is_file() for name in
                                          ("index.html", "report.pdf", "report.docx", "manifest.json"))]
    shutil.rmtree(out, ignore_errors=True)
    print(json.dumps({"cpu": cpu, "wall": elapsed, "reports": len(complete), "load": load}))


def measure(src: Path, store: Path, kind: str, workers: int, period: str) -> dict:
    env = {**os.environ, "PYTHONPATH": str(src)}
    result = subprocess.run(
        [sys.executable, __file__, "--child", kind, "--store", str(store), "--workers", str(workers),
         "--period", period],
        env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        sys.exit(f"the {kind} run with {src} failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def _line(label: str, runs: list[dict]) -> str:
    cpu, wall = median(r["cpu"] for r in runs), median(r["wall"] for r in runs)
    loads = ", ".join(f"{r['load']:.1f}" for r in runs)
    cpus, walls = [r["cpu"] for r in runs], [r["wall"] for r in runs]
    spread = (f" [CPU {min(cpus):.1f}-{max(cpus):.1f}, wall {min(walls):.1f}-{max(walls):.1f}]"
              if len(runs) > 1 else "")
    return (f"  {label:<9} {cpu:7.1f} CPU-s  {wall:7.1f} s wall{spread}  {runs[0]['reports']} report(s)  "
            f"(load average before: {loads})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", type=Path, default=REPO / "demo" / "demo.duckdb")
    parser.add_argument("--baseline-src", type=Path, default=None,
                        help="src folder of the build to compare with (e.g. a worktree of main)")
    parser.add_argument("--baseline-store", type=Path, default=None,
                        help="time this build over another store as the baseline (e.g. the demo's)")
    parser.add_argument("--period", default="latest-12-months", help="the reports' period")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=2, help="county pairs (baseline, ours)")
    parser.add_argument("--skip-all", action="store_true", help="time the county report only")
    parser.add_argument("--child", choices=["county", "all"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.store, args.child, args.workers, args.period)
        return
    if not args.store.exists():
        sys.exit(f"No evidence store at {args.store}: run 'make demo' or pass --store PATH.")
    ours_src = REPO / "src"
    baseline = args.baseline_src or (ours_src if args.baseline_store else None)
    builds = [("baseline", baseline), ("ours", ours_src)] if baseline else [("ours", ours_src)]
    stores = {"baseline": args.baseline_store or args.store, "ours": args.store}
    print(f"store {args.store}" + (f" (baseline: {args.baseline_store})" if args.baseline_store else "")
          + f"; period {args.period}; {os.cpu_count()} CPUs; load average at start "
          f"{', '.join(f'{x:.1f}' for x in os.getloadavg())}")
    county: dict[str, list[dict]] = {name: [] for name, _ in builds}
    for _ in range(args.repeats):
        for name, src in builds:
            county[name].append(measure(src, stores[name], "county", 1, args.period))
    print("county report, one process (median):")
    for name, _ in builds:
        print(_line(name, county[name]))
    ours_cpu = median(r["cpu"] for r in county["ours"])
    verdict = "pass" if ours_cpu < COUNTY_CPU_TARGET_S else "not met"
    if baseline:
        base_cpu = median(r["cpu"] for r in county["baseline"])
        print(f"  ours / baseline: {ours_cpu / base_cpu:.2f}x CPU ({base_cpu / ours_cpu:.2f}x faster)")
        pairs = [(o["cpu"] / b["cpu"], o["wall"] / b["wall"])
                 for b, o in zip(county["baseline"], county["ours"], strict=True)]
        print("  each pair, ours / baseline: " + ", ".join(f"{c:.2f}x CPU ({w:.2f}x wall)" for c, w in pairs))
    print(f"  target < {COUNTY_CPU_TARGET_S:.0f} CPU-s: {verdict}")
    if args.skip_all:
        return
    every: dict[str, dict] = {}
    for name, src in builds:
        every[name] = measure(src, stores[name], "all", args.workers, args.period)
    print(f"county + every district, {args.workers} workers:")
    for name, _ in builds:
        print(_line(name, [every[name]]))
    ours = every["ours"]
    if baseline:
        base = every["baseline"]
        print(f"  ours / baseline: {ours['cpu'] / base['cpu']:.2f}x CPU, "
              f"{ours['wall'] / base['wall']:.2f}x wall")
    for name, _ in builds:
        run = every[name]
        print(f"  {name}: {run['cpu'] / run['wall']:.2f} cores busy on average (CPU-s / wall s)")
    verdict = "pass" if ours["wall"] < ALL_WALL_TARGET_S else "not met (see the load)"
    print(f"  target < {ALL_WALL_TARGET_S:.0f} s wall on {args.workers} workers: {verdict}")


if __name__ == "__main__":
    main()
