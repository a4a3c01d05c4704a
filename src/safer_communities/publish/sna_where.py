"""Where an issue happens: LSOA rates, hot spots (now and over time), concentration, deprivation."""

from __future__ import annotations

import numpy as np
import pandas as pd

from safer_communities.analysis import deprivation, queries
from safer_communities.analysis.definitions import Definition
from safer_communities.analysis.hotspots import hotspot_classify, hotspot_gistar
from safer_communities.errors import NoDataError, SaferError
from safer_communities.publish import charts, grid_cells, grid_outputs, maps, sna_gis
from safer_communities.publish.document import Paragraph, Table
from safer_communities.publish.geodata import read_boundaries
from safer_communities.publish.grid import OffGridError
from safer_communities.publish.sna_context import POLICE_SOURCE_TEXT, Context, Finding, guarded
from safer_communities.publish.sna_shared import area_points
from safer_communities.publish.sna_tables import issue_grid


def _area_lsoas(ctx: Context) -> list[str]:
    return ctx.shared.memo(("lsoas", ctx.area_code),
                           lambda: queries.units_within(ctx.con, "lsoa", ctx.area_code))


def _boundaries(ctx: Context) -> tuple:
    """LSOAs of the area and the outlines to draw, simplified for display once per run."""
    shared = ctx.shared
    lsoa = shared.memo(("boundaries", "lsoa"), lambda: maps.for_display(read_boundaries(shared.con, "lsoa")))
    district = shared.memo(("boundaries", "district"), lambda: maps.for_display(
        read_boundaries(shared.con, "district"), close_gaps=True))
    codes = set(_area_lsoas(ctx))
    area_lsoa = lsoa[lsoa["area_code"].isin(codes)]
    outlines = district if ctx.is_county else district[district["area_code"] == ctx.area_code]
    return area_lsoa, outlines


def _area_boundary(ctx: Context) -> object:
    """The area's own polygon (stored geometry) for clipping hotspot grids."""
    level = "county" if ctx.is_county else "district"
    return ctx.shared.memo(("boundary", ctx.area_code), lambda: read_boundaries(
        ctx.con, level, codes=[ctx.area_code]).geometry.iloc[0])


MOSTLY_WITHHELD = 0.5  # above this share of LSOAs withheld, an LSOA map would show almost nothing


def _details(ctx: Context, definition: Definition, area_lsoa: object, outlines: object,
             bands: object) -> list:
    """The county map's densest districts again at district scale, in the same classes."""
    from safer_communities.publish.detail_maps import densest_districts, detail_map

    codes = ctx.shared.memo(("densest",), lambda: densest_districts(area_lsoa, outlines))
    chart = detail_map(area_lsoa, bands, outlines, codes, name=f"{definition.issue}-lsoa-rates-towns",
                       title=f"{definition.label}: rate per 1,000 residents by LSOA in the most urban "
                             "districts",
                       source=POLICE_SOURCE_TEXT, value_label="Per 1,000 residents")
    return [ctx.figure(chart, "The districts with the smallest LSOAs, where the county map cannot show "
                              "each LSOA, drawn again at district scale in the county map's classes.",
                       is_map=True)]


def _places_of(ctx: Context) -> list[str] | None:
    """A district map names the district's places from the gazetteer; a county map names districts."""
    return None if ctx.is_county else [ctx.area_code]


def map_caption(chart: object, text: str) -> str:
    """The caption of a rate map with how its classes were chosen and how many areas are withheld."""
    data = getattr(chart, "data", None)
    return text + (" " + " ".join(data.notes) if data is not None else "")


def _concentration_table(ctx: Context, definition: Definition, conc: pd.DataFrame) -> Table:
    """How concentrated the issue is: the share of records in the top 5% and 10% of LSOAs."""
    rows = [[f"Top {100 * float(r['unit_share']):.0f}% of LSOAs", f"{int(r['units']):,}",
             f"{100 * float(r['record_share']):.1f}"] for _, r in conc.iterrows()]
    return Table(title=f"{definition.label}: concentration in the LSOAs with most records, {ctx.area_name}",
                 key=f"{definition.issue}-concentration", headers=["LSOAs", "Number of LSOAs",
                                                                   "Share of records (%)"], rows=rows,
                 notes=["LSOAs ranked by their number of records over the period."])


def collision_blocks(ctx: Context) -> list:
    """The collision map: every injury collision at its STATS19 location, KSI highlighted."""
    from safer_communities.analysis.collision_points import collision_points
    from safer_communities.publish.collision_map import collision_map
    from safer_communities.publish.sna_context import STATS19_SOURCE_TEXT

    points = collision_points(ctx.con, area_code=None if ctx.is_county else ctx.area_code)
    _, outlines = _boundaries(ctx)
    chart = collision_map(points, title=f"Injury collisions, {ctx.area_name}, {points.attrs['period_label']}",
                          name="road-safety-collisions-map", source=STATS19_SOURCE_TEXT, outlines=outlines,
                          places_of=_places_of(ctx))
    return [ctx.figure(chart, "Every police-recorded injury collision at its recorded location; killed or "
                              "seriously injured (KSI) collisions larger and in colour.", is_map=True)]


def where_blocks(ctx: Context, definition: Definition) -> list:
    area_lsoa, outlines = _boundaries(ctx)
    try:
        _lsoa_published(ctx, definition)
    except OffGridError as exc:  # said once; the LSOA map, shares and deciles are all withheld
        years = grid_outputs.financial_years(issue_grid(ctx, definition))
        note = Paragraph(f"{exc.what} {grid_cells.CELL_PERIODS} The LSOA map, the hot spot maps, the "
                         "concentration and the deprivation deciles are therefore not in this report."
                         + (f" Build it for a financial year ({', '.join(years)}) to include them."
                            if years else " No whole financial year is loaded."), kind="note")
        return [note]
    except SaferError:
        pass  # reported where the LSOA blocks are built
    blocks: list = guarded(lambda: _lsoa_blocks(ctx, definition, area_lsoa, outlines))
    blocks.extend(guarded(lambda: _hotspots(ctx, definition, outlines)))
    blocks.extend(guarded(lambda: _deprivation(ctx, definition)))
    return blocks


def _lsoa_published(ctx: Context, definition: Definition) -> pd.DataFrame:
    """The area's LSOA counts and rates as the publication grid publishes them (financial years only;
    otherwise an ``OffGridError`` says why the LSOA figures are withheld)."""
    shared = ctx.shared
    protected = issue_grid(ctx, definition)
    if protected is None:
        raise NoDataError(f"No LSOA figures are published for {definition.label.lower()}.",
                          found=f"source {definition.source}", hint="LSOA figures come from police.uk.")
    gp = grid_outputs.require_lsoa_period(protected, shared.period)
    return shared.memo(("lsoa_published", definition.issue, ctx.area_code), lambda: grid_outputs.lsoa_frame(
        protected, grid_outputs.lsoa_codes(protected, ctx.area_code), gp))


def _lsoa_blocks(ctx: Context, definition: Definition, area_lsoa: object, outlines: object) -> list:
    """The LSOA choropleth and the concentration sentence, from the grid's protected LSOA figures: the
    map shows the published rates (withheld and small ones hatched), the shares use the stand-ins."""
    mine = _lsoa_published(ctx, definition)
    bands = maps.rate_bands(mine, rate_column="rate_per_1000", count_column="count", total=None,
                            settings=ctx.settings)
    if bands.withheld > MOSTLY_WITHHELD * len(mine):
        ctx.gis_layers.append(sna_gis.rates_layer(ctx, definition, mine, None, bands))
        return [Paragraph(
            f"No LSOA map of {definition.label.lower()}: {bands.withheld:,} of {len(mine):,} LSOAs are "
            f"withheld (fewer than {ctx.settings.rate_numerator_min} records, or to protect them), so the "
            "map would show almost nothing. The hot-spot map shows where it clusters; the LSOAs that can "
            "be published are in evidence.gpkg.", kind="note")]
    chart = maps.choropleth_map(
        area_lsoa, mine, rate_column="rate_per_1000", count_column="count",
        title=f"{definition.label}: rate per 1,000 residents by LSOA, {ctx.area_name}",
        name=f"{definition.issue}-lsoa-rates", source=POLICE_SOURCE_TEXT, value_label="Per 1,000 residents",
        outlines=outlines, settings=ctx.settings, total=None, places_of=_places_of(ctx), bands=bands)
    ctx.gis_layers.append(sna_gis.rates_layer(ctx, definition, mine, None, bands))
    blocks: list = [ctx.figure(chart, map_caption(chart, f"{definition.label} per 1,000 residents in each "
                                                         f"LSOA, {ctx.period.words}, as published (the same "
                                                         "figures in every output)."), is_map=True)]
    if ctx.is_county:
        blocks.extend(guarded(lambda: _details(ctx, definition, area_lsoa, outlines, bands)))
    conc = grid_outputs.concentration_frame(mine, shares=(0.05, 0.10))
    blocks.append(_concentration_table(ctx, definition, conc))
    top10 = conc.iloc[1]
    blocks.append(Paragraph(
        f"The {int(top10['units'])} LSOAs with most records (the top 10% of {len(mine):,}) hold "
        f"{100 * top10['record_share']:.0f}% of {definition.label.lower()} in {ctx.area_name}."))
    if conc.attrs["withheld"]:
        blocks.append(Paragraph(grid_outputs.STAND_IN_NOTE, kind="note"))
    if top10["record_share"] >= 0.25:
        ctx.find(Finding(definition.issue, "concentration",
                         f"{definition.label} is concentrated: the top 10% of LSOAs hold "
                         f"{100 * top10['record_share']:.0f}% of records.",
                         prompt="Place-based problem solving in the few LSOAs that carry most of the "
                                f"{definition.label.lower()} could reach a large share of it.",
                         weight=float(top10["record_share"]) * 30))
    return blocks


def _hotspots(ctx: Context, definition: Definition, outlines: object) -> list:
    points = area_points(ctx, definition)  # once per report: "Where to act next" reads them too
    if len(points) < 50:
        raise NoDataError("Too few located records for a hotspot map.", found=f"{len(points)} records")
    cell = 500.0 if ctx.is_county else 250.0
    below = grid_cells.stand_in_below(ctx.settings)  # Gi* of protected cell counts (1-4 as 2.5)
    grid = grid_cells.published_cells(hotspot_gistar(points, cell_size_m=cell, quiet=True,
                                                     boundary=_area_boundary(ctx), stand_in_below=below),
                                      "gistar", ctx.settings)
    ctx.gis_layers.append(sna_gis.gistar_layer(ctx, definition, grid, cell))
    chart = maps.hotspot_map(grid, title=f"{definition.label}: hot spots (Getis-Ord Gi*), {ctx.area_name}",
                             name=f"{definition.issue}-hotspots", source=POLICE_SOURCE_TEXT,
                             outlines=outlines, places_of=_places_of(ctx))
    hot = int((grid["class"] > 0).sum())
    strong = int((grid["class"] == 3).sum())
    history = _persistent(ctx, definition, points, cell)
    if strong:
        ctx.find(Finding(definition.issue, "hotspot",
                         f"{definition.label}: {strong:,} grid cells of {cell:g} m are hot spots at 99% "
                         f"confidence in {ctx.area_name}.", weight=strong / 10))
    return [ctx.figure(chart, f"Hot spots of {definition.label.lower()}: grid cells of {cell:g} m where "
                              "records cluster more than chance would explain (false discovery rate "
                              "controlled), computed from protected cell counts (a cell with 1 to "
                              f"{below - 1} records counts as {below / 2:g}). "
                              f"{hot:,} cells are hot spots. The layer is in evidence.gpkg for QGIS.",
                       is_map=True), *history]


def _persistent(ctx: Context, definition: Definition, points: pd.DataFrame, cell: float) -> list:
    """Persistent and emerging hot spots over the period's quarters (Gi* per quarter)."""
    try:
        classes = grid_cells.published_cells(hotspot_classify(
            points, cell_size_m=cell, periods="quarter", quiet=True, boundary=_area_boundary(ctx),
            stand_in_below=grid_cells.stand_in_below(ctx.settings)), "classify", ctx.settings)
    except SaferError as exc:
        return [Paragraph(f"Hot spots over time: {exc.what}", kind="note")]
    counts = classes["category"].value_counts()
    persistent, emerging = int(counts.get("persistent", 0)), int(counts.get("emerging", 0))
    ctx.gis_layers.append(sna_gis.history_layer(ctx, definition, classes, cell))
    if persistent:
        ctx.find(Finding(definition.issue, "hotspot",
                         f"{definition.label}: {persistent:,} persistent hot spot cells ({cell:g} m) in "
                         f"{ctx.area_name}, hot in most quarters including the latest.",
                         prompt=f"Persistent {definition.label.lower()} hot spots suggest place-based, "
                                "multi-agency problem solving rather than short-term patrols.",
                         weight=persistent / 5))
    return [Paragraph(
        f"Over the quarters of {ctx.period.words}, {persistent:,} cells are persistent hot spots (hot in at "
        f"least three quarters of the periods, including the latest) and {emerging:,} are emerging (hot in "
        "the latest but not in the first half). Categories are in the evidence.gpkg history layer.")]


def _deprivation(ctx: Context, definition: Definition) -> list:
    shared = ctx.shared
    mine = _lsoa_published(ctx, definition)  # deciles sum the published LSOA figures (stand-ins)
    by = shared.memo(("decile", definition.issue, ctx.area_code), lambda: deprivation.rates_by_decile(
        shared.con, definition, period=shared.period, area_code=None, definitions=shared.definitions,
        lsoa_counts=mine.assign(count=mine["stand_in"])))
    chart = charts.decile_chart(
        by, decile_column="decile", rate_column="rate_per_1000", low_column="ci_low", high_column="ci_high",
        count_column="count", title=f"{definition.label} by deprivation decile, {ctx.area_name}",
        name=f"{definition.issue}-deprivation", source=f"{POLICE_SOURCE_TEXT}; MHCLG IMD 2019",
        value_label="Rate per 1,000 residents", settings=shared.settings)
    ratio = by.attrs.get("ratio") or {}
    blocks: list = [ctx.figure(chart, "Rate per 1,000 residents by national IMD 2019 decile of the LSOA "
                                      "(1 = most deprived 10% in England), with 95% intervals.")]
    if mine["count"].isna().any():
        blocks.append(Paragraph(grid_outputs.STAND_IN_NOTE, kind="note"))
    if ratio and np.isfinite(ratio.get("rate_ratio", np.nan)):
        text = (f"The rate in decile {ratio['most_deprived_decile']} is {ratio['rate_ratio']:.1f} times that "
                f"in decile {ratio['least_deprived_decile']} (95% interval {ratio['ci_low']:.1f} to "
                f"{ratio['ci_high']:.1f}). {ratio.get('note', '')}")
        blocks.append(Paragraph(text.strip()))
        if ratio["rate_ratio"] >= 2 and ctx.is_county:
            ctx.find(Finding(definition.issue, "deprivation",
                             f"{definition.label} is {ratio['rate_ratio']:.1f} times as common in the most "
                             "deprived areas as in the least deprived.",
                             prompt="Weight prevention towards the most deprived neighbourhoods.",
                             weight=float(ratio["rate_ratio"])))
    return blocks
