"""Harm weights (versioned data) and harm-weighted counts."""

from __future__ import annotations

import csv
import gzip
from collections import Counter
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from safer_communities.analysis.harm import harm_versions, harm_weights, issue_harm
from safer_communities.errors import InputError, NoDataError

EVIDENCE_DATA = Path(__file__).resolve().parents[1] / "data" / "evidence"
HARM_DATA = Path(__file__).resolve().parents[2] / "src" / "safer_communities" / "data" / "harm"


def test_category_weights_are_the_count_weighted_subgroup_means() -> None:
    subgroups = pd.read_csv(HARM_DATA / "cchi-2016_subgroups.csv")
    weights = harm_weights().weights
    for category, group in subgroups.groupby("category"):
        mean = (group["cchi_days"] * group["national_count_2024_25"]).sum() / group[
            "national_count_2024_25"
        ].sum()
        assert weights[category] == pytest.approx(mean, abs=0.005)
    assert weights["Robbery"] == 365.0 and "Anti-social behaviour" not in weights


def test_versions_and_unknown_version() -> None:
    assert set(harm_versions()) == {"cchi-2016-national", "cchi-2016-lancashire"}
    assert harm_weights("cchi-2016-lancashire").weights["Violence and sexual offences"] == 197.25
    with pytest.raises(InputError, match="not known"):
        harm_weights("css-2099")


def test_all_crime_harm_recomputed_from_the_files(evidence_con: duckdb.DuckDBPyConnection) -> None:
    with (EVIDENCE_DATA / "lookup.csv").open(encoding="utf-8") as fh:
        lookup = {row["LSOA11CD"]: row["LAD17CD"] for row in csv.DictReader(fh)}
    weights = harm_weights().weights
    harm: Counter = Counter()
    for path in (EVIDENCE_DATA / "street").glob("2021-*.csv.gz"):
        with gzip.open(path, "rt", encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(fh):
                if row["LSOA code"] in lookup and row["Crime type"] in weights:
                    harm[lookup[row["LSOA code"]]] += weights[row["Crime type"]]
    out = issue_harm(evidence_con, None, area_level="district", period="2021")
    for row in out.itertuples():
        assert row.harm_days == pytest.approx(harm[row.area_code], rel=1e-12)
        assert row.harm_per_1000 == pytest.approx(1000 * harm[row.area_code] / row.population, rel=1e-12)
    assert (out["top_harm_crime_type"] == "Violence and sexual offences").all()
    assert out.attrs["harm_version"] == "cchi-2016-national"


def test_asb_has_no_harm_weight(evidence_con: duckdb.DuckDBPyConnection) -> None:
    with pytest.raises(NoDataError, match="No harm weights"):
        issue_harm(evidence_con, "asb", period="2021")


def test_serious_violence_harm_is_weighted_sum(evidence_con: duckdb.DuckDBPyConnection) -> None:
    out = issue_harm(evidence_con, "serious-violence", area_level="county", period="2021")
    counts = evidence_con.execute("""
        SELECT c.crime_type, count(*) FROM crimes c JOIN areas a USING (lsoa_code)
        WHERE c.month BETWEEN DATE '2021-01-01' AND DATE '2021-12-01'
          AND c.crime_type IN ('Violence and sexual offences', 'Robbery', 'Possession of weapons')
        GROUP BY 1""").fetchall()
    w = harm_weights().weights
    assert out.loc[0, "harm_days"] == pytest.approx(sum(n * w[t] for t, n in counts))
    assert out.loc[0, "count"] == sum(n for _, n in counts)


def test_harm_of_one_category_says_it_is_the_count_times_a_weight(evidence_con: duckdb.DuckDBPyConnection
                                                                  ) -> None:
    out = issue_harm(evidence_con, "violence", area_level="district", period="2021")
    w = harm_weights().weights["Violence and sexual offences"]
    assert (out["harm_days"] == out["count"] * w).all()  # before: shown as if it added something
    note = next(c for c in out.attrs["caveats"] if c.startswith("Harm within one police.uk category"))
    assert f"{w:,.2f} days of imprisonment" in note and "cchi-2016-national" in note
    assert any("Harm weights version cchi-2016-national" in c for c in out.attrs["caveats"])


def test_harm_mix_shares_recomputed_from_the_files(evidence_con: duckdb.DuckDBPyConnection) -> None:
    from safer_communities.analysis.harm import harm_mix

    with (EVIDENCE_DATA / "lookup.csv").open(encoding="utf-8") as fh:
        lookup = {row["LSOA11CD"]: row["LAD17CD"] for row in csv.DictReader(fh)}
    weights = harm_weights().weights
    counts: Counter = Counter()
    for path in (EVIDENCE_DATA / "street").glob("2021-*.csv.gz"):
        with gzip.open(path, "rt", encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(fh):
                if row["LSOA code"] in lookup and row["Crime type"] in weights:
                    counts[(lookup[row["LSOA code"]], row["Crime type"])] += 1
    mix = harm_mix(evidence_con, area_level="district", period="2021")
    for area, g in mix.groupby("area_code"):
        harm = {t: counts[(area, t)] * w for t, w in weights.items()}
        n = {t: counts[(area, t)] for t in weights}
        for row in g.itertuples():
            assert row.harm_share == pytest.approx(harm[row.crime_type] / sum(harm.values()), rel=1e-12)
            assert row.count_share == pytest.approx(n[row.crime_type] / sum(n.values()), rel=1e-12)
        violence = g.set_index("crime_type").loc["Violence and sexual offences"]
        assert violence["harm_share"] > violence["count_share"]  # violence weighs more than its numbers
    assert mix.attrs["harm_version"] == "cchi-2016-national"
