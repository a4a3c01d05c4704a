"""A map of injury collisions at STATS19's recorded coordinates, killed or seriously injured highlighted.

Every collision is a point where the police recorded it. Slight-injury collisions are small grey dots
underneath; serious ones orange circles and fatal ones black-edged red triangles on top, so the KSI
collisions the partnership targets stand out and still read in grey (by shape and size). DfT
publishes every collision with its location, so no point is withheld.
"""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
from matplotlib.lines import Line2D

from safer_communities.publish import map_labels, style
from safer_communities.publish.document import Table
from safer_communities.publish.maps import (
    BOUNDARY_SOURCE,
    _map_figure_height,
    draw_outlines,
    draw_polygons,
    finish_map,
)
from safer_communities.publish.style import Chart

MARKS = {  # severity: (label, marker, size, face, edge, zorder)
    3: ("Slight", "o", 3, "#9A9A9A", "none", 2),
    2: ("Serious", "o", 14, style.OKABE_ITO["orange"], "#333333", 3),
    1: ("Fatal", "^", 34, style.OKABE_ITO["vermillion"], "#000000", 4),
}


def collision_map(points: pd.DataFrame, *, title: str, name: str, source: str,
                  outlines: gpd.GeoDataFrame, places_of: list[str] | None = None) -> Chart:
    """``points`` from :func:`analysis.collision_points.collision_points`; ``outlines``: districts shown."""
    frame_geom = outlines.geometry
    counts = {sev: int((points["severity"] == sev).sum()) for sev in MARKS}
    with style.figure(height_in=_map_figure_height(frame_geom)) as fig:
        ax = fig.add_subplot()
        draw_polygons(ax, frame_geom, facecolor="#F7F7F7", zorder=0)
        draw_outlines(ax, frame_geom, color="#555555", linewidth=0.7)
        handles = []
        for sev, (label, marker, size, face, edge, z) in MARKS.items():
            sel = points[points["severity"] == sev]
            ax.scatter(sel["easting"], sel["northing"], s=size, marker=marker, c=face, edgecolors=edge,
                       linewidths=0.4, zorder=z)
            handles.append(Line2D([], [], linestyle="none", marker=marker, markersize=size ** 0.5 + 1,
                                  markerfacecolor=face, markeredgecolor=edge if edge != "none" else face,
                                  label=f"{label} ({counts[sev]:,})"))
        style.attribution(fig, f"{source}; boundaries: {BOUNDARY_SOURCE}"
                          + (f"; {map_labels.PLACES_SOURCE}" if places_of else ""),
                          extra="Collisions at the location recorded by the police (STATS19).")
        finish_map(fig, ax, frame_geom, title=title, handles=handles[::-1],
                   legend_title="Injury collisions by severity",
                   names=outlines if len(outlines) > 1 else None, place_districts=places_of)
        ksi = counts[1] + counts[2]
        alt = (f"Map: {title}. {sum(counts.values()):,} injury collisions at their recorded locations, "
               f"{ksi:,} of them killed or seriously injured ({counts[1]:,} fatal), drawn larger and in "
               "colour over the slight-injury collisions in grey.")
        table = Table(title=f"Data for the map: {title}", key=name, headers=["Severity", "Collisions"],
                      rows=[[MARKS[s][0], f"{counts[s]:,}"] for s in (1, 2, 3)],
                      notes=["Each collision's location is in DfT's published STATS19 file."])
        return style.render(fig, name=name, alt=alt, title=title, data=table)
