"""Names on maps: district names on county maps, a small shipped gazetteer of places on district maps.

The gazetteer (``data/places/places.csv``) holds place names from ONS ward names (2013 set), merged
where wards share a name ("Heysham North" and "Heysham South" are Heysham), with label points computed
from the ward boundaries and mid-2020 populations; ``data/places/build_places.py`` rebuilds it and
says how. Names are drawn with a white halo so they read over any class colour, largest place first,
and a name that would collide with another, the legend or the scale bar is left out (see
:mod:`labels`).
"""

from __future__ import annotations

from functools import cache
from importlib import resources

import geopandas as gpd
import pandas as pd
from matplotlib import patheffects
from matplotlib.axes import Axes
from matplotlib.transforms import Bbox

from safer_communities.publish.labels import LabelResult, place_labels

PLACES_SOURCE = "place names: ONS ward names (2013) as a gazetteer of our own (data/places)"
HALO = [patheffects.withStroke(linewidth=2.2, foreground="white")]


@cache
def places() -> pd.DataFrame:
    """The shipped gazetteer: name, district_code, easting, northing (EPSG:27700), population."""
    path = resources.files("safer_communities") / "data" / "places" / "places.csv"
    with path.open("r", encoding="utf-8") as handle:
        return pd.read_csv(handle, dtype={"district_code": str})


def places_in(district_codes: list[str], *, limit: int = 14) -> pd.DataFrame:
    """The largest places of the districts, most populous first."""
    table = places()
    mine = table[table["district_code"].isin(district_codes)]
    return mine.sort_values("population", ascending=False).head(limit).reset_index(drop=True)


def label_districts(ax: Axes, districts: gpd.GeoDataFrame, *, avoid: list[Bbox]) -> LabelResult:
    """District names over their districts (at a point inside each), largest district first."""
    order = districts.assign(_area=districts.geometry.area).sort_values("_area", ascending=False)
    points = order.geometry.representative_point()
    names = order["area_name"].astype(str).str.replace(" with ", " with\n").tolist() \
        if "area_name" in order else order["area_code"].astype(str).tolist()
    return place_labels(ax, points.x.to_numpy(), points.y.to_numpy(), names, avoid=avoid, centred=True,
                        fontsize=7.5, fontweight="bold", color="#1A1A1A", path_effects=HALO,
                        multialignment="center")


def label_places(ax: Axes, district_codes: list[str], *, avoid: list[Bbox], limit: int = 14) -> LabelResult:
    """Place names of the gazetteer inside the map's view, most populous first, each by a small dot."""
    table = places_in(district_codes, limit=limit)
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    inside = table[(table["easting"].between(x0, x1)) & (table["northing"].between(y0, y1))]
    if inside.empty:
        return LabelResult([], [])
    result = place_labels(ax, inside["easting"].to_numpy(float), inside["northing"].to_numpy(float),
                          inside["name"].tolist(), avoid=avoid, fontsize=6.5, fontstyle="italic",
                          color="#1A1A1A", path_effects=HALO)
    shown = {t.get_text() for t in result.placed}
    dots = inside[inside["name"].isin(shown)]
    ax.scatter(dots["easting"], dots["northing"], s=5, color="#1A1A1A", edgecolor="white",
               linewidth=0.5, zorder=6)
    return result


def furniture_boxes(ax: Axes, artists: list) -> list[Bbox]:
    """Pixel boxes of the scale bar and north arrow, so no name is written over them."""
    renderer = ax.get_figure().canvas.get_renderer()
    return [a.get_window_extent(renderer) for a in artists]


def legend_box(ax: Axes) -> list[Bbox]:
    legends = ax.get_figure().legends
    renderer = ax.get_figure().canvas.get_renderer()
    return [leg.get_window_extent(renderer) for leg in legends]
