"""The store wrappers for prevention planning on the fixture store (three districts, 25 months)."""

from __future__ import annotations

import warnings
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from safer_communities.analysis.prevention import (
    issue_emerging,
    issue_forecast,
    issue_repeat_places,
    issue_smoothed_rates,
)
from safer_communities.analysis.rates import issue_rates
from safer_communities.analysis.repeat_places import repeat_places
from safer_communities.errors import InputError

EVIDENCE = Path(__file__).resolve().parents[1] / "data" / "evidence"


def _raw_violence(months: tuple[str, str]) -> pd.DataFrame:
    lookup = pd.read_csv(EVIDENCE / "lookup.csv", dtype=str)
    codes = set(lookup.iloc[:, 0])
    frames = [pd.read_csv(p, dtype=str) for p in sorted((EVIDENCE / "street").glob("*.csv.gz"))]
    raw = pd.concat(frames)
    return raw[
        (raw["Crime type"] == "Violence and sexual offences")
        & raw["Month"].between(*months)
        & raw["LSOA code"].isin(codes)
        & raw["Longitude"].notna()
    ]


def test_repeat_places_against_the_raw_files(evidence_con: duckdb.DuckDBPyConnection) -> None:
    table = issue_repeat_places(evidence_con, "violence", period="2021-11..2022-10", top=10)
    raw = _raw_violence(("2021-11", "2022-10"))
    by_point = raw.groupby(["Longitude", "Latitude"]).agg(
        count=("Month", "size"), location=("Location", "first")
    )
    by_point = by_point.sort_values("count", ascending=False)
    assert table["count"].tolist() == by_point["count"].head(10).tolist()
    assert table.loc[0, "location"] == by_point["location"].iloc[0]
    assert table.loc[0, "share"] == pytest.approx(by_point["count"].iloc[0] / len(raw))
    assert table.attrs["records"] == len(raw) and table.attrs["points"] == len(by_point)
    assert table["cumulative_share"].is_monotonic_increasing
    assert any("eight addresses" in c for c in table.attrs["caveats"])
    with pytest.raises(InputError, match="positive whole number"):
        repeat_places(raw.rename(columns={"Longitude": "easting", "Latitude": "northing"}), top=0)


def test_forecast_from_the_store(evidence_con: duckdb.DuckDBPyConnection) -> None:
    grid = issue_forecast(evidence_con, "violence", cell_size_m=1000, quiet=True)
    attrs = grid.attrs
    assert attrs["data_months"] == ["2020-10", "2022-10"] and attrs["forecast_months"] == ["2022-11"]
    assert attrs["definition_id"] == "violence" and attrs["origins"] == 12
    assert attrs["model"] in {"last-period", "last-12-months", "kde-decay", "poisson-ar"}
    assert any("snapped" in c for c in attrs["caveats"])
    # N at each origin is the month's located violence in the three districts, from the raw files.
    raw = _raw_violence(("2021-11", "2022-10")).groupby("Month").size()
    n = attrs["scores"].groupby("origin")["N"].first()
    assert (np.abs(n.to_numpy() - raw.reindex(n.index).to_numpy()) <= 0.01 * raw.max()).all()


def test_emerging_from_the_store(evidence_con: duckdb.DuckDBPyConnection) -> None:
    grid = issue_emerging(evidence_con, "asb", cell_size_m=1000, periods="quarter", quiet=True)
    assert grid.attrs["periods"] == [
        f"{y}Q{q}"
        for y, q in [(2020, 4), (2021, 1), (2021, 2), (2021, 3), (2021, 4), (2022, 1), (2022, 2), (2022, 3)]
    ]
    assert grid["category"].ne("no pattern detected").any()


def test_smoothed_rates_from_the_store(evidence_con: duckdb.DuckDBPyConnection) -> None:
    from esda.smoothing import Empirical_Bayes

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        frame = issue_smoothed_rates(evidence_con, "violence", period="2021", permutations=99)
    rates = issue_rates(evidence_con, "violence", area_level="lsoa", period="2021")
    assert len(frame) == 134 and frame["count"].sum() == rates["count"].sum()
    expected = Empirical_Bayes(frame["count"].to_numpy(float), frame["population"].to_numpy(float)).r.ravel()
    np.testing.assert_allclose(frame["eb_global_per_1000"], expected * 1000, rtol=0, atol=1e-9)
    assert set(frame["cluster"]) <= {
        "HH (high among high)",
        "LH (low among high)",
        "LL (low among low)",
        "HL (high among low)",
        "not significant",
        "no neighbour",
    }
    assert any("Empirical-Bayes" in c for c in frame.attrs["caveats"])
