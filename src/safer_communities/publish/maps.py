"""Maps drawn offline from the boundaries in the store: choropleths of LSOA rates and hotspot grids.

No tiles, no internet: district outlines and names (county maps) or the places of the shipped
gazetteer (district maps, :mod:`map_labels`) give the reader their bearings. Every map carries a
legend, a scale bar, a north arrow, the police.uk snapping caveat and the OGL attribution, laid out
from their measured sizes (:mod:`layout`), so title, legend and map never overlap. Hatching means one
thing only: withheld by disclosure control; classes are said in the legend (:mod:`map_classes`).
"""

from __future__ import annotations

import textwrap

import geopandas as gpd
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection, PathCollection
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure
from matplotlib.patches import Patch, Rectangle
from matplotlib.path import Path

from safer_communities.config import Settings
from safer_communities.publish import layout, map_labels, style
from safer_communities.publish.document import Table
from safer_communities.publish.map_classes import RateBands, rate_bands
from safer_communities.publish.style import Chart, fmt_number

__all__ = ["RateBands", "choropleth_map", "finish_map", "for_display", "hotspot_map", "rate_bands"]

HOTSPOT_COLOURS = {
    3: "#B35806", 2: "#F1A340", 1: "#FEE0B6", -1: "#D8DAEB", -2: "#998EC3", -3: "#542788",
}
BOUNDARY_SOURCE = "ONS Open Geography (Crown copyright and database right)"
HOTSPOT_LABELS = {
    3: "Hot spot, 99% confidence", 2: "Hot spot, 95%", 1: "Hot spot, 90%",
    -1: "Cold spot, 90%", -2: "Cold spot, 95%", -3: "Cold spot, 99% confidence",
}


def _nice_length(span_m: float) -> float:
    target = span_m / 5
    for km in (0.5, 1, 2, 5, 10, 20, 50, 100):
        if km * 1000 >= target:
            return km * 1000
    return 200_000.0


def furniture(ax: Axes) -> list:
    """Scale bar (in km, British National Grid metres) and a north arrow (grid north); their artists."""
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    length = _nice_length(x1 - x0)
    bx, by = x1 - (x1 - x0) * 0.04 - length, y0 + (y1 - y0) * 0.03
    height = (y1 - y0) * 0.012
    artists: list = [ax.add_patch(Rectangle((bx + k * length / 2, by), length / 2, height,
                                            facecolor="black" if k == 0 else "white", edgecolor="black",
                                            linewidth=0.6, zorder=5)) for k in range(2)]
    label = f"{length / 1000:g} km"
    artists.append(ax.text(bx + length / 2, by + height * 2.5, label, ha="center", va="bottom", fontsize=7,
                           zorder=5))
    arrow = ax.annotate("N", xy=(0.95, 0.97), xytext=(0.95, 0.87), xycoords="axes fraction", ha="center",
                        va="center", fontsize=9, fontweight="bold",
                        arrowprops={"arrowstyle": "-|>", "color": "black", "linewidth": 1.2})
    return [*artists, arrow]


def for_display(areas: gpd.GeoDataFrame, *, tolerance_m: float = 25.0, close_gaps: bool = False
                ) -> gpd.GeoDataFrame:
    """Geometry simplified for drawing at report scale (far faster to draw, no visible change).

    ``close_gaps`` also closes the slivers and pin-holes left by dissolving generalised LSOAs into
    district outlines. For drawing only; statistics always use the stored geometry.
    """
    out = areas.copy()
    geometry = out.geometry
    if close_gaps:
        geometry = geometry.buffer(tolerance_m).buffer(-tolerance_m)
    out = out.set_geometry(geometry.simplify(tolerance_m))
    return out


_PATHS: dict[int, tuple[object, Path]] = {}


def _geometry_path(geom: object) -> Path:
    """One compound path per (multi)polygon, holes included; cached per geometry object, as the same
    simplified boundaries are drawn on every map of a run (the geometry is kept, so its id stays its own)."""
    hit = _PATHS.get(id(geom))
    if hit is not None and hit[0] is geom:
        return hit[1]
    parts = list(getattr(geom, "geoms", [geom])) if geom is not None and not geom.is_empty else []
    rings = []
    for polygon in parts:
        for ring in (polygon.exterior, *polygon.interiors):
            coords = np.asarray(ring.coords)[:, :2]
            codes = np.full(len(coords), Path.LINETO, dtype=np.uint8)
            codes[0], codes[-1] = Path.MOVETO, Path.CLOSEPOLY
            rings.append(Path(coords, codes))
    path = Path.make_compound_path(*rings) if rings else Path(np.zeros((0, 2)))
    if len(_PATHS) > 50_000:
        _PATHS.clear()
    _PATHS[id(geom)] = (geom, path)
    return path


def _paths(geometry: gpd.GeoSeries) -> list[Path]:
    return [_geometry_path(geom) for geom in geometry]


def draw_polygons(ax: Axes, geometry: gpd.GeoSeries, *, facecolor: object, edgecolor: object = "none",
                  linewidth: float = 0.0, hatch: str | None = None, zorder: float = 1) -> None:
    """Polygons as one collection, drawn once (geopandas' plot redraws the figure on every call)."""
    collection = PathCollection(_paths(geometry), facecolors=facecolor, edgecolors=edgecolor,
                                linewidths=linewidth, hatch=hatch, zorder=zorder)
    ax.add_collection(collection, autolim=False)


def draw_outlines(ax: Axes, geometry: gpd.GeoSeries, *, color: str = "black", linewidth: float = 0.9) -> None:
    lines = []
    for geom in geometry:
        for polygon in getattr(geom, "geoms", [geom]):
            lines.extend(np.asarray(r.coords)[:, :2] for r in (polygon.exterior, *polygon.interiors))
    ax.add_collection(LineCollection(lines, colors=color, linewidths=linewidth, zorder=4), autolim=False)


def _rasterise(grid: gpd.GeoDataFrame, classes: np.ndarray) -> tuple[np.ndarray, list[float]]:
    """Grid cells (centres ``x``, ``y``) as a 2-D array of classes with its extent."""
    cell = float(grid.attrs.get("cell_size_m") or np.min(np.diff(np.unique(grid["x"]))))
    x, y = grid["x"].to_numpy(), grid["y"].to_numpy()
    x0, y0 = x.min() - cell / 2, y.min() - cell / 2
    cols = np.rint((x - x0 - cell / 2) / cell).astype(int)
    rows = np.rint((y - y0 - cell / 2) / cell).astype(int)
    raster = np.full((rows.max() + 1, cols.max() + 1), np.nan)
    raster[rows, cols] = classes
    return raster, [x0, x0 + raster.shape[1] * cell, y0, y0 + raster.shape[0] * cell]


def _frame_axes(ax: Axes, geometry: gpd.GeoSeries) -> None:
    minx, miny, maxx, maxy = geometry.total_bounds
    pad = max(maxx - minx, maxy - miny) * 0.03
    ax.set_xlim(minx - pad, maxx + pad)
    ax.set_ylim(miny - pad, maxy + pad)
    ax.set_aspect("equal")
    ax.set_axis_off()


def _map_figure_height(geometry: gpd.GeoSeries, width_in: float = style.WIDTH_IN) -> float:
    minx, miny, maxx, maxy = geometry.total_bounds
    ratio = (maxy - miny) / max(maxx - minx, 1.0)
    return float(np.clip(width_in * 0.72 * ratio + 1.0, 3.5, 9.0))


def _sources(source: str, places_of: list[str] | None) -> str:
    return f"{source}; boundaries: {BOUNDARY_SOURCE}" + (f"; {map_labels.PLACES_SOURCE}" if places_of else "")


def finish_map(fig: Figure, ax: Axes, frame_geom: gpd.GeoSeries, *, title: str, handles: list,
               legend_title: str, names: gpd.GeoDataFrame | None = None,
               place_districts: list[str] | None = None) -> list[str]:
    """Frame the map, lay out title, legend and attribution from their measured sizes (the figure's
    height follows the map's shape), then add the scale bar, north arrow and names that fit.

    ``names`` are districts to name over their areas (a county map); ``place_districts`` the districts
    whose gazetteer places are named (a district map). Returns the names left out for lack of space.
    """
    _frame_axes(ax, frame_geom)
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    layout.arrange(fig, [ax], title=title, legend_handles=handles, legend_where="right",
                   legend_title=textwrap.fill(legend_title, 30), fit_height=True,
                   aspect=(y1 - y0) / max(x1 - x0, 1.0))
    ax.apply_aspect()
    avoid = map_labels.furniture_boxes(ax, furniture(ax)) + map_labels.legend_box(ax)
    dropped: list[str] = []
    if names is not None and not names.empty:
        dropped += map_labels.label_districts(ax, names, avoid=avoid).dropped
    if place_districts:
        dropped += map_labels.label_places(ax, place_districts, avoid=avoid).dropped
    return dropped


def choropleth_map(
    areas: gpd.GeoDataFrame,
    rates: pd.DataFrame,
    *,
    rate_column: str,
    count_column: str,
    title: str,
    name: str,
    source: str,
    value_label: str,
    outlines: gpd.GeoDataFrame | None = None,
    n_classes: int = 5,
    total: float | None = None,
    settings: Settings | None = None,
    places_of: list[str] | None = None,
    bands: RateBands | None = None,
) -> Chart:
    """LSOA (or any area) rates in classes (:func:`map_classes.rate_bands`), with a hatched withheld class.

    ``areas`` has ``area_code`` and geometry in EPSG:27700; ``rates`` has ``area_code``, ``area_name``,
    the rate and its numerator (and ``population``, to smooth). Areas with no row in ``rates`` are
    drawn as "no data". ``total`` is the published count of the whole area, if any: more areas are
    hidden so it cannot give back a small count. ``outlines`` with more than one area are named on
    the map; ``places_of`` lists district codes whose gazetteer places are named.
    """
    settings = settings or Settings()
    if bands is None:  # the caller may have classed the rates already (the same call, computed once)
        bands = rate_bands(rates, rate_column=rate_column, count_column=count_column, total=total,
                           settings=settings, n_classes=n_classes)
    shown = bands.table[["area_code", "rate_shown", "rate_smoothed", "name_shown", "band"]]
    data = areas.merge(shown, on="area_code", how="left")
    present = data["area_code"].isin(rates["area_code"]).to_numpy()
    n, colours, edges = len(bands.labels), bands.colours, bands.edges
    band = data["band"].fillna(0).to_numpy(dtype=int)
    with style.figure(height_in=_map_figure_height(areas.geometry)) as fig:
        ax = fig.add_subplot()
        handles = []
        for k in range(1, n + 1):
            sel = present & (band == k)
            draw_polygons(ax, data.geometry[sel], facecolor=colours[k - 1], edgecolor="white", linewidth=0.1)
            handles.append(Patch(facecolor=colours[k - 1], edgecolor="#777777",
                                 label=f"{bands.labels[k - 1]} ({int(sel.sum()):,})"))
        hidden = present & (band == 0)
        if hidden.any():
            draw_polygons(ax, data.geometry[hidden], facecolor=style.SUPPRESSED_FACE,
                          edgecolor=style.SUPPRESSED_EDGE, hatch=style.SUPPRESSED_HATCH, linewidth=0.1)
            handles.append(Patch(facecolor=style.SUPPRESSED_FACE, edgecolor=style.SUPPRESSED_EDGE,
                                 hatch=style.SUPPRESSED_HATCH,
                                 label=f"Withheld: fewer than {settings.rate_numerator_min} records, or to\n"
                                       f"protect them ({int(hidden.sum()):,} "
                                       f"LSOA{'s' if hidden.sum() != 1 else ''})"))
        absent = ~present
        if absent.any():
            draw_polygons(ax, data.geometry[absent], facecolor=style.MISSING_FACE, edgecolor="white",
                          linewidth=0.1)
            handles.append(Patch(facecolor=style.MISSING_FACE, label=f"No data ({int(absent.sum()):,})"))
        if outlines is not None and not outlines.empty:
            draw_outlines(ax, outlines.geometry, linewidth=0.9)
        style.attribution(fig, _sources(source, places_of),
                          extra=style.CAVEAT_SNAPPING)
        many = outlines is not None and len(outlines) > 1
        dropped = finish_map(fig, ax, areas.geometry, title=title, handles=handles,
                             legend_title=f"{value_label}: {bands.method}",
                             names=outlines if many else None, place_districts=places_of)
        ranked = shown.dropna(subset=["rate_shown"]).sort_values("rate_shown", ascending=False)
        top = "; ".join(f"{r.name_shown} ({fmt_number(r.rate_shown)})" for r in ranked.head(3).itertuples())
        alt = (f"Map: {title}. {len(areas):,} areas in {n} classes from {fmt_number(edges[0])} to "
               f"{fmt_number(edges[-1])} {value_label.lower()}, darker for higher rates ({bands.method}). "
               + (f"Highest{' unsmoothed' if bands.smoothed else ''}: {top}. " if top else "")
               + (f"{int(hidden.sum()):,} area{'s' if hidden.sum() != 1 else ''} withheld (hatched) because "
                  f"the rate rests on fewer than "
                  f"{settings.rate_numerator_min} records or would reveal one. " if hidden.any() else "")
               + (f"Names left out for lack of space: {', '.join(dropped)}." if dropped else ""))
        data_table = _rates_table(title, name, bands, value_label)
        return style.render(fig, name=name, alt=alt.strip(), title=title, data=data_table)


def _rates_table(title: str, name: str, bands: RateBands, value_label: str) -> Table:
    # The LSOA name comes first; the tidy writer adds its GSS code and level beside it.
    rows = [[r.name_shown, "" if np.isnan(r.count_shown) else f"{int(r.count_shown):,}",
             "" if np.isnan(r.rate_shown) else fmt_number(r.rate_shown),
             "" if np.isnan(r.rate_smoothed) else fmt_number(r.rate_smoothed), r.band_label]
            for r in bands.table.itertuples()]
    notes = [f"Map classes: {bands.method}."]
    if bands.smoothed:
        notes.append("Rates are smoothed because a rate on a few hundred residents swings by chance; "
                     "town-centre LSOAs have few residents but many visitors, so their rates per resident "
                     "stay high after smoothing.")
    notes.append(f"{bands.withheld:,} LSOA{'s' if bands.withheld != 1 else ''} withheld by disclosure "
                 "control (hatched on the map; count and rate empty in the table).")
    return Table(title=f"Data for the map: {title}", key=name,
                 headers=["LSOA", "Records", value_label,
                          f"{value_label}, smoothed (empirical Bayes)", "Map class"], rows=rows, notes=notes)


def hotspot_map(
    grid: gpd.GeoDataFrame,
    *,
    title: str,
    name: str,
    source: str,
    outlines: gpd.GeoDataFrame | None = None,
    class_column: str = "class",
    places_of: list[str] | None = None,
) -> Chart:
    """Getis-Ord Gi* classes on a grid: hot in oranges, cold in purples, darker for more confidence.

    No hatching (on these maps hatching means withheld): the confidence levels differ by lightness,
    which reads in grey too. ``outlines`` are drawn as given: pass them through :func:`for_display` once
    per run. Cells show a statistic of the surrounding cells, not a count, so they need no small-number
    suppression; cells with no significant result are left blank.
    """
    frame_geom = outlines.geometry if outlines is not None and not outlines.empty else grid.geometry
    classes = grid[class_column].to_numpy(dtype=float)
    counts = {cls: int((classes == cls).sum()) for cls in (3, 2, 1, -1, -2, -3)}
    raster, extent = _rasterise(grid, classes)
    with style.figure(height_in=_map_figure_height(frame_geom)) as fig:
        ax = fig.add_subplot()
        if outlines is not None and not outlines.empty:
            draw_polygons(ax, outlines.geometry, facecolor="#F4F4F4", zorder=0)
        # Drawn as an image, not thousands of polygons: the same picture in a fraction of the time.
        order = (-3, -2, -1, 0, 1, 2, 3)
        cmap = ListedColormap([HOTSPOT_COLOURS.get(c, "#FFFFFF") for c in order])
        ax.imshow(np.ma.masked_where((raster == 0) | np.isnan(raster), raster), cmap=cmap, vmin=-3.5,
                  vmax=3.5, extent=extent, origin="lower", interpolation="nearest", zorder=2)
        handles = [Patch(facecolor=HOTSPOT_COLOURS[cls], edgecolor="#333333",
                         label=f"{HOTSPOT_LABELS[cls]} ({counts[cls]:,} cells)")
                   for cls in (3, 2, 1, -1, -2, -3) if counts[cls]]
        if outlines is not None and not outlines.empty:
            draw_outlines(ax, outlines.geometry, linewidth=0.8)
        cell = grid.attrs.get("cell_size_m")
        extra = style.CAVEAT_SNAPPING + (f" Grid cells of {cell:g} m." if cell else "")
        style.attribution(fig, _sources(source, places_of),
                          extra=extra)
        many = outlines is not None and len(outlines) > 1
        finish_map(fig, ax, frame_geom, title=title, handles=handles, legend_title="Getis-Ord Gi*",
                   names=outlines if many else None, place_districts=places_of)
        hot = counts[3] + counts[2] + counts[1]
        cold = counts[-1] + counts[-2] + counts[-3]
        alt = (f"Map: {title}. {hot:,} grid cells are statistically significant hot spots "
               f"({counts[3]:,} at 99% confidence) and {cold:,} are cold spots; other cells are blank.")
        table = Table(title=f"Data for the map: {title}", key=name,
                      headers=["Gi* class", "Grid cells"],
                      rows=[[HOTSPOT_LABELS[c], f"{counts[c]:,}"] for c in (3, 2, 1, -1, -2, -3)],
                      notes=[f"Cells of {cell:g} m; each cell's class is in evidence.gpkg." if cell else
                             "Each cell's class is in evidence.gpkg."])
        return style.render(fig, name=name, alt=alt, title=title, data=table)
