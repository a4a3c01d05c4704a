"""Rolling-origin forecast evaluation over the 25 Lancashire months at 250 m (violence and ASB), timed
against the naive loop it replaces, and local Moran's I against esda's Moran_Local, in the same run.

    python benchmarks/forecast.py [--db .tmp/lancashire-25m.duckdb] [--table docs/forecast-skill.md]

The store must hold police.uk 2020-10..2022-10 for Lancashire plus the demo geography and population
(see the closing note of issue 15 for the commands). The "naive loop" is what an analyst would write
with the hotspot family alone: for every origin and model, filter the records to the window, re-place
them on the grid with ``hotspot_count`` / ``hotspot_kde`` (the decay as record weights) and score the
ranking; ours places the records once, counts cells x months in one pass, and builds the decayed
density as a weighted sum of monthly density surfaces. Both give the same scores (checked here).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from safer_communities.analysis import queries, results
from safer_communities.analysis.forecast import (
    HISTORY_MONTHS,
    build_history,
    cells_for_share,
    evaluate,
    model_label,
    ranking,
    score_selection,
    summarise,
)
from safer_communities.analysis.grid import boundary_geometry, clear_grid_cache, raster_for_boundary
from safer_communities.analysis.hotspots import hotspot_count, hotspot_kde
from safer_communities.analysis.rates import definition_for

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "data"
ISSUES = ("violence", "asb")


def ensure_store(path: Path) -> None:
    """Build the 25-month Lancashire store (shared police.uk months, the demo's reference data) once."""
    if path.exists():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    safer = [sys.executable, "-c", "from safer_communities.cli import main; main()", "--db", str(path)]
    for step in (["geography", REPO / "demo/data/geography"], ["population", REPO / "demo/data/population"],
                 ["deprivation", REPO / "demo/data/deprivation"],
                 ["police-uk", SHARED / "police-uk/lancashire-2020-10_2022-10"]):
        print(f"Building {path}: ingest {step[0]}", flush=True)
        subprocess.run([*safer, "ingest", str(step[0]), str(step[1])], check=True, cwd=REPO,
                       stdout=subprocess.DEVNULL)
NAIVE_MODELS = ("last-period", "last-12-months", "kde-decay")


def naive_loop(
    points: pd.DataFrame, boundary: object, history: object, shares: tuple[float, ...]
) -> pd.DataFrame:
    """The loop the forecast module replaces: re-grid the window for every origin and model."""
    months = history.months
    rows = []
    for t in range(HISTORY_MONTHS + 1, months.size):
        target = hotspot_count(
            points,
            cell_size_m=250,
            boundary=boundary,
            quiet=True,
            period=(str(months[t]) + "-01", str(months[t]) + "-01"),
        )["count"].to_numpy(float)
        for model in NAIVE_MODELS:
            if model == "last-period":
                window = (str(months[t - 1]) + "-01", str(months[t - 1]) + "-01")
                scores = hotspot_count(points, cell_size_m=250, boundary=boundary, quiet=True, period=window)[
                    "count"
                ].to_numpy(float)
            elif model == "last-12-months":
                window = (str(months[t - 12]) + "-01", str(months[t - 1]) + "-01")
                scores = hotspot_count(points, cell_size_m=250, boundary=boundary, quiet=True, period=window)[
                    "count"
                ].to_numpy(float)
            else:
                month = pd.to_datetime(points["month"]).to_numpy().astype("datetime64[M]")
                age = (months[t] - month).astype(int) - 1
                keep = (age >= 0) & (age < HISTORY_MONTHS)
                sub = points[keep]
                weights = 0.5 ** (age[keep] / history.half_life_months)
                scores = hotspot_kde(
                    sub,
                    cell_size_m=250,
                    bandwidth_m=history.bandwidth_m,
                    boundary=boundary,
                    weights=weights,
                    quiet=True,
                )["kde"].to_numpy(float)
            ranked = ranking(scores, history.order)
            for share in shares:
                k = cells_for_share(history, share)
                rows.append(
                    {
                        "origin": str(months[t]),
                        "model": model,
                        "share": share,
                        **score_selection(ranked, target, history.area, k),
                    }
                )
    return pd.DataFrame(rows)


def moran_timings(con: duckdb.DuckDBPyConnection) -> dict[str, float]:
    """Our local Moran's I against esda's Moran_Local on the same LSOA weights (999 permutations)."""
    from esda.moran import Moran_Local

    from safer_communities.analysis.smoothing import local_moran, lsoa_weights

    frame = results.area_geometries(con, "lsoa")
    rng = np.random.default_rng(0)
    y = rng.gamma(2.0, 5.0, len(frame))  # the timing does not depend on the values
    weights = lsoa_weights(frame)
    ours_s, esda_s = [], []
    for _ in range(3):  # best of three, alternating, on a shared machine
        t = time.perf_counter()
        ours = local_moran(y, weights, permutations=999, seed=0)
        ours_s.append(time.perf_counter() - t)
        t = time.perf_counter()
        theirs = Moran_Local(y, weights, transformation="r", permutations=999, seed=0, n_jobs=1)
        esda_s.append(time.perf_counter() - t)
        weights.transform = "o"
    assert np.allclose(ours["local_i"], theirs.Is, atol=1e-9)
    assert np.allclose(ours["p_sim"], theirs.p_sim, atol=1e-9)
    return {"ours_s": min(ours_s), "esda_s": min(esda_s), "units": float(len(frame))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", type=Path, default=REPO / ".tmp" / "lancashire-25m.duckdb",
                        help="The 25-month store (built from ../shared/data on first use)")
    parser.add_argument("--table", type=Path, default=None, help="Write the skill table (Markdown) here.")
    parser.add_argument("--no-naive", action="store_true", help="Skip the naive loop (the slow part).")
    args = parser.parse_args()
    ensure_store(args.db)
    con = duckdb.connect(str(args.db), read_only=True)
    boundary = results.boundary(con)
    shares = (0.01, 0.02, 0.05, 0.10)
    lines = [
        "| issue | model | share of area | hit rate (sd; min-max) | PAI (sd) | PEI (sd) | PEI* (sd) |"
        " beats last month | beats last 12 months |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for issue in ISSUES:
        definition = definition_for(issue, None)
        points = queries.crime_points(con, definition, period="2020-10..2022-10")
        clear_grid_cache()  # the grid itself is built once, timed on its own, and then shared
        t = time.perf_counter()
        raster_for_boundary(boundary_geometry(boundary), 250)
        grid_s = time.perf_counter() - t
        t = time.perf_counter()
        history = build_history(points, cell_size_m=250, boundary=boundary, quiet=True)
        build_s = time.perf_counter() - t
        t = time.perf_counter()
        ours_three = evaluate(history, models=NAIVE_MODELS, shares=shares, quiet=True)
        three_s = time.perf_counter() - t
        t = time.perf_counter()
        scores = evaluate(history, shares=shares, quiet=True)  # the KDE surfaces are reused from above
        four_s = time.perf_counter() - t
        print(
            f"{issue}: {len(points):,} records, {history.counts.shape[0]:,} cells, "
            f"{scores.attrs['origins']} origins: grid {grid_s:.2f} s (once, both sides); cells x months "
            f"{build_s:.2f} s; "
            f"3 models (2 naive + KDE) {three_s:.2f} s; all 4 models {four_s:.2f} s (KDE surfaces cached)"
        )
        if not args.no_naive:
            t = time.perf_counter()
            slow = naive_loop(points, boundary, history, shares)
            naive_s = time.perf_counter() - t
            merged = ours_three.merge(slow, on=["origin", "model", "share"], suffixes=("", "_naive"))
            assert len(merged) == len(ours_three) == len(slow)
            for metric in ("hit_rate", "pai", "pei", "pei_star"):
                np.testing.assert_allclose(merged[metric], merged[f"{metric}_naive"], rtol=1e-9)
            ours = build_s + three_s
            print(
                f"  naive loop, same 3 models and origins: {naive_s:.2f} s against ours {ours:.2f} s: "
                f"{naive_s / ours:.1f}x; with the one-off grid on both sides {grid_s + naive_s:.2f} s "
                "against "
                f"{grid_s + ours:.2f} s: {(grid_s + naive_s) / (grid_s + ours):.1f}x (same scores)"
            )
        summary = summarise(scores)
        for row in summary.itertuples():
            lines.append(
                f"| {issue} | {model_label(row.model)} | {row.share:.0%} | {row.hit_rate:.3f} "
                f"({row.hit_rate_sd:.3f}; {row.hit_rate_min:.3f}-{row.hit_rate_max:.3f}) | {row.pai:.1f} "
                f"({row.pai_sd:.1f}) | {row.pei:.3f} ({row.pei_sd:.3f}) | {row.pei_star:.3f} "
                f"({row.pei_star_sd:.3f}) | {row.beats_last_period:.0%} | {row.beats_last_12_months:.0%} |"
            )
    try:
        m = moran_timings(con)
        print(
            f"local Moran's I on {int(m['units'])} LSOAs, 999 permutations: ours {m['ours_s']:.3f} s, "
            f"esda Moran_Local {m['esda_s']:.3f} s: ratio {m['esda_s'] / m['ours_s']:.1f}x"
        )
    except ImportError as exc:
        print(f"local Moran's I: skipped ({exc})")
    table = "\n".join(lines)
    print(table)
    if args.table:
        args.table.write_text(table + "\n")


if __name__ == "__main__":
    main()
