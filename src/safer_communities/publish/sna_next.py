"""The "Where to act next" subsection of an issue: next month's cells, how well such maps have worked,
emerging hot spots and the share held by the busiest map points.

The forecast is made once per issue for the whole county on a 250 m grid (every month of the publication
window: up to ``publication_years`` financial years) and each district report shows its own part of it,
with the county's skill: the model is chosen and scored where
there are enough records to score it. Nothing here publishes a small count: cells are areas ranked by a
model, skill is a share of the county's records, emerging categories are counted in cells, and the
repeat-place sentence is a share of all located records.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
from matplotlib.colors import ListedColormap
from matplotlib.patches import Patch

from safer_communities.analysis import queries
from safer_communities.analysis.definitions import Definition
from safer_communities.analysis.forecast import model_label
from safer_communities.analysis.periods import Period
from safer_communities.analysis.prevention import all_months
from safer_communities.errors import NoDataError
from safer_communities.publish import style
from safer_communities.publish.document import Paragraph, Table
from safer_communities.publish.grid_window import loaded_window
from safer_communities.publish.maps import (
    BOUNDARY_SOURCE,
    _map_figure_height,
    _rasterise,
    draw_outlines,
    draw_polygons,
    finish_map,
)
from safer_communities.publish.sna_context import POLICE_SOURCE_TEXT, Context
from safer_communities.publish.style import Chart

CELL_M = 250.0
SHARES = ((0.01, "top_1pct", "#B35806"), (0.02, "top_2pct", "#F1A340"), (0.05, "top_5pct", "#FEE0B6"))


def _forecast(ctx: Context, definition: Definition) -> gpd.GeoDataFrame:
    """The county forecast of the issue (one per run)."""
    from safer_communities.analysis.forecast import hotspot_forecast
    from safer_communities.analysis.results import boundary

    def compute() -> gpd.GeoDataFrame:
        shared = ctx.shared
        # The months of the publication window (all of them on a store of up to publication_years
        # financial years): a decade of history would make the rolling-origin scoring grow with it.
        window = loaded_window(shared.con, shared.settings)
        period = Period.from_months(window[0], window[-1]) if window else all_months(shared.con, None)
        points = queries.crime_points(shared.con, definition, period=period, definitions=shared.definitions)
        if len(points) < 200:
            raise NoDataError("Too few located records for a forecast.", found=f"{len(points)} records")
        return hotspot_forecast(points, cell_size_m=CELL_M, boundary=boundary(shared.con), quiet=True)

    return ctx.shared.memo(("forecast", definition.issue), compute)


def forecast_map(
    grid: gpd.GeoDataFrame, *, title: str, name: str, outlines: gpd.GeoDataFrame | None
) -> Chart:
    """The cells flagged for the months ahead: top 1%, 2% and 5% of the area, darkest first."""
    level = np.zeros(len(grid))
    for k, (_, column, _) in enumerate(reversed(SHARES)):
        level = np.where(grid[column].to_numpy(), k + 1, level)
    frame_geom = outlines.geometry if outlines is not None and not outlines.empty else grid.geometry
    raster, extent = _rasterise(grid, level)
    with style.figure(height_in=_map_figure_height(frame_geom)) as fig:
        ax = fig.add_subplot()
        if outlines is not None and not outlines.empty:
            draw_polygons(ax, outlines.geometry, facecolor="#F4F4F4", zorder=0)
        colours = [c for _, _, c in reversed(SHARES)]
        ax.imshow(
            np.ma.masked_where((raster == 0) | np.isnan(raster), raster),
            cmap=ListedColormap(colours),
            vmin=0.5,
            vmax=len(SHARES) + 0.5,
            extent=extent,
            origin="lower",
            interpolation="nearest",
            zorder=2,
        )
        if outlines is not None and not outlines.empty:
            draw_outlines(ax, outlines.geometry, linewidth=0.8)
        handles = [
            Patch(
                facecolor=c,
                edgecolor="#333333",
                label=f"Top {s:.0%} of the area ({int(grid[col].sum()):,} cells)",
            )
            for s, col, c in SHARES
        ]
        style.attribution(
            fig,
            f"{POLICE_SOURCE_TEXT}; boundaries: {BOUNDARY_SOURCE}",
            extra=style.CAVEAT_SNAPPING + f" Grid cells of {CELL_M:g} m.",
        )
        finish_map(fig, ax, frame_geom, title=title, handles=handles, legend_title="Forecast cells",
                   names=outlines if outlines is not None and len(outlines) > 1 else None)
        alt = (
            f"Map: {title}. {int(grid['top_1pct'].sum()):,} cells make the top 1% of the area, "
            f"{int(grid['top_5pct'].sum()):,} the top 5%."
        )
        return style.render(fig, name=name, alt=alt, title=title)


def next_blocks(ctx: Context, definition: Definition, outlines: gpd.GeoDataFrame | None = None) -> list:
    """Forecast map, skill table and the sentences a partnership needs to place prevention next month."""
    county = _forecast(ctx, definition)
    attrs = county.attrs
    if outlines is None:
        from safer_communities.publish.sna_where import _boundaries

        _, outlines = _boundaries(ctx)
    grid = county
    if not ctx.is_county:
        from safer_communities.publish.sna_where import _area_boundary

        area = _area_boundary(ctx)
        grid = county[county.geometry.intersects(area)].copy()
        grid.attrs.update(attrs)
    months = ", ".join(attrs["forecast_months"])
    label = definition.label
    chart = forecast_map(
        grid,
        title=f"{label}: where it is most likely in {months}, {ctx.area_name}",
        name=f"{definition.issue}-forecast",
        outlines=outlines,
    )
    ctx.hotspot_layers[f"{definition.issue}_forecast"] = grid.loc[
        grid["top_5pct"], ["cell_id", "x", "y", "rank", "top_1pct", "top_2pct", "top_5pct", "geometry"]
    ].copy()
    share = attrs["focus_share"]
    beat = attrs["beats_baselines"]
    others = ", ".join(
        model_label(b, attrs["horizon_months"], attrs["window_months"]) for b in attrs["baselines_compared"]
    )
    skill = (
        f"Chosen by rolling-origin scoring over {attrs['origins']} past months, each forecast made "
        f"only from the months before it: {attrs['model_label']}. Such maps caught on average "
        f"{attrs['expected_hit_rate']:.0%} of the county's {label.lower()} (between "
        f"{attrs['expected_hit_rate_min']:.0%} and {attrs['expected_hit_rate_max']:.0%}) in {share:.0%} of "
        f"its area, {attrs['expected_pai']:.0f} times what the same area would catch at random (PAI)."
    )
    if others:
        skill += f" It did better than {others} in {beat:.0%} of those months."
    blocks: list = [
        ctx.figure(
            chart,
            f"Grid cells of {CELL_M:g} m where {label.lower()} is most likely in {months}: "
            f"the top 1%, 2% and 5% of the county's area. {skill} The cells are in "
            "evidence.gpkg for QGIS.",
            is_map=True,
        ),
        Paragraph(skill),
    ]
    if not ctx.is_county:
        flagged = int(grid["top_1pct"].sum())
        blocks.append(Paragraph(f"{flagged:,} of the county's top-1% cells lie in {ctx.area_name}."))
    blocks.append(_skill_table(definition, attrs))
    blocks.extend(_repeat_sentence(ctx, definition))
    return blocks


def _skill_table(definition: Definition, attrs: dict) -> Table:
    summary = attrs["summary"]
    rows = []
    for model, group in summary.groupby("model", sort=False):
        row = group.set_index("share")
        rows.append(
            [
                model_label(str(model), attrs["horizon_months"], attrs["window_months"]),
                *(f"{row.loc[s, 'hit_rate']:.0%}" for s in (0.01, 0.05)),
                f"{row.loc[0.01, 'pai']:.1f}",
                f"{row.loc[0.01, 'pei']:.2f}",
                f"{row.loc[0.01, 'pei_star']:.2f}",
            ]
        )
    return Table(
        title=f"{definition.label}: how well each forecast would have worked",
        key=f"{definition.issue}-forecast-skill",
        headers=["Forecast", "Caught in 1% of area", "Caught in 5%", "PAI (1%)", "PEI (1%)", "PEI* (1%)"],
        rows=rows,
        notes=[
            f"Averages over {attrs['origins']} past months (rolling origin: never scored on a month the "
            "model had seen). PAI: share caught over share of area (Chainey, Tompson and Uhlig 2008). "
            "PEI: records "
            "caught over the most the same cells could have caught (Hunt 2016). PEI*: the same, "
            "crediting a "
            "perfect map only with the cells that had records (NIJ 2017). Shares of county-wide records.",
        ],
    )


def _repeat_sentence(ctx: Context, definition: Definition) -> list:
    from safer_communities.analysis.repeat_places import repeat_places
    from safer_communities.publish.sna_shared import area_points

    points = area_points(ctx, definition)  # the same records as the hot spot map (one query)
    if len(points) < 100:
        return []
    from safer_communities.publish.sna_tables import located_count_published

    top = repeat_places(points, top=20)
    share = float(top["share"].sum())
    # The located records are the area's count (a district) or the county less its unplaced records:
    # said only where the publication grid publishes them.
    records = f"{top.attrs['records']:,} " if located_count_published(ctx, definition) else ""
    return [
        Paragraph(
            f"The 20 police.uk map points with most {definition.label.lower()} in {ctx.area_name} hold "
            f"{share:.0%} of its {records}located records in {ctx.period.words}; "
            f"{top.attrs['repeat_share']:.0%} are at map points with two or more. {top.attrs['caveat']}",
            kind="note",
        )
    ]
