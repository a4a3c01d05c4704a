"""The report's documents by their conventions, checked in the clients readers use.

Word: A4, a real contents field, en-GB, widths by content, the document's own properties; opened by
LibreOffice headless. PDF: tagged PDF/UA-1 (poppler's pdfinfo). Excel: converted by LibreOffice.
"""

from __future__ import annotations

import shutil
import subprocess
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from docx import Document
from docx.shared import Mm

SOFFICE = shutil.which("soffice")
PDFINFO = shutil.which("pdfinfo")
pytestmark = pytest.mark.slow


def test_word_is_a4_en_gb_with_a_contents_field_and_true_properties(built_reports: dict[str, Path]) -> None:
    path = built_reports["district"] / "report.docx"
    doc = Document(str(path))
    section = doc.sections[0]
    assert abs(section.page_width - Mm(210)) < Mm(1) and abs(section.page_height - Mm(297)) < Mm(1)
    with zipfile.ZipFile(path) as archive:
        body = archive.read("word/document.xml").decode("utf-8")
        styles = archive.read("word/styles.xml").decode("utf-8")
        settings = archive.read("word/settings.xml").decode("utf-8")
    assert 'TOC \\o "1-3"' in body and 'w:fldCharType="begin"' in body
    assert "w:updateFields" in settings
    assert "en-US" not in styles and 'w:val="en-GB"' in styles
    props = doc.core_properties
    assert props.title == ("Community safety strategic needs assessment: Rossendale, "
                           "November 2021 to October 2022")
    assert "python-docx" not in (props.comments or "") and props.language == "en-GB"
    assert datetime.now(UTC) - props.created.replace(tzinfo=UTC) < timedelta(days=1)


def test_word_columns_are_wide_enough_for_their_longest_word(built_reports: dict[str, Path]) -> None:
    doc = Document(str(built_reports["county"] / "report.docx"))
    checked = 0
    for table in doc.tables:
        for column in table.columns:
            longest = max(len(w) for cell in column.cells for w in (cell.text.split() or [""]))
            width_cm = column.cells[0].width.cm
            # Long codes (serious-organised-crime) may be squeezed to 2.5 cm and wrap at their hyphens.
            assert width_cm >= min(0.2 * longest, 2.5) - 0.01, (column.cells[0].text, width_cm, longest)
            checked += 1
    names = [row.cells[0].text for row in doc.tables[0].rows]
    assert checked > 20 and names


@pytest.mark.skipif(PDFINFO is None, reason="poppler's pdfinfo is not installed (CI installs poppler-utils)")
def test_pdf_is_tagged_pdf_ua(built_reports: dict[str, Path]) -> None:
    path = built_reports["district"] / "report.pdf"
    info = subprocess.run([PDFINFO, str(path)], capture_output=True, text=True, check=True).stdout
    assert "Tagged:          yes" in info and "A4" in info
    assert "Rossendale: Rossendale" not in info
    meta = subprocess.run([PDFINFO, "-meta", str(path)], capture_output=True, text=True, check=True).stdout
    assert 'pdfuaid:part="1"' in meta
    struct = subprocess.run([PDFINFO, "-struct", str(path)], capture_output=True, text=True,
                            check=True).stdout
    assert struct.count("Table") >= 3 and struct.count("Figure") >= 3 and "H1" in struct


@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice is not installed (CI installs libreoffice-*-nogui)")
def test_libreoffice_converts_the_word_and_excel_files(built_reports: dict[str, Path],
                                                       tmp_path: Path) -> None:
    folder = built_reports["district"]
    profile = tmp_path / "lo-profile"
    for source, target in (("report.docx", "pdf"), ("tables.xlsx", "pdf")):
        subprocess.run([SOFFICE, f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to",
                        target, "--outdir", str(tmp_path), str(folder / source)], capture_output=True,
                       text=True, check=True, timeout=600)
        out = tmp_path / (Path(source).stem + ".pdf")
        assert out.exists() and out.stat().st_size > 10_000, source
        if PDFINFO:
            info = subprocess.run([PDFINFO, str(out)], capture_output=True, text=True, check=True).stdout
            assert "A4" in info, source
            if source == "tables.xlsx":  # one page wide per sheet: about one page per table
                pages = int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))
                sheets = len(list((folder / "tables").glob("*.csv"))) + 1
                assert pages <= 2 * sheets, (pages, sheets)
