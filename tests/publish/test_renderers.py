"""Renderers on a small report: the same document model becomes HTML, Word and tables identically."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
from docx import Document
from openpyxl import load_workbook

from safer_communities.config import Settings
from safer_communities.publish import charts
from safer_communities.publish.disclosure import suppress_table
from safer_communities.publish.document import BulletList, Figure, Paragraph, Report, Table
from safer_communities.publish.render_docx import render_docx
from safer_communities.publish.render_html import render_html
from safer_communities.publish.render_tables import render_tables


def _report() -> Report:
    frame = pd.DataFrame({"area": ["Fylde", "Ribble Valley", "Rossendale", "Lancashire"],
                          "count": [1_204, 3, 2_408, 3_615]})
    table = suppress_table(frame, count_columns=["count"], key_column="area", total_row="Lancashire",
                           settings=Settings())
    chart = charts.bar_chart(["Fylde", "Rossendale"], [1_204, 2_408], title="Records by district",
                             name="by-district", source="police.uk")
    report = Report(title="Needs assessment <draft>", subtitle="Test", area_name="Lancashire",
                    period_label="2021", attribution="Contains OGL data.", software_version="test")
    first = report.section("Volume")
    first.add(Paragraph("Numbers & <words>."), BulletList(["one", "two"]),
              Table.from_published("Records by district", table,
                                   columns={"area": "Area", "count": "Records"}),
              Figure(chart=chart, caption="Records by district."))
    first.sub("Detail").add(Paragraph("Nested."))
    return report


def test_html_escapes_text_and_embeds_the_image(tmp_path: Path) -> None:
    html = render_html(_report(), tmp_path).read_text(encoding="utf-8")
    assert "Needs assessment &lt;draft&gt;" in html
    assert "Numbers &amp; &lt;words&gt;." in html
    assert '<th scope="row">Ribble Valley</th><td>&lt;5</td>' in html
    assert '<th scope="row">Fylde</th><td>[c]</td>' in html  # else the total would reveal Ribble Valley
    assert 'src="data:image/png;base64,' in html
    assert 'font-family: "DejaVu Sans"' in html  # the stylesheet is not HTML-escaped


def test_docx_and_tables_carry_the_same_published_cells(tmp_path: Path) -> None:
    report = _report()
    doc = Document(str(render_docx(report, tmp_path)))
    assert [p.text for p in doc.paragraphs if p.style.name == "Heading 1"] == ["Volume"]
    assert [p.text for p in doc.paragraphs if p.style.name == "Heading 2"] == ["Detail"]
    cells = [[c.text for c in row.cells] for row in doc.tables[0].rows]
    assert cells == [["Area", "Records"], ["Fylde", "[c]"], ["Ribble Valley", "<5"], ["Rossendale", "2,408"],
                     ["Lancashire", "3,615"]]
    written = render_tables(report, tmp_path)
    # The same cells as data: plain numbers, the symbol of a withheld cell in its marker column.
    with (tmp_path / "tables" / "records-by-district.csv").open(encoding="utf-8") as handle:
        assert list(csv.reader(handle)) == [["Area", "Records", "Records marker"], ["Fylde", "", "[c]"],
                                            ["Ribble Valley", "", "<5"], ["Rossendale", "2408", ""],
                                            ["Lancashire", "3615", ""]]
    sheet = load_workbook(written[0])["records-by-district"]
    (excel_table,) = sheet.tables.values()
    top = int(excel_table.ref.split(":")[0][1:])
    assert [[c.value for c in row] for row in sheet.iter_rows(min_row=top, max_row=top + 4, max_col=3)] == [
        ["Area", "Records", "Records marker"], ["Fylde", None, "[c]"], ["Ribble Valley", None, "<5"],
        ["Rossendale", 2408, None], ["Lancashire", 3615, None]]
