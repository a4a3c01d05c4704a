"""`safer ingest indicators` on real slices of the partner statistics (tests/data/partner, cut by
cut_partner.py from ../shared/data/partner and ../shared/data/health; OGL v3). Expected values are read
from the raw files in each test with the csv module, pandas or openpyxl, not from our parser."""

from __future__ import annotations

import csv
import datetime as dt
import math
from pathlib import Path

import duckdb
import openpyxl
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from safer_communities.errors import InputError
from safer_communities.ingest.indicators import ingest_indicators
from safer_communities.ingest.indicators_common import MARKERS, parse_number, parse_period, split_value
from safer_communities.store.evidence import connect, transaction

DATA = Path(__file__).resolve().parents[1] / "data" / "partner"
ALL = sorted(p for p in DATA.rglob("*") if p.suffix in {".csv", ".parquet", ".xlsx"})


def ingest(store: Path, *paths: Path, fmt: str = "auto"):
    con = connect(store)
    try:
        with transaction(con):
            return ingest_indicators(con, list(paths), fmt=fmt)
    finally:
        con.close()


def query(store: Path, sql: str, params: list[object] | None = None) -> list[tuple]:
    con = duckdb.connect(str(store), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def raw_rows(name: str) -> list[dict[str, str]]:
    with (DATA / name).open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    store = tmp_path_factory.mktemp("indicators") / "store.duckdb"
    ingest(store, DATA)
    return store


def value_of(store: Path, indicator: str, area: str, period: str, breakdown: str = "all") -> tuple:
    rows = query(
        store,
        "SELECT value, marker, count, denominator, lower_ci_95, upper_ci_95, marker_note, "
        "compared_to_england FROM indicator_values WHERE indicator_id = ? AND area_code = ? "
        "AND period_label = ? AND breakdown = ?",
        [indicator, area, period, breakdown],
    )
    assert len(rows) == 1, rows
    return rows[0]


def test_every_slice_loads_with_only_the_rejects_it_should_have(loaded: Path) -> None:
    files = query(loaded, "SELECT kind, count(*) FROM ingests GROUP BY 1 ORDER BY 1")
    assert dict(files) == {
        "indicators:dfe": 4,
        "indicators:fingertips": 1,
        "indicators:fingertips-short": 2,
        "indicators:lait": 1,
        "indicators:lait-dictionary": 1,
        "indicators:ons": 1,
        "indicators:ons-pfa-tables": 1,
    }
    # Only SFR35's pre-2009 Bedfordshire rows (new_la_code '.') and LAIT's known errors are refused.
    reasons = query(loaded, "SELECT regexp_extract(source_file, '[^/]+$'), count(*) FROM rejects GROUP BY 1")
    bedfordshire = [
        r for r in raw_rows("sfr35_slice.csv") if r["new_la_code"] == "." and r["school_type"] == "Total"
    ]  # other school types are not loaded at all
    assert dict(reasons)["sfr35_slice.csv"] == len(bedfordshire)
    assert set(dict(reasons)) == {"sfr35_slice.csv", "bds_long_0.parquet"}


def test_fingertips_full_export(loaded: Path) -> None:
    raw = [
        r
        for r in raw_rows("fingertips_90284_slice.csv")
        if r["Area Code"] == "E06000009" and r["Time period"] == "2023/24" and r["Sex"] == "Persons"
    ]
    assert len(raw) == 1
    value, marker, count, denominator, lower, upper, _, compared = value_of(
        loaded, "fingertips-90284", "E06000009", "2023/24", "Persons"
    )
    assert (value, marker, count, denominator) == (
        float(raw[0]["Value"]),
        None,
        float(raw[0]["Count"]),
        float(raw[0]["Denominator"]),
    )
    assert (lower, upper, compared) == (
        float(raw[0]["Lower CI 95.0 limit"]),
        float(raw[0]["Upper CI 95.0 limit"]),
        "Worse",
    )
    assert round(value, 1) == 111.4 and count == 265
    assert query(
        loaded,
        "SELECT period_start, period_end, area_level, parent_code FROM indicator_values "
        "WHERE indicator_id = 'fingertips-90284' AND area_code = 'E06000009' "
        "AND period_label = '2023/24' AND breakdown = 'Persons'",
    ) == [(dt.date(2023, 4, 1), dt.date(2024, 3, 31), "upper_tier", raw[0]["Parent Code"] or None)]


def test_fingertips_england_is_not_doubled_by_deprivation_blocks(loaded: Path) -> None:
    raw = [
        r
        for r in raw_rows("fingertips_90284_slice.csv")
        if r["Area Code"] == "E92000001" and r["Time period"] == "2023/24" and r["Sex"] == "Persons"
    ]
    assert len(raw) > 1  # the export repeats England under each deprivation block
    plain = [r for r in raw if r["Category Type"] == ""]
    assert query(
        loaded,
        "SELECT count(*), max(value) FROM indicator_values WHERE indicator_id = "
        "'fingertips-90284' AND area_code = 'E92000001' AND period_label = '2023/24' "
        "AND breakdown = 'Persons'",
    ) == [(1, float(plain[0]["Value"]))]


def test_fingertips_blank_value_with_a_note_is_a_marker_not_a_zero(loaded: Path) -> None:
    raw = [r for r in raw_rows("fingertips_90284_slice.csv") if r["Value"] == "" and r["Category Type"] == ""]
    assert raw
    for row in raw:
        value, marker, *_, note, _ = value_of(
            loaded, "fingertips-90284", row["Area Code"], row["Time period"], row["Sex"]
        )
        assert value is None and marker == "blank" and note == (row["Value note"] or None)


def test_fingertips_short_layout_and_na(loaded: Path) -> None:
    raw = [
        r
        for r in raw_rows("alcohol_related_admissions_slice.csv")
        if r["area_code"] == "E07000123" and r["period"] == "2017/18"
    ]
    ident = "fingertips-short-alcohol-related-admissions-narrow-measure"
    value, marker, *_, compared = value_of(loaded, ident, "E07000123", "2017/18", "Persons")
    assert (value, marker, compared) == (float(raw[0]["value"]), None, raw[0]["significance"])
    assert query(loaded, "SELECT area_level FROM indicator_values WHERE area_code = 'E07000123' LIMIT 1") == [
        ("district",)
    ]
    na = [r for r in raw_rows("self_harm_10_24_slice.csv") if r["value"] == "NA"]
    assert na
    ident = "fingertips-short-hospital-admissions-as-a-result-of-self-harm-10-24-years"
    value, marker, *_ = value_of(loaded, ident, na[0]["area_code"], na[0]["period"], na[0]["unit"])
    assert (value, marker) == (None, "na")


def test_dfe_assessment_factors_counts_and_markers(loaded: Path) -> None:
    raw = [
        r
        for r in raw_rows("c3_factors_slice.csv")
        if r["time_period"] == "2025" and r["la_name"] == "Blackpool"
    ]
    value, marker, count, denominator, *_ = value_of(loaded, "cin-factor-gangs", "E06000009", "2024/25")
    assert (count, denominator) == (float(raw[0]["Gangs"]), float(raw[0]["Episodes_with_assessment_factor"]))
    assert (count, denominator) == (26, 2361)
    assert math.isclose(value, 100 * 26 / 2361)
    assert value_of(loaded, "cin-factor-domestic-abuse-child", "E06000009", "2024/25")[2] == 562
    suppressed = [r for r in raw_rows("c3_factors_slice.csv") if r["Gangs"] == "c" and r["new_la_code"]]
    assert suppressed
    value, marker, count, *_ = value_of(
        loaded,
        "cin-factor-gangs",
        suppressed[0]["new_la_code"],
        parse_period(suppressed[0]["time_period"])[0],
    )
    assert (value, marker, count) == (None, "c", None)


def test_dfe_cla_convictions(loaded: Path) -> None:
    assert value_of(loaded, "cla-convicted-10-17", "E06000009", "2023/24")[:3] == (2.0, None, 6.0)
    assert value_of(loaded, "cla-convicted-10-17", "E06000009", "2024/25")[:3] == (None, "c", None)


def test_dfe_exclusions_and_old_codes(loaded: Path) -> None:
    raw = [
        r
        for r in raw_rows("cin_exclusions_slice.csv")
        if r["la_name"] == "Lancashire" and r["social_care_group"] == "CINO at 31 March"
    ]
    _, _, count, denominator, *_ = value_of(
        loaded, "exclusions-cin-permanent", "E10000017", "2020/21"
    )
    expected_count = None if raw[0]["t_perm_excl"] == "c" else float(raw[0]["t_perm_excl"])
    assert (count, denominator) == (expected_count, float(raw[0]["t_pupils"]))
    assert value_of(loaded, "exclusions-reason-perm-physical-pupils", "E10000017", "2015/16")[0] == 31
    assert value_of(loaded, "exclusions-reason-perm-physical-adult", "E06000009", "2015/16")[:2] == (
        None,
        "x",
    )
    rejects = query(loaded, "SELECT line_number, field, reason FROM rejects WHERE source_file LIKE '%sfr35%'")
    lines = {
        i + 2
        for i, r in enumerate(raw_rows("sfr35_slice.csv"))
        if r["new_la_code"] == "." and r["school_type"] == "Total"
    }
    assert {r[0] for r in rejects} == lines


def test_ons_explore_local_statistics_homicide(loaded: Path) -> None:
    raw = [
        r
        for r in raw_rows("homicide-offences.csv")
        if r["areacd"] == "E23000003" and r["period"] == "2022-04-01/P3Y"
    ]
    value, marker, *_ = value_of(loaded, "ons-homicide-offences", "E23000003", "2022/23-2024/25")
    assert (value, marker) == (float(raw[0]["observation"]), None)
    assert round(value, 2) == 10.78
    city = [r for r in raw_rows("homicide-offences.csv") if r["status"] == "u"]
    assert query(
        loaded,
        "SELECT count(*) FROM indicator_values WHERE indicator_id = 'ons-homicide-offences' "
        "AND marker = 'u' AND value IS NULL",
    ) == [(len(city),)]
    assert query(
        loaded,
        "SELECT period_start, period_end, area_level FROM indicator_values WHERE "
        "indicator_id = 'ons-homicide-offences' AND area_code = 'W15000004' AND "
        "period_label = '2022/23-2024/25'",
    ) == [(dt.date(2022, 4, 1), dt.date(2025, 3, 31), "police_force_area")]
    assert query(
        loaded, "SELECT name, publisher FROM indicators WHERE indicator_id = 'ons-homicide-offences'"
    ) == [("Homicide offences", "Office for National Statistics")]


def _sheet(title_start: str) -> list[tuple]:
    book = openpyxl.load_workbook(DATA / "pfatablesdec19.xlsx", read_only=True, data_only=True)
    for sheet in book.worksheets:
        rows = list(sheet.iter_rows(values_only=True))
        if rows and str(rows[0][0]).startswith(title_start):
            return rows
    raise AssertionError(title_start)


def test_ons_pfa_workbook_knife_tables(loaded: Path) -> None:
    p4 = {r[0]: r for r in _sheet("Table P4") if r and r[0]}
    assert (
        value_of(loaded, "ons-pfa-knife-offences-selected", "E23000003", "YE Dec 2019")[0]
        == p4["E23000003"][2]
    )
    assert (
        value_of(loaded, "ons-pfa-knife-offences-selected-percent", "E23000003", "YE Dec 2019")[0]
        == p4["E23000003"][3]
    )
    assert p4["E23000003"][2] == 1148 and round(p4["E23000003"][3], 1) == 5.2
    p6 = {r[0]: r for r in _sheet("Table P6") if r and r[0]}
    assert value_of(loaded, "ons-pfa-knife-rate", "E23000003", "YE Dec 2019")[0] == p6["E23000003"][3]
    assert value_of(loaded, "ons-pfa-knife-rate", "E23000003", "YE Dec 2018")[0] == p6["E23000003"][2]
    assert round(value_of(loaded, "ons-pfa-knife-rate", "E92000001", "YE Dec 2019")[0], 1) == 82.8
    # The region a force belongs to is the region row above it in the table; footnote digits are dropped.
    assert query(
        loaded,
        "SELECT DISTINCT parent_code, area_name FROM indicator_values WHERE area_code = "
        "'E23000003' AND indicator_id LIKE 'ons-pfa-%'",
    ) == [("E12000002", "Lancashire")]
    assert query(
        loaded,
        "SELECT DISTINCT area_name FROM indicator_values WHERE area_code = 'K04000001' "
        "AND indicator_id LIKE 'ons-pfa-%'",
    ) == [("ENGLAND AND WALES",)]
    # '-' (base too small for a percentage) stays a marker.
    dashes = sum(
        1
        for r in _sheet("Table P4")
        if r and r[0] and str(r[0]).startswith(("E", "W"))
        for c in r[2:]
        if c == "-"
    )
    assert query(
        loaded,
        "SELECT count(*) FROM indicator_values WHERE indicator_id LIKE 'ons-pfa-knife-%' "
        "AND marker = '-' AND period_label = 'YE Dec 2019'",
    ) == [(dashes,)]
    p3 = {r[0]: r for r in _sheet("Table P3") if r and r[0]}
    assert (
        value_of(loaded, "ons-pfa-rate-violence-against-the-person", "E23000003", "YE Dec 2019")[0]
        == p3["E23000003"][7]
    )


def test_lait_parquet(loaded: Path) -> None:
    frame = pd.read_parquet(DATA / "lait" / "bds_long_0.parquet")
    fte = frame[
        (frame["Short Desc"] == "FirstYJS") & (frame["LA Number"] == 890) & (frame["Years"] == "2024")
    ]
    assert value_of(loaded, "lait-firstyjs", "E06000009", "2024")[0] == float(fte["Values"].iloc[0]) == 318
    # LAIT labels a financial year by its end: HospAd0-14 '2024' is 2023/24 (Blackpool 111.35, as Fingertips).
    assert round(value_of(loaded, "lait-hospad0-14", "E06000009", "2023/24")[0], 2) == 111.35
    assert query(loaded, "SELECT reason FROM rejects WHERE source_file LIKE '%parquet' AND field = 'Values'")[
        0
    ][0].startswith("LAIT's England row for FirstYJS")
    assert query(
        loaded,
        "SELECT count(*) FROM indicator_values WHERE indicator_id = 'lait-firstyjs' AND "
        "area_code = 'E92000001'",
    ) == [(0,)]
    dashes = frame[frame["Values"] == "-"]
    assert query(
        loaded, "SELECT count(*) FROM indicator_values WHERE indicator_id LIKE 'lait-%' AND marker = '-'"
    ) == [(len(dashes) - 0,)]
    # A count and its share (LAC_ceased_SGO and LAC_ceased_SGO%) stay two indicators.
    assert query(
        loaded,
        "SELECT indicator_id FROM indicators WHERE indicator_id LIKE 'lait-lac-ceased-sgo%' ORDER BY 1",
    ) == [("lait-lac-ceased-sgo",), ("lait-lac-ceased-sgo-percent",)]
    assert query(loaded, "SELECT polarity FROM indicators WHERE indicator_id = 'lait-firstyjs'") == [("low",)]


def test_loading_again_is_idempotent_and_a_new_release_replaces(tmp_path: Path) -> None:
    store = tmp_path / "s.duckdb"
    first = ingest(store, DATA / "homicide-offences.csv")
    again = ingest(store, DATA / "homicide-offences.csv")
    assert again.files[0].status == "unchanged" and again.rows_loaded == 0
    edited = tmp_path / "homicide-offences.csv"
    text = (DATA / "homicide-offences.csv").read_text(encoding="utf-8-sig")
    edited.write_text(text.replace("10.777", "10.999", 1), encoding="utf-8")
    later = ingest(store, edited)
    assert later.rows_replaced == first.rows_loaded
    assert query(store, "SELECT count(*) FROM indicator_values") == [(first.rows_loaded,)]


def test_one_command_is_one_transaction(tmp_path: Path) -> None:
    store = tmp_path / "s.duckdb"
    bad = tmp_path / "not-partner.csv"
    bad.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(InputError, match="not a partner-statistics layout"):
        ingest(store, DATA / "homicide-offences.csv", bad)
    assert query(store, "SELECT count(*) FROM indicator_values") == [(0,)]
    assert query(store, "SELECT count(*) FROM ingests") == [(0,)]


def test_bad_rows_are_rejected_with_line_and_field(tmp_path: Path) -> None:
    store = tmp_path / "s.duckdb"
    lines = (DATA / "alcohol_related_admissions_slice.csv").read_text(encoding="utf-8").splitlines()
    path = tmp_path / "short.csv"
    lines[3] = lines[3].replace("Persons", "Persons,extra")
    fields = next(csv.reader([lines[5]]))
    fields[3] = "twelve"
    lines[5] = ",".join(f'"{f}"' if "," in f else f for f in fields)
    fields = next(csv.reader([lines[6]]))
    fields[2] = "2017/19"
    lines[6] = ",".join(f'"{f}"' if "," in f else f for f in fields)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = ingest(store, path)
    assert report.rows_rejected == 3
    assert query(store, "SELECT line_number, field FROM rejects ORDER BY 1") == [
        (4, None),
        (6, "value"),
        (7, "period"),
    ]


@pytest.mark.parametrize(
    ("name", "fmt"),
    [
        ("homicide-offences.csv", "fingertips"),
        ("pfatablesdec19.xlsx", "lait"),
        ("lait/bds_long_0.parquet", "dfe"),
    ],
)
def test_a_wrong_format_is_refused(tmp_path: Path, name: str, fmt: str) -> None:
    with pytest.raises(InputError, match=f"not in the '{fmt}' format"):
        ingest(tmp_path / "s.duckdb", DATA / name, fmt=fmt)


@pytest.mark.parametrize("suffix", [".parquet", ".xlsx"])
def test_a_file_that_is_not_what_its_name_says_is_refused(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"broken{suffix}"
    path.write_bytes(b"PK\x03\x04 this is not a real file")
    with pytest.raises(InputError, match="cannot be read"):
        ingest(tmp_path / "s.duckdb", path)


def test_the_cli_loads_and_reports(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from safer_communities.cli import app

    result = CliRunner().invoke(
        app,
        [
            "--db",
            str(tmp_path / "s.duckdb"),
            "ingest",
            "indicators",
            str(DATA / "homicide-offences.csv"),
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    assert '"rows_loaded": 504' in result.output


@settings(deadline=None, max_examples=200)
@given(st.integers(min_value=1995, max_value=2090))
def test_period_forms_of_one_financial_year_agree(year: int) -> None:
    fy = parse_period(f"{year}/{(year + 1) % 100:02d}", "financial")
    assert fy == parse_period(str(year + 1), "financial") == parse_period(f"{year}-{(year + 1) % 100:02d}")
    assert fy[1:] == (dt.date(year, 4, 1), dt.date(year + 1, 3, 31))
    iso = parse_period(f"{year}-04-01/P3Y")
    assert iso[1:] == (dt.date(year, 4, 1), dt.date(year + 3, 3, 31))
    academic = parse_period(f"{year}{(year + 1) % 100:02d}", "academic")
    assert academic[1:] == (dt.date(year, 9, 1), dt.date(year + 1, 8, 31))


@settings(deadline=None, max_examples=300)
@given(st.floats(allow_nan=False, allow_infinity=False, min_value=-1e12, max_value=1e12))
def test_numbers_parse_from_their_published_forms(number: float) -> None:
    assert parse_number(repr(number)) == number
    assert math.isclose(parse_number(f"{number:.6E}"), number, rel_tol=1e-6, abs_tol=1e-300)


@settings(deadline=None)
@given(st.sampled_from(sorted(MARKERS)), st.sampled_from(["", " ", "  "]))
def test_markers_are_never_read_as_a_value(marker: str, pad: str) -> None:
    value, kept = split_value(pad + marker.upper() + pad)
    assert value is None and kept == marker


@settings(deadline=None)
@given(st.text(min_size=1, max_size=12))
def test_split_value_either_parses_or_says_why(text: str) -> None:
    try:
        value, marker = split_value(text)
    except ValueError as exc:
        assert "not a number" in str(exc)
    else:
        assert (value is None) != (marker is None)
