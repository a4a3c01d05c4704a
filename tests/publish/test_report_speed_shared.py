"""Issue 16 item 5: the report's second round of speed-ups changes nothing the outputs say.

Each test pins one change against the rule it replaced: the PDF's page references, the Excel cells'
shared styles, the Word paragraph styles, the tidy tables' area columns, the grid's district sums, the
cell squares kept across grids, and the disclosure notes.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pydyf
import pytest
from docx import Document
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from safer_communities.analysis import grid as analysis_grid
from safer_communities.publish import disclosure
from safer_communities.publish.document import BulletList, Figure, Paragraph, Report, Table
from safer_communities.publish.render_docx import render_docx
from safer_communities.publish.render_pdf import _share_page_references
from safer_communities.publish.render_tables import render_tables
from safer_communities.publish.tidy_tables import tidy


def test_page_references_follow_every_page_added() -> None:
    _share_page_references()
    pdf = pydyf.PDF()
    for n in range(1, 5):
        pdf.add_page(pydyf.Dictionary({"Type": "/Page"}))
        expected = tuple(f"{k} 0 R".encode("ascii") for k in pdf.pages["Kids"][::3])  # pydyf's rule
        assert pdf.page_references == expected
        assert len(pdf.page_references) == n


def _report() -> Report:
    report = Report(title="Speed", subtitle="s", area_name="Burnley", period_label="2021-04..2022-03",
                    attribution="Contains public sector information.", software_version="0",
                    areas={"Burnley": ("E07000117", "district"), "Pendle": ("E07000122", "district")})
    section = report.section("Priority issues")
    section.add(Paragraph("A warning.", kind="warning"))
    section.add(BulletList(["first", "second"]))
    section.add(Table(title="Counts", key="counts", headers=["Area", "Count", "Rate"],
                      rows=[["Burnley", "1,234", "12.5"], ["Pendle", "<5", "[c]"],
                            ["Lancashire", "9", "0.25"]]))
    sub = section.sub("Violence")
    sub.add(Table(title="Months", key="months", headers=["Month", "Count"], rows=[["Apr 2021", "7"]]))
    return report


def test_excel_body_cells_keep_their_columns_font_and_number_format(tmp_path) -> None:
    render_tables(_report(), tmp_path)
    book = load_workbook(tmp_path / "tables.xlsx")
    sheet = next(s for s in book.worksheets if s["A1"].value == "Counts")
    header = next(r for r in range(1, 20) if sheet.cell(row=r, column=1).value == "Area")
    names = [sheet.cell(row=header, column=j).value for j in range(1, sheet.max_column + 1)]
    assert names[:5] == ["Area", "area_code", "area_level", "Count", "Count marker"]
    rate = names.index("Rate") + 1
    for row in range(header + 1, header + 4):
        for column in range(1, len(names) + 1):
            cell = sheet.cell(row=row, column=column)
            assert (cell.font.name, cell.font.sz, cell.font.b) == ("Arial", 10, False)
        assert sheet.cell(row=row, column=rate).number_format == "#,##0.00"  # the column's 2 decimals
        assert sheet.cell(row=row, column=1).number_format == "General"
    assert [sheet.cell(row=r, column=4).value for r in range(header + 1, header + 4)] == [1234, None, 9]
    assert sheet.cell(row=header, column=1).font.b is True  # the header keeps its own style


def test_word_paragraphs_keep_their_styles(tmp_path) -> None:
    report = _report()
    report.sections[0].add(Figure(chart=_chart(), caption="A chart."))
    document = Document(str(render_docx(report, tmp_path)))
    styles = {p.text: p.style.name for p in document.paragraphs}
    assert styles["Priority issues"] == "Heading 1"
    assert styles["Violence"] == "Heading 2"
    assert styles["A warning."] == "Intense Quote"
    assert styles["first"] == styles["second"] == "List Bullet"
    assert styles["Counts"] == styles["Months"] == styles["A chart."] == "Caption"
    assert styles["Draft for the partnership to edit; the headings below are real Word headings, so the "
                  "navigation pane and the contents list follow them."] == "Normal"


def _chart() -> object:
    from safer_communities.publish import layout, style

    with style.figure(height_in=2.0) as fig:
        ax = fig.add_subplot()
        ax.plot([1, 2], [2, 1])
        layout.arrange(fig, [ax], title="t")
        return style.render(fig, name="t", alt="A line.", title="t")


@pytest.mark.parametrize(("rows", "with_codes"), [
    ([["Burnley"], ["Pendle"]], True),
    ([["Burnley"], ["Somewhere else"]], True),  # exactly half are areas
    ([["Burnley"], ["x"], ["y"]], False),  # fewer than half
    ([], False),
])
def test_tidy_adds_area_codes_when_at_least_half_the_rows_are_areas(rows, with_codes) -> None:
    areas = {"Burnley": ("E07000117", "district"), "Pendle": ("E07000122", "district")}
    out = tidy(Table(title="t", key="t", headers=["Area"], rows=rows), areas).frame
    assert ("area_code" in out) is with_codes
    if with_codes:
        assert out["area_code"].iloc[0] == "E07000117"
        assert out["area_level"].iloc[0] == "district"


def test_cell_squares_are_kept_for_two_grids_within_the_budget(monkeypatch) -> None:
    monkeypatch.setattr(analysis_grid, "_RASTERS", analysis_grid.OrderedDict())

    def raster(cell: float, n: int) -> analysis_grid.Raster:
        r = analysis_grid.Raster(x0=0.0, y0=0.0, cell=cell, nx=n, ny=1, cells=np.arange(n),
                                 inside=np.ones(n))
        analysis_grid._RASTERS[(b"k", cell)] = r
        return r

    coarse, fine = raster(500.0, 10), raster(250.0, 20)
    first = coarse.to_frame().geometry.iloc[3]
    fine.to_frame()
    assert coarse._boxes is not None and coarse.to_frame().geometry.iloc[3].equals(first)
    assert coarse.to_frame().geometry.iloc[3].bounds == (1500.0, 0.0, 2000.0, 500.0)
    monkeypatch.setattr(analysis_grid, "_BOX_BUDGET", 25)  # the two no longer fit: the older is dropped
    coarse._boxes = None
    coarse.to_frame()
    assert fine._boxes is None and coarse._boxes is not None


@settings(deadline=None, max_examples=60)
@given(st.data())
def test_disclosure_notes_match_the_frame_rule(data) -> None:
    rows, cols = data.draw(st.integers(1, 5)), data.draw(st.integers(1, 4))
    flags = st.lists(st.booleans(), min_size=rows * cols, max_size=rows * cols)
    index, columns = [f"r{i}" for i in range(rows)], [f"c{j}" for j in range(cols)]

    def frame(values: list) -> pd.DataFrame:
        return pd.DataFrame(np.array(values, dtype=object).reshape(rows, cols), index=index, columns=columns)

    mask, prim, unrel = (frame(data.draw(flags)).astype(bool) for _ in range(3))
    cells = data.draw(st.lists(st.sampled_from([disclosure.MISSING, "12", "<5", np.nan, 3.0]),
                               min_size=rows * cols, max_size=rows * cols))
    published = frame(cells)
    expected = []  # the rule as it was written with frame operations
    if prim.to_numpy().any():
        expected.append("primary")
    if (mask & ~prim & ~unrel).to_numpy().any():
        expected.append("secondary")
    if unrel.to_numpy().any():
        expected.append("unreliable")
    if (published == disclosure.MISSING).to_numpy().any():
        expected.append("missing")
    notes = disclosure._notes(mask, prim, unrel, published, 5, 10)
    assert len(notes) == len(expected)
    starts = {"primary": disclosure.primary_marker(5), "secondary": disclosure.SECONDARY,
              "unreliable": disclosure.UNRELIABLE, "missing": disclosure.MISSING}
    assert [n.split(":")[0] for n in notes] == [starts[e] for e in expected]
