"""Computed figure layouts: title, legend, plot and attribution placed from measured text extents.

Matplotlib's constrained layout solves for every axis in repeated passes on each draw (a fifth of a
report's drawing time) and still lets a long title run off the figure or into a legend placed at
figure level. Here every figure is laid out once, in the order a reader sees it:

1. the title, wrapped to the figure's width by measuring its words, at the top;
2. the attribution (and any caveat), wrapped the same way, at the foot;
3. the legend, measured, in a column at the right or a band at the foot (above the attribution);
4. the plot in the box that is left, shrunk by the measured overhang of its tick and axis labels.

Nothing overlaps by construction, and :func:`text_boxes` gives the rendered boxes so a test can check.
Text is measured with the figure's Agg renderer, whose sizes the shared metrics cache in :mod:`style`
keeps across figures, so a layout costs a few cached look-ups rather than a layout solve.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import matplotlib.pyplot as plt
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.legend import Legend
from matplotlib.text import Text
from matplotlib.transforms import Bbox

PAD_IN = 0.08  # outer margin and the gap between blocks, in inches
TITLE_SIZE = 11.0


@contextmanager
def fixed_figure(height_in: float, width_in: float, rc: dict) -> Iterator[Figure]:
    """A figure with no layout engine (positions are computed by :func:`arrange`), outside pyplot."""
    with plt.rc_context(rc):
        # A bare Agg figure: no pyplot figure manager to register, look up and tear down per chart.
        fig = Figure(figsize=(width_in, height_in), layout="none")
        FigureCanvasAgg(fig)
        yield fig


def _renderer(fig: Figure) -> object:
    return fig.canvas.get_renderer()


def _width_px(fig: Figure, text: str, **props: object) -> float:
    probe = Text(0, 0, text, figure=fig, **props)
    return float(probe.get_window_extent(_renderer(fig)).width)


def wrap_to_width(fig: Figure, text: str, width_px: float, **props: object) -> str:
    """``text`` with line breaks so no line is wider than ``width_px`` when drawn with ``props``."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        current = ""
        for word in paragraph.split(" "):
            trial = f"{current} {word}".strip()
            if current and _width_px(fig, trial, **props) > width_px:
                lines.append(current)
                current = word
            else:
                current = trial
        lines.append(current)
    return "\n".join(lines)


@dataclass
class Placed:
    """Where :func:`arrange` put things, in figure fractions (for maps that place more inside)."""

    plot: Bbox
    legend: Legend | None
    title: Text | None


def _fraction_box(fig: Figure, artist: object) -> Bbox:
    box = artist.get_window_extent(_renderer(fig))  # type: ignore[attr-defined]
    return box.transformed(fig.transFigure.inverted())


def arrange(
    fig: Figure,
    axes: Sequence[Axes],
    *,
    title: str | None,
    legend_handles: Sequence[object] = (),
    legend_where: str = "right",
    legend_title: str | None = None,
    legend_ncols: int | None = None,
    side_axes: Axes | None = None,
    side_width_in: float = 0.0,
    fit_height: bool = False,
    aspect: float | None = None,
) -> Placed:
    """Place title, legend, attribution (already added by :func:`style.attribution`) and the plot.

    ``axes`` share one plot box (the first is the main one); ``side_axes`` (a colour bar) gets a
    column of ``side_width_in`` at the right of it. ``legend_where`` is ``"right"`` (a column beside
    the plot) or ``"below"`` (a band under it). With ``fit_height`` and ``aspect`` (height / width of
    the map's extent) the figure's height is set so an equal-aspect map fills its box.
    """
    width_in, height_in = fig.get_size_inches()
    dpi = fig.dpi
    pad = PAD_IN / width_in
    legend = None
    if legend_handles:
        ncols = legend_ncols or (1 if legend_where == "right" else len(legend_handles))
        while True:  # a band below the plot takes as many columns as fit the width
            legend = fig.legend(handles=list(legend_handles), loc="upper left", ncols=ncols,
                                title=legend_title, fontsize=7, title_fontsize=7.5, borderaxespad=0.0,
                                borderpad=0.2, alignment="left")
            if legend_where != "below" or ncols == 1 or _fraction_box(fig, legend).width <= 1 - 2 * pad:
                break
            legend.remove()
            ncols = max(1, (ncols + 1) // 2)
    title_artist = None
    if title:
        wrapped = wrap_to_width(fig, title, (width_in - 2 * PAD_IN) * dpi, fontsize=TITLE_SIZE,
                                fontweight="bold")
        title_artist = fig.text(pad, 1.0, wrapped, ha="left", va="top", fontsize=TITLE_SIZE,
                                fontweight="bold")
    foot_px = sum(foot_box(a).height for a in _attribution(fig))
    title_px = float(title_artist.get_window_extent(_renderer(fig)).height) if title_artist else 0.0
    legend_px = (legend.get_window_extent(_renderer(fig)).width, legend.get_window_extent(
        _renderer(fig)).height) if legend is not None else (0.0, 0.0)
    gap_px = PAD_IN * dpi
    if fit_height and aspect is not None:
        plot_w_px = width_in * dpi - 2 * gap_px - (legend_px[0] + gap_px if legend_where == "right" else 0)
        needed = plot_w_px * aspect + title_px + foot_px + 4 * gap_px + (
            legend_px[1] + gap_px if legend_where == "below" else 0)
        needed = max(needed, legend_px[1] + title_px + foot_px + 4 * gap_px)
        height_in = needed / dpi
        fig.set_size_inches(width_in, height_in)
    height_px, width_px = height_in * dpi, width_in * dpi
    top = height_px - gap_px - title_px - (gap_px if title_artist else 0)
    bottom = foot_px + gap_px
    right = width_px - gap_px
    if title_artist is not None:
        title_artist.set_position((pad, 1 - gap_px / height_px))
    if legend is not None:
        if legend_where == "right":
            lx = width_px - gap_px - legend_px[0]
            legend.set_bbox_to_anchor((lx / width_px, top / height_px), transform=fig.transFigure)
            right = lx - gap_px
        else:
            legend.set_bbox_to_anchor((gap_px / width_px, (bottom + legend_px[1]) / height_px),
                                      transform=fig.transFigure)
            bottom += legend_px[1] + gap_px
    if side_axes is not None:
        right -= side_width_in * dpi
    box = Bbox.from_extents(gap_px / width_px, bottom / height_px, right / width_px, top / height_px)
    _fit_axes(fig, axes, box, side_axes, side_width_in)
    return Placed(plot=box, legend=legend, title=title_artist)


def _attribution(fig: Figure) -> list:
    return [a for a in (*fig.texts, *fig.images) if a.get_gid() == "attribution"]


def foot_box(artist: object) -> Bbox:
    """Pixel box of the attribution (a text, or the cached image :func:`style.attribution` places)."""
    if isinstance(artist, Text):
        return artist.get_window_extent(_renderer(artist.get_figure()))
    x0, x1, y0, y1 = artist.get_extent()  # type: ignore[attr-defined]
    return Bbox.from_extents(x0, y0, x1, y1)


def _fit_axes(fig: Figure, axes: Sequence[Axes], box: Bbox, side_axes: Axes | None,
              side_width_in: float) -> None:
    """Put the axes in ``box`` less the measured overhang of their tick and axis labels.

    Only the two axes (ticks, tick labels, axis labels) are measured, not every artist of the plot
    (matplotlib's tight bbox would visit every bar, line and polygon), and once: the overhang of the
    labels does not depend on where the axes sit.
    """
    renderer = _renderer(fig)
    side_frac = side_width_in / fig.get_size_inches()[0]

    def place(inner: Bbox) -> None:
        for ax in axes:
            ax.set_position(inner)
        if side_axes is not None:
            side_axes.set_position(Bbox.from_extents(inner.x1 + 0.3 * side_frac, inner.y0,
                                                     inner.x1 + 0.45 * side_frac, inner.y1))

    place(box)
    main = axes[0]
    if not main.axison:
        return
    to_figure = fig.transFigure.inverted()
    frame = main.get_position()
    boxes = [main.bbox.transformed(to_figure)]
    for axis in (main.xaxis, main.yaxis):
        extent = axis.get_tightbbox(renderer)
        if extent is not None and extent.width > 0:
            boxes.append(extent.transformed(to_figure))
    tight = Bbox.union(boxes)
    place(Bbox.from_extents(box.x0 + max(frame.x0 - tight.x0, 0), box.y0 + max(frame.y0 - tight.y0, 0),
                            box.x1 - max(tight.x1 - frame.x1, 0), box.y1 - max(tight.y1 - frame.y1, 0)))


def _drawn_texts(fig: Figure) -> list[Text]:
    """The texts a draw of ``fig`` paints: figure texts, legends, and per axes its titles, axis labels,
    texts and annotations, and only the tick labels inside the view (matplotlib keeps others unpainted)."""
    out: list[Text] = list(fig.texts)
    legends = list(fig.legends)
    for ax in fig.axes:
        out += [ax.title, ax._left_title, ax._right_title, *ax.texts]  # type: ignore[attr-defined]
        for axis in (ax.xaxis, ax.yaxis):
            out.append(axis.label)
            for tick in axis._update_ticks():  # type: ignore[attr-defined]
                out += [tick.label1, tick.label2] if ax.axison else []
        if ax.get_legend() is not None:
            legends.append(ax.get_legend())
    for legend in legends:
        out += [legend.get_title(), *legend.get_texts()]
    return out


def text_boxes(fig: Figure) -> list[tuple[str, Bbox]]:
    """Every painted, non-empty text of a drawn figure with its rendered box in pixels (for tests),
    the attribution image included."""
    renderer = _renderer(fig)
    out = [(t.get_text(), t.get_window_extent(renderer)) for t in _drawn_texts(fig)
           if t.get_visible() and t.get_text().strip()]
    return out + [(str(a.get_label()), foot_box(a)) for a in _attribution(fig) if not isinstance(a, Text)]
