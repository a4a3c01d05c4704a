"""``report.pdf`` from the same HTML with the print stylesheet: page numbers and a contents list.

WeasyPrint lays out the page; fonts come from fontconfig (DejaVu), nothing is fetched: the URL
fetcher allows only ``data:`` URLs so a stray link can never reach the network.
"""

from __future__ import annotations

import logging
from pathlib import Path

from safer_communities.publish.document import Report
from safer_communities.publish.render_html import html_string


def render_pdf(report: Report, out_dir: Path, *, html: str | None = None) -> Path:
    """Write ``report.pdf`` into ``out_dir`` and return its path."""
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "report.pdf"
    fetcher = URLFetcher(allowed_protocols=["data"])
    document = HTML(string=html or html_string(report), url_fetcher=fetcher, media_type="print")
    document.write_pdf(path)
    return path
