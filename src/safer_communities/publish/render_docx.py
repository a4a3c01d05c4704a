"""``report.docx`` for editing: real Word headings (so the navigation pane and a contents field work),
real tables with a repeating header row, and pictures with their alt text set.
"""

from __future__ import annotations

import io
from pathlib import Path

from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor

from safer_communities.publish.document import BulletList, Figure, Paragraph, Report, Section, Table


def _repeat_header(row: object) -> None:
    properties = row._tr.get_or_add_trPr()  # type: ignore[attr-defined]
    flag = OxmlElement("w:tblHeader")
    flag.set(qn("w:val"), "true")
    properties.append(flag)


def _table(doc: Document, table: Table) -> None:
    caption = doc.add_paragraph(table.title, style="Caption")
    caption.paragraph_format.keep_with_next = True
    grid = doc.add_table(rows=1, cols=len(table.headers))
    grid.style = "Table Grid"
    grid.alignment = WD_TABLE_ALIGNMENT.LEFT
    header = grid.rows[0]
    _repeat_header(header)
    for cell, text in zip(header.cells, table.headers, strict=True):
        cell.text = ""
        run = cell.paragraphs[0].add_run(text)
        run.bold = True
    for row in table.rows:
        cells = grid.add_row().cells
        for k, (cell, text) in enumerate(zip(cells, row, strict=True)):
            cell.text = text
            if k > 0:
                cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.RIGHT
    for note in table.notes:
        para = doc.add_paragraph(note)
        para.runs[0].font.size = Pt(8)
        para.runs[0].font.color.rgb = RGBColor(0x4D, 0x4D, 0x4D)


def _figure(doc: Document, figure: Figure) -> None:
    # The shape just added (``doc.inline_shapes`` searches the whole document on every call).
    picture = doc.add_picture(io.BytesIO(figure.chart.png), width=Cm(16))
    properties = picture._inline.docPr  # the alt text Word shows and screen readers read
    properties.set("descr", figure.chart.alt)
    properties.set("title", figure.chart.title)
    doc.add_paragraph(figure.caption, style="Caption")


def _section(doc: Document, section: Section, level: int) -> None:
    doc.add_heading(section.title, level=min(level, 9))
    for block in section.blocks:
        if isinstance(block, Paragraph):
            para = doc.add_paragraph(block.text, style="Intense Quote" if block.kind == "warning" else None)
            if block.kind == "note":
                para.runs[0].italic = True
        elif isinstance(block, BulletList):
            for item in block.items:
                doc.add_paragraph(item, style="List Bullet")
        elif isinstance(block, Table):
            _table(doc, block)
        elif isinstance(block, Figure):
            _figure(doc, block)
    for child in section.subsections:
        _section(doc, child, level + 1)


def render_docx(report: Report, out_dir: Path) -> Path:
    """Write ``report.docx`` into ``out_dir`` and return its path."""
    doc = Document()
    normal = doc.styles["Normal"]
    normal.font.name = "Arial"
    normal.font.size = Pt(10.5)
    doc.core_properties.title = f"{report.title}: {report.area_name}"
    doc.core_properties.subject = f"{report.kind_label}, {report.period_label}"
    doc.core_properties.author = f"safer-communities {report.software_version}"
    doc.core_properties.language = "en-GB"
    doc.add_heading(report.title, level=0)
    doc.add_paragraph(report.subtitle)
    doc.add_paragraph(f"Area: {report.area_name}. Period: {report.period_label}. Produced "
                      f"{report.generated_at:%-d %B %Y} with safer-communities {report.software_version}.")
    doc.add_paragraph(
        "Draft for the partnership to edit. Update the contents list in Word (References > Update Table) "
        "after editing; the headings below are real Word headings."
    ).runs[0].italic = True
    for section in report.sections:
        _section(doc, section, 1)
    doc.add_paragraph(report.attribution).runs[0].font.size = Pt(8)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "report.docx"
    doc.save(str(path))
    return path
