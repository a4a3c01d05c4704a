"""The needs assessment end to end, built once per session from the real three-district slice:
the county report and Rossendale's. Outputs are opened the way a reader's tools would open them."""

from __future__ import annotations

import csv
import gzip
import itertools
import json
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pyogrio
import pytest
from docx import Document
from openpyxl import load_workbook

from safer_communities.publish.manifest import sha256

EVIDENCE = Path(__file__).resolve().parents[1] / "data" / "evidence"
SECTIONS = [
    "Summary of key findings", "The area", "Definitions, data sources and data quality", "Priority issues",
    "Serious violence", "Road safety", "What the evidence suggests", "Methods and references",
]


class Page(HTMLParser):
    """Collects what the accessibility and offline checks need from the HTML."""

    def __init__(self) -> None:
        super().__init__()
        self.headings: list[tuple[int, str]] = []
        self.images: list[dict[str, str | None]] = []
        self.th: list[dict[str, str | None]] = []
        self.urls: list[str] = []
        self.ids: dict[str, str] = {}
        self._heading: int | None = None
        self._text = ""
        self._section: list[str] = []
        self.section_text: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        for key in ("src", "href"):
            if a.get(key):
                self.urls.append(a[key] or "")
        if re.fullmatch(r"h[1-6]", tag):
            self._heading, self._text = int(tag[1]), ""
        if tag == "img":
            self.images.append(a)
        if tag == "th":
            self.th.append(a)
        if tag == "section":
            self._section.append(a.get("id") or "")

    def handle_endtag(self, tag: str) -> None:
        if self._heading and tag == f"h{self._heading}":
            self.headings.append((self._heading, self._text.strip()))
            self._heading = None
        if tag == "section" and self._section:
            self._section.pop()

    def handle_data(self, data: str) -> None:
        if self._heading:
            self._text += data
        for sid in self._section:
            self.section_text[sid] = self.section_text.get(sid, "") + data


def _page(folder: Path) -> tuple[Page, str]:
    text = (folder / "index.html").read_text(encoding="utf-8")
    page = Page()
    page.feed(text)
    return page, text


def _pdf_pages(path: Path) -> int:
    if shutil.which("pdfinfo"):
        out = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
        return int(re.search(r"Pages:\s+(\d+)", out).group(1))
    return len(re.findall(rb"/Type\s*/Page(?!s)", path.read_bytes()))


@pytest.mark.slow
def test_html_has_the_sections_in_order_with_accessible_markup(built_reports: dict[str, Path]) -> None:
    page, text = _page(built_reports["county"])
    top = [t for level, t in page.headings if level == 2 and t != "Contents"]
    assert top == SECTIONS
    levels = [level for level, _ in page.headings]
    assert levels[0] == 1 and levels.count(1) == 1
    assert all(b - a <= 1 for a, b in itertools.pairwise(levels)), "a heading level is skipped"
    assert page.images, "the report has charts and maps"
    assert all((img.get("alt") or "").strip() for img in page.images)
    assert all(th.get("scope") in ("col", "row") for th in page.th)
    assert page.urls[0] == "#main"  # the skip link comes first
    assert "Skip to main content" in text


@pytest.mark.slow
def test_html_loads_nothing_from_outside(built_reports: dict[str, Path]) -> None:
    for folder in built_reports.values():
        page, text = _page(folder)
        assert all(u.startswith(("#", "data:image/png;base64,")) for u in page.urls), page.urls[:5]
        assert "://" not in text  # not even a citation URL: references are plain text
        assert "@import" not in text and "url(" not in text


@pytest.mark.slow
def test_issue_without_data_says_so_and_shows_no_numbers(built_reports: dict[str, Path]) -> None:
    page, _ = _page(built_reports["county"])
    text = page.section_text["priority-issues-domestic-abuse"]
    assert "No data source is loaded for domestic abuse" in text
    assert "gap in the evidence, not a zero" in text
    assert not re.search(r"\b0 records\b", text)


@pytest.mark.slow
def test_published_count_matches_an_independent_count_of_the_csv_rows(built_reports: dict[str, Path]) -> None:
    """Violence in Rossendale, 2021-11..2022-10, counted straight from the police.uk files."""
    with (EVIDENCE / "lookup.csv").open(encoding="utf-8-sig") as handle:
        rossendale = {r["LSOA11CD"] for r in csv.DictReader(handle) if r["LAD17CD"] == "E07000125"}
    months = [f"2021-{m:02d}" for m in (11, 12)] + [f"2022-{m:02d}" for m in range(1, 11)]
    expected = 0
    for month in months:
        path = EVIDENCE / "street" / f"{month}-lancashire-street.csv.gz"
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            expected += sum(1 for r in csv.DictReader(fh)
                            if r["Crime type"] == "Violence and sexual offences"
                            and r["LSOA code"] in rossendale)
    with (built_reports["district"] / "tables" / "violence-rates.csv").open(encoding="utf-8") as handle:
        rows = {r["Area"]: r for r in csv.DictReader(handle)}
    assert int(rows["Rossendale"]["Records"].replace(",", "")) == expected
    summary = _page(built_reports["district"])[0].section_text["summary-of-key-findings"]
    assert f"Violence: {expected:,} records" in summary


@pytest.mark.slow
def test_pdf_opens_with_page_numbers_and_contents(built_reports: dict[str, Path]) -> None:
    pdf = built_reports["county"] / "report.pdf"
    assert pdf.read_bytes().startswith(b"%PDF")
    pages = _pdf_pages(pdf)
    assert pages >= 20
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
        assert f"Page 3 of {pages}" in text
        assert re.search(r"Priority issues \.{5,}.*\d+", text), "contents list with page numbers"


@pytest.mark.slow
def test_docx_has_real_headings_tables_and_alt_text(built_reports: dict[str, Path]) -> None:
    doc = Document(str(built_reports["district"] / "report.docx"))
    headings = [(p.style.name, p.text) for p in doc.paragraphs if p.style.name.startswith("Heading")]
    assert ("Heading 1", "Priority issues") in headings
    assert ("Heading 2", "Violence") in headings
    assert ("Heading 3", "Districts compared") in headings
    assert len(doc.tables) >= 5
    assert all(shape._inline.docPr.get("descr") for shape in doc.inline_shapes)


@pytest.mark.slow
def test_tables_xlsx_csv_and_manifest(built_reports: dict[str, Path]) -> None:
    folder = built_reports["county"]
    csvs = sorted((folder / "tables").glob("*.csv"))
    book = load_workbook(folder / "tables.xlsx")
    assert len(book.sheetnames) == len(csvs) + 1 and book.sheetnames[0] == "Contents"
    with (folder / "tables" / "violence-rates.csv").open(encoding="utf-8") as handle:
        areas = [r["Area"] for r in csv.DictReader(handle)]
    assert areas == ["Fylde", "Ribble Valley", "Rossendale", "Lancashire"]
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    listed = {f["path"]: f["sha256"] for f in manifest["outputs"]}
    for path in ("index.html", "report.pdf", "report.docx", "tables.xlsx", "evidence.gpkg"):
        assert listed[path] == sha256(folder / path)
    assert any(p.startswith("maps/") for p in listed)
    assert manifest["definitions"]["issues"]["violence"] == "2025.1"
    assert {i["kind"] for i in manifest["store"]["ingests"]} >= {"street", "outcomes"}
    assert manifest["period"]["label"] == "2021-11..2022-10"


@pytest.mark.slow
def test_hotspot_layers_off_a_financial_year_are_withheld(built_reports: dict[str, Path]) -> None:
    """November to October is off the cell grid (financial years only): no grid-cell layer, and the
    report says why (the layers of a financial year are checked in test_gpkg.py)."""
    gpkg = built_reports["district"] / "evidence.gpkg"
    layers = {name for name, _ in pyogrio.list_layers(gpkg)}
    assert not any(name.endswith(("_gistar", "_history")) for name in layers)
    html = (built_reports["district"] / "index.html").read_text(encoding="utf-8")
    assert "Grid-cell hot spots are published for financial years" in html


@pytest.mark.slow
def test_all_districts_writes_the_county_and_every_district_in_parallel(report_store: Path,
                                                                         tmp_path: Path) -> None:
    from safer_communities.config import Settings
    from safer_communities.publish.sna import build_needs_assessment
    from safer_communities.store.evidence import connect

    con = connect(report_store, read_only=True)
    try:
        folders = build_needs_assessment(con, Settings(), out_dir=tmp_path, all_districts=True,
                                         formats=("html",), workers=2)
    finally:
        con.close()
    assert [f.name for f in folders] == ["E23000003-lancashire", "E07000119-fylde", "E07000124-ribble-valley",
                                         "E07000125-rossendale"]
    for folder in folders:
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        assert manifest["options"]["all_districts"] is True
        assert (folder / "index.html").is_file() and not (folder / "report.pdf").exists()
    title = _page(folders[2])[0].headings[0][1]
    assert title == "Community safety strategic needs assessment: Ribble Valley"


def test_where_to_act_next_has_the_forecast_and_no_counts(built_reports: dict[str, Path]) -> None:
    for kind in ("county", "district"):
        html = (built_reports[kind] / "index.html").read_text()
        assert "Where to act next" in html
        assert "Chosen by rolling-origin scoring over" in html and "PAI" in html
        assert "how well each forecast would have worked" in html
    gpkg = built_reports["district"] / "evidence.gpkg"
    info = pyogrio.read_info(gpkg, layer="violence_forecast")
    fields = list(info["fields"])
    assert "rank" in fields and "top_1pct" in fields
    assert "score" not in fields and "count" not in fields  # a naive score is a count: never published
    with (built_reports["county"] / "tables" / "violence-forecast-skill.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert sum("naive" in r["Forecast"] for r in rows) == 2 and len(rows) == 4
