"""A small server-rendered SVG line chart of monthly counts (no JavaScript needed to read it).

Withheld or missing months are gaps in the line, never drawn as zero; the table under the chart
carries the same figures for screen-reader users.
"""

from __future__ import annotations

from html import escape
from typing import Any

WIDTH, HEIGHT = 720, 260
LEFT, RIGHT, TOP, BOTTOM = 88, 16, 16, 48  # LEFT holds "100,000" at the phone label size


def _nice_max(value: float) -> float:
    if value <= 0:
        return 1.0
    magnitude = 10 ** (len(str(int(value))) - 1)
    for step in (1, 2, 2.5, 5, 10):
        if step * magnitude >= value:
            return float(step * magnitude)
    return float(10 * magnitude)


def trend_svg(points: list[dict[str, Any]], *, title: str) -> str:
    """An accessible SVG (role img, title and description) of ``[{month, count, published}]``."""
    values = [p["count"] for p in points if p["count"] is not None]
    top = _nice_max(max(values) if values else 0.0)
    n = max(len(points), 1)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(i: int) -> float:
        return LEFT + (plot_w * (i + 0.5) / n)

    def y(v: float) -> float:
        return TOP + plot_h * (1 - v / top)

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
             f'aria-labelledby="trend-title trend-desc" class="trend-chart" data-points="{len(values)}">',
             f'<title id="trend-title">{escape(title)}</title>',
             f'<desc id="trend-desc">Monthly counts, {len(points)} months; the table below gives each value. '
             'Gaps in the line are months withheld or missing, not zero.</desc>']
    for k in range(5):
        value = top * k / 4
        parts.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(value):.1f}" y2="{y(value):.1f}" '
                     'stroke="#b1b4b6" stroke-width="1"/>')
        parts.append(f'<text class="tick-y" x="{LEFT - 6}" y="{y(value) + 4:.1f}" text-anchor="end" '
                     f'font-size="12" fill="#0b0c0c">{value:,.0f}</text>')
    step = max(1, n // 12)
    for i, p in enumerate(points):
        if i % step == 0:
            # On a phone the chart is drawn at half size: app.css doubles the labels and hides the
            # "minor" ones, leaving every third labelled month, so the text stays readable.
            minor = " minor" if (i // step) % 3 else ""
            parts.append(f'<text class="tick-x{minor}" x="{x(i):.1f}" y="{HEIGHT - BOTTOM + 18}" '
                         f'text-anchor="middle" font-size="11" fill="#0b0c0c">{escape(p["month"])}</text>')
    segment: list[str] = []
    segments: list[list[str]] = []
    for i, p in enumerate(points):
        if p["count"] is None:
            if segment:
                segments.append(segment)
            segment = []
        else:
            segment.append(f"{x(i):.1f},{y(p['count']):.1f}")
    if segment:
        segments.append(segment)
    for seg in segments:
        parts.append(f'<polyline class="trend-line" points="{" ".join(seg)}" fill="none" stroke="#1d70b8" '
                     'stroke-width="3"/>')
    for i, p in enumerate(points):
        if p["count"] is not None:
            parts.append(f'<circle cx="{x(i):.1f}" cy="{y(p["count"]):.1f}" r="3.5" fill="#1d70b8">'
                         f'<title>{escape(p["month"])}: {escape(p["published"])}</title></circle>')
    parts.append("</svg>")
    return "".join(parts)
