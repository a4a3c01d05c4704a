"""The published framework as YAML, Markdown, HTML, PDF and Word, and the matrices as CSV, Excel, HTML.

Every output says which version it is, when it was published, and marks proposed entries, so text the
council has not adopted is never passed off as its own.
"""

from __future__ import annotations

import base64
import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Literal

import jinja2

from safer_communities.csv_safety import protect_sheet, safe_row
from safer_communities.errors import InputError
from safer_communities.framework.compliance import DEFAULT_AMBER_DAYS, CaseClocks
from safer_communities.framework.loader import write_framework
from safer_communities.framework.model import KINDS, AgeRange, Framework
from safer_communities.framework.queries import evidence_status, services_by_issues
from safer_communities.framework.register import CABINET_RULE

TITLE = "Stronger and Safer Communities Framework"
DocFormat = Literal["yaml", "md", "html", "pdf", "docx"]
MatrixFormat = Literal["csv", "xlsx", "html"]


@dataclass(frozen=True)
class Published:
    """Which version is exported, for the heading of every output."""

    number: int
    published: date


def source_label(entry: Any) -> str:
    src = entry.source
    if src.type == "seed":
        text = f"Source: {src.document}" + (f", {src.paragraph}" if src.paragraph else "")
    elif src.type == "legislation":
        text = f"Source: {src.citation}"
    else:
        return f"Proposed: {src.reason}"
    return text + (f". Note: {src.note}" if src.note else "")


def age_label(age: AgeRange) -> str:
    low = "0" if age.min is None else str(age.min)
    text = f"{low}-{age.max}" if age.max is not None else f"{low} and over"
    return text + (f" ({age.note})" if age.note else "")


def _environment(autoescape: bool) -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.PackageLoader("safer_communities.framework", "templates"),
                             autoescape=autoescape, undefined=jinja2.StrictUndefined,
                             keep_trailing_newline=True, trim_blocks=False)
    env.filters["lookup"] = lambda key, table: table.get(key, key)
    return env


def _context(framework: Framework, published: Published, today: date, amber_days: int,
             cases: Mapping[str, CaseClocks] | None) -> dict[str, Any]:
    counts = ", ".join(f"{len(framework.entries(k))} {k}" for k in KINDS)
    matrix_header, matrix_rows = services_by_issues(framework)
    evidence_header, evidence_rows = evidence_status(framework, today, amber_days=amber_days, cases=cases)
    return {
        "title": TITLE, "version": published.number, "published": f"{published.published:%d %B %Y}",
        "counts": counts, "f": framework, "rule": f"Amendments: {CABINET_RULE}",
        "proposed": framework.proposed(), "source": source_label, "age": age_label,
        "names": {k: {e.id: e.name for e in framework.entries(k)} for k in KINDS},
        "matrix_header": matrix_header, "matrix_rows": matrix_rows,
        "evidence_header": evidence_header, "evidence_rows": evidence_rows,
    }


def render_html(framework: Framework, published: Published, today: date | None = None, *,
                amber_days: int = DEFAULT_AMBER_DAYS, cases: Mapping[str, CaseClocks] | None = None) -> str:
    from safer_communities.framework import diagram  # matplotlib loads only when a diagram is drawn

    context = _context(framework, published, today or date.today(), amber_days, cases)
    context["diagram_b64"] = base64.b64encode(diagram.draw(framework, "svg")).decode("ascii")
    return _environment(True).get_template("framework.html.j2").render(**context)


def render_md(framework: Framework, published: Published, today: date | None = None,
              diagram_name: str | None = None, *, amber_days: int = DEFAULT_AMBER_DAYS,
              cases: Mapping[str, CaseClocks] | None = None) -> str:
    context = _context(framework, published, today or date.today(), amber_days, cases)
    context["diagram_name"] = diagram_name
    return _environment(False).get_template("framework.md.j2").render(**context)


def export(framework: Framework, fmt: str, out: Path | None, published: Published,
           today: date | None = None, *, amber_days: int = DEFAULT_AMBER_DAYS,
           cases: Mapping[str, CaseClocks] | None = None) -> tuple[list[Path], str | None]:
    """Write the framework in ``fmt``; returns the files written, or the text when ``out`` is None.

    ``amber_days`` and ``cases`` (the case review register's clocks) rate the duties as the matrix and
    ``framework check`` do, so the report never says green where the register says overdue."""
    today = today or date.today()
    rating = {"amber_days": amber_days, "cases": cases}
    if fmt == "yaml":
        if out is None:
            raise InputError("YAML export writes one file per kind, so it needs a folder.",
                             found="no --out", hint="Pass --out FOLDER.")
        return write_framework(framework, out), None
    if fmt == "md":
        if out is None:
            return [], render_md(framework, published, today, **rating)
        from safer_communities.framework import diagram

        svg = out.with_name(out.stem + "-diagram.svg")
        _parent(out)
        svg.write_bytes(diagram.draw(framework, "svg"))
        out.write_text(render_md(framework, published, today, svg.name, **rating), encoding="utf-8")
        return [out, svg], None
    if fmt == "html":
        text = render_html(framework, published, today, **rating)
        if out is None:
            return [], text
        _parent(out).write_text(text, encoding="utf-8")
        return [out], None
    if fmt in ("pdf", "docx"):
        if out is None:
            raise InputError(f"A {fmt.upper()} export is a binary file, so it needs a path.",
                             found="no --out", hint=f"Pass --out framework.{fmt}.")
        _parent(out)
        if fmt == "pdf":
            import weasyprint

            weasyprint.HTML(string=render_html(framework, published, today, **rating)).write_pdf(out)
        else:
            from safer_communities.framework.docx_export import write_docx

            write_docx(framework, published, today, out, **rating)
        return [out], None
    raise InputError(f"Unknown export format '{fmt}'.", found=fmt, hint="Use yaml, md, html, pdf or docx.")


def _parent(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


MATRICES = {"services-issues": "Services by issue (approaches of their activities)",
            "duties-evidence": "Duties by evidence status"}


def matrix_tables(framework: Framework, today: date, *, amber_days: int = DEFAULT_AMBER_DAYS,
                  cases: Mapping[str, CaseClocks] | None = None
                  ) -> dict[str, tuple[list[str], list[list[str]]]]:
    return {"services-issues": services_by_issues(framework),
            "duties-evidence": evidence_status(framework, today, amber_days=amber_days, cases=cases)}


FILLS = {"green": "C6EFCE", "amber": "FFEB9C", "red": "FFC7CE"}
WIDTHS = {"duty": 34, "legislation": 30, "lead_service": 20, "review_cadence": 15, "status": 15,
          "rule": 60}


def write_matrix(framework: Framework, fmt: str, out: Path | None, published: Published,
                 which: str = "services-issues", today: date | None = None, *,
                 amber_days: int = DEFAULT_AMBER_DAYS, cases: Mapping[str, CaseClocks] | None = None
                 ) -> tuple[list[Path], str | None]:
    """CSV holds one matrix (``which``); Excel and HTML hold both. Ratings are words and, in Excel,
    cell colours too (never colour alone)."""
    today = today or date.today()
    tables = matrix_tables(framework, today, amber_days=amber_days, cases=cases)
    if which not in tables:
        raise InputError(f"Unknown matrix '{which}'.", found=which, hint=f"Use one of: {', '.join(tables)}.")
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        header, rows = tables[which]
        writer.writerow(safe_row(header))
        writer.writerows(safe_row(row) for row in rows)
        if out is None:
            return [], buffer.getvalue()
        _parent(out).write_text(buffer.getvalue(), encoding="utf-8")
        return [out], None
    if fmt == "html":
        text = _environment(True).get_template("matrix.html.j2").render(
            title=f"{TITLE}: matrices", version=published.number,
            published=f"{published.published:%d %B %Y}",
            tables=[{"title": MATRICES[k], "header": h, "rows": r,
                     "note": "P prevention, EI early intervention, S support, E enforcement; an empty cell: "
                             "no activity." if k == "services-issues" else None}
                    for k, (h, r) in tables.items()])
        if out is None:
            return [], text
        _parent(out).write_text(text, encoding="utf-8")
        return [out], None
    if fmt == "xlsx":
        if out is None:
            raise InputError("An Excel matrix is a binary file, so it needs a path.", found="no --out",
                             hint="Pass --out matrix.xlsx.")
        from openpyxl import Workbook
        from openpyxl.styles import Alignment, Font, PatternFill
        from openpyxl.utils import get_column_letter

        book = Workbook()
        book.remove(book.active)
        for key, (header, rows) in tables.items():
            sheet = book.create_sheet(key)
            sheet.append(header)
            for cell in sheet[1]:
                cell.font = Font(bold=True)
            for row in rows:
                sheet.append(row)
            sheet.freeze_panes = "B2"
            if "rating" in header:
                at = header.index("rating") + 1
                for (cell,) in sheet.iter_rows(min_row=2, min_col=at, max_col=at):
                    colour = FILLS.get(str(cell.value))
                    if colour:
                        cell.fill = PatternFill("solid", start_color=colour, end_color=colour)
                        cell.font = Font(bold=True)
                for i, name in enumerate(header, start=1):
                    sheet.column_dimensions[get_column_letter(i)].width = WIDTHS.get(name, 13)
                for cells in sheet.iter_rows(min_row=2):
                    lines = 1
                    for cell, name in zip(cells, header, strict=True):
                        cell.alignment = Alignment(wrap_text=True, vertical="top")
                        lines = max(lines, -(-len(str(cell.value or "")) // WIDTHS.get(name, 13)))
                    sheet.row_dimensions[cells[0].row].height = 15 * lines  # spreadsheets do not grow rows
                # prints on one page width, landscape, with the header row repeated
                sheet.page_setup.orientation = "landscape"
                sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
                sheet.sheet_properties.pageSetUpPr.fitToPage = True
                sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight = 1, 0
                sheet.print_title_rows = "1:1"
        info = book.create_sheet("about")
        info.append([f"{TITLE}, version {published.number}, published {published.published:%d %B %Y}"])
        info.append(["P prevention, EI early intervention, S support, E enforcement"])
        info.append([f"Ratings on {today:%d %B %Y}: red = overdue, no evidence, or no date on the evidence; "
                     f"amber = due within {amber_days} days; green = current. The rule column says why."])
        for sheet in book.worksheets:
            protect_sheet(sheet)  # register text never becomes a formula
        book.save(_parent(out))
        return [out], None
    raise InputError(f"Unknown matrix format '{fmt}'.", found=fmt, hint="Use csv, xlsx or html.")
