"""The report's GeoPackage (``evidence.gpkg``): LSOA rates, hot spots and boundaries, styled for QGIS.

The layers hold what the report's maps show and nothing more: rates and counts after disclosure
control (withheld cells empty, band 0), significant Gi* cells without counts, and the clean district
and county outlines the maps are drawn on.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import geopandas as gpd
import pandas as pd

from safer_communities.analysis.definitions import Definition
from safer_communities.publish import gis_styles, maps, style
from safer_communities.publish.geodata import read_boundaries
from safer_communities.publish.gpkg import Layer, write_layers
from safer_communities.publish.sna_context import POLICE_SOURCE_TEXT, Context

FILE_NAME = "evidence.gpkg"
_HOTSPOT_CLASSES = (3, 2, 1, -1, -2, -3)
_HISTORY = {"persistent": "#B35806", "emerging": "#F1A340", "intermittent": "#FEE0B6",
            "historic": "#998EC3"}


def _common(ctx: Context, definition: Definition) -> dict[str, str]:
    defs = ctx.shared.definitions
    return {"period": ctx.period.label, "period_start": str(ctx.period.start),
            "period_end": str(ctx.period.end),
            "area": f"{ctx.area_name} ({ctx.area_code})", "issue": definition.issue,
            "definition_version": str(definition.version), "definitions_version": str(defs.version),
            "source": POLICE_SOURCE_TEXT, "caveat": style.CAVEAT_SNAPPING}


def rates_layer(ctx: Context, definition: Definition, rates: pd.DataFrame, total: float | None,
                bands: maps.RateBands | None = None) -> Layer:
    """LSOA rates per 1,000 residents as the report's map shows them (stored, unsimplified boundaries).

    ``bands`` is the map's own ``rate_bands`` of the same rates and total, when the caller has it (the
    classes and disclosure control are then not computed a second time)."""
    if bands is None:
        bands = maps.rate_bands(rates, rate_column="rate_per_1000", count_column="count", total=total,
                                settings=ctx.settings)
    table = bands.table.rename(columns={"name_shown": "area_name", "count_shown": "count",
                                        "rate_shown": "rate_per_1000", "rate_smoothed": "rate_eb",
                                        "band_label": "band_label"})
    shapes = read_boundaries(ctx.con, "lsoa", codes=list(table["area_code"]))
    frame = shapes[["area_code", "geometry"]].merge(table, on="area_code", how="inner")
    frame = gpd.GeoDataFrame(frame[["area_code", "area_name", "count", "rate_per_1000", "rate_eb", "band",
                                    "band_label", "geometry"]], geometry="geometry", crs=shapes.crs)
    categories = [gis_styles.Category(k, label, colour)
                  for k, (label, colour) in enumerate(zip(bands.labels, bands.colours, strict=True), start=1)]
    categories.append(gis_styles.Category(0, "Not shown (withheld)", style.SUPPRESSED_FACE, "b_diagonal"))
    withheld = int((frame["band"] == 0).sum())
    return Layer(
        f"{definition.issue}_lsoa_rates", frame,
        title=f"{definition.label}: rate per 1,000 residents by LSOA, {ctx.area_name}, {ctx.period.label}",
        description=(f"Records per 1,000 residents in each LSOA, {bands.method} of the shown rates; "
                     f"{withheld:,} LSOAs withheld by disclosure control (rate and count empty)."),
        metadata={**_common(ctx, definition), "classes": bands.method,
                  "suppress_below": str(ctx.settings.suppress_below),
                  "rate_numerator_min": str(ctx.settings.rate_numerator_min), "withheld": str(withheld)},
        qml=gis_styles.categorised("band", categories, outline="#FFFFFF"))


def gistar_layer(ctx: Context, definition: Definition, grid: gpd.GeoDataFrame, cell_m: float) -> Layer:
    """Significant Gi* cells only, without counts or p-values, z from protected cell counts (grid_cells)."""
    frame = grid.loc[grid["class"] != 0, ["cell_id", "x", "y", "gistar_z", "significant", "class", "label",
                                          "geometry"]].copy()
    categories = [gis_styles.Category(c, maps.HOTSPOT_LABELS[c], maps.HOTSPOT_COLOURS[c],
                                      "dense5" if abs(c) == 3 else "solid") for c in _HOTSPOT_CLASSES]
    return Layer(
        f"{definition.issue}_gistar", frame,
        title=f"{definition.label}: hot and cold spots (Getis-Ord Gi*), {ctx.area_name}, {ctx.period.label}",
        description=f"Grid cells of {cell_m:g} m with a significant Gi* z-score (one decimal) after false "
                    "discovery rate control, from protected cell counts; no counts.",
        metadata={**_common(ctx, definition), "method": str(grid.attrs.get("method", "Getis-Ord Gi*")),
                  "cell_size_m": f"{cell_m:g}", "protection": str(grid.attrs.get("stand_in", "")),
                  "suppress_below": str(ctx.settings.suppress_below)},
        qml=gis_styles.categorised("class", categories, outline="#FFFFFF"))


def history_layer(ctx: Context, definition: Definition, classes: gpd.GeoDataFrame, cell_m: float) -> Layer:
    """Persistent and emerging hot spots over the quarters of the period."""
    frame = classes.loc[classes["category"] != "not hot", ["cell_id", "x", "y", "periods_hot", "hot_latest",
                                                           "category", "geometry"]].copy()
    found = set(frame["category"])
    seen = [c for c in _HISTORY if c in found] + sorted(found - set(_HISTORY))
    categories = [gis_styles.Category(c, c.capitalize(), _HISTORY.get(c, "#BBBBBB")) for c in seen]
    return Layer(
        f"{definition.issue}_history", frame,
        title=f"{definition.label}: hot spots over time (Gi* per quarter), {ctx.area_name}",
        description=f"Grid cells of {cell_m:g} m by how often they were hot spots in the quarters of "
                    f"{ctx.period.label}, from protected cell counts.",
        metadata={**_common(ctx, definition), "cell_size_m": f"{cell_m:g}", "periods": "quarter",
                  "protection": str(classes.attrs.get("stand_in", ""))},
        qml=gis_styles.categorised("category", categories, outline="#FFFFFF"))


def boundary_layers(ctx: Context) -> list[Layer]:
    """The area's districts (labelled by name) and its own outline, dissolved without sliver holes."""
    districts = read_boundaries(ctx.con, "district")
    if not ctx.is_county:
        districts = districts[districts["area_code"] == ctx.area_code]
    level = "county" if ctx.is_county else "district"
    area = read_boundaries(ctx.con, level, codes=[ctx.area_code])
    meta = {"source": "ONS Open Geography (Crown copyright and database right), LSOA boundaries dissolved",
            "area": f"{ctx.area_name} ({ctx.area_code})"}
    return [
        Layer("districts", districts, title=f"Districts of {ctx.area_name}",
              description="District outlines dissolved from the generalised LSOA boundaries.", metadata=meta,
              qml=gis_styles.outline(width_mm=0.4, label_field="area_name")),
        Layer("study_area", area, title=f"{ctx.area_name} outline", description=f"The {level} outline.",
              metadata=meta, qml=gis_styles.outline(width_mm=0.8)),
    ]


def area_codes(con: duckdb.DuckDBPyConnection) -> dict[str, tuple[str, str]]:
    """Area name -> (GSS code, level) for every LSOA, district and county in the store."""
    rows = con.execute("SELECT DISTINCT lsoa_name, lsoa_code, 'lsoa' FROM areas WHERE lsoa_name IS NOT NULL "
                       "UNION ALL SELECT DISTINCT district_name, district_code, 'district' FROM areas "
                       "UNION ALL SELECT DISTINCT county_name, county_code, 'county' FROM areas").fetchall()
    out: dict[str, tuple[str, str]] = {}
    for name, code, level in rows:
        out.setdefault(name, (code, level))  # a county named as its district (Blackpool) keeps the district
    return out


def write_report_gpkg(ctx: Context, folder: Path) -> Path | None:
    """Every layer the report collected, then the boundaries, in one GeoPackage."""
    layers = list(ctx.gis_layers)
    for name, frame in ctx.hotspot_layers.items():  # layers added by other sections: a plain style
        layers.append(Layer(name, frame, title=name.replace("_", " "), description=name,
                            qml=gis_styles.outline(colour="#0072B2", width_mm=0.3)))
    if not layers:
        return None
    defs = ctx.shared.definitions
    return write_layers(folder / FILE_NAME, [*layers, *boundary_layers(ctx)], metadata={
        "title": ("INTERNAL - not for publication: " if ctx.shared.internal else "")
        + f"Strategic needs assessment evidence: {ctx.area_name}, {ctx.period.label}",
        "area": f"{ctx.area_name} ({ctx.area_code})", "period": ctx.period.label,
        "definitions_version": str(defs.version), "crs": "EPSG:27700 (British National Grid)",
        **({"publication": "INTERNAL - not for publication"} if ctx.shared.internal else {})})
