"""Hot-spot forecasts: PAI/PEI/PEI* by hand, rolling origins that never peek, the models on real data."""

from __future__ import annotations

import gzip
import logging
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from safer_communities.analysis.forecast import (
    MODELS,
    build_history,
    cells_for_share,
    evaluate,
    hotspot_forecast,
    model_scores,
    poisson_fit,
    ranking,
    score_selection,
    summarise,
)
from safer_communities.errors import InputError, NoDataError

DATA = Path(__file__).resolve().parents[1] / "data"


@pytest.fixture(scope="module")
def preston() -> tuple[pd.DataFrame, gpd.GeoDataFrame]:
    points = pd.read_csv(DATA / "forecast" / "preston_2020-10_2022-10.csv.gz")
    with gzip.open(DATA / "hotspots" / "preston_lsoa11.json.gz") as handle:
        lsoas = gpd.read_file(handle).to_crs("EPSG:27700")
    return points, lsoas


@pytest.fixture(scope="module")
def violence(preston: tuple[pd.DataFrame, gpd.GeoDataFrame]) -> pd.DataFrame:
    points, _ = preston
    return points[points["crime_type"] == "Violence and sexual offences"].reset_index(drop=True)


def test_scores_match_a_hand_worked_grid() -> None:
    # Ten equal cells of 1 km2 (cell 9 half inside the boundary); 20 records in the target month.
    actual = np.array([6, 0, 4, 3, 0, 2, 1, 0, 4, 0], dtype=float)
    area = np.array([1, 1, 1, 1, 1, 1, 1, 1, 1, 0.5]) * 1e6
    ranked = np.array([2, 1, 0, 3, 4, 5, 6, 7, 8, 9])  # the map flags cells 2 and 1 first
    out = score_selection(ranked, actual, area, 2)
    # n = 4 + 0 = 4 of N = 20: hit rate 0.2; a/A = 2 / 9.5; PAI = 0.2 / (2 / 9.5) = 0.95.
    assert out["hit_rate"] == pytest.approx(0.2)
    assert out["pai"] == pytest.approx(0.2 / (2 / 9.5))
    # The best two cells hold 6 + 4 = 10 (cells 0 and 2; cell 8 also has 4): PEI = 4 / 10.
    assert out["pei"] == pytest.approx(0.4)
    # Both best cells have records, so a* = a and PEI* = PEI.
    assert out["pei_star"] == pytest.approx(0.4)
    # Flag five cells: 2,1,0,3,4 hold 13; best five (0,2,8,3,5) hold 19; PEI = 13/19.
    five = score_selection(ranked, actual, area, 5)
    assert five["pei"] == pytest.approx(13 / 19)
    assert five["pai"] == pytest.approx((13 / 20) / (5 / 9.5))
    # Flag eight cells when only six have records: the perfect map needs six cells (a* = 6 km2), so
    # PAI* = (20/20) / (6/9.5) and PEI* = PAI / PAI* while PEI = 1 if the map catches all 20.
    everything = np.array([0, 2, 3, 5, 6, 8, 1, 4, 7, 9])
    eight = score_selection(everything, actual, area, 8)
    assert eight["pei"] == pytest.approx(1.0)
    assert eight["pai"] == pytest.approx(1 / (8 / 9.5))
    assert eight["pei_star"] == pytest.approx((1 / (8 / 9.5)) / (1 / (6 / 9.5)))


def test_pai_of_the_published_example() -> None:
    # Chainey, Tompson and Uhlig (2008): a map flagging 5% of the area that catches 30% of the crime
    # has PAI 6. One hundred equal cells, five flagged, holding 30 of 100 records.
    actual = np.zeros(100)
    actual[:5] = 6
    actual[5:] = 70 / 95
    out = score_selection(np.arange(100), actual, np.ones(100), 5)
    assert out["hit_rate"] == pytest.approx(0.30)
    assert out["pai"] == pytest.approx(6.0)


@settings(deadline=None, max_examples=60)
@given(
    st.lists(st.integers(0, 9), min_size=3, max_size=40),
    st.integers(1, 40),
    st.randoms(use_true_random=False),
)
def test_score_properties(counts: list[int], k: int, rnd: object) -> None:
    actual = np.array(counts, dtype=float)
    if actual.sum() == 0:
        return
    k = min(k, actual.size)
    area = np.ones(actual.size)
    ranked = np.arange(actual.size)
    rnd.shuffle(ranked)  # type: ignore[attr-defined]
    out = score_selection(ranked, actual, area, k)
    assert 0 <= out["hit_rate"] <= 1 and 0 <= out["pei"] <= 1 + 1e-12
    assert out["pai"] == pytest.approx(out["hit_rate"] * actual.size / k)
    perfect = score_selection(np.argsort(-actual, kind="stable"), actual, area, k)
    assert perfect["pei"] == pytest.approx(1.0)
    # A perfect ranking still flags k cells: PEI* is the share of them that held a record.
    assert perfect["pei_star"] == pytest.approx(min(k, np.count_nonzero(actual)) / k)
    assert out["pei_star"] <= 1 + 1e-12


def test_poisson_fit_matches_statsmodels(violence: pd.DataFrame, preston: tuple) -> None:
    import statsmodels.api as sm

    _, lsoas = preston
    history = build_history(violence, cell_size_m=250, boundary=lsoas, quiet=True)
    from safer_communities.analysis.forecast_models import _features

    x = np.vstack([_features(history, s, 1) for s in (12, 13, 14)])
    y = np.concatenate([history.counts[:, s] for s in (12, 13, 14)])
    ours = poisson_fit(x, y)
    theirs = sm.GLM(y, x, family=sm.families.Poisson()).fit().params
    np.testing.assert_allclose(ours, theirs, rtol=1e-7, atol=1e-9)


def test_counts_per_cell_and_month_match_the_raw_file(violence: pd.DataFrame, preston: tuple) -> None:
    _, lsoas = preston
    history = build_history(violence, cell_size_m=250, boundary=lsoas, quiet=True)
    assert history.months.size == 25 and str(history.months[0]) == "2020-10"
    raster = history.prep.raster
    col = np.floor((violence["easting"] - raster.x0) / 250).astype(int)
    row = np.floor((violence["northing"] - raster.y0) / 250).astype(int)
    flat = row * raster.nx + col
    position = pd.Series(np.arange(raster.cells.size), index=raster.cells)
    by_month = violence.assign(pos=position.reindex(flat).to_numpy()).dropna(subset=["pos"])
    raw = by_month.groupby(["pos", "month"]).size()
    ours = pd.DataFrame(history.counts, columns=[str(m) for m in history.months]).stack()
    ours = ours[ours > 0]
    ours.index = ours.index.set_levels(ours.index.levels[0].astype(float), level=0)
    np.testing.assert_array_equal(ours.sort_index().to_numpy(), raw.sort_index().to_numpy())
    # The last-12-months baseline at the last origin is the raw count of 2021-10..2022-09 per cell.
    year = by_month[(by_month["month"] >= "2021-10") & (by_month["month"] <= "2022-09")]
    expected = np.zeros(raster.cells.size)
    np.add.at(expected, year["pos"].astype(int).to_numpy(), 1)
    np.testing.assert_array_equal(model_scores(history, "last-12-months", 24), expected)


@pytest.mark.parametrize("model", MODELS)
def test_a_forecast_never_sees_its_target(violence: pd.DataFrame, preston: tuple, model: str) -> None:
    _, lsoas = preston
    origin = 18  # forecasting 2022-04 from 2020-10..2022-03
    base = build_history(violence, cell_size_m=250, boundary=lsoas, quiet=True)
    # Replace every record from the origin on with records moved to random places in the bounding box.
    rng = np.random.default_rng(1)
    later = violence["month"] >= str(base.months[origin])
    moved = violence.copy()
    minx, miny, maxx, maxy = lsoas.total_bounds
    moved.loc[later, "easting"] = rng.uniform(minx, maxx, later.sum())
    moved.loc[later, "northing"] = rng.uniform(miny, maxy, later.sum())
    other = build_history(moved, cell_size_m=250, boundary=lsoas, quiet=True)
    assert not np.array_equal(base.counts[:, origin:], other.counts[:, origin:])
    np.testing.assert_allclose(model_scores(base, model, origin), model_scores(other, model, origin))


def test_evaluate_scores_every_model_on_the_same_origins(violence: pd.DataFrame, preston: tuple) -> None:
    _, lsoas = preston
    history = build_history(violence, cell_size_m=250, boundary=lsoas, quiet=True)
    scores = evaluate(history)
    # 25 months, a year of history plus one month to learn from: origins 2021-11 .. 2022-10 (12).
    assert scores.attrs["origins"] == 12
    assert scores.groupby("model")["origin"].nunique().eq(12).all()
    assert scores["origin"].min() == "2021-11" and scores["origin"].max() == "2022-10"
    # N is the month's records inside the grid, recomputed from the raw file.
    inside = history.counts.sum(axis=0)
    n_by_origin = scores.groupby("origin")["N"].first()
    for origin, n in n_by_origin.items():
        k = list(map(str, history.months)).index(origin)
        assert n == inside[k]
    assert (violence["month"] == "2022-10").sum() == pytest.approx(inside[24], abs=20)
    summary = summarise(scores)
    row = summary[(summary["model"] == "last-12-months") & (summary["share"] == 0.05)].iloc[0]
    mine = scores[(scores["model"] == "last-12-months") & (scores["share"] == 0.05)]
    assert row["hit_rate"] == pytest.approx(mine["hit_rate"].mean())
    assert row["hit_rate_sd"] == pytest.approx(mine["hit_rate"].std())
    # Every model's mean PAI at 1% is far above 1 (violence is concentrated in Preston's centre).
    assert (summary[summary["share"] == 0.01]["pai"] > 15).all()
    # A model never "beats" itself.
    assert (summary[summary["model"] == "last-period"]["beats_last_period"] == 0).all()


def test_quarterly_horizon(violence: pd.DataFrame, preston: tuple) -> None:
    _, lsoas = preston
    history = build_history(violence, cell_size_m=250, boundary=lsoas, quiet=True)
    scores = evaluate(history, horizon_months=3, shares=(0.05,))
    # The Poisson model learns from quarters seen in full before the origin, so origins run from
    # 2022-01 (year 2020-10..2021-09 -> quarter 2021-10..12) to 2022-08 (quarter observed in full): 8.
    assert scores.attrs["origins"] == 8
    assert scores["origin"].min() == "2022-01" and scores["origin"].max() == "2022-08"
    # N is the quarter's records.
    first = scores[scores["origin"] == "2022-01"]["N"].iloc[0]
    assert first == history.counts[:, 15:18].sum()
    with pytest.raises(InputError, match="horizon"):
        evaluate(history, horizon_months=2)


def test_hotspot_forecast_names_its_model_and_skill(violence: pd.DataFrame, preston: tuple) -> None:
    _, lsoas = preston
    grid = hotspot_forecast(violence, cell_size_m=250, boundary=lsoas, quiet=True)
    attrs = grid.attrs
    assert attrs["forecast_months"] == ["2022-11"]
    summary = attrs["summary"]
    focus = summary[summary["share"] == 0.01].set_index("model")
    assert attrs["model"] == focus["hit_rate"].idxmax()
    assert attrs["expected_hit_rate"] == pytest.approx(focus["hit_rate"].max())
    assert 0 <= attrs["beats_baselines"] <= 1
    k = cells_for_share(build_history(violence, cell_size_m=250, boundary=lsoas, quiet=True), 0.01)
    assert grid["top_1pct"].sum() == k
    assert grid.loc[grid["top_1pct"], "rank"].max() == k
    assert grid["rank"].is_unique and grid["rank"].min() == 1
    top = grid.sort_values("rank")
    assert top["score"].is_monotonic_decreasing
    assert "Past skill is a guide" in attrs["caveat"]


def test_gaps_are_gaps_not_zeros(
    violence: pd.DataFrame, preston: tuple, caplog: pytest.LogCaptureFixture
) -> None:
    _, lsoas = preston
    holed = violence[violence["month"] != "2022-02"]
    with caplog.at_level(logging.WARNING, logger="safer_communities.analysis.hotspots"):
        history = build_history(holed, cell_size_m=250, boundary=lsoas)
    assert "2022-02" in caplog.text and not history.present[16]
    scores = evaluate(history, quiet=True)
    # Origins whose window of a year plus the target touches 2022-02 are left out: only 2022-03+
    # windows ... none from 2022-02 to 2023-01 can be clean, so only origins before 2022-02 remain.
    assert scores["origin"].max() < "2022-02" and scores.attrs["origins"] == 3
    # Four months cannot be scored: three to look back, one to learn from, none left to score.
    recent = violence[violence["month"] < "2021-02"]
    with pytest.raises(NoDataError, match="Too few months"):
        evaluate(build_history(recent, cell_size_m=250, boundary=lsoas, quiet=True))


def test_a_single_year_shrinks_the_window(violence: pd.DataFrame, preston: tuple) -> None:
    _, lsoas = preston
    year = violence[violence["month"].between("2021-04", "2022-03")]
    grid = hotspot_forecast(year, cell_size_m=250, boundary=lsoas, quiet=True)
    # 12 months: look back 5, learn from at least one, score on the 6 origins 2021-10..2022-03.
    assert grid.attrs["window_months"] == 5 and grid.attrs["origins"] == 6
    assert "looks back 5 months instead of 12" in grid.attrs["caveat"]
    history = build_history(year, cell_size_m=250, boundary=lsoas, quiet=True)
    np.testing.assert_array_equal(
        model_scores(history, "last-12-months", 11), history.counts[:, 6:11].sum(axis=1)
    )
    if grid.attrs["model"] == "last-12-months":
        assert grid.attrs["model_label"] == "naive: last 5 months"


def test_ranking_breaks_ties_by_the_fixed_order() -> None:
    order = np.array([3, 0, 2, 1])
    assert ranking(np.array([1.0, 1.0, 2.0, 1.0]), order).tolist() == [2, 1, 3, 0]
