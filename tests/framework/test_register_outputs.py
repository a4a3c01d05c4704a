"""Outputs: show, matrices, documents and the diagram."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import date
from pathlib import Path
from xml.etree import ElementTree

import pytest
from openpyxl import load_workbook

from safer_communities.errors import NotFoundError
from safer_communities.framework import diagram, queries
from safer_communities.framework.exports import Published, export, write_matrix
from safer_communities.framework.loader import read_framework, shipped_path

FRAMEWORK = read_framework(shipped_path())
PUBLISHED = Published(3, date(2026, 11, 24))


def test_show_issue_links_duties_activities_services_and_partners() -> None:
    result = queries.show(FRAMEWORK, "issue", "domestic-abuse")
    assert result["entry"]["name"] == "Domestic abuse"
    assert [d["id"] for d in result["duties"]] == [
        "crime-and-disorder-s17", "community-safety-partnership-strategy", "serious-violence-duty",
        "domestic-abuse-safe-accommodation", "safeguarding-children", "safeguarding-adults",
        "domestic-homicide-reviews"]
    tiers = {k: [a["id"] for a in v] for k, v in result["activities_by_approach"].items()}
    assert tiers["early-intervention"] == ["cfws-early-help", "freedom-programme"]
    assert tiers["enforcement"] == []
    assert "freedom-programme" in [s["id"] for s in result["services"]]


def test_show_duty_service_partner_and_unknown() -> None:
    duty = queries.show(FRAMEWORK, "duty", "serious-violence-duty")
    assert duty["lead_service"]["id"] == "public-health"
    assert [e["id"] for e in duty["evidence"]] == ["stronger-safer-communities-framework-2025"]
    service = queries.show(FRAMEWORK, "service", "trading-standards")
    assert [a["id"] for a in service["activities"]] == ["age-restricted-sales-enforcement",
                                                         "illicit-goods-and-scams"]
    partner = queries.show(FRAMEWORK, "partner", "probation-service")
    assert "serious-violence-duty" in [d["id"] for d in partner["duties"]]
    with pytest.raises(NotFoundError, match="no issue 'knife-crime'"):
        queries.show(FRAMEWORK, "issue", "knife-crime")


def test_matrix_csv_values() -> None:
    _, text = write_matrix(FRAMEWORK, "csv", None, PUBLISHED)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 12
    freedom = next(r for r in rows if r["service"] == "Freedom programme")
    assert freedom["domestic-abuse"] == "EI, S" and freedom["road-safety"] == ""
    _, text = write_matrix(FRAMEWORK, "csv", None, PUBLISHED, which="duties-evidence",
                           today=date(2026, 11, 24))
    status = {r["duty"]: r["status"] for r in csv.DictReader(io.StringIO(text))}
    assert status["Public sector equality duty"] == "overdue"
    assert status["Serious Violence Duty"] == "no review date"
    assert status["Road safety"] == "no evidence recorded"


def test_matrix_xlsx_and_html(tmp_path: Path) -> None:
    write_matrix(FRAMEWORK, "xlsx", tmp_path / "m.xlsx", PUBLISHED)
    book = load_workbook(tmp_path / "m.xlsx")
    assert book.sheetnames == ["services-issues", "duties-evidence", "about"]
    assert book["services-issues"]["A2"].value == "Children's Social Care"
    assert book["duties-evidence"].max_row == 15
    _, html = write_matrix(FRAMEWORK, "html", None, PUBLISHED)
    assert "Duties by evidence status" in html and "version 3" in html


def test_documents_mark_proposed_entries(tmp_path: Path) -> None:
    _, html = export(FRAMEWORK, "html", None, PUBLISHED)
    assert "Version 3, published 24 November 2026" in html
    assert html.count("Proposed: ") >= 26 and "26 entries are proposed" in html
    # the delegation rules are published with the register, each with who decides
    assert "Changing whether an issue is a priority</td><td>Cabinet</td>" in html
    assert "data:image/svg+xml;base64," in html
    written, _ = export(FRAMEWORK, "md", tmp_path / "fw.md", PUBLISHED)
    assert [p.name for p in written] == ["fw.md", "fw-diagram.svg"]
    md = (tmp_path / "fw.md").read_text(encoding="utf-8")
    assert "![Duties, issues, services and partners](fw-diagram.svg)" in md
    assert "### Serious Violence Duty" in md
    assert "| Any other change (minor) | Director, under the delegation |" in md


def test_pdf_and_docx(tmp_path: Path) -> None:
    export(FRAMEWORK, "pdf", tmp_path / "fw.pdf", PUBLISHED)
    assert (tmp_path / "fw.pdf").read_bytes()[:5] == b"%PDF-"
    export(FRAMEWORK, "docx", tmp_path / "fw.docx", PUBLISHED)
    with zipfile.ZipFile(tmp_path / "fw.docx") as docx:
        body = docx.read("word/document.xml").decode("utf-8")
        assert any(name.startswith("word/media/") for name in docx.namelist())  # the diagram
    assert "Serious Violence Duty" in body and "Proposed: " in body


def test_diagram_svg_is_deterministic_and_names_every_entry() -> None:
    svg = diagram.draw(FRAMEWORK)
    assert svg == diagram.draw(FRAMEWORK)
    root = ElementTree.fromstring(svg)
    text = " ".join(t.text or "" for t in root.iter("{http://www.w3.org/2000/svg}text"))
    for duty in FRAMEWORK.duties:
        assert duty.name[:40] in text
    assert "Lancashire Violence Reduction Network (proposed)" in text
