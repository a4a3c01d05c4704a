"""The framework at a glance: duties -> issues -> services and partners, drawn offline with matplotlib.

Matplotlib writes the SVG (for HTML and PDF) and a PNG (for Word, which cannot embed SVG) from one
drawing, with no browser and no graphviz binary.
"""

from __future__ import annotations

import io
from typing import Literal

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.patches import FancyBboxPatch

from safer_communities.framework.model import Framework

COLOURS = {"duties": "#1d4f91", "issues": "#b3261e", "services": "#2e7d32", "partners": "#6a4c93"}
ROW_H = 0.42


def draw(framework: Framework, fmt: Literal["svg", "png"] = "svg") -> bytes:
    """The diagram as SVG text (UTF-8 bytes) or PNG; identical input gives identical output."""
    columns = [("duties", framework.duties), ("issues", framework.issues),
               ("services", [*framework.services, *framework.partners])]
    rows = max(len(entries) for _, entries in columns)
    height = ROW_H * rows + 1.2
    with plt.rc_context({"svg.fonttype": "none", "svg.hashsalt": "safer-communities",
                         "font.family": "DejaVu Sans", "font.size": 7}):
        fig, ax = plt.subplots(figsize=(13, height))
        ax.set_xlim(0, 13)
        ax.set_ylim(0, height)
        ax.axis("off")
        x_of = {"duties": 0.1, "issues": 5.0, "services": 8.9}
        widths = {"duties": 3.7, "issues": 2.4, "services": 4.0}
        anchors: dict[tuple[str, str], tuple[float, float]] = {}
        for column, entries in columns:
            spacing = (height - 1.0) / max(len(entries), 1)
            width = widths[column]
            ax.text(x_of[column] + width / 2, height - 0.3,
                    {"duties": "Statutory duties", "issues": "Issues",
                     "services": "Council services and partners"}[column],
                    ha="center", va="center", fontsize=10, fontweight="bold")
            for n, entry in enumerate(entries):
                kind = column if column != "services" or n < len(framework.services) else "partners"
                y = height - 0.8 - spacing * (n + 0.5)
                proposed = entry.source.type == "proposed"
                ax.add_patch(FancyBboxPatch((x_of[column], y - 0.14), width, 0.28,
                                            boxstyle="round,pad=0.02", linewidth=1,
                                            edgecolor=COLOURS[kind], facecolor="white",
                                            linestyle="--" if proposed else "-"))
                label = entry.name if len(entry.name) <= 52 else entry.name[:50] + "..."
                ax.text(x_of[column] + 0.08, y, label + (" (proposed)" if proposed else ""),
                        va="center", ha="left", color=COLOURS[kind])
                anchors[(kind, entry.id)] = (x_of[column], y)
        links = [(("duties", d.id), ("issues", i)) for d in framework.duties for i in d.issues]
        for act in framework.activities:
            for issue in act.issues:
                links += [(("issues", issue), ("services", s)) for s in act.services]
                links += [(("issues", issue), ("partners", p)) for p in act.partners]
        for start, end in dict.fromkeys(links):
            if start in anchors and end in anchors:
                (x0, y0), (x1, y1) = anchors[start], anchors[end]
                colour = COLOURS[end[0] if end[0] != "issues" else "duties"]
                ax.plot([x0 + widths[start[0]], x1], [y0, y1], color=colour, alpha=0.25, linewidth=0.6)
        ax.text(0.2, 0.2, "Dashed boxes: proposed entries, not yet adopted by the council. "
                "Lines: a duty covers an issue; a service or partner has an activity on it.",
                fontsize=7, color="#444444")
        buffer = io.BytesIO()
        fig.savefig(buffer, format=fmt, dpi=150 if fmt == "png" else 72, bbox_inches="tight",
                    metadata={"Date": None} if fmt == "svg" else {"Software": None})
        plt.close(fig)
    return buffer.getvalue()
