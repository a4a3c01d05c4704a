"""`safer evidence forecast | emerging | repeat-places | smoothed-rates`: where to act next (registered
on the ``evidence`` group). Parse, call ``safer_communities.analysis.prevention``, print."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from safer_communities.cli.evidence import (
    AreaOpt,
    CsvOpt,
    DefsOpt,
    GpkgOpt,
    InternalOpt,
    IssueOpt,
    JsonOpt,
    PeriodAllOpt,
    PeriodOpt,
    _emit,
    _store,
    app,
)
from safer_communities.cli.evidence_grid import _marked, _publishing
from safer_communities.cli.evidence_maps import CellOpt, QuietOpt, _announce_to_stderr, published_cell_grid
from safer_communities.errors import InputError

if TYPE_CHECKING:
    import pandas as pd

CellsOpt = Annotated[bool, typer.Option("--cells", help="List the cells instead of the summary.")]


def _drop_z(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.drop(columns=[c for c in frame.columns if c.startswith("z_") or c == "geometry"])


@app.command("forecast")
def forecast_cmd(
    ctx: typer.Context,
    issue: IssueOpt,
    period: PeriodAllOpt = None,
    area: AreaOpt = None,
    cell_size_m: CellOpt = 250.0,
    horizon: Annotated[str, typer.Option("--horizon", help="month or quarter.")] = "month",
    share: Annotated[
        float, typer.Option("--share", help="Share of the area to flag and choose the model by (0.01 = 1%).")
    ] = 0.01,
    cells: CellsOpt = False,
    definitions: DefsOpt = None,
    quiet: QuietOpt = False,
    as_json: JsonOpt = False,
    csv: CsvOpt = None,
    gpkg: GpkgOpt = None,
    internal: InternalOpt = False,
) -> None:
    """Next month's (or quarter's) cells for an issue, with every model's rolling-origin skill.

    The summary gives hit rate, PAI, PEI and PEI* at 1/2/5/10% of the area for each model, averaged over
    origins with their spread; --cells lists the flagged cells of the chosen model; --gpkg maps them.
    Files (--csv, --gpkg) hold the flagged cells and their rank, not the model's score per cell (for a
    naive model, a cell's count of records), unless --internal.
    """
    from safer_communities.analysis.forecast import model_label
    from safer_communities.analysis.prevention import issue_forecast

    months = {"month": 1, "quarter": 3}.get(horizon)
    if months is None:
        raise InputError(
            "--horizon must be month or quarter.", found=repr(horizon), hint="Use --horizon month."
        )
    _announce_to_stderr(quiet or as_json)
    with _store(ctx) as con:
        grid = issue_forecast(
            con,
            issue,
            period=period,
            area_code=area,
            cell_size_m=cell_size_m,
            horizon_months=months,
            focus_share=share,
            quiet=quiet,
            definitions=definitions,
        )
    attrs = grid.attrs
    flag = f"top_{share * 100:g}pct"
    if cells:
        import pandas as pd

        table = pd.DataFrame(grid.loc[grid[flag]].drop(columns="geometry")).sort_values("rank")
        table = table[["rank", "cell_id", "x", "y", "inside", "score"]].reset_index(drop=True)
    else:
        table = attrs["summary"].copy()
        table["model"] = [model_label(m, months, attrs["window_months"]) for m in table["model"]]
        keep = [
            "model",
            "share",
            "origins",
            "hit_rate",
            "hit_rate_min",
            "hit_rate_max",
            "pai",
            "pei",
            "pei_star",
        ]
        table = table[keep + [c for c in table.columns if c.startswith("beats_")]]
    table.attrs.update({k: v for k, v in attrs.items() if k not in ("summary", "scores")})
    note = (
        f"Chosen for {', '.join(attrs['forecast_months'])}: {attrs['model_label']}. Over "
        f"{attrs['origins']} origins it caught {attrs['expected_hit_rate']:.0%} of the issue in "
        f"{share:.0%} of the area (range {attrs['expected_hit_rate_min']:.0%}-"
        f"{attrs['expected_hit_rate_max']:.0%}); it beat the other naive baselines at "
        f"{attrs['beats_baselines']:.0%} of origins."
        if attrs["baselines_compared"]
        else ""
    )
    mapped = grid
    if _publishing(csv, gpkg, internal):  # a score is a cell's count for the naive models: not published
        table = table.drop(columns=["score"], errors="ignore")
        mapped = grid.loc[grid[flag], [c for c in grid.columns if c not in ("score",)]]
    elif internal:
        table, mapped = _marked(table, True), _marked(grid, True)
    _emit(
        table,
        as_json=as_json,
        csv=csv,
        gpkg=gpkg,
        to_map=lambda: mapped,
        layer=f"{issue}_forecast",
        extra=[note] if note else None,
        title=f"{issue}: forecast {'cells' if cells else 'skill'}, learnt from "
        f"{' to '.join(attrs['data_months'])} ({attrs['cell_size_m']:g} m cells)",
    )


@app.command("emerging")
def emerging_cmd(
    ctx: typer.Context,
    issue: IssueOpt,
    period: PeriodAllOpt = None,
    area: AreaOpt = None,
    cell_size_m: CellOpt = 250.0,
    periods: Annotated[str, typer.Option("--periods", help="month or quarter.")] = "month",
    cells: CellsOpt = False,
    definitions: DefsOpt = None,
    quiet: QuietOpt = False,
    as_json: JsonOpt = False,
    csv: CsvOpt = None,
    gpkg: GpkgOpt = None,
    internal: InternalOpt = False,
) -> None:
    """Emerging hot spots: Gi* per period, Mann-Kendall trend, ArcGIS categories (see docs/prevention.md).

    Files (--csv, --gpkg) are for a financial year, from protected cell counts (1-4 as 2.5), categories
    without counts, z-scores or trend statistics, unless --internal."""
    from safer_communities.analysis.prevention import issue_emerging

    _announce_to_stderr(quiet or as_json)
    if _publishing(csv, gpkg, internal):
        with _store(ctx) as con:
            grid = published_cell_grid(con, ctx, issue, "emerging", period, area, definitions,
                                       cell_size_m=cell_size_m, quiet=quiet, periods=periods)
        if cells:
            import pandas as pd

            table = pd.DataFrame(grid[grid["category"] != "no pattern detected"].drop(columns="geometry"))
        else:
            counts = grid["category"].value_counts()
            import pandas as pd

            table = pd.DataFrame({"category": counts.index, "cells": counts.to_numpy()})
        table.attrs.update(grid.attrs)
        _emit(table, as_json=as_json, csv=csv, gpkg=gpkg, to_map=lambda: grid, layer=f"{issue}_emerging",
              title=f"{issue}: emerging hot spots over {len(grid.attrs['periods'])} {periods}s "
              f"({grid.attrs['cell_size_m']:g} m cells, protected counts)")
        return
    with _store(ctx) as con:
        grid = _marked(issue_emerging(
            con,
            issue,
            period=period,
            area_code=area,
            cell_size_m=cell_size_m,
            periods=periods,
            quiet=quiet,
            definitions=definitions,
        ), internal)
    if cells:
        table = _drop_z(grid[grid["category"] != "no pattern detected"]).reset_index(drop=True)
    else:
        counts = grid["category"].value_counts()
        import pandas as pd

        table = pd.DataFrame({"category": counts.index, "cells": counts.to_numpy()})
    table.attrs.update(grid.attrs)
    _emit(
        table,
        as_json=as_json,
        csv=csv,
        gpkg=gpkg,
        to_map=lambda: grid,
        layer=f"{issue}_emerging",
        title=f"{issue}: emerging hot spots over {len(grid.attrs['periods'])} {periods}s "
        f"({grid.attrs['cell_size_m']:g} m cells)",
    )


@app.command("repeat-places")
def repeat_places_cmd(
    ctx: typer.Context,
    issue: IssueOpt,
    period: PeriodOpt = "latest-12-months",
    area: AreaOpt = None,
    top: Annotated[int, typer.Option("--top", help="How many map points to list.")] = 20,
    definitions: DefsOpt = None,
    as_json: JsonOpt = False,
    csv: CsvOpt = None,
    gpkg: GpkgOpt = None,
) -> None:
    """Map points with most records of an issue, their share of it, and the snapping caveat."""
    from safer_communities.analysis.prevention import issue_repeat_places

    with _store(ctx) as con:
        table = issue_repeat_places(
            con, issue, period=period, area_code=area, top=top, definitions=definitions
        )

    def to_map() -> object:
        import geopandas as gpd

        return gpd.GeoDataFrame(
            table, geometry=gpd.points_from_xy(table["easting"], table["northing"]), crs="EPSG:27700"
        )

    _emit(
        table,
        as_json=as_json,
        csv=csv,
        gpkg=gpkg,
        to_map=to_map,
        layer=f"{issue}_repeat_places",
        extra=[
            f"{table.attrs['repeat_share']:.0%} of {table.attrs['records']:,} records are at map points with "
            f"two or more; {table.attrs['points']:,} map points have a record."
        ],
        title=f"{issue}: repeat places, {table.attrs.get('period_label', '')}",
    )


@app.command("smoothed-rates")
def smoothed_rates_cmd(
    ctx: typer.Context,
    issue: IssueOpt,
    period: PeriodOpt = "latest-12-months",
    permutations: Annotated[int, typer.Option("--permutations", help="Conditional permutations.")] = 999,
    definitions: DefsOpt = None,
    as_json: JsonOpt = False,
    csv: CsvOpt = None,
    gpkg: GpkgOpt = None,
) -> None:
    """LSOA rates: raw, empirical-Bayes (global and spatial), and local Moran's I clusters with FDR."""
    from safer_communities.analysis.prevention import issue_smoothed_rates

    with _store(ctx) as con:
        frame = issue_smoothed_rates(
            con, issue, period=period, permutations=permutations, definitions=definitions
        )
    import pandas as pd

    table = pd.DataFrame(frame.drop(columns="geometry"))
    table.attrs.update(frame.attrs)
    _emit(
        table,
        as_json=as_json,
        csv=csv,
        gpkg=gpkg,
        to_map=lambda: frame,
        layer=f"{issue}_smoothed_rates",
        title=f"{issue}: smoothed LSOA rates per 1,000 residents, {frame.attrs.get('period_label', '')}",
    )
