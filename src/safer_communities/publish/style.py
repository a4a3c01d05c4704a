"""One look for every chart and map: colour-blind-safe colours, readable without colour, offline fonts.

Okabe-Ito colours for categories (distinguishable with the common colour-vision deficiencies), viridis
for sequential scales, PuOr for diverging ones; every series also differs by marker, line style or
hatching so a chart printed in grey still reads. Fonts are DejaVu (installed with matplotlib and by
fontconfig), so nothing is downloaded.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

import matplotlib
import numpy as np
from PIL import Image

matplotlib.use("Agg")

import matplotlib.text
from matplotlib.backends.backend_agg import RendererAgg
from matplotlib.figure import Figure

from safer_communities import ATTRIBUTION
from safer_communities.publish import layout

if TYPE_CHECKING:
    from safer_communities.publish.document import Table

OKABE_ITO = {
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "purple": "#CC79A7",
    "black": "#000000",
}
CATEGORICAL = [OKABE_ITO[k] for k in ("blue", "orange", "green", "vermillion", "purple", "sky_blue", "black")]
MARKERS = ["o", "s", "^", "D", "v", "P", "X"]
LINESTYLES = ["-", "--", "-.", ":"]
SEQUENTIAL = "viridis"
DIVERGING = "PuOr_r"
SUPPRESSED_FACE = "#FFFFFF"
SUPPRESSED_EDGE = "#555555"
SUPPRESSED_HATCH = "////"
MISSING_FACE = "#D9D9D9"
TEXT = "#1A1A1A"
GRID = "#CCCCCC"

WIDTH_IN = 7.5
DPI = 120

RC = {
    "font.family": "DejaVu Sans",
    "font.size": 9,
    "axes.titlesize": 11,
    "axes.titleweight": "bold",
    "axes.labelsize": 9,
    "axes.edgecolor": "#444444",
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.color": GRID,
    "grid.linewidth": 0.6,
    "axes.axisbelow": True,
    "axes.prop_cycle": matplotlib.cycler(color=CATEGORICAL),
    "legend.frameon": False,
    "legend.fontsize": 8,
    "svg.fonttype": "none",  # text stays text in SVG: searchable and read by screen readers
    "savefig.dpi": DPI,
    "figure.dpi": DPI,
    "hatch.linewidth": 0.8,
}


def _share_text_metrics() -> None:
    """Measure each piece of text once per run, not once per figure.

    Matplotlib caches text sizes per renderer, and every figure has its own, so the same tick labels,
    titles and legend entries are laid out again on each of a run's hundreds of charts (a fifth of the
    drawing time). For the Agg renderer the size depends only on the text, font, dpi and hinting, so
    one cache serves every figure; other renderers keep matplotlib's own cache.
    """
    original = matplotlib.text._get_text_metrics_with_cache
    if getattr(original, "shared", False):
        return
    cache: dict[tuple, tuple[float, float, float]] = {}

    def metrics(renderer: object, text: str, fontprop: object, ismath: object, dpi: float
                ) -> tuple[float, float, float]:
        if type(renderer) is not RendererAgg:
            return original(renderer, text, fontprop, ismath, dpi)
        key = (text, fontprop.copy(), ismath, dpi,  # type: ignore[attr-defined]
               matplotlib.rcParams["text.hinting"], matplotlib.rcParams["text.hinting_factor"])
        if key not in cache:
            if len(cache) > 50_000:
                cache.clear()
            cache[key] = original(renderer, text, fontprop, ismath, dpi)
        return cache[key]

    metrics.shared = True  # type: ignore[attr-defined]
    matplotlib.text._get_text_metrics_with_cache = metrics


_share_text_metrics()

CAVEAT_SNAPPING = (
    "police.uk locations are snapped to anonymous map points (each covering at least eight addresses); "
    "street-level positions are approximate."
)


@dataclass
class Chart:
    """A rendered chart or map: image bytes and the text a screen reader reads instead."""

    name: str
    png: bytes
    alt: str
    title: str
    svg: bytes | None = None
    data: Table | None = None  # the numbers drawn, as published (disclosure-controlled), for the tables

    def __post_init__(self) -> None:
        if not self.alt.strip():
            raise ValueError(f"chart {self.name!r} has no alternative text")


@contextmanager
def figure(height_in: float = 3.6, width_in: float = WIDTH_IN) -> Iterator[Figure]:
    """A figure in the house style with no layout engine: :func:`layout.arrange` places its parts from
    measured text extents (one pass, no layout solve on every draw). Closed afterwards so long report
    runs do not leak memory."""
    with layout.fixed_figure(height_in, width_in, RC) as fig:
        yield fig


def attribution(fig: Figure, source: str, extra: str | None = None) -> None:
    """The OGL attribution (and any caveat) under every chart and map that shows data.

    The same few lines close every chart of a run, so they are wrapped and rasterised once per text,
    width and dpi, and each figure places the cached pixels (drawing them glyph by glyph was most of
    the glyphs a report draws). The figure's alt text and the document carry the attribution as text.
    """
    text = f"Source: {source}. {ATTRIBUTION}"
    if extra:
        text = f"{extra}\n{text}"
    key = (text, float(fig.bbox.width), float(fig.dpi))
    if key not in _FOOT:
        if len(_FOOT) > 256:
            _FOOT.clear()
        _FOOT[key] = _rasterise_foot(text, fig)
    pixels = _FOOT[key]
    image = fig.figimage(pixels, xo=round(layout.PAD_IN * fig.dpi), yo=1, origin="upper", zorder=10)
    image.set_gid("attribution")
    image.set_label(text)


_FOOT: dict[tuple[str, float, float], np.ndarray] = {}


def _rasterise_foot(text: str, fig: Figure) -> np.ndarray:
    """The attribution wrapped to the figure's width and drawn once, as RGB pixels on white."""
    wrapped = layout.wrap_to_width(fig, text, fig.bbox.width - 2 * layout.PAD_IN * fig.dpi, fontsize=6.5)
    with layout.fixed_figure(1.0, 1.0, RC) as scratch:
        scratch.set_dpi(fig.dpi)
        artist = scratch.text(0, 0, wrapped, ha="left", va="bottom", fontsize=6.5, color="#333333")
        box = artist.get_window_extent(scratch.canvas.get_renderer())
        width, height = int(np.ceil(box.width)) + 2, int(np.ceil(box.height)) + 2
        scratch.set_size_inches(width / fig.dpi, height / fig.dpi)
        artist.set_position((1 / width, 1 / height))
        scratch.canvas.draw()
        return np.ascontiguousarray(np.asarray(scratch.canvas.buffer_rgba())[..., :3]).copy()


def render(fig: Figure, *, name: str, alt: str, title: str, svg: bool = False,
           data: Table | None = None) -> Chart:
    """PNG (and optionally SVG) bytes of a figure laid out by :func:`layout.arrange`."""
    # One draw, saved as RGB (no alpha channel): smaller files, and the PDF embeds one image stream
    # per picture instead of an image and a transparency mask.
    fig.canvas.draw()
    rgb = np.asarray(fig.canvas.buffer_rgba())[..., :3]
    buffer = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(rgb)).save(buffer, format="png", compress_level=3)
    svg_bytes = None
    if svg:
        out = io.BytesIO()
        fig.savefig(out, format="svg", metadata={"Date": None})
        svg_bytes = out.getvalue()
    return Chart(name=name, png=buffer.getvalue(), alt=alt, title=title, svg=svg_bytes, data=data)


def fmt_number(value: float, decimals: int = 1) -> str:
    """Numbers as readers expect them in alt text and labels: thousands separated, fixed decimals."""
    if float(value).is_integer() and decimals == 0:
        return f"{int(value):,}"
    return f"{value:,.{decimals}f}"
