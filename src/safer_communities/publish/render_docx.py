"""``report.docx`` for editing: real Word headings (so the navigation pane and a contents field work),
real tables with a repeating header row, and pictures with their alt text set.
"""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime
from pathlib import Path
from xml.sax.saxutils import escape

from docx import Document
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import qn
from docx.shared import Cm, Mm, Pt, RGBColor
from docx.text.paragraph import Paragraph as DocxParagraph

from safer_communities.publish.document import BulletList, Figure, Paragraph, Report, Section, Table

_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_NUMERIC = re.compile(r"^[-<\[]?[\d,.]*\]?%?$|^\[[a-z]\]$")


def _repeat_header(row: object) -> None:
    properties = row._tr.get_or_add_trPr()  # type: ignore[attr-defined]
    flag = OxmlElement("w:tblHeader")
    flag.set(qn("w:val"), "true")
    properties.append(flag)


def _column_widths_cm(table: Table, total_cm: float = 16.0) -> list[float]:
    """Widths by content: each column at least as wide as its longest word (so "Rossendale" never wraps
    mid-word), the rest shared by the length of its longest cell."""
    columns = (list(zip(table.headers, *table.rows, strict=True)) if table.rows
               else [(h,) for h in table.headers])
    cm_per_char = 0.23  # Arial 10.5 pt, bold headers included
    words = [max(len(w) for text in col for w in (str(text).split() or [""])) * cm_per_char + 0.5
             for col in columns]
    longest = [max(len(str(text)) for text in col) * cm_per_char + 0.5 for col in columns]
    floor = [min(max(w, 1.2), 4.4) for w in words]  # a long code may wrap at its hyphens, not a name
    if sum(floor) >= total_cm:  # squeeze the columns of long words first, so short headers never wrap
        excess = sum(floor) - total_cm
        flexible = [max(f - 2.5, 0.0) for f in floor]
        if sum(flexible) > excess:
            return [f - excess * x / sum(flexible) for f, x in zip(floor, flexible, strict=True)]
        return [total_cm * f / sum(floor) for f in floor]
    spare = total_cm - sum(floor)
    extra = [max(lng - f, 0.0) for lng, f in zip(longest, floor, strict=True)]
    if sum(extra) <= spare:
        return [f + e for f, e in zip(floor, extra, strict=True)]
    return [f + spare * e / sum(extra) for f, e in zip(floor, extra, strict=True)]


def _paragraph(doc: Document, text: str, style: str | None, ids: dict[str, str | None]) -> DocxParagraph:
    """``doc.add_paragraph(text, style)``, the style's id looked up once per document, not per paragraph
    (python-docx searches the style list twice for each: the same XML either way)."""
    para = doc.add_paragraph(text)
    if style is not None:
        if style not in ids:
            ids[style] = doc.part.get_style_id(style, WD_STYLE_TYPE.PARAGRAPH)
        para._p.style = ids[style]
    return para


def _table(doc: Document, table: Table, ids: dict[str, str | None]) -> None:
    caption = _paragraph(doc, table.title, "Caption", ids)
    caption.paragraph_format.keep_with_next = True
    grid = doc.add_table(rows=1, cols=len(table.headers))
    grid.style = "Table Grid"
    grid.alignment = WD_TABLE_ALIGNMENT.LEFT
    grid.autofit = False
    header = grid.rows[0]
    _repeat_header(header)
    header_cells = header.cells
    for cell, text in zip(header_cells, table.headers, strict=True):
        cell.text = ""
        run = cell.paragraphs[0].add_run(text)
        run.bold = True
    widths = _column_widths_cm(table)
    for cell, width in zip(header_cells, widths, strict=True):
        cell.width = Cm(width)
    twips = [cell._tc.tcPr.tcW.get(qn("w:w")) for cell in header_cells]
    if all(_plain(text) for row in table.rows for text in row):
        _append_rows(grid._tbl, table.rows, twips)
    else:  # a cell with a tab, a line break or spaces at either end: python-docx writes it cell by cell
        for row in table.rows:
            cells = grid.add_row().cells
            for k, (cell, text) in enumerate(zip(cells, row, strict=True)):
                cell.text = text
                if k > 0 and _NUMERIC.match(text):
                    cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.RIGHT
                cell.width = Cm(widths[k])
    # The table grid too: LibreOffice (and Word in fixed layout) size columns from it, not the cells.
    for col, width in zip(grid._tbl.tblGrid.findall(qn("w:gridCol")), widths, strict=True):
        col.set(qn("w:w"), str(int(Cm(width).twips)))
    layout = OxmlElement("w:tblLayout")
    layout.set(qn("w:type"), "fixed")
    grid._tbl.tblPr.append(layout)
    for note in table.notes:
        para = doc.add_paragraph(note)
        para.runs[0].font.size = Pt(8)
        para.runs[0].font.color.rgb = RGBColor(0x4D, 0x4D, 0x4D)


def _plain(text: str) -> bool:
    """Text python-docx writes as one ``<w:t>`` (or none) with no ``xml:space`` (see :func:`_append_rows`)."""
    return text == text.strip() and not any(c in text for c in "\t\n\r")


def _append_rows(tbl: object, rows: list[list[str]], twips: list[str]) -> None:
    """Append the body rows to ``tbl`` as python-docx's ``add_row`` and ``cell.text`` would write them.

    Building each cell through python-docx (a row, a cell, a cleared paragraph, a run, its text, the
    alignment and the width, each a look-up in the tree) took most of the Word file's time; the same
    elements written as one piece of XML and parsed once per table are byte-identical in the document.
    ``twips`` are the columns' widths as python-docx wrote them on the header row's cells.
    """
    right = "<w:pPr><w:jc w:val=\"right\"/></w:pPr>"
    out = [f'<w:tbl xmlns:w="{_W}">']
    for row in rows:
        out.append("<w:tr>")
        for k, (text, width) in enumerate(zip(row, twips, strict=True)):
            align = right if k > 0 and _NUMERIC.match(text) else ""
            run = f"<w:r><w:t>{escape(text)}</w:t></w:r>" if text else "<w:r/>"
            out.append(f'<w:tc><w:tcPr><w:tcW w:type="dxa" w:w="{width}"/></w:tcPr>'
                       f"<w:p>{align}{run}</w:p></w:tc>")
        out.append("</w:tr>")
    out.append("</w:tbl>")
    tbl.extend(list(parse_xml("".join(out))))  # type: ignore[attr-defined]


def _figure(doc: Document, figure: Figure, ids: dict[str, str | None]) -> None:
    # What ``doc.add_picture`` does, keeping hold of the paragraph and the shape just added
    # (``doc.paragraphs`` and ``doc.inline_shapes`` search the whole document on every call).
    holder = doc.add_paragraph()
    picture = holder.add_run().add_picture(io.BytesIO(figure.chart.png), width=Cm(16))
    holder.paragraph_format.keep_with_next = True  # the caption stays with its picture
    properties = picture._inline.docPr  # the alt text Word shows and screen readers read
    properties.set("descr", figure.chart.alt)
    properties.set("title", figure.chart.title)
    _paragraph(doc, figure.caption, "Caption", ids)


def _section(doc: Document, section: Section, level: int, ids: dict[str, str | None]) -> None:
    _paragraph(doc, section.title, f"Heading {min(level, 9)}", ids)  # what ``doc.add_heading`` does
    for block in section.blocks:
        if isinstance(block, Paragraph):
            para = _paragraph(doc, block.text, "Intense Quote" if block.kind == "warning" else None, ids)
            if block.kind == "note":
                para.runs[0].italic = True
        elif isinstance(block, BulletList):
            for item in block.items:
                _paragraph(doc, item, "List Bullet", ids)
        elif isinstance(block, Table):
            _table(doc, block, ids)
        elif isinstance(block, Figure):
            _figure(doc, block, ids)
    for child in section.subsections:
        _section(doc, child, level + 1, ids)


def _a4(doc: Document) -> None:
    for section in doc.sections:
        section.page_width, section.page_height = Mm(210), Mm(297)
        section.left_margin = section.right_margin = Mm(25)
        section.top_margin = section.bottom_margin = Mm(20)


def _en_gb(doc: Document) -> None:
    """British English as the language of every style (the default template says en-US)."""
    defaults = doc.styles.element.find(qn("w:docDefaults"))
    for lang in doc.styles.element.iter(qn("w:lang")):
        lang.set(qn("w:val"), "en-GB")
        for key, value in list(lang.attrib.items()):
            if value == "en-US":
                lang.set(key, "en-GB")
    if defaults is not None:
        rpr = defaults.find(f"{qn('w:rPrDefault')}/{qn('w:rPr')}")
        if rpr is not None and rpr.find(qn("w:lang")) is None:
            lang = OxmlElement("w:lang")
            lang.set(qn("w:val"), "en-GB")
            rpr.append(lang)


def _contents_field(doc: Document) -> None:
    """A real Word contents field (TOC of headings 1-3), which Word fills in when the file opens."""
    paragraph = doc.add_paragraph()
    parts = [("begin", None), (None, 'TOC \\o "1-3" \\h \\z \\u'), ("separate", None),
             (None, None), ("end", None)]
    for kind, instruction in parts:
        run = paragraph.add_run()
        if kind:
            char = OxmlElement("w:fldChar")
            char.set(qn("w:fldCharType"), kind)
            run._r.append(char)
        elif instruction:
            text = OxmlElement("w:instrText")
            text.set(qn("xml:space"), "preserve")
            text.text = instruction
            run._r.append(text)
        else:
            run.text = "The contents appear here when Word updates the field (it offers to on opening)."
    update = OxmlElement("w:updateFields")
    update.set(qn("w:val"), "true")
    doc.settings.element.append(update)


def _properties(doc: Document, report: Report) -> None:
    """The document's own properties, not the template's (created 2013, "python-docx")."""
    props = doc.core_properties
    now = datetime.now(UTC).replace(microsecond=0)
    props.title = report.document_title
    props.subject = f"{report.kind_label}, {report.period_label}"
    props.author = props.last_modified_by = f"safer-communities {report.software_version}"
    props.comments = (f"{report.kind_label} for {report.area_name}, {report.period_label}. "
                      f"{report.attribution}")
    props.keywords = "community safety; strategic needs assessment; Serious Violence Duty"
    props.category = report.kind_label
    props.language = "en-GB"
    props.created = props.modified = now
    for printed in props._element.findall(qn("cp:lastPrinted")):  # never printed
        props._element.remove(printed)
    props.revision = 1


def render_docx(report: Report, out_dir: Path) -> Path:
    """Write ``report.docx`` into ``out_dir`` and return its path."""
    doc = Document()
    _a4(doc)
    _en_gb(doc)
    normal = doc.styles["Normal"]
    normal.font.name = "Arial"
    normal.font.size = Pt(10.5)
    _properties(doc, report)
    doc.add_heading(report.title, level=0)
    doc.add_paragraph(report.subtitle)
    doc.add_paragraph(f"Area: {report.area_name}. Period: {report.period_label}. Produced "
                      f"{report.generated_at:%-d %B %Y} with safer-communities {report.software_version}.")
    doc.add_paragraph(
        "Draft for the partnership to edit; the headings below are real Word headings, so the navigation "
        "pane and the contents list follow them."
    ).runs[0].italic = True
    doc.add_paragraph().add_run("Contents").bold = True  # not a heading, so not listed in itself
    _contents_field(doc)
    ids: dict[str, str | None] = {}
    for section in report.sections:
        _section(doc, section, 1, ids)
    doc.add_paragraph(report.attribution).runs[0].font.size = Pt(8)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "report.docx"
    doc.save(str(path))
    return path
