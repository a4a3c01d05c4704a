"""The published framework as a Word document (python-docx), for officers who edit in Word."""

from __future__ import annotations

import io
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from docx import Document
from docx.shared import Cm, Pt

from safer_communities.framework import diagram
from safer_communities.framework.compliance import DEFAULT_AMBER_DAYS, CaseClocks
from safer_communities.framework.model import KINDS, Framework
from safer_communities.framework.queries import evidence_status, services_by_issues
from safer_communities.framework.register import CABINET_RULE

if TYPE_CHECKING:
    from safer_communities.framework.exports import Published


def _table(doc: Document, header: list[str], rows: list[list[str]]) -> None:
    table = doc.add_table(rows=1, cols=len(header))
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, header, strict=True):
        cell.text = text
        for run in cell.paragraphs[0].runs:
            run.bold = True
    for row in rows:
        for cell, text in zip(table.add_row().cells, row, strict=True):
            cell.text = text


def write_docx(framework: Framework, published: Published, today: date, out: Path, *,
               amber_days: int = DEFAULT_AMBER_DAYS, cases: Mapping[str, CaseClocks] | None = None) -> None:
    from safer_communities.framework.exports import TITLE, age_label, source_label

    names = {k: {e.id: e.name for e in framework.entries(k)} for k in KINDS}
    doc = Document()
    doc.styles["Normal"].font.size = Pt(10)
    doc.add_heading(TITLE, 0)
    doc.add_paragraph(f"Version {published.number}, published {published.published:%d %B %Y}.")
    doc.add_paragraph(
        "Entries marked Proposed go beyond the council's adopted text (the Cabinet report of 16 January "
        "2025 and its press release) and the legislation: the framework's Appendix A was not available. "
        f"They are proposals for the council to confirm. {len(framework.proposed())} entries are proposed.")
    doc.add_paragraph(f"Amendments: {CABINET_RULE}")
    doc.add_picture(io.BytesIO(diagram.draw(framework, "png")), width=Cm(17))

    doc.add_heading("Statutory duties", 1)
    for d in framework.duties:
        doc.add_heading(d.name, 2)
        doc.add_paragraph(f"{d.legislation}, {d.section}. {d.obligation}")
        lead = names["services"].get(d.lead_service or "", "none named")
        doc.add_paragraph(f"Binds: {d.binds} Lead: {lead}. Review: {d.review_cadence}.")
        doc.add_paragraph("Evidence required: " + "; ".join(d.evidence_required) + ".")
        doc.add_paragraph(source_label(d)).runs[0].italic = True
    doc.add_heading("Compliance: duties and their evidence", 1)
    _table(doc, *evidence_status(framework, today, amber_days=amber_days, cases=cases))

    doc.add_heading("Issues", 1)
    for i in framework.issues:
        doc.add_heading(i.name + (" (priority)" if i.priority else ""), 2)
        doc.add_paragraph(i.description)
        for gap in i.gaps:
            doc.add_paragraph(f"Known gap, {gap.approach}: {gap.reason}", style="List Bullet")
        doc.add_paragraph(source_label(i)).runs[0].italic = True
    doc.add_heading("Services and issues", 1)
    doc.add_paragraph("P prevention, EI early intervention, S support, E enforcement.")
    _table(doc, *services_by_issues(framework))

    doc.add_heading("Activities", 1)
    for a in framework.activities:
        doc.add_heading(a.name, 2)
        doc.add_paragraph(a.description)
        lines = [f"Approach: {', '.join(a.approaches)}",
                 "Services: " + (", ".join(names["services"][s] for s in a.services) or "none"),
                 "Partners: " + (", ".join(names["partners"][p] for p in a.partners) or "none"),
                 "Issues: " + ", ".join(names["issues"][i] for i in a.issues)]
        if a.age_range:
            lines.append(f"Ages: {age_label(a.age_range)}")
        for line in lines:
            doc.add_paragraph(line, style="List Bullet")
        doc.add_paragraph(source_label(a)).runs[0].italic = True

    doc.add_heading("Council services", 1)
    _table(doc, ["Service", "Directorate", "What it does", "Source"],
           [[s.name, s.directorate, s.description, source_label(s)] for s in framework.services])
    doc.add_heading("Partners", 1)
    _table(doc, ["Partner", "Category", "Role", "Source"],
           [[p.name, p.category, p.description, source_label(p)] for p in framework.partners])
    doc.add_heading("Evidence held", 1)
    _table(doc, ["Evidence", "Duty", "Document", "Date", "Next review", "Source"],
           [[e.name, names["duties"][e.duty], e.document, e.date.isoformat() if e.date else "",
             e.next_review.isoformat() if e.next_review else "not set", source_label(e)]
            for e in framework.evidence])
    doc.core_properties.title = f"{TITLE}, version {published.number}"
    doc.save(str(out))
