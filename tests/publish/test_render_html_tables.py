"""Which printed tables may run on across pages: estimated height, not row count alone."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from safer_communities.publish.document import Paragraph, Report, Section, Table
from safer_communities.publish.render_html import LONG_TABLE_LINES, runs_on
from safer_communities.publish.render_pdf import render_pdf


def _table(rows: list[list[str]]) -> Table:
    return Table(title="t", key="t", headers=[f"h{i}" for i in range(len(rows[0]))], rows=rows)


def test_a_district_table_is_kept_whole() -> None:
    districts = [[f"District {i}", "1,234", "98,765", "12.5", "11.9", "13.1"] for i in range(16)]
    assert not runs_on(_table(districts))


def test_a_dozen_partner_indicators_with_long_names_run_on() -> None:
    name = ("Alcohol related admissions (narrow measure) "
            "(fingertips-short-alcohol-related-admissions-narrow-measure)")
    partner = [[name, "Blackburn with Darwen", "2017/18", "659", "632", "similar"] for _ in range(12)]
    assert runs_on(_table(partner))
    assert not runs_on(_table(partner[:1]))


def test_the_boundary_is_lines_not_rows() -> None:
    one_line = [["a", "b"]] * LONG_TABLE_LINES
    assert not runs_on(_table(one_line))
    assert runs_on(_table([*one_line, ["c", "d"]]))


def _page_texts(pdf: Path) -> list[str]:
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    return [page for page in text.split("\f") if page.strip()]


@pytest.mark.skipif(not shutil.which("pdftotext"), reason="pdftotext (poppler-utils) is not installed")
def test_a_table_taller_than_a_page_starts_under_its_heading(tmp_path: Path) -> None:
    """Kept whole, a table taller than a page was pushed to the next page and left its heading alone
    (14 of the demo county report's 111 pages); it now starts under its heading and runs on."""
    name = ("Alcohol related admissions (narrow measure) "
            "(fingertips-short-alcohol-related-admissions-narrow-measure)")
    rows = [[name, f"D{i:02d}", "2017/18", "659", "632", "similar", "OHID Fingertips"] for i in range(30)]
    table = Table(title="Partner indicators against England", key="partner",
                  headers=["Indicator", "Area", "Period", "Value", "England", "Compared", "Publisher"],
                  rows=rows)
    intro = Section(title="Anti-social behaviour", blocks=[Paragraph("Some text. " * 120)])
    report = Report(title="Test", subtitle="", area_name="Lancashire", period_label="2021",
                    sections=[intro, Section(title="What partners' data shows", blocks=[table])])
    pages = _page_texts(render_pdf(report, tmp_path))
    heading = next(page for page in pages if "What partners' data shows" in page and "Contents" not in page)
    assert "Partner indicators against England" in heading and "D00" in heading
    assert sum("Indicator" in page for page in pages) >= 2  # the header row repeated on the next page
    assert all(f"D{i:02d}" in "".join(pages) for i in range(30))
