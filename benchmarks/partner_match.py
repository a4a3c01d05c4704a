"""ISTV-against-police matching benchmark (not a test): ``analysis.istv_match.matched_attendances`` on the
demo store's SYNTHETIC feeds scaled up, against a pandas baseline applying the same rule (explode each ED
attendance over the date window, merge on date, filter by LSOA or distance), in the same run.

The feeds are scaled by copying every record ``--scale`` times with its date moved by whole weeks (so the
time-of-week mix is kept and copies never meet each other inside the window). Timings are medians of
``--repeats`` interleaved runs; quote the ratio, not the absolute times (the machine is shared).

    PYTHONPATH=src python benchmarks/partner_match.py --db demo/demo.duckdb --scale 50
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import pandas as pd

from safer_communities.analysis.istv_match import ASSAULT_CLASSES, lsoa_centroids, matched_attendances
from safer_communities.analysis.partner_records import feed_period, require_feed
from safer_communities.analysis.partner_sv import parse_code
from safer_communities.store.evidence import connect


def _scale(db: Path, scale: int) -> None:
    con = connect(db)
    try:
        for table, ident, when in (
            ("partner_istv", "attendance_id", "assault_at"),
            ("partner_force_crimes", "crime_ref", "committed_at"),
        ):
            con.execute(f"CREATE TEMP TABLE base AS SELECT * FROM {table}")
            con.execute(
                f"INSERT INTO {table} SELECT base.* REPLACE ({ident} || '-' || k AS {ident}, "
                f"{when} + k * INTERVAL 3 WEEK AS {when}, "
                "record_date + CAST(k * 21 AS INTEGER) AS record_date) "
                f"FROM base, range(1, {scale}) t(k)"
            )
            con.execute("DROP TABLE base")
        con.execute("CHECKPOINT")
    finally:
        con.close()


def pandas_match(con, window_days: int = 1, nearby_m: float = 1000.0) -> pd.DataFrame:
    """The same rule with pandas: explode the window, merge on day, then LSOA or distance."""
    areas = con.execute("SELECT lsoa_code, lsoa11_code FROM areas").fetch_df()
    cent = lsoa_centroids(con)
    ed = con.execute("SELECT attendance_id, assault_at::DATE AS d, lsoa_code FROM partner_istv").fetch_df()
    pol = con.execute(
        "SELECT ho_offence_code, committed_at::DATE AS d, lsoa_code, easting, northing "
        "FROM partner_force_crimes"
    ).fetch_df()
    pol = pol[pol["ho_offence_code"].map(lambda c: parse_code(c)[0] in ASSAULT_CLASSES)]
    ed = ed.merge(areas, on="lsoa_code", how="left").merge(cent, on="lsoa11_code", how="left")
    pol = pol.merge(areas, on="lsoa_code", how="left").merge(
        cent, on="lsoa11_code", how="left", suffixes=("", "_c")
    )
    pol["px"] = pol["easting"].fillna(pol["x"])
    pol["py"] = pol["northing"].fillna(pol["y"])
    tested = ed[ed["lsoa11_code"].notna()]
    shifted = pd.concat(
        [
            tested.assign(d=pd.to_datetime(tested["d"]) + pd.Timedelta(days=k))
            for k in range(-window_days, window_days + 1)
        ]
    )
    pol["d"] = pd.to_datetime(pol["d"])
    pairs = shifted.merge(pol[["d", "lsoa11_code", "px", "py"]], on="d", suffixes=("", "_p"))
    near = (pairs["lsoa11_code"] == pairs["lsoa11_code_p"]) | (
        (pairs["px"] - pairs["x"]) ** 2 + (pairs["py"] - pairs["y"]) ** 2 <= nearby_m**2
    )
    hits = set(pairs.loc[near, "attendance_id"])
    return pd.DataFrame({"attendance_id": ed["attendance_id"], "matched": ed["attendance_id"].isin(hits)})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=Path("demo/demo.duckdb"))
    parser.add_argument("--scale", type=int, default=50)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "store.duckdb"
        shutil.copy(args.db, db)
        _scale(db, args.scale)
        con = connect(db, read_only=True)
        p = feed_period(require_feed(con, "istv"), None)
        ours_times, pandas_times = [], []
        for _ in range(args.repeats):  # interleaved
            start = time.perf_counter()
            ours = matched_attendances(con, p)
            ours_times.append(time.perf_counter() - start)
            start = time.perf_counter()
            base = pandas_match(con)
            pandas_times.append(time.perf_counter() - start)
        same = int(ours["matched"].sum()) == int(base["matched"].sum())
        result = {
            "istv": len(base),
            "force": int(con.execute("SELECT count(*) FROM partner_force_crimes").fetchall()[0][0]),
            "matched_ours": int(ours["matched"].sum()),
            "matched_pandas": int(base["matched"].sum()),
            "agree": same,
            "ours_s": round(statistics.median(ours_times), 3),
            "pandas_s": round(statistics.median(pandas_times), 3),
            "ratio": round(statistics.median(ours_times) / statistics.median(pandas_times), 2),
        }
        con.close()
    print(json.dumps(result))


if __name__ == "__main__":
    main()
