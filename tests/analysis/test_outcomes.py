"""Outcomes by issue, recomputed from the real outcome and street files."""

from __future__ import annotations

import csv
import gzip
from collections import Counter
from pathlib import Path

import duckdb
import pytest

from safer_communities.analysis.outcomes import outcome_shares, outcome_summary
from safer_communities.errors import NoDataError

EVIDENCE_DATA = Path(__file__).resolve().parents[1] / "data" / "evidence"


def _rows(folder: str) -> list[dict[str, str]]:
    rows: list[dict[str, str]] = []
    for path in sorted((EVIDENCE_DATA / folder).glob("*.csv.gz")):
        with gzip.open(path, "rt", encoding="utf-8", newline="") as fh:
            rows.extend(csv.DictReader(fh))
    return rows


def test_latest_outcome_per_crime_recomputed(evidence_con: duckdb.DuckDBPyConnection) -> None:
    with (EVIDENCE_DATA / "lookup.csv").open(encoding="utf-8") as fh:
        ours = {row["LSOA11CD"] for row in csv.DictReader(fh)}
    months = {f"2021-{m:02d}" for m in range(3, 13)} | {"2022-01", "2022-02"}
    latest: dict[str, tuple[str, str]] = {}
    for row in _rows("outcomes"):
        if row["Crime ID"] and (row["Crime ID"] not in latest or row["Month"] >= latest[row["Crime ID"]][0]):
            latest[row["Crime ID"]] = (row["Month"], row["Outcome type"])
    street: dict[str, tuple[str, str]] = {}
    for row in _rows("street"):
        if (
            row["Crime type"] == "Violence and sexual offences"
            and row["Month"] in months
            and row["LSOA code"] in ours
            and row["Crime ID"]
        ):
            previous = street.get(row["Crime ID"])
            if previous is None or row["Month"] >= previous[0]:
                street[row["Crime ID"]] = (row["Month"], row["Last outcome category"])
    expected = Counter(
        latest[c][1] if c in latest else (last or "No outcome recorded") for c, (_, last) in street.items()
    )
    out = outcome_summary(evidence_con, "violence", period="2021-03..2022-02")
    assert dict(zip(out["outcome"], out["crimes"], strict=True)) == dict(expected)
    assert out["share"].sum() == pytest.approx(1.0)
    total = sum(expected.values())
    shares = outcome_shares(out).iloc[0]
    assert shares["no_suspect_share"] == pytest.approx(
        expected["Investigation complete; no suspect identified"] / total, abs=1e-6
    )
    charged = (
        expected["Suspect charged"]
        + expected["Suspect charged as part of another case"]
        + expected["Awaiting court outcome"]
        + expected["Court result unavailable"]
    )
    assert shares["charged_share"] == pytest.approx(charged / total, abs=1e-6)
    assert out.attrs["outcome_sources"]["outcomes file"] == sum(1 for c in street if c in latest)


def test_district_level_splits_the_county(evidence_con: duckdb.DuckDBPyConnection) -> None:
    county = outcome_summary(evidence_con, "serious-violence", period="2021-06..2021-11")
    districts = outcome_summary(
        evidence_con, "serious-violence", period="2021-06..2021-11", area_level="district"
    )
    assert districts["crimes"].sum() == county["crimes"].sum()
    assert set(districts["area_name"]) == {"Fylde", "Ribble Valley", "Rossendale"}


def test_asb_has_no_outcomes(evidence_con: duckdb.DuckDBPyConnection) -> None:
    with pytest.raises(NoDataError, match="Anti-social behaviour has no outcomes"):
        outcome_summary(evidence_con, "asb", period="2021")
