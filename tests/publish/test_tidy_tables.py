"""Tables that import: the printed cells of a report table become typed values, markers and codes."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from safer_communities.publish.document import Report, Table
from safer_communities.publish.render_tables import render_tables
from safer_communities.publish.tidy_tables import parse_cell, tidy

AREAS = {"Fylde": ("E07000119", "district"), "Rossendale": ("E07000125", "district"),
         "Lancashire": ("E23000003", "county")}
RATES = Table(title="Violence: rates by area", key="violence-rates",
              headers=["Area", "Records", "Population", "Rate per 1,000", "Year"],
              rows=[["Fylde", "2,022", "81,211", "24.9", "2,020"],
                    ["Rossendale", "<5", "71,432", "[c]", "2,020"],
              ["Lancashire", "5,611", "214,669", "26.1", "2,020"]],
              notes=["<5: fewer than 5 records.", "[c]: withheld to protect another cell."])


def test_numbers_are_plain_markers_apart_and_codes_and_levels_added() -> None:
    frame = tidy(RATES, AREAS).frame
    assert list(frame.columns) == ["Area", "area_code", "area_level", "Records", "Records marker",
                                   "Population", "Rate per 1,000", "Rate per 1,000 marker", "Year"]
    assert str(frame["Records"].dtype) == "Int64" and frame["Records"].isna().tolist() == [False, True, False]
    assert frame["Records"].sum() == 2022 + 5611
    assert frame["Records marker"].fillna("").tolist() == ["", "<5", ""]
    assert frame["Year"].tolist() == [2020, 2020, 2020]
    assert frame["area_level"].tolist() == ["district", "district", "county"]


def test_csv_reads_back_as_numbers_with_notes_in_the_sidecar(tmp_path: Path) -> None:
    report = Report(title="Needs assessment", subtitle="", area_name="Lancashire",
                    period_label="2021-11..2022-10",
                    attribution="Contains public sector information licensed under the Open Government "
                                "Licence v3.0.", areas=AREAS)
    report.section("Violence").add(RATES)
    render_tables(report, tmp_path)
    frame = pd.read_csv(tmp_path / "tables" / "violence-rates.csv")
    assert frame["Population"].dtype.kind == "i" and frame["Population"].sum() == 81_211 + 71_432 + 214_669
    assert frame["Rate per 1,000"].dtype.kind == "f" and frame["area_code"].tolist()[0] == "E07000119"
    with (tmp_path / "tables" / "violence-rates.csv").open(encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    assert len(rows) == 4 and not any("Licence" in c for r in rows for c in r)
    meta = json.loads((tmp_path / "tables" / "violence-rates.csv-metadata.json").read_text(encoding="utf-8"))
    assert meta["notes"] == RATES.notes and "open-government-licence" in meta["dc:license"]
    assert "[c]" in (tmp_path / "tables" / "README.md").read_text(encoding="utf-8")
    book = load_workbook(tmp_path / "tables.xlsx")
    sheet = book["violence-rates"]
    (table,) = sheet.tables.values()
    assert table.autoFilter is not None and table.ref.startswith("A")
    header_row = int(table.ref.split(":")[0][1:])
    assert sheet.cell(row=header_row + 1, column=4).value == 2022
    assert sheet.cell(row=header_row + 1, column=6).number_format == "#,##0"
    assert sheet.cell(row=header_row + 1, column=7).number_format == "#,##0.0"
    assert int(sheet.page_setup.paperSize) == 9 and sheet.page_setup.fitToWidth == 1  # 9: A4
    assert sheet.print_title_rows == f"${header_row}:${header_row}"
    assert book["Contents"]["A5"].hyperlink.location == "'violence-rates'!A1"


def test_a_column_of_markers_only_is_still_a_number_column() -> None:
    table = Table(title="KSI", key="ksi", headers=["Area", "Fatal"],
                  rows=[["Fylde", "<5"], ["Rossendale", "[c]"]])
    frame = tidy(table, AREAS).frame
    assert str(frame["Fatal"].dtype) == "Int64" and frame["Fatal"].isna().all()
    assert frame["Fatal marker"].tolist() == ["<5", "[c]"]


def test_periods_and_months_become_iso() -> None:
    assert parse_cell("2021-11..2022-10") == ("2021-11/2022-10", None)
    assert parse_cell("Nov 2021") == ("2021-11", None)
    assert parse_cell("7,180") == (7180, None) and parse_cell("48.4") == (48.4, None)
    assert parse_cell("Chorley 008A") == ("Chorley 008A", None)


@settings(deadline=None, max_examples=200)
@given(st.integers(-10**9, 10**9), st.integers(0, 3))
def test_printed_numbers_parse_back(value: int, decimals: int) -> None:
    number = value / 10**decimals
    printed = f"{number:,.{decimals}f}"
    parsed, marker = parse_cell(printed)
    assert marker is None and abs(float(parsed) - number) < 10 ** -decimals  # type: ignore[arg-type]


@settings(deadline=None, max_examples=200)
@given(st.text(max_size=20))
def test_any_cell_parses_without_error(text: str) -> None:
    parse_cell(text)
