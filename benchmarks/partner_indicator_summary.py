"""Partner indicator summary benchmark (not a test): ``indicator_summary`` (one set-based query) against
the per-indicator pandas version it replaced (``partner_summary_reference.py``), on the same store in the
same run, interleaved. Also checks that both give identical frames.

    PYTHONPATH=src .venv/bin/python benchmarks/partner_indicator_summary.py --db demo/demo.duckdb

Prints, for the default command (study area, linked indicators), ``--area E06000009`` and ``--all``, the
median seconds of each and the ratio old / new. Quote the ratio with the load average it prints.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import statistics
import time
from pathlib import Path

import duckdb
import pandas as pd

from safer_communities.analysis.partner_indicators import indicator_summary

HERE = Path(__file__).resolve().parent
CASES = {
    "default (study area, linked)": ((None,), {"linked_only": True}),
    "--area E06000009": (("E06000009",), {"linked_only": True}),
    "--all (every indicator)": ((None,), {"linked_only": False}),
}


def reference() -> object:
    spec = importlib.util.spec_from_file_location(
        "partner_summary_reference", HERE / "partner_summary_reference.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.indicator_summary_reference


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="demo/demo.duckdb")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    old_fn = reference()
    con = duckdb.connect(args.db, read_only=True)
    print(f"load average before: {os.getloadavg()[0]:.2f}")
    for name, (positional, keywords) in CASES.items():
        old_times, new_times = [], []
        for _ in range(args.repeats):
            start = time.perf_counter()
            new = indicator_summary(con, *positional, **keywords)
            new_times.append(time.perf_counter() - start)
            start = time.perf_counter()
            old = old_fn(con, *positional, **keywords)
            old_times.append(time.perf_counter() - start)
        pd.testing.assert_frame_equal(old, new)
        o, n = statistics.median(old_times), statistics.median(new_times)
        print(f"{name}: {len(new):,} rows, identical; old {o:.2f} s, new {n:.2f} s, old/new {o / n:.1f}x")
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
