"""STATS19 collision rates and the time-of-day table, recomputed from the real 2023 slice."""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from safer_communities.analysis.road_safety import collision_rates, collision_times, collisions_over_period
from safer_communities.errors import InputError

EVIDENCE_DATA = Path(__file__).resolve().parents[1] / "data" / "evidence"


def _collisions() -> list[dict[str, str]]:
    with (EVIDENCE_DATA / "collisions-2023.csv").open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _population_2020() -> Counter:
    with (EVIDENCE_DATA / "lookup.csv").open(encoding="utf-8") as fh:
        lookup = {row["LSOA11CD"]: row["LAD17CD"] for row in csv.DictReader(fh)}
    pop: Counter = Counter()
    with (EVIDENCE_DATA / "population.csv").open(encoding="utf-8-sig") as fh:
        for row in csv.DictReader(fh):
            if row["Year"] == "2020":
                pop[lookup[row["LSOA Code"]]] += int(row["Population"])
    return pop


def test_ksi_rates_per_100000_recomputed(evidence_con: duckdb.DuckDBPyConnection) -> None:
    rows = _collisions()
    ksi = Counter(r["local_authority_ons_district"] for r in rows if r["accident_severity"] in {"1", "2"})
    pop = _population_2020()
    out = collision_rates(evidence_con)
    assert list(out["year"].unique()) == [2023] and (out["population_year"] == 2020).all()
    for row in out.itertuples():
        assert row.collisions == ksi[row.area_code] == row.fatal + row.serious
        assert row.rate_per_100000 == pytest.approx(1e5 * ksi[row.area_code] / pop[row.area_code], rel=1e-12)
        assert row.ci_low < row.rate_per_100000 < row.ci_high
    assert out.set_index("area_name").loc["Rossendale", "fatal"] == 2


def test_all_severities_county(evidence_con: duckdb.DuckDBPyConnection) -> None:
    out = collision_rates(evidence_con, area_level="county", severity="all")
    assert out.loc[0, "collisions"] == len(_collisions()) == 364
    assert out.loc[0, ["fatal", "serious", "slight"]].sum() == 364


def test_time_of_day_by_day_of_week(evidence_con: duckdb.DuckDBPyConnection) -> None:
    rows = _collisions()
    table = collision_times(evidence_con, severity="all")
    assert table.shape == (24, 7) and table.columns[0] == "Monday"
    assert int(table.to_numpy().sum()) == len(rows)
    # DfT day_of_week: 1 = Sunday. Friday 17:00-17:59:
    expected = sum(1 for r in rows if r["day_of_week"] == "6" and r["time"].startswith("17:"))
    assert table.loc[17, "Friday"] == expected


def test_bad_severity(evidence_con: duckdb.DuckDBPyConnection) -> None:
    with pytest.raises(InputError, match="severity"):
        collision_rates(evidence_con, severity="minor")


def test_a_period_with_no_collisions_loaded_is_flagged(evidence_con: duckdb.DuckDBPyConnection) -> None:
    out = collision_rates(evidence_con, period="2022-07..2023-06")
    assert len(out.attrs["missing_months"]) == 6
    assert any("gaps, not zeros" in c for c in out.attrs["caveats"])


def test_a_period_across_years_sums_collisions_and_counts_each_resident_once() -> None:
    rates = pd.DataFrame({
        "area_code": ["E07000125", "E07000125"], "area_name": ["Rossendale", "Rossendale"],
        "year": [2022, 2023], "collisions": [10, 20], "population": [70000, 71000],
    })
    rates.attrs["period_label"] = "2022-07..2023-06"
    [row] = collisions_over_period(rates).itertuples()
    assert (row.count, row.population) == (30, 70500)
    assert row.rate_per_100000 == pytest.approx(1e5 * 30 / 70500, rel=1e-12)
    assert row.ci_low < row.rate_per_100000 < row.ci_high
    assert collisions_over_period(rates).attrs["period_label"] == "2022-07..2023-06"
