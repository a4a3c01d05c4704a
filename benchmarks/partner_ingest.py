"""Partner-statistics benchmark (not a test): ``safer ingest indicators`` of every file in
../shared/data/partner and ../shared/data/health, and one indicator query, against pandas merely reading
the same files (read_csv / read_parquet / read_excel of every sheet), in the same run.

Each timing is the median of ``--repeats`` runs (default 3). The ratio ours / pandas is what to quote:
absolute times depend on how loaded the machine is. pandas does none of our work (markers, periods, GSS
codes, rejects, the store); the ratio says what that work costs on top of reading.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from safer_communities.analysis.partner_indicators import indicator_summary
from safer_communities.ingest.indicators import ingest_indicators
from safer_communities.store.evidence import connect, transaction

ROOT = Path("/work/shared/data")
SUFFIXES = (".csv", ".parquet", ".xlsx")


def _files(root: Path) -> list[Path]:
    return sorted(p for folder in ("partner", "health") for p in (root / folder).rglob("*")
                  if p.suffix in SUFFIXES and "education_csc_offending" not in str(p))


def _median(function: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _pandas(files: list[Path]) -> None:
    for path in files:
        if path.suffix == ".csv":
            pd.read_csv(path, dtype=str, keep_default_na=False)
        elif path.suffix == ".parquet":
            pd.read_parquet(path)
        else:
            pd.read_excel(path, sheet_name=None, header=None)


def _ours(files: list[Path], folder: Path) -> None:
    store = folder / f"bench-{time.perf_counter_ns()}.duckdb"
    con = connect(store)
    with transaction(con):
        ingest_indicators(con, files)
    con.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=ROOT)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    files = _files(args.data)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        pandas_s = _median(lambda: _pandas(files), args.repeats)
        ours_s = _median(lambda: _ours(files, folder), args.repeats)
        store = folder / "query.duckdb"
        _ours(files, folder)
        con = connect(sorted(folder.glob("bench-*.duckdb"))[-1], read_only=True)
        query_s = _median(lambda: indicator_summary(con, "E06000009"), args.repeats)
        rows = len(indicator_summary(con, "E06000009"))
        con.close()
        del store
    print(json.dumps({
        "files": len(files), "repeats": args.repeats, "pandas_read_s": round(pandas_s, 2),
        "ours_ingest_s": round(ours_s, 2), "ratio_ours_over_pandas": round(ours_s / pandas_s, 2),
        "query_E06000009_s": round(query_s, 2), "query_rows": rows,
    }, indent=2))


if __name__ == "__main__":
    main()
