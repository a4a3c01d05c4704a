"""`safer evidence hotspots | concentration | near-repeat`: the spatial commands (registered on the
``evidence`` group). Parse, call ``safer_communities.analysis``, print."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated

import typer

from safer_communities.cli.common import console_err, print_json
from safer_communities.cli.evidence import (
    AreaOpt,
    CsvOpt,
    DefsOpt,
    GpkgOpt,
    InternalOpt,
    IssueOpt,
    JsonOpt,
    PeriodOpt,
    _emit,
    _store,
    app,
)
from safer_communities.cli.evidence_grid import _grid, _marked, _publishing

CellOpt = Annotated[
    float | None,
    typer.Option(
        "--cell-size-m", help="Grid cell size in metres (default: automatic, announced).", show_default=False
    ),
]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="Do not announce automatic choices.")]


def _announce_to_stderr(quiet: bool) -> None:
    """Show the spatial core's announcements ("Cell size set to 250 m") on stderr."""
    logger = logging.getLogger("safer_communities.analysis")
    if quiet or any(getattr(h, "_safer_cli", False) for h in logger.handlers):
        return
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(message)s"))
    handler._safer_cli = True  # type: ignore[attr-defined]
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)


@app.command("hotspots")
def hotspots_cmd(
    ctx: typer.Context,
    issue: IssueOpt,
    method: Annotated[str, typer.Option("--method", help="count, kde, gistar or classify.")] = "gistar",
    period: PeriodOpt = "latest-12-months",
    area: AreaOpt = None,
    cell_size_m: CellOpt = None,
    bandwidth_m: Annotated[
        float | None,
        typer.Option(
            "--bandwidth-m",
            help="KDE bandwidth / Gi* neighbour distance in metres (default: automatic, announced).",
            show_default=False,
        ),
    ] = None,
    harm: Annotated[bool, typer.Option("--harm", help="Weight records by harm (CCHI days).")] = False,
    all_cells: Annotated[
        bool,
        typer.Option(
            "--all-cells", help="JSON/CSV: every cell, not only cells with records or a hot/cold class."
        ),
    ] = False,
    definitions: DefsOpt = None,
    quiet: QuietOpt = False,
    as_json: JsonOpt = False,
    csv: CsvOpt = None,
    gpkg: GpkgOpt = None,
    internal: InternalOpt = False,
) -> None:
    """Hotspots on a British National Grid grid clipped to the study area (GeoPackage with --gpkg).

    Files (--csv, --gpkg) of a density surface are the kernel density of the publication grid's LSOA
    counts (financial years) and cell counts are not written; Gi* files (gistar, classify) are for a
    financial year, computed from protected cell counts (1-4 as 2.5) without counts or p-values; unless
    --internal."""
    from safer_communities.analysis.spatial import hotspot_table, issue_hotspots

    _announce_to_stderr(quiet or as_json)
    if _publishing(csv, gpkg, internal) and method in ("kde", "count"):
        _published_surface(ctx, issue, method, period, area, cell_size_m, bandwidth_m, harm, definitions,
                           quiet=quiet, as_json=as_json, csv=csv, gpkg=gpkg)
        return
    with _store(ctx) as con:
        if _publishing(csv, gpkg, internal):  # gistar, classify: from protected cell counts
            grid = published_cell_grid(con, ctx, issue, method, period, area, definitions, harm=harm,
                                       cell_size_m=cell_size_m, bandwidth_m=bandwidth_m, quiet=quiet)
        else:
            grid = None
        grid = grid if grid is not None else _marked(issue_hotspots(
            con,
            issue,
            method=method,
            period=period,
            area_code=area,
            cell_size_m=cell_size_m,
            bandwidth_m=bandwidth_m,
            harm=harm,
            quiet=quiet,
            definitions=definitions,
        ), internal)
    table = hotspot_table(grid, all_cells=all_cells)
    _emit(
        table,
        as_json=as_json,
        csv=csv,
        gpkg=gpkg,
        to_map=lambda: grid,
        layer=f"{issue}_{method}",
        title=f"{issue}: {grid.attrs['method']} hotspots, {grid.attrs['period_label']} "
        f"({grid.attrs['cell_size_m']:g} m cells)",
    )


def published_cell_grid(con: object, ctx: typer.Context, issue: str, method: str, period: str | None,
                        area: str | None, definitions: Path | None, *, harm: bool = False,
                        cell_size_m: float | None = None, bandwidth_m: float | None = None,
                        quiet: bool = False, periods: str | None = None) -> object:
    """A grid-cell Gi*, history or emerging layer for publication: a financial year of the publication
    grid (refused otherwise), Gi* from protected cell counts, only the published columns."""
    from safer_communities.analysis.prevention import issue_emerging
    from safer_communities.analysis.spatial import issue_hotspots
    from safer_communities.cli.common import settings_from
    from safer_communities.publish.grid import OffGridError
    from safer_communities.publish.grid_cells import CELL_PERIODS, published_cells, stand_in_below

    settings = settings_from(ctx)
    if harm:
        raise OffGridError("A harm-weighted Gi* is not on the publication grid: harm has no small-count band "
                           "to protect, and one serious record moves a cell's score.", found="--harm",
                           hint="Drop --harm for publication, or add --internal for your own analysis.")
    try:
        _, gp = _grid(con, ctx, issue, "lsoa", period, definitions)
    except OffGridError as exc:
        raise OffGridError(CELL_PERIODS, found=exc.found, hint=exc.hint) from exc
    below = stand_in_below(settings)
    if method == "emerging":
        grid = issue_emerging(con, issue, period=gp.label, area_code=area, cell_size_m=cell_size_m,
                              periods=periods or "month", quiet=quiet, definitions=definitions,
                              stand_in_below=below)
    else:
        grid = issue_hotspots(con, issue, method=method, period=gp.label, area_code=area,
                              cell_size_m=cell_size_m, bandwidth_m=bandwidth_m, quiet=quiet,
                              definitions=definitions, stand_in_below=below)
    return published_cells(grid, method, settings)


def _published_surface(ctx: typer.Context, issue: str, method: str, period: str, area: str | None,
                       cell_size_m: float | None, bandwidth_m: float | None, harm: bool,
                       definitions: Path | None, *, quiet: bool, as_json: bool, csv: str | None,
                       gpkg: Path | None) -> None:
    """A density surface for publication: the KDE of the grid's published LSOA counts. Cell counts and
    harm-weighted surfaces are not on the grid, so they are refused (--internal writes them, marked)."""
    from safer_communities.publish.grid import OffGridError
    from safer_communities.publish.grid_exports import kde_surface

    if method == "count" or harm:
        raise OffGridError(
            "Grid-cell counts and harm-weighted surfaces are not on the publication grid, so they cannot be "
            "written for publication: a cell count of 1 to 4, or a surface around one record, shows where a "
            "withheld record lies.",
            found=f"--method {method}" + (" --harm" if harm else ""),
            hint="Write --method kde (the density of the published LSOA counts) or gistar for publication; "
                 "add --internal for a file for your own analysis, marked not for publication.")
    with _store(ctx) as con:
        protected, gp = _grid(con, ctx, issue, "lsoa", period, definitions)
        grid = kde_surface(con, protected, gp, area=area, cell_size_m=cell_size_m, bandwidth_m=bandwidth_m,
                           quiet=quiet)
    import pandas as pd

    table = pd.DataFrame(grid.drop(columns="geometry"))
    table = table[table["kde"] > 0].reset_index(drop=True)
    table.attrs.update(grid.attrs)
    _emit(table, as_json=as_json, csv=csv, gpkg=gpkg, to_map=lambda: grid, layer=f"{issue}_kde",
          title=f"{issue}: {grid.attrs['method']}, {gp.label} ({grid.attrs['cell_size_m']:g} m cells)")


@app.command("concentration")
def concentration_cmd(
    ctx: typer.Context,
    issue: IssueOpt,
    unit: Annotated[str, typer.Option("--unit", help="lsoa, cell or point.")] = "lsoa",
    period: PeriodOpt = "latest-12-months",
    area: AreaOpt = None,
    cell_size_m: CellOpt = None,
    lorenz: Annotated[bool, typer.Option("--lorenz", help="Print the Lorenz curve instead.")] = False,
    definitions: DefsOpt = None,
    quiet: QuietOpt = False,
    as_json: JsonOpt = False,
    csv: CsvOpt = None,
    internal: InternalOpt = False,
) -> None:
    """Share of the issue in the top 1%, 5% and 10% of LSOAs, grid cells or map points; Gini.

    A --csv file is computed from the publication grid's LSOA figures (financial years) unless --internal;
    grid cells and map points are not on the grid and need --internal."""
    from safer_communities.analysis.spatial import issue_concentration

    _announce_to_stderr(quiet or as_json)
    if _publishing(csv, None, internal):
        from safer_communities.publish.grid import OffGridError
        from safer_communities.publish.grid_exports import concentration_frame

        if unit != "lsoa":
            raise OffGridError("Only LSOA concentration is on the publication grid.", found=f"--unit {unit}",
                               hint="Use --unit lsoa, or add --internal for your own analysis.")
        with _store(ctx) as con:
            protected, gp = _grid(con, ctx, issue, "lsoa", period, definitions)
            frame = concentration_frame(protected, gp, area=area)
    else:
        with _store(ctx) as con:
            frame = _marked(issue_concentration(
                con,
                issue,
                unit=unit,
                period=period,
                area_code=area,
                cell_size_m=cell_size_m,
                quiet=quiet,
                definitions=definitions,
            ), internal)
    if lorenz:
        curve = frame.attrs["lorenz"]
        curve.attrs.update({k: v for k, v in frame.attrs.items() if k != "lorenz"})
        _emit(curve, as_json=as_json, csv=csv, title=f"{issue}: Lorenz curve over {unit}s")
        return
    _emit(
        frame,
        as_json=as_json,
        csv=csv,
        extra=[
            f"Gini coefficient {frame.attrs['gini']:.3f} over {frame.attrs['units']:,} {unit}s "
            f"and {frame.attrs['records']:,} records."
        ],
        title=f"{issue}: concentration over {unit}s, {frame.attrs.get('period_label', '')}",
    )


@app.command("near-repeat")
def near_repeat_cmd(
    events: Annotated[
        Path,
        typer.Argument(
            help="Partner CSV with x, y (EPSG:27700 metres) and date (day).", exists=True, dir_okay=False
        ),
    ],
    spatial_band_m: Annotated[
        float, typer.Option("--spatial-band-m", help="Width of each distance band.")
    ] = 200,
    spatial_bands: Annotated[int, typer.Option("--spatial-bands", help="Number of distance bands.")] = 3,
    temporal_band_days: Annotated[
        int, typer.Option("--temporal-band-days", help="Width of each time band.")
    ] = 1,
    temporal_bands: Annotated[int, typer.Option("--temporal-bands", help="Number of time bands.")] = 3,
    permutations: Annotated[int, typer.Option("--permutations", help="Monte Carlo permutations.")] = 99,
    distance: Annotated[str, typer.Option("--distance", help="manhattan or euclidean.")] = "manhattan",
    seed: Annotated[
        int | None, typer.Option("--seed", help="Random seed (repeatable results).", show_default=False)
    ] = None,
    quiet: QuietOpt = False,
    as_json: JsonOpt = False,
    csv: CsvOpt = None,
) -> None:
    """Knox near-repeat test on dated partner records (police.uk month-only dates are refused)."""
    from safer_communities.analysis.nearrepeat import knox_test
    from safer_communities.analysis.spatial import read_events_csv

    _announce_to_stderr(quiet or as_json)
    frame = knox_test(
        read_events_csv(events),
        spatial_bands_m=[spatial_band_m * (i + 1) for i in range(spatial_bands)],
        temporal_bands_days=[temporal_band_days * (i + 1) for i in range(temporal_bands)],
        permutations=permutations,
        distance=distance,
        seed=seed,
        quiet=quiet or as_json,
    )
    if as_json:
        from safer_communities.analysis.results import to_records
        from safer_communities.cli.evidence import json_meta, result_notes

        title = f"Knox near-repeat test: {events.name}, {permutations} permutations"
        print_json({"records": to_records(frame),
                    "meta": json_meta(frame, title=title, notes=result_notes(frame))})
        return
    _emit(
        frame,
        as_json=False,
        csv=csv,
        title=f"Knox near-repeat test: {events.name}, {permutations} permutations",
    )
    if csv and csv != "-":
        console_err.print(f"Written to {csv}.")
