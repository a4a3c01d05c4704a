"""Urban districts in detail: the county rate map's dense town LSOAs drawn again at district scale.

At county scale an urban LSOA of a few hundred metres is a speck (Blackpool's 94 LSOAs fit in a
thumbnail). The districts whose LSOAs are smallest (median area) are drawn again, in the same classes
and colours as the county map, one panel each with the gazetteer's places named, so a reader can
find the streets the county map cannot show.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
from matplotlib.patches import Patch

from safer_communities.publish import layout, map_labels, style
from safer_communities.publish.map_classes import RateBands
from safer_communities.publish.maps import BOUNDARY_SOURCE, draw_outlines, draw_polygons, furniture
from safer_communities.publish.style import Chart

PANEL_TITLE_PX = 22.0


def densest_districts(lsoa: gpd.GeoDataFrame, districts: gpd.GeoDataFrame, *, n: int = 4) -> list[str]:
    """District codes whose LSOAs have the smallest median area (the ones a county map cannot show)."""
    joined = gpd.sjoin(lsoa.assign(geometry=lsoa.representative_point())[["area_code", "geometry"]],
                       districts[["area_code", "geometry"]].rename(columns={"area_code": "district"}),
                       predicate="within")
    area = lsoa.set_index("area_code").geometry.area
    median = joined.assign(area=joined["area_code"].map(area)).groupby("district")["area"].median()
    return median.sort_values().head(n).index.tolist()


def detail_map(lsoa: gpd.GeoDataFrame, bands: RateBands, districts: gpd.GeoDataFrame, codes: list[str], *,
               title: str, name: str, source: str, value_label: str) -> Chart:
    """One panel per district of ``codes`` in ``bands``' classes (``lsoa`` in EPSG:27700)."""
    data = lsoa.merge(bands.table[["area_code", "band"]], on="area_code", how="left")
    band = data["band"].fillna(-1).to_numpy(dtype=int)
    panels = districts[districts["area_code"].isin(codes)].set_index("area_code").loc[codes]
    cols = 2
    rows = int(np.ceil(len(codes) / cols))
    with style.figure(height_in=3.2 * rows + 1.4) as fig:
        axes = [fig.add_subplot(rows, cols, k + 1) for k in range(len(codes))]
        handles = [Patch(facecolor=c, edgecolor="#777777", label=lab)
                   for c, lab in zip(bands.colours, bands.labels, strict=True)]
        if (band == 0).any():
            handles.append(Patch(facecolor=style.SUPPRESSED_FACE, edgecolor=style.SUPPRESSED_EDGE,
                                 hatch=style.SUPPRESSED_HATCH, label="Withheld (small numbers)"))
        for ax, (code, district) in zip(axes, panels.iterrows(), strict=True):
            bounds = district.geometry.bounds
            view = data.cx[bounds[0]:bounds[2], bounds[1]:bounds[3]]
            vband = view["band"].fillna(-1).to_numpy(dtype=int)
            for k, colour in enumerate(bands.colours, start=1):
                draw_polygons(ax, view.geometry[vband == k], facecolor=colour, edgecolor="white",
                              linewidth=0.2)
            draw_polygons(ax, view.geometry[vband == 0], facecolor=style.SUPPRESSED_FACE,
                          edgecolor=style.SUPPRESSED_EDGE, hatch=style.SUPPRESSED_HATCH, linewidth=0.2)
            draw_polygons(ax, view.geometry[vband == -1], facecolor=style.MISSING_FACE, edgecolor="white",
                          linewidth=0.2)
            draw_outlines(ax, gpd.GeoSeries([district.geometry]), linewidth=1.0)
            pad = max(bounds[2] - bounds[0], bounds[3] - bounds[1]) * 0.03
            ax.set_xlim(bounds[0] - pad, bounds[2] + pad)
            ax.set_ylim(bounds[1] - pad, bounds[3] + pad)
            ax.set_aspect("equal")
            ax.set_axis_off()
            ax.set_title(str(district.get("area_name", code)), loc="left", fontsize=9)
        style.attribution(fig, f"{source}; boundaries: {BOUNDARY_SOURCE}; {map_labels.PLACES_SOURCE}")
        placed = layout.arrange(fig, axes[:1], title=title, legend_handles=handles, legend_where="below",
                                legend_title=f"{value_label} (classes of the county map)")
        box = placed.plot
        width, height = fig.bbox.width, fig.bbox.height
        gap_x, gap_y = layout.PAD_IN * fig.dpi / width, (PANEL_TITLE_PX + layout.PAD_IN * fig.dpi) / height
        cell_w = (box.width - gap_x * (cols - 1)) / cols
        cell_h = (box.height - gap_y * rows) / rows
        for k, ax in enumerate(axes):
            r, c = divmod(k, cols)
            ax.set_position((box.x0 + c * (cell_w + gap_x), box.y1 - (r + 1) * (cell_h + gap_y),
                             cell_w, cell_h))
        for ax, code in zip(axes, codes, strict=True):
            ax.apply_aspect()
            avoid = map_labels.furniture_boxes(ax, furniture(ax)) + map_labels.legend_box(ax)
            map_labels.label_places(ax, [code], avoid=avoid, limit=8)
        names = ", ".join(str(n) for n in panels.get("area_name", panels.index))
        alt = (f"Maps: {title}. {names} drawn at district scale in the county map's classes, darker for "
               "higher rates, with the main places named.")
        return style.render(fig, name=name, alt=alt, title=title)
