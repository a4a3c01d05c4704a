"""The speed-ups in rendering change nothing a reader sees: same pixels, same text, same labels."""

from __future__ import annotations

import io
import shutil
import subprocess
import zlib
from pathlib import Path

import numpy as np
from docx import Document
from PIL import Image

from safer_communities import ATTRIBUTION
from safer_communities.publish import charts, layout, style
from safer_communities.publish.document import Figure, Paragraph, Report
from safer_communities.publish.render_docx import render_docx
from safer_communities.publish.render_html import html_string
from safer_communities.publish.render_pdf import _idat, render_pdf

SOURCE = "police.uk street-level crime and anti-social behaviour; boundaries: ONS Open Geography"


def _chart(prewrapped: bool = True) -> bytes:
    with style.figure(height_in=3.4) as fig:
        ax = fig.add_subplot()
        ax.plot([1, 2, 3], [3, 1, 2])
        style.attribution(fig, SOURCE, extra=style.CAVEAT_SNAPPING)
        layout.arrange(fig, [ax], title="Violence per month, Fylde")
        return style.render(fig, name="t", alt="A line.", title="t").png


def test_cached_attribution_draws_the_same_pixels_and_fits_the_width() -> None:
    first, again = _chart(), _chart()  # the second from the caches
    assert first == again
    key = next(k for k in style._FOOT if k[0].startswith(style.CAVEAT_SNAPPING))
    pixels = style._FOOT[key]
    assert pixels.shape[0] > 3 * 6.5 / 72 * style.DPI  # the long source line wrapped to three lines
    assert pixels.shape[1] <= style.WIDTH_IN * style.DPI - 2 * layout.PAD_IN * style.DPI + 2
    assert (pixels < 128).any()  # dark text on white
    with style.figure(height_in=3.4) as fig:
        style.attribution(fig, SOURCE, extra=style.CAVEAT_SNAPPING)
        assert fig.images[0].get_label().endswith(ATTRIBUTION)  # the words stay on the artist


def test_idat_is_the_png_pixel_stream_of_rgb_charts_only() -> None:
    png = _chart()
    width, height = Image.open(io.BytesIO(png)).size
    data = _idat(png)
    assert data is not None
    assert len(zlib.decompress(data)) == height * (1 + 3 * width)  # one filter byte per 8-bit RGB row
    for mode in ("RGBA", "P", "L"):
        other = io.BytesIO()
        Image.fromarray(np.zeros((4, 4, 3), dtype=np.uint8)).convert(mode).save(other, format="png")
        assert _idat(other.getvalue()) is None
    assert _idat(b"not a png at all, but long enough to slice") is None


def _report(kind_label: str | None) -> Report:
    chart = charts.bar_chart(["Fylde", "Rossendale"], [1_204, 2_408], title="Records by district",
                             name="by-district", source="police.uk")
    extra = {"kind_label": kind_label} if kind_label else {}
    report = Report(title="Test report", subtitle="Test", area_name="Lancashire", period_label="2021",
                    attribution="Contains OGL data.", software_version="test", **extra)
    report.section("Volume").add(Paragraph("Text."), Figure(chart=chart, caption="Records by district."))
    return report


def test_pdf_embeds_the_chart_pixels_unchanged(tmp_path: Path) -> None:
    report = _report(None)
    pdf = render_pdf(report, tmp_path).read_bytes()
    assert _idat(report.figures()[0].chart.png) in pdf  # not decoded and compressed again


def test_kind_label_names_the_document_on_the_cover_pdf_and_word(tmp_path: Path) -> None:
    default = _report(None)
    assert default.kind_label == "Strategic needs assessment"
    cover = '<p class="kicker">Strategic needs assessment (draft for the partnership)</p>'
    assert cover in html_string(default)
    report = _report("Strategy progress report")
    html = html_string(report)
    assert '<p class="kicker">Strategy progress report (draft for the partnership)</p>' in html
    assert "Strategic needs assessment" not in html
    doc = Document(str(render_docx(report, tmp_path)))
    assert doc.core_properties.subject == "Strategy progress report, 2021"
    pdf = render_pdf(report, tmp_path)
    if shutil.which("pdfinfo"):
        info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
        assert "Subject:         Strategy progress report, 2021" in info
