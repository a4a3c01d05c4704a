"""Maps drawn offline from the boundaries in the store: choropleths of LSOA rates and hotspot grids.

No tiles, no internet: the district outlines give the reader their bearings. Every map carries a
legend, a scale bar, a north arrow, the police.uk snapping caveat and the OGL attribution. Rates on
fewer than ``rate_numerator_min`` records are drawn as a hatched "not shown" class, never coloured.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
from matplotlib import colormaps
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection, PathCollection
from matplotlib.colors import ListedColormap, to_hex
from matplotlib.patches import Patch, Rectangle
from matplotlib.path import Path

from safer_communities.config import Settings
from safer_communities.publish import style
from safer_communities.publish.disclosure import protect_against_total, suppress_table
from safer_communities.publish.style import Chart, fmt_number

HOTSPOT_COLOURS = {
    3: "#B35806", 2: "#F1A340", 1: "#FEE0B6", -1: "#D8DAEB", -2: "#998EC3", -3: "#542788",
}
HOTSPOT_HATCH = {3: "xx", 2: "..", 1: "", -1: "", -2: "..", -3: "xx"}
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


def furniture(ax: Axes) -> None:
    """Scale bar (in km, British National Grid metres) and a north arrow (grid north)."""
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    length = _nice_length(x1 - x0)
    bx, by = x1 - (x1 - x0) * 0.04 - length, y0 + (y1 - y0) * 0.03
    height = (y1 - y0) * 0.012
    for k in range(2):
        ax.add_patch(Rectangle((bx + k * length / 2, by), length / 2, height, facecolor="black" if k == 0
                               else "white", edgecolor="black", linewidth=0.6, zorder=5))
    label = f"{length / 1000:g} km"
    ax.text(bx + length / 2, by + height * 2.5, label, ha="center", va="bottom", fontsize=7, zorder=5)
    ax.annotate("N", xy=(0.95, 0.97), xytext=(0.95, 0.87), xycoords="axes fraction", ha="center",
                va="center", fontsize=9, fontweight="bold",
                arrowprops={"arrowstyle": "-|>", "color": "black", "linewidth": 1.2})


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


def _paths(geometry: gpd.GeoSeries) -> list[Path]:
    """One compound path per (multi)polygon, holes included."""
    out = []
    for geom in geometry:
        parts = list(getattr(geom, "geoms", [geom])) if geom is not None and not geom.is_empty else []
        rings = []
        for polygon in parts:
            for ring in (polygon.exterior, *polygon.interiors):
                coords = np.asarray(ring.coords)[:, :2]
                codes = np.full(len(coords), Path.LINETO, dtype=np.uint8)
                codes[0], codes[-1] = Path.MOVETO, Path.CLOSEPOLY
                rings.append(Path(coords, codes))
        out.append(Path.make_compound_path(*rings) if rings else Path(np.zeros((0, 2))))
    return out


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


@dataclass(frozen=True)
class RateBands:
    """Protected rates in map classes: one row per area (``area_code``, ``name_shown``, ``count_shown``,
    ``rate_shown``, ``band`` 1..n or 0 where withheld, ``band_label``), with the classes' colours."""

    table: pd.DataFrame
    edges: np.ndarray
    labels: list[str]
    colours: list[str]
    method: str


def _band_label(lo: float, hi: float) -> str:
    return fmt_number(lo) if fmt_number(lo) == fmt_number(hi) else f"{fmt_number(lo)} to {fmt_number(hi)}"


def rate_bands(rates: pd.DataFrame, *, rate_column: str, count_column: str, total: float | None = None,
               settings: Settings | None = None, n_classes: int = 5) -> RateBands:
    """Rates after disclosure control, in quantile classes of the shown values.

    Each class is labelled by the lowest and highest rate in it, so no two labels share a value
    ("4.0 to 15.1", "15.2 to 24.6"); the same classes colour the report's map and the GeoPackage style.
    """
    settings = settings or Settings()
    table = suppress_table(rates.reset_index(drop=True), count_columns=[count_column],
                           rate_columns={rate_column: count_column}, settings=settings)
    rate_shown = table.values[rate_column].to_numpy(dtype=float)
    count_shown = pd.to_numeric(table.values[count_column], errors="coerce").to_numpy(dtype=float)
    if total is not None:
        hidden = protect_against_total(pd.to_numeric(rates[count_column], errors="coerce").to_numpy(float),
                                       np.isnan(rate_shown), total, settings=settings)
        rate_shown = np.where(hidden, np.nan, rate_shown)
    # Classed on the rates as printed (one decimal), so two labels can never show the same value.
    printed = np.round(rate_shown, 1)
    visible = printed[~np.isnan(printed)]
    n = int(min(n_classes, max(1, np.unique(visible).size)))
    quantiles = np.linspace(0, 1, n + 1)
    edges = np.unique(np.quantile(visible, quantiles)) if visible.size else np.array([0.0, 1.0])
    if edges.size < 2:
        edges = np.array([edges[0], edges[0] + 1e-9])
    n = edges.size - 1
    band = np.where(np.isnan(printed), 0,
                    np.clip(np.searchsorted(edges, printed, side="right") - 1, 0, n - 1) + 1)
    labels, colours, kept = [], [], []
    palette = [to_hex(c) for c in colormaps[style.SEQUENTIAL](np.linspace(0.95, 0.1, n))]
    for k in range(1, n + 1):  # classes with no area are left out of the legend
        members = printed[band == k]
        if members.size:
            kept.append(k)
            labels.append(_band_label(float(members.min()), float(members.max())))
            colours.append(palette[k - 1])
    renumber = {old: new for new, old in enumerate(kept, start=1)} | {0: 0}
    band = np.array([renumber[int(b)] for b in band], dtype=int)
    out = rates[["area_code"]].reset_index(drop=True).assign(
        name_shown=rates.get("area_name", rates["area_code"]).astype(str).to_numpy(),
        count_shown=count_shown, rate_shown=rate_shown, band=band,
        band_label=[labels[b - 1] if b else "Not shown (withheld)" for b in band])
    method = f"{len(labels)} quantile classes" if len(labels) > 1 else "one class"
    return RateBands(out, edges, labels, colours, method)


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
) -> Chart:
    """LSOA (or any area) rates in quantile classes of the shown values, viridis, with a hatched class.

    ``areas`` has ``area_code`` and geometry in EPSG:27700; ``rates`` has ``area_code``, ``area_name``,
    the rate and its numerator. Areas with no row in ``rates`` are drawn as "no data". ``total`` is
    the published count of the whole area, if any: more areas are hidden so it cannot give back a small
    count (:func:`~safer_communities.publish.disclosure.protect_against_total`).
    """
    settings = settings or Settings()
    bands = rate_bands(rates, rate_column=rate_column, count_column=count_column, total=total,
                       settings=settings, n_classes=n_classes)
    shown = bands.table[["area_code", "rate_shown", "name_shown", "band"]]
    data = areas.merge(shown, on="area_code", how="left")
    present = data["area_code"].isin(rates["area_code"])
    values = data["rate_shown"].to_numpy(dtype=float)
    n, colours, edges = len(bands.labels), bands.colours, bands.edges
    classes = data["band"].fillna(0).to_numpy(dtype=int) - 1
    height = _map_figure_height(areas.geometry)
    with style.figure(height_in=height) as fig:
        ax = fig.add_subplot()
        handles = []
        for k in range(n):
            sel = ~np.isnan(values) & (classes == k)
            if sel.any():
                draw_polygons(ax, data.geometry[sel], facecolor=colours[k], edgecolor="white", linewidth=0.1)
                handles.append(Patch(facecolor=colours[k], edgecolor="#777777", label=bands.labels[k]))
        hidden = np.isnan(values) & present.to_numpy()
        if hidden.any():
            draw_polygons(ax, data.geometry[hidden], facecolor=style.SUPPRESSED_FACE,
                          edgecolor=style.SUPPRESSED_EDGE, hatch=style.SUPPRESSED_HATCH, linewidth=0.1)
            handles.append(Patch(facecolor=style.SUPPRESSED_FACE, edgecolor=style.SUPPRESSED_EDGE,
                                 hatch=style.SUPPRESSED_HATCH,
                                 label=f"Not shown: fewer than {settings.rate_numerator_min} records,\n"
                                       "or withheld to protect them"))
        absent = ~present.to_numpy()
        if absent.any():
            draw_polygons(ax, data.geometry[absent], facecolor=style.MISSING_FACE, edgecolor="white",
                          linewidth=0.1)
            handles.append(Patch(facecolor=style.MISSING_FACE, label="No data"))
        if outlines is not None and not outlines.empty:
            draw_outlines(ax, outlines.geometry, linewidth=0.9)
        _frame_axes(ax, areas.geometry)
        furniture(ax)
        ax.set_title(title, loc="left")
        fig.legend(handles=handles, title=f"{value_label}\n({bands.method})", loc="outside right upper",
                   fontsize=7, title_fontsize=7.5)
        style.attribution(fig, f"{source}; boundaries: {BOUNDARY_SOURCE}", extra=style.CAVEAT_SNAPPING)
        ranked = shown.dropna(subset=["rate_shown"]).sort_values("rate_shown", ascending=False)
        top = "; ".join(f"{r.name_shown} ({fmt_number(r.rate_shown)})" for r in ranked.head(3).itertuples())
        alt = (f"Map: {title}. {len(areas):,} areas in {n} classes from {fmt_number(edges[0])} to "
               f"{fmt_number(edges[-1])} {value_label.lower()}, darker for higher rates. "
               + (f"Highest: {top}. " if top else "")
               + (f"{int(hidden.sum()):,} areas not shown because the rate rests on fewer than "
                  f"{settings.rate_numerator_min} records." if hidden.any() else ""))
        return style.render(fig, name=name, alt=alt.strip(), title=title)


def hotspot_map(
    grid: gpd.GeoDataFrame,
    *,
    title: str,
    name: str,
    source: str,
    outlines: gpd.GeoDataFrame | None = None,
    class_column: str = "class",
) -> Chart:
    """Getis-Ord Gi* classes on a grid (hot in oranges, cold in purples, patterns for 95% and 99%).

    ``outlines`` are drawn as given: pass them through :func:`for_display` once per run.
    Cells show a statistic of the surrounding cells, not a count, so they need no small-number
    suppression; cells with no significant result are left blank.
    """
    frame_geom = outlines.geometry if outlines is not None and not outlines.empty else grid.geometry
    height = _map_figure_height(frame_geom)
    classes = grid[class_column].to_numpy(dtype=float)
    counts = {cls: int((classes == cls).sum()) for cls in (3, 2, 1, -1, -2, -3)}
    raster, extent = _rasterise(grid, classes)
    with style.figure(height_in=height) as fig:
        ax = fig.add_subplot()
        if outlines is not None and not outlines.empty:
            draw_polygons(ax, outlines.geometry, facecolor="#F4F4F4", zorder=0)
        # Drawn as an image, not thousands of polygons: the same picture in a fraction of the time.
        order = (-3, -2, -1, 0, 1, 2, 3)
        cmap = ListedColormap([HOTSPOT_COLOURS.get(c, "#FFFFFF") for c in order])
        ax.imshow(np.ma.masked_where((raster == 0) | np.isnan(raster), raster), cmap=cmap, vmin=-3.5,
                  vmax=3.5, extent=extent, origin="lower", interpolation="nearest", zorder=2)
        xs = np.linspace(extent[0], extent[1], raster.shape[1] + 1)
        ys = np.linspace(extent[2], extent[3], raster.shape[0] + 1)
        filled = np.nan_to_num(raster, nan=0.0)
        xc, yc = (xs[:-1] + xs[1:]) / 2, (ys[:-1] + ys[1:]) / 2
        for lo, hi, hatch in ((2.5, 3.5, "xx"), (-3.5, -2.5, "xx"), (1.5, 2.5, ".."), (-2.5, -1.5, "..")):
            inside = ((filled > lo) & (filled < hi)).astype(float)
            if inside.any():  # one hatched path per class, so readable in grey as well
                ax.contourf(xc, yc, inside, levels=[0.5, 1.5], colors="none", hatches=[hatch], zorder=3)
        handles = [Patch(facecolor=HOTSPOT_COLOURS[cls], edgecolor="#333333", hatch=HOTSPOT_HATCH[cls],
                         label=f"{HOTSPOT_LABELS[cls]} ({counts[cls]:,} cells)")
                   for cls in (3, 2, 1, -1, -2, -3)]
        if outlines is not None and not outlines.empty:
            draw_outlines(ax, outlines.geometry, linewidth=0.8)
        _frame_axes(ax, frame_geom)
        furniture(ax)
        ax.set_title(title, loc="left")
        fig.legend(handles=handles, loc="outside right upper", fontsize=7, title="Getis-Ord Gi*",
                   title_fontsize=7.5)
        cell = grid.attrs.get("cell_size_m")
        extra = style.CAVEAT_SNAPPING + (f" Grid cells of {cell:g} m." if cell else "")
        style.attribution(fig, f"{source}; boundaries: {BOUNDARY_SOURCE}", extra=extra)
        hot = counts[3] + counts[2] + counts[1]
        cold = counts[-1] + counts[-2] + counts[-3]
        alt = (f"Map: {title}. {hot:,} grid cells are statistically significant hot spots "
               f"({counts[3]:,} at 99% confidence) and {cold:,} are cold spots; other cells are blank.")
        return style.render(fig, name=name, alt=alt, title=title)
