"""The PDF lays out its figures from memory (``safer-figure:N``) instead of base64 ``data:`` URIs: the
same pages, still tagged, and the fetcher still reaches nothing outside the report."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from safer_communities.publish import charts
from safer_communities.publish.document import Figure, Paragraph, Report
from safer_communities.publish.render_html import html_string
from safer_communities.publish.render_pdf import FIGURE_SCHEME, _fetcher, render_pdf


def _report() -> Report:
    report = Report(title="Test report", subtitle="Test", area_name="Lancashire", period_label="2021",
                    attribution="Contains OGL data.", software_version="test")
    for k, values in enumerate(([1_204, 2_408], [310, 95])):
        chart = charts.bar_chart(["Fylde", "Rossendale"], values, title=f"Records by district {k}",
                                 name=f"by-district-{k}", source="police.uk")
        report.section(f"Volume {k}").add(Paragraph("Text."), Figure(chart=chart, caption=f"Figure {k}."))
    return report


@pytest.mark.skipif(not shutil.which("pdftoppm"), reason="poppler-utils not installed")
def test_figures_from_memory_give_the_same_pages_as_data_uris(tmp_path: Path) -> None:
    report = _report()
    ours = render_pdf(report, tmp_path / "memory")
    before = render_pdf(report, tmp_path / "data-uri", html=html_string(report))
    pages = {}
    for name, pdf in (("memory", ours), ("data-uri", before)):
        subprocess.run(["pdftoppm", "-r", "40", "-png", str(pdf), str(tmp_path / name / "page")], check=True)
        pages[name] = [p.read_bytes() for p in sorted((tmp_path / name).glob("page-*.png"))]
    assert len(pages["memory"]) >= 3
    assert pages["memory"] == pages["data-uri"]
    info = subprocess.run(["pdfinfo", str(ours)], capture_output=True, text=True, check=True).stdout
    assert "Tagged:          yes" in info
    assert f"{FIGURE_SCHEME}:" not in html_string(report)  # the page written to disk keeps its data: URIs


def test_the_pdf_fetcher_serves_only_the_reports_figures() -> None:
    fetcher = _fetcher({f"{FIGURE_SCHEME}:0": b"\x89PNG"})
    assert fetcher(f"{FIGURE_SCHEME}:0").read() == b"\x89PNG"
    for url in ("https://example.org/tile.png", "file:///etc/passwd", f"{FIGURE_SCHEME}:1"):
        with pytest.raises(ValueError):
            fetcher(url)
