"""Issue 16 item 5, third round: the PDF's fixed-layout tables and the Word file's bulk table rows.

The PDF's column widths are worked out from the font's metrics instead of WeasyPrint's automatic layout
(``publish/pdf_tables.py``): they are checked against the widths WeasyPrint's own automatic layout
gives the same tables. The Word body rows written as one piece of XML are checked byte for byte against
python-docx writing them cell by cell.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from docx import Document

from safer_communities.publish import render_docx as docx_module
from safer_communities.publish.document import Report, Table
from safer_communities.publish.pdf_tables import CONTENT_WIDTH_PT, column_widths, text_width
from safer_communities.publish.render_docx import render_docx
from safer_communities.publish.render_html import html_string

PARTNER = Table(
    title="Partner indicators against England", key="partner",
    headers=["Indicator", "Area", "Period", "Value", "England", "Compared with England", "Rank (1 = highest)",
             "Publisher"],
    rows=[["Hospital admissions as a result of self-harm (10-24 years) "
           "(fingertips-short-hospital-admissions-as-a-result-of-self-harm-10-24-years)",
           "Blackburn with Darwen", "2017/18", "476.10", "421.20", "worse", "55 of 150", "OHID Fingertips"],
          ["First Time entrants to the Youth Justice System (lait-firstyjs)", "Blackpool", "2024", "318",
           "[x]", "not compared", "1 of 149", "DfE LAIT; data owner: Youth Justice board"]],
)
DISTRICTS = Table(
    title="Records by district", key="districts",
    headers=["Area", "Records", "Rate per 1,000", "Change on a year before"],
    rows=[["Blackburn with Darwen", "12,345", "82.3", "+4.1%"], ["Rossendale", "3,210", "45.0", "-2.0%"],
          ["Ribble Valley", "<5", "[c]", "[u]"]],
)


def _report(*tables: Table) -> Report:
    report = Report(title="Speed", subtitle="s", area_name="Lancashire", period_label="2021-04..2022-03",
                    attribution="Contains public sector information.", software_version="0",
                    areas={})
    section = report.section("Tables")
    section.blocks.extend(tables)
    return report


def _auto_layout_widths(report: Report) -> list[list[float]]:
    """Each table's column widths as WeasyPrint's automatic table layout gives them, in per cent."""
    from weasyprint import HTML
    from weasyprint.formatting_structure import boxes

    document = HTML(string=html_string(report), media_type="print").render()
    widths = []
    for page in document.pages:
        for box in page._page_box.descendants():
            if isinstance(box, boxes.TableBox):
                widths.append([100 * w / box.width for w in box.column_widths])
    return widths


def test_fixed_widths_follow_the_automatic_layout() -> None:
    """Within half a per cent of the table's width, column by column, for a table whose long
    indicator names must wrap and for one whose every cell fits on a line."""
    expected = _auto_layout_widths(_report(PARTNER, DISTRICTS))
    assert len(expected) == 2
    for table, auto in zip([PARTNER, DISTRICTS], expected, strict=True):
        ours = column_widths(table)
        assert sum(ours) == pytest.approx(100, abs=0.01)
        assert ours == pytest.approx(auto, abs=0.5), (table.key, ours, auto)


def test_no_column_is_narrower_than_its_longest_word() -> None:
    """A number or a name never wraps: each column holds its widest unbreakable piece plus padding."""
    for table in (PARTNER, DISTRICTS):
        widths = column_widths(table)
        for i, share in enumerate(widths):
            cells = [(table.headers[i], True), *((row[i], False) for row in table.rows)]
            words = [piece for text, bold in cells for word in text.split()
                     for piece in word.replace("-", "-\n").split("\n") if piece
                     for _ in [bold]]
            widest = max(text_width(w, bold=True) for w in words)  # bold is the wider face
            assert share / 100 * CONTENT_WIDTH_PT >= widest * 0.999 - 0.01 or share == max(widths)


def test_text_width_measures_the_font() -> None:
    """DejaVu Sans' advance widths: "0" is 0.636 em, so ten zeros at 8.5 pt are 54.06 pt."""
    assert text_width("0" * 10) == pytest.approx(10 * 0.636 * 8.5, rel=0.01)
    assert text_width("Rossendale", bold=True) > text_width("Rossendale")


def test_the_html_page_keeps_the_automatic_layout() -> None:
    report = _report(PARTNER, DISTRICTS)
    page = html_string(report)
    assert "<colgroup>" not in page and "table-layout" not in page
    printed = html_string(report, table_columns=column_widths)
    assert printed.count('style="table-layout: fixed"') == 2
    assert printed.count("<col ") == len(PARTNER.headers) + len(DISTRICTS.headers)
    # Apart from the widths, the same page.
    stripped = printed.replace(' style="table-layout: fixed"', "")
    while "<colgroup>" in stripped:
        start = stripped.index("<colgroup>")
        stripped = stripped[:start] + stripped[stripped.index("</colgroup>") + len("</colgroup>"):]
    assert stripped == page


TRICKY = Table(
    title="Text that needs escaping", key="tricky",
    headers=["Area", "Count", "Note"],
    rows=[["Burnley & Pendle <east>", "1,234", "a \"quoted\" note"], ["Café – ’s", "", "12.5%"],
          ["Hyndburn", "[c]", "<5"], ["Wyre", "-3.0", "=SUM(A1)"]],
)


def _document_xml(folder: Path) -> bytes:
    with zipfile.ZipFile(folder / "report.docx") as archive:
        return archive.read("word/document.xml")


def test_word_rows_in_one_piece_are_what_python_docx_writes(tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    report = _report(TRICKY, DISTRICTS, PARTNER)
    render_docx(report, tmp_path / "bulk")
    monkeypatch.setattr(docx_module, "_plain", lambda text: False)  # python-docx, cell by cell
    render_docx(report, tmp_path / "cells")
    bulk = _document_xml(tmp_path / "bulk")
    assert bulk == _document_xml(tmp_path / "cells")
    assert b"Burnley &amp; Pendle &lt;east&gt;" in bulk
    table = Document(str(tmp_path / "bulk" / "report.docx")).tables[0]
    assert [[cell.text for cell in row.cells] for row in table.rows] == [TRICKY.headers, *TRICKY.rows]


def test_word_text_with_edge_spaces_still_takes_python_docx(tmp_path: Path) -> None:
    spaced = Table(title="Spaced", key="spaced", headers=["Area", "Note"],
                   rows=[["Fylde", " leading space"], ["Wyre", "tab\there"]])
    render_docx(_report(spaced), tmp_path)
    xml = _document_xml(tmp_path)
    assert b'xml:space="preserve"> leading space</w:t>' in xml and b"<w:tab/>" in xml


def test_fewer_collections_while_building_and_the_callers_thresholds_back() -> None:
    import gc

    from safer_communities.publish.gc_policy import YOUNG_THRESHOLD, fewer_collections

    before = gc.get_threshold()
    try:
        gc.set_threshold(700, 10, 10)
        with pytest.raises(RuntimeError), fewer_collections():
            assert gc.get_threshold() == (YOUNG_THRESHOLD, 10, 10)
            raise RuntimeError("a report failed")
        assert gc.get_threshold() == (700, 10, 10)
        gc.set_threshold(50_000, 5, 5)  # a caller collecting even less often keeps its own setting
        with fewer_collections():
            assert gc.get_threshold() == (50_000, 5, 5)
        assert gc.get_threshold() == (50_000, 5, 5)
    finally:
        gc.set_threshold(*before)


def test_cycles_are_still_collected_inside_the_block() -> None:
    """Without any explicit ``gc.collect()``: the raised threshold still collects, only in bigger batches."""
    import weakref

    from safer_communities.publish.gc_policy import fewer_collections

    class Node:
        pass

    with fewer_collections():
        first, second = Node(), Node()
        first.other, second.other = second, first  # type: ignore[attr-defined]
        probe = weakref.ref(first)
        del first, second
        kept = []  # live allocations are what the collector counts
        for _ in range(1_000_000):
            kept.append(Node())
            if probe() is None:
                break
        assert probe() is None
        assert len(kept) < 1_000_000
