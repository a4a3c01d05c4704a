"""`safer evidence ...`: rates, trends, harm, hotspots and the rest of the evidence, as tables, JSON, CSV or
GeoPackage. Commands parse options, call ``safer_communities.analysis`` and print: no SQL, no statistics."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer

from safer_communities.cli.common import print_json, store_path_from
from safer_communities.cli.evidence_grid import (
    _export_grid,
    _grid,
    _marked,
    _protected_compare,
    _protected_series,
    _publishing,
)
from safer_communities.cli.evidence_output import (  # noqa: F401  (used by the other evidence modules)
    MAX_TERMINAL_ROWS,
    SUMMARY_ROWS,
    _emit,
    _fmt,
    _table_columns,
    json_meta,
    result_notes,
)

app = typer.Typer(
    help="The evidence: rates, trends, harm, hotspots, deprivation, outcomes, road safety, peers.",
    no_args_is_help=True,
)

IssueOpt = Annotated[
    str, typer.Option("--issue", "-i", help="Issue id, e.g. violence, serious-violence, asb.")
]
LevelOpt = Annotated[str, typer.Option("--area-level", help="lsoa, district or county.")]
PeriodOpt = Annotated[
    str, typer.Option("--period", help="2021, 2021-07, 2021-04..2022-03 or latest-12-months.")
]
PeriodAllOpt = Annotated[
    str | None,
    typer.Option(
        "--period",
        help="2021, 2021-04..2022-03, latest-12-months; default: every month loaded.",
        show_default=False,
    ),
]
AreaOpt = Annotated[str | None, typer.Option("--area", help="Only this area (GSS code).", show_default=False)]
DefsOpt = Annotated[
    Path | None,
    typer.Option(
        "--definitions",
        help="Your area's definitions file (YAML); default: the bundled definitions.",
        show_default=False,
    ),
]
JsonOpt = Annotated[
    bool, typer.Option("--json", help="Print a JSON object: records, and meta (missing months, notes).")
]
CsvOpt = Annotated[
    str | None, typer.Option("--csv", help="Write CSV to PATH ('-' for stdout).", show_default=False)
]
GpkgOpt = Annotated[
    Path | None, typer.Option("--gpkg", help="Write a GeoPackage map layer to PATH.", show_default=False)
]
InternalOpt = Annotated[bool, typer.Option(
    "--internal", help="Export the true counts (--csv/--gpkg), marked internal: not for publication. "
                       "Without it, exported counts are those of the publication grid, protected.")]


@contextmanager
def _store(ctx: typer.Context) -> Iterator[Any]:
    from safer_communities.store.evidence import connect

    con = connect(store_path_from(ctx), read_only=True)
    try:
        yield con
    finally:
        con.close()


@app.command("definitions")
def definitions_cmd(definitions: DefsOpt = None, as_json: JsonOpt = False, csv: CsvOpt = None) -> None:
    """List the issue definitions with their versions (which records measure each issue)."""
    import pandas as pd

    from safer_communities.analysis.definitions import load_definitions

    defs = load_definitions(definitions)
    frame = pd.DataFrame([d.to_dict() for d in defs])
    frame["crime_types"] = frame["crime_types"].map(lambda v: "; ".join(v))
    frame["severity"] = frame["severity"].map(lambda v: ", ".join(map(str, v)))
    frame["source"] = frame["source"].fillna("none: no open data")
    if as_json:
        print_json({"records": [d.to_dict() for d in defs], "meta": {"version": defs.version,
                                                                   "path": defs.path}})
        return
    shown = frame if csv else frame[["issue", "version", "label", "source", "crime_types", "proxy"]]
    _emit(shown, as_json=False, csv=csv, title=f"Issue definitions ({defs.path}, version {defs.version})")


@app.command("rates")
def rates_cmd(
    ctx: typer.Context,
    issue: IssueOpt,
    area_level: LevelOpt = "district",
    period: PeriodOpt = "latest-12-months",
    definitions: DefsOpt = None,
    as_json: JsonOpt = False,
    csv: CsvOpt = None,
    gpkg: GpkgOpt = None,
    internal: InternalOpt = False,
) -> None:
    """Counts and rates per 1,000 residents with exact 95% confidence intervals.

    Files (--csv, --gpkg) hold the protected counts of the publication grid unless --internal."""
    from safer_communities.analysis import results
    from safer_communities.analysis.rates import rate_table

    with _store(ctx) as con:
        if (csv is not None or gpkg is not None) and not internal:
            frame = _export_grid(con, ctx, issue, area_level, period, definitions)
        else:  # a Table: printed without pandas; files and --internal read it as a DataFrame
            frame = rate_table(con, issue, area_level=area_level, period=period, definitions=definitions)
            if internal:
                frame = _marked(frame.to_frame(), internal)
        _emit(
            frame,
            as_json=as_json,
            csv=csv,
            gpkg=gpkg,
            layer=f"{issue}_rates",
            to_map=lambda: results.with_geometry(con, frame, area_level),
            title=f"{issue}: rate per 1,000 residents, {frame.attrs['period_label']}",
        )


@app.command("trends")
def trends_cmd(
    ctx: typer.Context,
    issue: IssueOpt,
    area_level: LevelOpt = "county",
    area: AreaOpt = None,
    period: PeriodAllOpt = None,
    kind: Annotated[str, typer.Option("--kind", help="series, seasonality or long-run.")] = "series",
    definitions: DefsOpt = None,
    as_json: JsonOpt = False,
    csv: CsvOpt = None,
    internal: InternalOpt = False,
) -> None:
    """Monthly series (missing months are gaps), seasonality index, or the long-run trend test.

    A --csv of a monthly series holds the publication grid's protected months unless --internal."""
    from safer_communities.errors import InputError

    if kind not in ("series", "seasonality", "long-run"):
        raise InputError("That kind of trend is not known.", found=repr(kind),
                         hint="Use --kind series, seasonality or long-run.")
    with _store(ctx) as con:
        if kind == "series":  # a Table: printed without pandas; files and --internal read it as a frame
            from safer_communities.analysis.monthly import series_table as function
        else:
            from safer_communities.analysis import trends

            function = trends.seasonality if kind == "seasonality" else trends.long_run_trend
        frame = function(con, issue, area_level=area_level, area_code=area, period=period,
                         definitions=definitions)
        if kind == "series" and (csv is not None or internal):
            frame = frame.to_frame()
        if csv is not None and not internal:
            frame = _protected_series(con, ctx, frame, issue, area_level, area, period, definitions, kind)
    if internal:
        from safer_communities.publish.grid import mark_internal

        frame = mark_internal(frame)
    extra = [frame.attrs["method"]] if "method" in frame.attrs else []
    _emit(
        frame,
        as_json=as_json,
        csv=csv,
        extra=extra,
        title=f"{issue}: {kind.replace('-', ' ')}, {frame.attrs['period_label']}",
    )


@app.command("compare")
def compare_cmd(
    ctx: typer.Context,
    issue: IssueOpt,
    area_level: LevelOpt = "county",
    period: PeriodOpt = "latest-12-months",
    area: AreaOpt = None,
    definitions: DefsOpt = None,
    against: Annotated[
        str,
        typer.Option(
            "--against",
            help="year-before (the same months a year earlier: like with like) or previous (just before).",
        ),
    ] = "year-before",
    as_json: JsonOpt = False,
    csv: CsvOpt = None,
    internal: InternalOpt = False,
) -> None:
    """The period against the same months a year earlier (or just before): rate ratio, exact 95% CI.

    A --csv file needs both periods on the publication grid and withholds an area's row where either
    count is withheld, unless --internal."""
    from safer_communities.analysis.trends import compare_periods

    with _store(ctx) as con:
        frame = compare_periods(
            con,
            issue,
            area_level=area_level,
            period=period,
            area_code=area,
            definitions=definitions,
            against=against,
        )
        if _publishing(csv, None, internal):
            frame = _protected_compare(con, ctx, frame, issue, area_level, definitions)
        frame = _marked(frame, internal)
    _emit(
        frame,
        as_json=as_json,
        csv=csv,
        extra=[frame.attrs["method"]],
        title=f"{issue}: {frame.attrs['period_label']} against {frame['previous_period'].iloc[0]}",
    )


@app.command("harm")
def harm_cmd(
    ctx: typer.Context,
    issue: Annotated[str, typer.Option("--issue", "-i", help="Issue id, or 'all' for all crime.")] = "all",
    area_level: LevelOpt = "district",
    period: PeriodOpt = "latest-12-months",
    weights: Annotated[
        str | None, typer.Option("--weights", help="Harm weights version.", show_default=False)
    ] = None,
    definitions: DefsOpt = None,
    by_crime_type: Annotated[
        bool,
        typer.Option("--by-crime-type", help="Each crime type's share of all crime's records and harm."),
    ] = False,
    as_json: JsonOpt = False,
    csv: CsvOpt = None,
    gpkg: GpkgOpt = None,
    internal: InternalOpt = False,
) -> None:
    """Harm-weighted counts (Cambridge Crime Harm Index days) and harm per 1,000 residents.

    Files (--csv, --gpkg) hold the publication grid's counts, harm withheld with its count, unless
    --internal."""
    from safer_communities.analysis import results
    from safer_communities.analysis.harm import all_crime_definition, harm_mix, harm_weights, issue_harm

    if by_crime_type and _publishing(csv, gpkg, internal):
        from safer_communities.publish.grid import OffGridError

        raise OffGridError("Crime-type shares of all crime are not on the publication grid.",
                           found="--by-crime-type with a file", hint="Add --internal for your own analysis.")
    if by_crime_type:
        with _store(ctx) as con:
            frame = harm_mix(con, area_level=area_level, period=period, weights_version=weights)
        _emit(frame, as_json=as_json, csv=csv,
              title=f"All crime: each crime type's share of records and harm, {frame.attrs['period_label']}")
        return
    with _store(ctx) as con:
        if _publishing(csv, gpkg, internal):
            from safer_communities.publish.grid_exports import harm_frame

            chosen = all_crime_definition(harm_weights(weights)) if issue == "all" else issue
            protected, gp = _grid(con, ctx, chosen, area_level, period, definitions)
            frame = harm_frame(con, protected, area_level, gp, weights_version=weights)
        else:
            frame = issue_harm(
                con,
                None if issue == "all" else issue,
                area_level=area_level,
                period=period,
                weights_version=weights,
                definitions=definitions,
            )
            frame = _marked(frame, internal)
        _emit(
            frame,
            as_json=as_json,
            csv=csv,
            gpkg=gpkg,
            layer="harm",
            to_map=lambda: results.with_geometry(con, frame, area_level),
            extra=[
                f"Harm weights {frame.attrs['harm_version']} ({frame.attrs['harm_unit']}); "
                f"{frame.attrs['harm_citation']}"
            ],
            title=f"{issue}: harm, {frame.attrs['period_label']}",
        )


@app.command("deprivation")
def deprivation_cmd(
    ctx: typer.Context,
    issue: IssueOpt,
    period: PeriodOpt = "latest-12-months",
    domain: Annotated[str, typer.Option("--domain", help="imd or one IMD 2019 domain.")] = "imd",
    area: AreaOpt = None,
    definitions: DefsOpt = None,
    as_json: JsonOpt = False,
    csv: CsvOpt = None,
    internal: InternalOpt = False,
) -> None:
    """Rates by IMD 2019 decile and the most / least deprived rate ratio.

    A --csv file sums the publication grid's LSOA figures (financial years only) unless --internal."""
    from safer_communities.analysis.deprivation import rates_by_decile

    with _store(ctx) as con:
        if _publishing(csv, None, internal):
            from safer_communities.publish.grid_exports import deciles_frame

            protected, gp = _grid(con, ctx, issue, "lsoa", period, definitions)
            frame = deciles_frame(con, protected, gp, domain=domain, area=area)
        else:
            frame = _marked(rates_by_decile(
                con, issue, period=period, domain=domain, area_code=area, definitions=definitions
            ), internal)
    r = frame.attrs["ratio"]
    line = (
        f"Rate ratio, decile {r['most_deprived_decile']} to decile {r['least_deprived_decile']}: "
        f"{r['rate_ratio']:.2f} (95% CI {r['ci_low']:.2f} to {r['ci_high']:.2f}). {r['note']}"
    ).strip()
    _emit(
        frame,
        as_json=as_json,
        csv=csv,
        extra=[line],
        title=f"{issue}: rate per 1,000 by {domain} decile (1 = most deprived), "
        f"{frame.attrs['period_label']}",
    )


@app.command("outcomes")
def outcomes_cmd(
    ctx: typer.Context,
    issue: IssueOpt,
    area_level: LevelOpt = "county",
    period: PeriodOpt = "latest-12-months",
    summary: Annotated[bool, typer.Option("--summary", help="One row per area: shares only.")] = False,
    definitions: DefsOpt = None,
    as_json: JsonOpt = False,
    csv: CsvOpt = None,
    internal: InternalOpt = False,
) -> None:
    """Outcomes of the issue's crimes; share with no suspect identified, share charged or summonsed.

    A --csv file holds outcomes protected for the county and its districts together unless --internal."""
    from safer_communities.analysis.outcomes import outcome_shares, outcome_summary

    if _publishing(csv, None, internal):
        from safer_communities.publish.grid_exports import outcomes_frame

        with _store(ctx) as con:
            protected, gp = _grid(con, ctx, issue, "district", period, definitions)
            frame = outcomes_frame(con, protected, area_level, gp)
        if summary:
            import pandas as pd

            shares = pd.DataFrame([{"area_code": code, **values}
                                   for code, values in frame.attrs["shares"].items()
                                   if code in set(frame["area_code"])])
            shares.attrs = dict(frame.attrs)
            frame = shares
        _emit(frame, as_json=as_json, csv=csv, title=f"{issue}: outcomes, {frame.attrs['period_label']}")
        return
    with _store(ctx) as con:
        frame = _marked(outcome_summary(con, issue, period=period, area_level=area_level,
                                        definitions=definitions), internal)
    shares = outcome_shares(frame)
    extra = [
        f"{r.area_name}: no suspect identified {r.no_suspect_share:.1%}, charged or summonsed "
        f"{r.charged_share:.1%} of {r.crimes:,} crimes"
        for r in shares.itertuples()
    ]
    _emit(
        shares if summary else frame,
        as_json=as_json,
        csv=csv,
        extra=[] if summary else extra,
        title=f"{issue}: outcomes, {frame.attrs['period_label']}",
    )


@app.command("road-safety")
def road_safety_cmd(
    ctx: typer.Context,
    area_level: LevelOpt = "district",
    period: PeriodAllOpt = None,
    severity: Annotated[str, typer.Option("--severity", help="ksi, all, fatal, serious, slight.")] = "ksi",
    times: Annotated[bool, typer.Option("--times", help="Hour x day-of-week table instead.")] = False,
    area: AreaOpt = None,
    definitions: DefsOpt = None,
    as_json: JsonOpt = False,
    csv: CsvOpt = None,
    gpkg: GpkgOpt = None,
) -> None:
    """STATS19 collisions by area and year per 100,000 residents (or by time of day and day of week)."""
    from safer_communities.analysis import results
    from safer_communities.analysis.road_safety import collision_rates, collision_times

    with _store(ctx) as con:
        if times:
            table = collision_times(con, period=period, severity=severity, area_code=area)
            frame = table.reset_index()
            frame.attrs.update(table.attrs)
            _emit(
                frame,
                as_json=as_json,
                csv=csv,
                title=f"Collisions ({severity}) by hour and day, {table.attrs['period_label']}",
            )
            return
        frame = collision_rates(
            con, area_level=area_level, period=period, severity=severity, definitions=definitions
        )
        _emit(
            frame,
            as_json=as_json,
            csv=csv,
            gpkg=gpkg,
            layer=f"collisions_{severity}",
            to_map=lambda: results.with_geometry(con, frame, area_level),
            title=f"Collisions ({severity}) per 100,000 residents, {frame.attrs['period_label']}",
        )


@app.command("peers")
def peers_cmd(
    ctx: typer.Context,
    issue: IssueOpt,
    area_level: LevelOpt = "district",
    period: PeriodOpt = "latest-12-months",
    definitions: DefsOpt = None,
    overdispersion: Annotated[
        str,
        typer.Option(
            "--overdispersion",
            help="Overdispersion allowance (Spiegelhalter 2005): multiplicative, additive or none.",
        ),
    ] = "multiplicative",
    as_json: JsonOpt = False,
    csv: CsvOpt = None,
    gpkg: GpkgOpt = None,
    internal: InternalOpt = False,
) -> None:
    """Each area against the overall rate, with funnel-plot limits (95% and 99.8%) allowing for
    overdispersion.

    Files (--csv, --gpkg) are computed from the publication grid's counts unless --internal."""
    from safer_communities.analysis import results
    from safer_communities.analysis.peers import funnel

    with _store(ctx) as con:
        if _publishing(csv, gpkg, internal):
            from safer_communities.publish.grid_exports import funnel_frame

            protected, gp = _grid(con, ctx, issue, area_level, period, definitions)
            frame = funnel_frame(protected, area_level, gp, overdispersion_method=overdispersion)
        else:
            frame = _marked(funnel(
                con,
                issue,
                period=period,
                area_level=area_level,
                definitions=definitions,
                overdispersion_method=overdispersion,
            ), internal)
        _emit(
            frame,
            as_json=as_json,
            csv=csv,
            gpkg=gpkg,
            layer=f"{issue}_peers",
            to_map=lambda: results.with_geometry(con, frame, area_level),
            extra=[frame.attrs["method"]],
            title=f"{issue}: areas against the overall rate, {frame.attrs['period_label']}",
        )


# Register the commands of the other evidence modules on this app (hotspots, concentration, near-repeat;
# forecast, emerging, repeat-places; indicators; partner ...).
for _module in ("evidence_maps", "evidence_prevention", "evidence_partner", "evidence_partner_records"):
    __import__(f"safer_communities.cli.{_module}")
