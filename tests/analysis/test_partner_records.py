"""Analyses of the record-level partner feeds on the demo's SYNTHETIC samples (loaded into a copy of the
demo store), with every figure recomputed independently from the CSV files with pandas; hand-worked cases
for the offence-code rule, the Knox test at day resolution and the ISTV matching rule; refusals."""

from __future__ import annotations

import shutil
from datetime import datetime
from pathlib import Path

import duckdb
import pandas as pd
import pytest
import shapely
from hypothesis import given
from hypothesis import strategies as st

from safer_communities.analysis import istv_match, partner_flags, partner_knox, partner_sv, partner_when
from safer_communities.analysis import partner_who as who_mod
from safer_communities.analysis.partner_records import SYNTHETIC, require_feed
from safer_communities.errors import NoDataError
from safer_communities.ingest.partner_feed import ingest_partner_feed
from safer_communities.store.evidence import connect, transaction

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "demo" / "data" / "partner-synthetic"
KEY = "test-key-0123456789abcdef"
# The demo extract's codes grouped by hand from the definition file's comments (HOCR classes).
SV_GROUPS = {
    "001/00": "homicide",
    "002/00": "attempted-murder",
    "005/01": "wounding-gbh",
    "008/01": "wounding-gbh",
    "034/01": "robbery",
    "010/01": "weapons",
    "019/07": "rape",
}
UNDER_25 = {"0-9", "10-17", "18-24"}


@pytest.fixture(scope="module")
def store(force_area_store: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("partner-records") / "store.duckdb"
    shutil.copy(force_area_store, path)
    con = connect(path)
    try:
        with transaction(con):
            for schema in ("istv", "force-crimes", "council-asb"):
                ingest_partner_feed(
                    con, [SAMPLES / f"{schema}-SYNTHETIC.csv"], schema=schema, agreement="demo", key=KEY
                )
    finally:
        con.close()
    return path


@pytest.fixture
def con(store: Path):
    c = connect(store, read_only=True)
    yield c
    c.close()


def force_csv() -> pd.DataFrame:
    frame = pd.read_csv(SAMPLES / "force-crimes-SYNTHETIC.csv", dtype=str, keep_default_na=False)
    frame["at"] = pd.to_datetime(frame["committed_at"])
    frame["group"] = frame["ho_offence_code"].map(SV_GROUPS)
    return frame


def istv_csv() -> pd.DataFrame:
    frame = pd.read_csv(SAMPLES / "istv-SYNTHETIC.csv", dtype=str, keep_default_na=False)
    frame["at"] = pd.to_datetime(frame["assault_at"])
    return frame


def test_offence_codes_match_by_class_letter_and_subdivision() -> None:
    assert partner_sv.parse_code("008/01") == (8, "", 1)
    assert partner_sv.parse_code("001/00") == (1, "", None)
    assert partner_sv.parse_code("34B") == (34, "B", None)
    assert partner_sv.code_matches("1", "001/00") and partner_sv.code_matches("1", "1/2")
    assert partner_sv.code_matches("8/1", "008/01") and not partner_sv.code_matches("8/1", "008/06")
    assert partner_sv.code_matches("34", "34B") and not partner_sv.code_matches("34A", "34B")
    assert not partner_sv.code_matches("10", "105/01")  # class 10, not class 105
    sv = partner_sv.load_sv_definition()
    assert {c: sv.group_of(c) for c in [*SV_GROUPS, "105/01", "008/06"]} == {
        **SV_GROUPS,
        "105/01": None,
        "008/06": None,
    }
    assert [g.id for g in sv.groups] == [
        "homicide",
        "attempted-murder",
        "wounding-gbh",
        "robbery",
        "weapons",
        "rape",
    ]


@given(st.integers(1, 999), st.sampled_from(["", "A", "N"]), st.integers(0, 99))
def test_offence_code_forms_agree(number: int, letter: str, sub: int) -> None:
    padded = f"{number:03d}{letter}/{sub:02d}"
    assert partner_sv.parse_code(padded) == (number, letter, sub or None)
    assert partner_sv.parse_code(f"{number}{letter}/{sub}") == partner_sv.parse_code(padded)
    assert partner_sv.code_matches(str(number), padded)  # a bare class takes every form of it
    assert not partner_sv.code_matches("2" if number == 1 else "1", padded)
    assert partner_sv.code_matches(f"{number}/{sub}", padded)  # "N/0" is the whole class
    assert not partner_sv.code_matches(f"{number}/{sub + 1}", padded)


def test_serious_violence_by_area_and_month_equal_the_csv(con: duckdb.DuckDBPyConnection) -> None:
    raw = force_csv()
    sv = raw[raw["group"].notna()]
    frame = partner_sv.serious_violence(con)
    total = frame.set_index("area_code").loc["total"]
    expected = sv["group"].value_counts()
    for group in SV_GROUPS.values():
        assert total[group] == expected.get(group, 0)
    assert total["serious_violence"] == len(sv)
    assert total["knife_enabled"] == (sv["weapon"] == "knife-or-sharp-object").sum()
    assert (frame["data"] == SYNTHETIC).all() and frame.attrs["synthetic"]
    # One district, through the store's own LSOA lookup, and its police.uk proxy from the crimes table.
    lookup = con.execute("SELECT lsoa_code, district_code FROM areas").fetch_df()
    placed = sv.merge(lookup, on="lsoa_code")
    burnley = frame.set_index("area_code").loc["E07000117"]
    assert burnley["serious_violence"] == (placed["district_code"] == "E07000117").sum()
    proxy = con.execute(
        "SELECT count(*) FROM crimes c JOIN areas x USING (lsoa_code) "
        "WHERE x.district_code = 'E07000117' AND "
        "c.crime_type IN ('Violence and sexual offences', 'Robbery', 'Possession of weapons') "
        "AND c.month BETWEEN DATE '2021-04-01' AND DATE '2022-03-01'"
    ).fetchall()[0][0]
    assert burnley["proxy_count"] == proxy
    assert burnley["rate_per_100k"] == pytest.approx(
        burnley["serious_violence"] / burnley["population"] * 1e5
    )
    months = partner_sv.serious_violence(con, by="month")
    by_month = sv.groupby(sv["at"].dt.to_period("M")).size()
    assert months["serious_violence"].tolist() == by_month.tolist()


def test_time_of_week_equals_the_csv(con: duckdb.DuckDBPyConnection) -> None:
    raw = force_csv()
    frame = partner_when.time_of_week(con).set_index("time")
    expected = pd.crosstab(raw["at"].dt.hour // 3, raw["at"].dt.day_of_week)
    for band in range(8):
        for day in range(7):
            assert frame.iloc[band, day + 1] == expected.get(day, {}).get(band, 0)
    assert frame.loc["Total", "Total"] == len(raw)
    istv = istv_csv()
    ed = partner_when.time_of_week(con, schema="istv", hours_per_band=6).set_index("time")
    assert (
        ed.loc["18:00-23:59", "Saturday"]
        == ((istv["at"].dt.hour >= 18) & (istv["at"].dt.day_of_week == 5)).sum()
    )


def test_who_and_the_vru_measures_equal_the_csv(con: duckdb.DuckDBPyConnection) -> None:
    raw = force_csv()
    sv = raw[raw["group"].notna()]
    frame = who_mod.who(con, role="victim").set_index("age_band")
    assert (
        frame.loc["18-24", "male"]
        == ((sv["victim_age_band"] == "18-24") & (sv["victim_sex"] == "male")).sum()
    )
    assert frame.loc["Total", "Total"] == len(sv)
    suspects = who_mod.who(con, role="suspect", subset="all").set_index("age_band")
    assert suspects.loc["25-34", "Total"] == (raw["suspect_age_band"] == "25-34").sum()
    vru = who_mod.vru_measures(con).set_index("source")
    istv = istv_csv()
    knife = istv[istv["assault_method"] == "knife-or-sharp-object"]
    assert vru.loc["ISTV", "all_ages"] == len(knife)
    assert vru.loc["ISTV", "under_25"] == knife["age_band"].isin(UNDER_25).sum()
    rows = vru.reset_index().set_index("measure")
    knife_sv = sv[sv["weapon"] == "knife-or-sharp-object"]
    assert rows.loc["Knife-enabled serious violence", "all_ages"] == len(knife_sv)
    assert (
        rows.loc["Knife-enabled serious violence", "under_25"]
        == knife_sv["victim_age_band"].isin(UNDER_25).sum()
    )
    homicide = raw[(raw["group"] == "homicide") & (raw["domestic_abuse"] == "N")]
    assert rows.loc["Non-domestic homicide", "all_ages"] == len(homicide)


def test_domestic_abuse_and_hate_crime_flags_equal_the_csv(con: duckdb.DuckDBPyConnection) -> None:
    raw = force_csv()
    frame = partner_flags.flagged(con).set_index("area_code")
    total = frame.loc["total"]
    assert total["records"] == len(raw)
    assert total["domestic_abuse"] == (raw["domestic_abuse"] == "Y").sum()
    assert total["hate_crime"] == (raw["hate_crime"] == "Y").sum()
    sv = raw[raw["group"].notna()]
    assert total["sv_domestic_abuse_pct"] == pytest.approx((sv["domestic_abuse"] == "Y").mean() * 100)
    assert total["domestic_abuse_pct"] == pytest.approx((raw["domestic_abuse"] == "Y").mean() * 100)
    months = partner_flags.flagged(con, by="month")
    expected = raw[raw["domestic_abuse"] == "Y"].groupby(raw["at"].dt.to_period("M")).size()
    assert months["domestic_abuse"].iloc[:-1].tolist() == expected.tolist()
    assert months.iloc[-1]["hate_crime"] == (raw["hate_crime"] == "Y").sum()


def _blank_store(tmp_path: Path) -> duckdb.DuckDBPyConnection:
    con = connect(tmp_path / "s.duckdb")
    return con


def _force_row(
    con: duckdb.DuckDBPyConnection,
    ref: str,
    code: str,
    at: str,
    x: float | None,
    y: float | None,
    lsoa: str | None = None,
) -> None:
    when = datetime.fromisoformat(at)
    con.execute(
        "INSERT INTO partner_force_crimes (crime_ref, ho_offence_code, committed_at, easting, northing, "
        "lsoa_code, domestic_abuse, hate_crime, weapon, record_date, agreement_id, synthetic, "
        "schema_version, source_file, ingest_id) "
        "VALUES (?, ?, ?, ?, ?, ?, FALSE, FALSE, 'none', ?, 'a', FALSE, 1, 'hand', 1)",
        [ref, code, when, x, y, lsoa, when.date()],
    )


def test_knox_at_day_resolution_by_hand(tmp_path: Path) -> None:
    con = _blank_store(tmp_path)
    # Manhattan distances and day gaps: A-B 100 m, 2 days; A-C 1,000 m, 1 day; A-D 150 m, 19 days;
    # B-C 900 m, 1 day; B-D 50 m, 17 days; C-D 950 m, 18 days. A fifth record (common assault) is
    # not serious violence and must be left out; a sixth has no grid reference.
    for ref, code, at, x, y in [
        ("A", "005/01", "2024-03-01 23:50", 0, 0),
        ("B", "034/01", "2024-03-03 01:10", 100, 0),
        ("C", "008/01", "2024-03-02 12:00", 1000, 0),
        ("D", "010/01", "2024-03-20 09:00", 100, 50),
        ("E", "105/01", "2024-03-01 23:55", 0, 0),
        ("F", "005/01", "2024-03-05 10:00", None, None),
    ]:
        _force_row(con, ref, code, at, x, y)
    frame = partner_knox.force_knox(con, spatial_bands_m=200, temporal_bands_days=7, permutations=19, seed=1)
    observed = {(r.distance_band, r.time_band): r.observed for r in frame.itertuples() if r.observed}
    assert observed == {
        ("more than 0 and under 200 m", "0 to 6 days"): 1,
        ("more than 0 and under 200 m", "14 to 20 days"): 2,
        ("600 m or more", "0 to 6 days"): 2,
        ("600 m or more", "14 to 20 days"): 1,
    }
    assert "4 events; 1 without one left out." in " ".join(frame.attrs["caveats"])
    con.close()


def _area(con: duckdb.DuckDBPyConnection, code: str, x0: float, district: str = "E07000117") -> None:
    con.execute(
        "INSERT INTO areas VALUES (?, ?, 2011, ?, ?, 'Burnley', 'E10000017', 'Lancashire', 'E10000017', "
        "'Lancashire')",
        [code, code, code, district],
    )
    square = shapely.box(x0, 0, x0 + 200, 200)  # centroid (x0 + 100, 100)
    con.execute(
        "INSERT INTO area_boundaries VALUES (?, 'lsoa', ?, 40000, ?)", [code, code, shapely.to_wkb(square)]
    )


def _istv_row(
    con: duckdb.DuckDBPyConnection, ref: str, at: str, lsoa: str | None, method: str = "body-part"
) -> None:
    when = datetime.fromisoformat(at)
    con.execute(
        "INSERT INTO partner_istv (attendance_id, site_code, assault_at, assault_method, location_type, "
        "lsoa_code, "
        "record_date, agreement_id, synthetic, schema_version, source_file, ingest_id) "
        "VALUES (?, 'S1', ?, ?, 'home', ?, ?, 'a', FALSE, 1, 'hand', 1)",
        [ref, when, method, lsoa, when.date()],
    )


def test_the_istv_matching_rule_on_a_hand_built_case(tmp_path: Path) -> None:
    con = _blank_store(tmp_path)
    _area(con, "E01000001", 0)  # A: centroid (100, 100)
    _area(con, "E01000002", 800)  # B: centroid (900, 100), 800 m from A's
    _area(con, "E01000003", 5000)  # C: 4,900 m away
    _force_row(con, "P1", "008/06", "2024-05-11 02:00", None, None, "E01000001")  # ABH in A, 11 May
    _force_row(con, "P2", "105/01", "2024-05-20 22:00", 150, 120, "E01000001")  # common assault in A, 20 May
    _force_row(con, "P3", "010/01", "2024-05-30 22:00", 100, 100, "E01000001")  # weapons only: not an assault
    _istv_row(con, "ED1", "2024-05-10 23:30", "E01000001")  # same LSOA, P1 the next day: matched
    _istv_row(con, "ED2", "2024-05-08 21:00", "E01000001")  # P1 three days later: outside the window
    _istv_row(con, "ED3", "2024-05-20 23:00", "E01000002")  # P2 is 750 m from B's centroid: nearby
    _istv_row(con, "ED4", "2024-05-20 23:00", "E01000003")  # far away: unmatched
    _istv_row(con, "ED5", "2024-05-30 23:00", "E01000001")  # only a possession offence: unmatched
    _istv_row(con, "ED6", "2024-05-30 23:00", None, "knife-or-sharp-object")  # no LSOA: not tested
    rows = istv_match.matched_attendances(con, istv_match.feed_period(require_feed(con, "istv"), None))
    got = dict(zip(rows["attendance_id"], zip(rows["tested"], rows["matched"], strict=True), strict=True))
    assert got == {
        "ED1": (True, True),
        "ED2": (True, False),
        "ED3": (True, True),
        "ED4": (True, False),
        "ED5": (True, False),
        "ED6": (False, False),
    }
    strict = istv_match.matched_attendances(
        con, istv_match.feed_period(require_feed(con, "istv"), None), nearby_m=500, window_days=0
    )
    assert set(strict.loc[strict["matched"], "attendance_id"]) == set()  # ED1 needs a day, ED3 750 m
    total = istv_match.istv_unmatched(con).set_index("area_code").loc["total"]
    assert (total["tested"], total["matched"], total["unmatched"], total["not_tested"]) == (5, 2, 3, 1)
    assert total["unmatched_pct"] == pytest.approx(60.0)
    assert "within 1 day(s)" in istv_match.istv_unmatched(con).attrs["rule"]
    con.close()


def test_no_feed_loaded_is_a_clear_error(tmp_path: Path) -> None:
    con = _blank_store(tmp_path)
    for call in (
        lambda: partner_sv.serious_violence(con),
        lambda: partner_when.time_of_week(con),
        lambda: istv_match.istv_unmatched(con),
        lambda: who_mod.vru_measures(con),
        lambda: partner_knox.force_knox(con),
    ):
        with pytest.raises(NoDataError) as err:
            call()
        assert "is loaded" in err.value.what and "safer ingest partner-feed" in err.value.hint
    con.close()
