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

import matplotlib
import numpy as np
from PIL import Image

matplotlib.use("Agg")

import matplotlib.pyplot as plt
from matplotlib.figure import Figure

from safer_communities import ATTRIBUTION

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

    def __post_init__(self) -> None:
        if not self.alt.strip():
            raise ValueError(f"chart {self.name!r} has no alternative text")


@contextmanager
def figure(height_in: float = 3.6, width_in: float = WIDTH_IN) -> Iterator[Figure]:
    """A figure in the house style; closed afterwards so long report runs do not leak memory."""
    with plt.rc_context(RC):
        fig = plt.figure(figsize=(width_in, height_in), layout="constrained")
        # Keep a strip at the bottom for the source and attribution line(s).
        fig.get_layout_engine().set(rect=(0, 0.32 / height_in, 1, 1 - 0.32 / height_in))
        try:
            yield fig
        finally:
            plt.close(fig)


def attribution(fig: Figure, source: str, extra: str | None = None) -> None:
    """The OGL attribution (and any caveat) under every chart and map that shows data."""
    text = f"Source: {source}. {ATTRIBUTION}"
    if extra:
        text = f"{extra}\n{text}"
    fig.text(0.01, 0.005, text, ha="left", va="bottom", fontsize=6.5, color="#333333", wrap=True)


def render(fig: Figure, *, name: str, alt: str, title: str, svg: bool = False) -> Chart:
    """PNG (and optionally SVG) bytes of a finished figure."""
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
    return Chart(name=name, png=buffer.getvalue(), alt=alt, title=title, svg=svg_bytes)


def fmt_number(value: float, decimals: int = 1) -> str:
    """Numbers as readers expect them in alt text and labels: thousands separated, fixed decimals."""
    if float(value).is_integer() and decimals == 0:
        return f"{int(value):,}"
    return f"{value:,.{decimals}f}"
