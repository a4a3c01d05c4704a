"""Point labels that do not collide: funnel-plot districts, town and district names on maps.

Each label is tried at eight positions around its point (right, left, above, below, then the
diagonals), measured with the figure's renderer, and kept at the first position whose box stays
inside the plot and clear of every label already placed, of the markers and of any box to avoid (a
legend). Labels are placed in priority order, so when space runs out the least important is the one
left out, never drawn on top of another. Run after :func:`layout.arrange`, which fixes where the plot is.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from matplotlib.axes import Axes
from matplotlib.text import Text
from matplotlib.transforms import Bbox

OFFSETS_PT = ((4, 0, "left", "center"), (-4, 0, "right", "center"), (0, 4, "center", "bottom"),
              (0, -4, "center", "top"), (3, 3, "left", "bottom"), (-3, 3, "right", "bottom"),
              (3, -3, "left", "top"), (-3, -3, "right", "top"))


@dataclass
class LabelResult:
    placed: list[Text]
    dropped: list[str]


def _overlaps(box: Bbox, others: Sequence[Bbox]) -> bool:
    return any(box.overlaps(o) for o in others)


def place_labels(ax: Axes, xs: Sequence[float], ys: Sequence[float], texts: Sequence[str], *,
                 avoid: Sequence[Bbox] = (), marker_px: float = 4.0, centred: bool = False,
                 **props: object) -> LabelResult:
    """Label points ``(xs, ys)`` (data coordinates) in the given order without overlaps.

    ``centred`` tries the point itself first (a name written over its area, as on a map).
    ``avoid`` are display-pixel boxes (legends, the scale bar) no label may touch. Labels that fit
    nowhere are left out and returned in ``dropped``.
    """
    fig = ax.get_figure()
    renderer = fig.canvas.get_renderer()
    frame = ax.get_window_extent(renderer)
    points = ax.transData.transform(np.column_stack([xs, ys])) if len(xs) else np.zeros((0, 2))
    taken = [*avoid]
    taken += [Bbox.from_extents(px - marker_px, py - marker_px, px + marker_px, py + marker_px)
              for px, py in points] if not centred else []
    placed: list[Text] = []
    dropped: list[str] = []
    offsets = (((0, 0, "center", "center"),) if centred else ()) + OFFSETS_PT
    scale = fig.dpi / 72.0
    for (px, py), text in zip(points, texts, strict=True):
        done = False
        for dx, dy, ha, va in offsets:
            artist = ax.annotate(text, (px, py), xycoords="figure pixels", xytext=(dx, dy),
                                 textcoords="offset points", ha=ha, va=va, annotation_clip=False, **props)
            box = artist.get_window_extent(renderer).expanded(1.0, 1.0)
            inside = (box.x0 >= frame.x0 and box.x1 <= frame.x1 and box.y0 >= frame.y0
                      and box.y1 <= frame.y1)
            if inside and not _overlaps(box, taken):
                taken.append(box.padded(1.5 * scale))
                placed.append(artist)
                done = True
                break
            artist.remove()
        if not done:
            dropped.append(text)
    # Anchored in data coordinates from here on, so a later re-layout moves labels with their points.
    for artist in placed:
        xy = ax.transData.inverted().transform(artist.xy)
        artist.xy = (float(xy[0]), float(xy[1]))
        artist.xycoords = "data"
    return LabelResult(placed, dropped)
