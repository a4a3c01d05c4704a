"""Drawing the county report's charts and maps: this tree against a baseline tree, same calls, same run.

1. ``record``: builds the county needs assessment of a store once (tables only) with this tree and
   saves every chart and map call the report makes (function and arguments) to a pickle.
2. ``replay``: a fresh process imports a source tree (``--src``) and times each recorded call.
3. The default runs ``record`` once, then replays the calls with the baseline tree and with this tree
   in alternating fresh processes (``--reps`` pairs), and prints per-function medians and the ratio of
   total drawing time (baseline / this tree) for the calls both trees have.

Calls are replayed with the keyword arguments the baseline accepts (new ones such as ``places_of``
are dropped for it), so both trees draw the same pictures from the same data. Run from the worktree::

    python benchmarks/chart_drawing.py --db demo/demo.duckdb --baseline /work/main/src --reps 3
"""

from __future__ import annotations

import argparse
import inspect
import json
import pickle
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parents[1] / "src"
TARGETS = {
    "safer_communities.publish.charts": ["bar_chart", "trend_chart", "rate_chart", "funnel_chart",
                                         "decile_chart", "heatmap_chart"],
    "safer_communities.publish.maps": ["choropleth_map", "hotspot_map"],
    "safer_communities.publish.sna_next": ["forecast_map"],
    "safer_communities.publish.collision_map": ["collision_map"],
    "safer_communities.publish.detail_maps": ["detail_map"],
}


NEW = {"collision_map", "detail_map"}  # charts the baseline does not have


def record(db: Path, out: Path) -> None:
    import importlib

    import duckdb

    from safer_communities.config import Settings
    from safer_communities.publish.sna import build_needs_assessment

    calls: list[tuple[str, str, tuple, dict]] = []
    for module_name, names in TARGETS.items():
        module = importlib.import_module(module_name)
        for name in names:
            original = getattr(module, name)

            def wrapper(*args: object, _f=original, _m=module_name, _n=name, **kwargs: object) -> object:
                # Classes computed by the caller are left for the function to compute, as the baseline does.
                kept = {k: v for k, v in kwargs.items() if k != "bands"}
                calls.append((_m, _n, args, kept))
                return _f(*args, **kwargs)

            setattr(module, name, wrapper)
    con = duckdb.connect(str(db), read_only=True)
    with tempfile.TemporaryDirectory() as folder:
        build_needs_assessment(con, Settings(), out_dir=Path(folder), formats=("tables",), workers=1)
    # Charts both trees can draw in one pickle, so objects the report shares between calls (the
    # boundaries every map draws) stay shared on replay, as in a report run; charts only this tree
    # has (their arguments may be types the baseline lacks) in a second one.
    common = [c for c in calls if c[1] not in NEW]
    new = [c for c in calls if c[1] in NEW]
    out.write_bytes(pickle.dumps((common, [(m, n) for m, n, _, _ in new], pickle.dumps(new))))
    print(f"recorded {len(calls)} drawing calls", file=sys.stderr)


def replay(calls_file: Path) -> None:
    import importlib

    common, new_names, new = pickle.loads(calls_file.read_bytes())
    try:
        calls = common + pickle.loads(new)
    except (ImportError, AttributeError):  # the baseline lacks the new charts' argument types
        calls = common + [(m, n, None, None) for m, n in new_names]
    times: list[tuple[str, float]] = []
    for module_name, name, args, kwargs in calls:
        try:
            function = getattr(importlib.import_module(module_name), name)
        except (ImportError, AttributeError):
            function = None
        if function is None or args is None:
            times.append((name, float("nan")))  # the baseline has no such chart
            continue
        accepted = inspect.signature(function).parameters
        kwargs = {k: v for k, v in kwargs.items() if k in accepted}
        start = time.process_time()
        function(*args, **kwargs)
        times.append((name, time.process_time() - start))
    print(json.dumps(times))


def _run(src: str, calls_file: Path) -> list[tuple[str, float]]:
    result = subprocess.run([sys.executable, __file__, "replay", "--calls", str(calls_file)],
                            env={"PYTHONPATH": src, "PATH": "/usr/bin:/bin", "MPLBACKEND": "Agg"},
                            capture_output=True, text=True, check=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", nargs="?", default="compare", choices=["compare", "record", "replay"])
    parser.add_argument("--db", type=Path, default=Path("demo/demo.duckdb"))
    parser.add_argument("--baseline", default="/work/main/src")
    parser.add_argument("--this", default=str(HERE), help="tree to compare (default: this src)")
    parser.add_argument("--calls", type=Path, default=Path(tempfile.gettempdir()) / "chart_calls.pickle")
    parser.add_argument("--reps", type=int, default=3)
    args = parser.parse_args()
    if args.mode == "record":
        record(args.db, args.calls)
        return
    if args.mode == "replay":
        replay(args.calls)
        return
    subprocess.run([sys.executable, __file__, "record", "--db", str(args.db), "--calls", str(args.calls)],
                   env={"PYTHONPATH": args.this, "PATH": "/usr/bin:/bin", "MPLBACKEND": "Agg"}, check=True)
    runs: dict[str, list[list[tuple[str, float]]]] = {"baseline": [], "this": []}
    for _ in range(args.reps):  # interleaved, so load changes hit both alike
        runs["baseline"].append(_run(args.baseline, args.calls))
        runs["this"].append(_run(args.this, args.calls))
    both = [k for k, (name, t) in enumerate(runs["baseline"][0]) if t == t]  # calls the baseline has
    totals = {side: [sum(r[k][1] for k in both) for r in reps] for side, reps in runs.items()}
    print(f"{len(runs['this'][0])} drawing calls recorded; {len(both)} exist in both trees")
    names = sorted({name for name, _ in runs["this"][0]})
    print(f"{'function':<16}{'calls':>6}{'baseline s':>12}{'this s':>9}{'ratio':>7}")
    for name in names:
        idx = [k for k, (n, _) in enumerate(runs["this"][0]) if n == name]
        base = statistics.median(sum(r[k][1] for k in idx) for r in runs["baseline"])
        mine = statistics.median(sum(r[k][1] for k in idx) for r in runs["this"])
        ratio = f"{base / mine:7.2f}" if base == base and mine else "      -"
        print(f"{name:<16}{len(idx):>6}{base:>12.2f}{mine:>9.2f}{ratio}")
    base, mine = statistics.median(totals["baseline"]), statistics.median(totals["this"])
    print(f"total CPU (calls in both): baseline {base:.2f} s, this tree {mine:.2f} s, "
          f"ratio {base / mine:.2f}x (median of {args.reps} interleaved pairs; CPU time per process)")


if __name__ == "__main__":
    main()
