"""``report.pdf`` from the same HTML with the print stylesheet: page numbers and a contents list,
tagged as PDF/UA-1.

WeasyPrint lays out the page; fonts come from fontconfig (DejaVu), nothing is fetched: the URL
fetcher allows only ``data:`` URLs and the report's own figures, so a stray link can never reach the
network.
"""

from __future__ import annotations

import io
import logging
import struct
from collections.abc import Callable
from pathlib import Path
from typing import Any

from safer_communities.publish.document import Figure, Report
from safer_communities.publish.pdf_tables import column_widths
from safer_communities.publish.render_html import html_string


def _idat(png: bytes) -> bytes | None:
    """The compressed pixel data of an 8-bit RGB, non-interlaced PNG (None for any other PNG).

    That data is exactly what a PDF image stream with ``/FlateDecode`` and PNG predictors holds.
    """
    if png[:8] != b"\x89PNG\r\n\x1a\n" or png[12:16] != b"IHDR" or png[24:26] != b"\x08\x02" or png[28] != 0:
        return None
    chunks, position = [], 8
    while position + 8 <= len(png):
        length, kind = struct.unpack("!I4s", png[position:position + 8])
        if kind == b"IDAT":
            chunks.append(png[position + 8:position + 8 + length])
        position += 12 + length
    return b"".join(chunks)


def _reuse_png_streams() -> None:
    """Let WeasyPrint embed our charts' PNG data as it is, instead of decoding and re-encoding each one.

    WeasyPrint decodes every PNG and compresses it again to take its IDAT data: a quarter of a second
    per report for no change in the picture. Charts are 8-bit RGB PNGs (``style.render``), whose
    IDAT data can go into the PDF directly; any other image takes WeasyPrint's own path.
    """
    from weasyprint.images import RasterImage

    original = RasterImage._get_png_data
    if getattr(original, "reuses_png", False):
        return

    def png_data(pillow_image: Any) -> bytes:
        source = getattr(pillow_image, "fp", None)
        if getattr(pillow_image, "format", None) == "PNG" and isinstance(source, io.BytesIO):
            data = _idat(source.getvalue())
            if data:
                return data
        return original(pillow_image)

    png_data.reuses_png = True  # type: ignore[attr-defined]
    RasterImage._get_png_data = staticmethod(png_data)


def _share_page_references() -> None:
    """Build the list of page references once per page count, not on every look-up.

    pydyf builds ``PDF.page_references`` (one reference per page) afresh each time it is read, and
    WeasyPrint's PDF/UA tagging reads it once per tagged box: for a 110-page report that is about
    14,000 tuples of 110 references, a tenth of writing the PDF. The references only change when a
    page is added, so the tuple is kept until the pages change (the same bytes either way).
    """
    import pydyf

    original = pydyf.PDF.page_references
    if getattr(original.fget, "shared", False):
        return

    def page_references(pdf: Any) -> tuple[bytes, ...]:
        kids = pdf.pages["Kids"]  # pages are only ever appended to it (``PDF.add_page``)
        kept = pdf.__dict__.get("_safer_page_references")
        if kept is None or kept[0] != len(kids):
            kept = (len(kids), tuple(f"{number} 0 R".encode("ascii") for number in kids[::3]))
            pdf.__dict__["_safer_page_references"] = kept
        return kept[1]

    page_references.shared = True  # type: ignore[attr-defined]
    pydyf.PDF.page_references = property(page_references)  # type: ignore[method-assign]


FIGURE_SCHEME = "safer-figure"


def _fetcher(figures: dict[str, bytes]) -> Any:
    """A URL fetcher for ``data:`` URLs and the report's own figures (``safer-figure:N``), and nothing
    else, so a stray link can never reach the network."""
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class FigureFetcher(URLFetcher):
        def fetch(self, url: str, headers: Any = None) -> Any:
            if url in figures:
                return URLFetcherResponse(url, body=figures[url], headers={"Content-Type": "image/png"})
            return super().fetch(url, headers)

    return FigureFetcher(allowed_protocols=["data"])


def render_pdf(report: Report, out_dir: Path, *, html: str | None = None,
               mark: Callable[[str], str] | None = None) -> Path:
    """Write ``report.pdf`` into ``out_dir`` and return its path.

    ``html`` is a page to lay out as it is (figures as ``data:`` URIs); by default the page is written
    from ``report`` with each figure fetched from memory by a short name, which spares WeasyPrint's
    HTML parser megabytes of base64 text and the decoding of it (the same pixels: the PNG data
    goes into the PDF unchanged either way). ``mark`` rewrites the page before layout.
    """
    from weasyprint import HTML

    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    _reuse_png_streams()
    _share_page_references()
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "report.pdf"
    figures: dict[str, bytes] = {}

    def figure_src(figure: Figure) -> str:
        key = f"{FIGURE_SCHEME}:{len(figures)}"
        figures[key] = figure.chart.png
        return key

    # Fixed-layout tables with the widths the automatic layout would give them (``pdf_tables``):
    # WeasyPrint then lays each table out without first measuring every cell's text twice.
    text = html if html is not None else html_string(report, figure_src=figure_src,
                                                     table_columns=column_widths)
    if mark is not None:  # e.g. the INTERNAL banner and page header of a report off the grid
        text = mark(text)
    document = HTML(string=text, url_fetcher=_fetcher(figures), media_type="print")
    # PDF/UA-1: tagged (structure tree of headings, tables, figures with their alt text), the language
    # and title declared, as a public body's accessibility duty asks of published documents.
    document.write_pdf(path, pdf_variant="pdf/ua-1")
    return path
