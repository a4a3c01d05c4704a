"""Issue 10 in the report and in disclosure control: periods in words, years as years, one explained
figure for repeated Crime IDs, STATS19 counts not suppressed, a period with no data refused.

Contains public sector information licensed under the Open Government Licence v3.0 (police.uk, DfT, ONS).
"""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from safer_communities.analysis import road_safety
from safer_communities.config import Settings
from safer_communities.errors import NoDataError
from safer_communities.publish.disclosure import suppress_counts, suppress_table
from safer_communities.publish.sources import SOURCES, methods_lines, published_record_level
from safer_communities.store.evidence import connect

COLLISIONS = Path(__file__).resolve().parents[1] / "data" / "evidence" / "collisions-2023.csv"


def _raw_collisions() -> pd.DataFrame:
    return pd.read_csv(COLLISIONS, dtype=str)


def test_sources_declare_whether_they_are_published_record_by_record() -> None:
    assert published_record_level("stats19") and not published_record_level("police_uk_street")
    assert not published_record_level("partner") and not published_record_level(None)
    assert len(methods_lines()) == len(SOURCES) and any("STATS19" in line for line in methods_lines())


def test_stats19_fatal_and_serious_counts_are_not_suppressed(report_store: Path) -> None:
    con = connect(report_store, read_only=True)
    try:
        frame = road_safety.collision_rates(con, area_level="district", severity="ksi")
    finally:
        con.close()
    raw = _raw_collisions()
    ksi = raw[raw["accident_severity"].isin(["1", "2"])]
    fatal = Counter(ksi.loc[ksi["accident_severity"] == "1", "local_authority_ons_district"])
    frame = frame[frame["year"] == 2023].reset_index(drop=True)
    got = {r.area_code: int(r.fatal) for r in frame.itertuples()}
    assert got == {c: fatal.get(c, 0) for c in frame["area_code"]}
    assert ((frame["fatal"] >= 1) & (frame["fatal"] < 5)).any()  # small counts the police rule withholds
    police = suppress_table(frame, count_columns=["fatal", "serious", "collisions"], key_column="area_code",
                            settings=Settings())
    assert (police.published["fatal"] == "<5").any()  # before: DfT's public counts withheld
    public = suppress_table(frame, count_columns=["fatal", "serious", "collisions"], key_column="area_code",
                            settings=Settings(), source="stats19")
    assert public.published["fatal"].tolist() == [f"{int(v):,}" for v in frame["fatal"]]
    assert not public.suppressed[["fatal", "serious", "collisions"]].to_numpy().any()
    hours = suppress_counts(pd.Series([3, 0, 1, 12], index=list("abcd")), settings=Settings(),
                            source="stats19")
    assert hours.published["count"].tolist() == ["3", "0", "1", "12", "16"]


def test_report_refuses_a_period_with_no_data(report_store: Path, tmp_path: Path) -> None:
    from safer_communities.publish.sna import build_needs_assessment

    con = connect(report_store, read_only=True)
    try:
        with pytest.raises(NoDataError, match="No data for this period"):
            build_needs_assessment(con, Settings(), period="2019", out_dir=tmp_path / "sna")
    finally:
        con.close()
    assert not (tmp_path / "sna").exists() or not any((tmp_path / "sna").iterdir())


@pytest.mark.slow
def test_report_numbers_and_words(built_reports: dict[str, Path]) -> None:
    folder = built_reports["county"]
    html = (folder / "index.html").read_text(encoding="utf-8")
    assert "November 2021 to October 2022" in html and "2021-11..2022-10" not in html
    with (folder / "tables" / "population.csv").open(encoding="utf-8") as fh:
        years = {row["Mid-year estimate"] for row in csv.DictReader(fh)}
    assert years == {"2020"}  # before: "2,020"
    assert "Crime IDs published more than once" in html and "Crime IDs repeat (" not in html
    assert "Violence, robbery and weapons offences (police.uk proxy for serious violence)" in html
    assert "Serious violence (proxy)" not in html
    assert "Spiegelhalter" in html and "phi = " in html
    book = openpyxl.load_workbook(folder / "tables.xlsx")
    versions = [row[3] for row in book["definitions"].iter_rows(min_row=3, values_only=True) if row[3]]
    assert versions and all(isinstance(v, str) for v in versions) and "2025.1" in versions
    ksi = pd.read_csv(folder / "tables" / "road-safety-ksi.csv", dtype=str)
    assert not ksi.isin(["<5", "[c]"]).any().any()  # STATS19 is published collision by collision
