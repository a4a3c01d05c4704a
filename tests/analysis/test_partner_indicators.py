"""Partner indicators against England, the region and the other upper-tier authorities, on the real
slices in tests/data/partner: our verdicts are checked against the publisher's own (Fingertips) and
ranks are recomputed from the raw files with pandas."""

from __future__ import annotations

import math
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from safer_communities.analysis.partner_indicators import compare, indicator_summary
from safer_communities.errors import NoDataError, NotFoundError
from safer_communities.ingest.indicators import ingest_indicators
from safer_communities.store.evidence import connect, transaction

DATA = Path(__file__).resolve().parents[1] / "data" / "partner"


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("partner") / "store.duckdb"
    con = connect(path)
    with transaction(con):
        ingest_indicators(con, [DATA])
        # One LSOA of Blackpool, so the study area (and its force area) are known.
        con.execute(
            "INSERT INTO areas VALUES ('E01012667', 'Blackpool 001A', 2011, 'E01012667', 'E06000009', "
            "'Blackpool', 'E06000009', 'Blackpool', 'E10000017', 'Lancashire')"
        )
    con.close()
    return path


def test_compare_by_published_interval_and_polarity() -> None:
    assert compare(111.4, 72.7, lower=106.8, upper=116.1, polarity="low") == (
        "worse",
        "95% interval (published)",
    )
    assert compare(50.0, 72.7, lower=45.0, upper=55.0, polarity="low")[0] == "better"
    assert compare(70.0, 72.7, lower=65.0, upper=75.0, polarity="low")[0] == "similar"
    assert compare(80.0, 72.7, lower=75.0, upper=85.0, polarity="none")[0] == "higher"


def test_compare_without_interval_uses_wilson_then_the_ten_percent_band() -> None:
    # 50 of 1,000 = 5%: Wilson 95% interval 3.82%..6.53% lies above 2%.
    assert compare(5.0, 2.0, count=50, denominator=1000, polarity="low")[0] == "worse"
    assert compare(5.0, 4.5, count=50, denominator=1000, polarity="low")[0] == "similar"
    assert compare(105.0, 100.0)[0] == "similar"
    assert compare(111.0, 100.0, polarity="high") == ("better", "within 10% rule (no interval published)")
    assert compare(None, 100.0) == ("not compared", "no value")


def test_our_verdicts_agree_with_fingertips_own(store: Path) -> None:
    """Fingertips publishes its comparison with England beside each value; ours must match it."""
    raw = pd.read_csv(DATA / "fingertips_90284_slice.csv", dtype=str, keep_default_na=False)
    raw = raw[(raw["Category Type"] == "") & (raw["Area Type"] != "England") & (raw["Value"] != "")]
    england = pd.read_csv(DATA / "fingertips_90284_slice.csv", dtype=str, keep_default_na=False)
    england = england[(england["Area Code"] == "E92000001") & (england["Category Type"] == "")]
    england = {(r["Time period"], r["Sex"]): float(r["Value"]) for _, r in england.iterrows()}
    checked = 0
    for _, row in raw.iterrows():
        published = row["Compared to England value or percentiles"]
        if published not in {"Better", "Similar", "Worse"}:
            continue
        ours, _ = compare(
            float(row["Value"]),
            england[(row["Time period"], row["Sex"])],
            lower=float(row["Lower CI 95.0 limit"]),
            upper=float(row["Upper CI 95.0 limit"]),
            polarity="low",
        )
        assert ours == published.lower(), (row["Area Name"], row["Time period"], row["Sex"])
        checked += 1
    assert checked > 50


def test_summary_for_blackpool(store: Path) -> None:
    con = duckdb.connect(str(store), read_only=True)
    frame = indicator_summary(con, "E06000009").set_index("indicator_id")
    con.close()
    injuries = frame.loc["fingertips-90284"]
    assert (injuries["period"], round(injuries["value"], 2), injuries["vs_england"]) == (
        "2023/24",
        111.35,
        "worse",
    )
    assert injuries["method"] == "95% interval (published)"
    # The force area's figures attach to an area of the study area.
    knife = frame.loc["ons-pfa-knife-rate"]
    assert (knife["area_code"], knife["period"], round(knife["value"], 1)) == (
        "E23000003",
        "YE Dec 2019",
        76.6,
    )
    assert knife["vs_england"] == "similar" and knife["method"].startswith("within 10%")
    homicide = frame.loc["ons-homicide-offences"]
    assert homicide["region_code"] is None or isinstance(homicide["region_code"], str)
    # A suppressed latest value stays a marker and is not compared.
    cla = frame.loc["cla-convicted-10-17"]
    assert (cla["period"], cla["marker"], cla["vs_england"]) == ("2024/25", "c", "not compared")
    assert math.isnan(cla["value"]) or cla["value"] is None


def test_rank_among_upper_tier_authorities_recomputed_from_the_raw_file(store: Path) -> None:
    raw = pd.read_csv(DATA / "c3_factors_slice.csv", dtype=str, keep_default_na=False)
    raw = raw[(raw["time_period"] == "2025") & (raw["geographic_level"] == "Local authority")]
    raw = raw[
        raw["Gangs"].str.fullmatch(r"\d+") & raw["Episodes_with_assessment_factor"].str.fullmatch(r"\d+")
    ]
    share = raw["Gangs"].astype(float) / raw["Episodes_with_assessment_factor"].astype(float)
    blackpool = float(share[raw["la_name"] == "Blackpool"].iloc[0])
    expected = int((share > blackpool).sum()) + 1
    con = duckdb.connect(str(store), read_only=True)
    row = indicator_summary(con, "E06000009", indicator="cin-factor-gangs").iloc[0]
    con.close()
    assert (row["rank"], row["rank_of"], row["rank_among"]) == (
        expected,
        len(raw),
        "English upper-tier authorities",
    )
    region = raw[raw["region_name"] == "North West"]
    assert row["region_code"] == "E12000002"
    assert row["vs_region"] in {"higher", "lower", "similar"} and len(region) > 10


def test_unknown_indicator_and_empty_store(store: Path, tmp_path: Path) -> None:
    con = duckdb.connect(str(store), read_only=True)
    with pytest.raises(NotFoundError, match="Unknown partner indicator"):
        indicator_summary(con, "E06000009", indicator="no-such-thing")
    con.close()
    empty = connect(tmp_path / "empty.duckdb")
    with pytest.raises(NoDataError, match="No partner statistics are loaded"):
        indicator_summary(empty, "E06000009")
    empty.close()


def test_cli_json(store: Path) -> None:
    import json

    from typer.testing import CliRunner

    from safer_communities.cli import app

    result = CliRunner().invoke(
        app,
        [
            "--db",
            str(store),
            "evidence",
            "indicators",
            "--area",
            "E10000017",
            "--indicator",
            "lait-firstyjs",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    records = json.loads(result.output)["records"]  # every evidence command prints {"records", "meta"}
    assert [(r["area_code"], r["period"], r["value"]) for r in records] == [("E10000017", "2024", 163.0)]
    # LAIT's England row for FirstYJS is refused, so England is not compared; the region still is.
    assert records[0]["england_value"] is None and records[0]["vs_england"] == "not compared"
