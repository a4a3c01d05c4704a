"""`safer ingest ...`: load source files into the evidence store, one transaction per command."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from safer_communities.cli.common import console_err, print_json, settings_from
from safer_communities.cli.tables import show
from safer_communities.ingest.common import IngestReport
from safer_communities.ingest.runner import run_ingest

app = typer.Typer(
    help="Load police.uk archives and reference data into the evidence store.",
    no_args_is_help=True,
)

PathsArg = Annotated[
    list[Path],
    typer.Argument(help="Files, folders or zip archives.", exists=True, show_default=False),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON object instead of a table.")]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")]


class _RichProgress:
    """Adapts the ingesters' Progress protocol to a Rich progress bar on stderr."""

    def __init__(self, bar: Progress) -> None:
        self.bar = bar
        self.task: Any = None

    def start(self, total: int, description: str) -> None:
        self.task = self.bar.add_task(description, total=total)

    def advance(self, description: str) -> None:
        if self.task is not None:
            self.bar.update(self.task, advance=1, description=description)


def _run(ctx: typer.Context, source: str, paths: list[Path], as_json: bool, quiet: bool,
         **options: Any) -> None:
    settings = settings_from(ctx)
    if as_json or quiet:
        report = run_ingest(settings.db, source, paths, **options)
    else:
        columns = (TextColumn("{task.description}", markup=False), BarColumn(), MofNCompleteColumn(),
                   TimeElapsedColumn())
        with Progress(*columns, console=console_err, transient=True) as bar:
            report = run_ingest(settings.db, source, paths, progress=_RichProgress(bar), **options)
    _print_report(report, settings.db, as_json)


def _print_report(report: IngestReport, db: Path, as_json: bool) -> None:
    if as_json:
        print_json(report.to_dict())
        return
    table = Table(title=f"{report.source}: {len(report.files)} file(s) into {db}")
    table.add_column("file", overflow="fold")
    table.add_column("kind")
    for column in ("read", "loaded", "rejected", "replaced"):
        table.add_column(column, justify="right", no_wrap=True)
    table.add_column("status")
    for f in report.files:  # the file name carries the month for police.uk files
        table.add_row(Path(f.path.split("!")[-1]).name, f.kind, f"{f.rows_read:,}", f"{f.rows_loaded:,}",
                      f"{f.rows_rejected:,}", f"{f.rows_replaced:,}", f.status)
    table.add_section()
    table.add_row("total", "", f"{report.rows_read:,}", f"{report.rows_loaded:,}",
                  f"{report.rows_rejected:,}", f"{report.rows_replaced:,}", "")
    show(table)
    for warning in report.warnings:
        console_err.print(f"[yellow]Warning:[/] {escape(warning)}", markup=True, highlight=False)
    if report.rows_rejected:
        console_err.print(
            f"{report.rows_rejected:,} row(s) rejected: see the 'rejects' table for file, line, "
            "field and reason.", highlight=False)


@app.command("police-uk")
def police_uk(
    ctx: typer.Context,
    paths: PathsArg,
    force: Annotated[str | None, typer.Option(
        "--force", help="Force slug (e.g. 'lancashire') for files whose name does not say it.")] = None,
    replace: Annotated[bool, typer.Option(
        "--replace", help="Replace a month the store holds even when the new file looks incomplete "
                          "(far fewer rows, many rejects, another month's rows); see "
                          "docs/security-ingest.md.")] = False,
    as_json: JsonOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """police.uk street, outcomes and stop-and-search files: an archive zip, a folder or CSVs."""
    _run(ctx, "police-uk", paths, as_json, quiet, force=force, replace=replace)


@app.command("geography")
def geography(
    ctx: typer.Context,
    paths: PathsArg,
    county_lookup: Annotated[Path | None, typer.Option(
        "--county-lookup", exists=True,
        help="CSV of district_code,upper_tier_code,upper_tier_name,county_code,county_name "
             "for districts outside the shipped table.")] = None,
    as_json: JsonOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """LSOA boundaries (GeoJSON per district) and the ONS LSOA 2011/2021 lookups: the study area."""
    _run(ctx, "geography", paths, as_json, quiet, county_lookup=county_lookup)


@app.command("population")
def population(ctx: typer.Context, paths: PathsArg, as_json: JsonOpt = False,
               quiet: QuietOpt = False) -> None:
    """ONS small-area population estimates (LSOA by year)."""
    _run(ctx, "population", paths, as_json, quiet)


@app.command("deprivation")
def deprivation(ctx: typer.Context, paths: PathsArg, as_json: JsonOpt = False,
                quiet: QuietOpt = False) -> None:
    """English Indices of Deprivation 2019 (IMD and the seven domains)."""
    _run(ctx, "deprivation", paths, as_json, quiet)


@app.command("stats19")
def stats19(ctx: typer.Context, paths: PathsArg, as_json: JsonOpt = False,
            quiet: QuietOpt = False) -> None:
    """DfT STATS19 road collision files."""
    _run(ctx, "stats19", paths, as_json, quiet)


@app.command("indicators")
def indicators(
    ctx: typer.Context,
    paths: PathsArg,
    fmt: Annotated[str, typer.Option(
        "--format", help="auto | fingertips | dfe | ons | lait | ons-pfa-tables (auto recognises each "
                         "file by its columns).")] = "auto",
    as_json: JsonOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Published partner statistics: Fingertips, DfE (Explore Education Statistics, LAIT), ONS."""
    _run(ctx, "indicators", paths, as_json, quiet, fmt=fmt)


@app.command("partner-feed")
def partner_feed(
    ctx: typer.Context,
    paths: PathsArg,
    schema: Annotated[str, typer.Option("--schema", help="istv, force-crimes or council-asb.")],
    agreement: Annotated[str, typer.Option("--agreement", help="The information-sharing agreement id.")],
    keep_free_text: Annotated[bool, typer.Option(
        "--keep-free-text", help="Keep free-text descriptions (for analysts); dropped by default.")] = False,
    as_json: JsonOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Record-level partner feeds, under an agreement that covers them (refused whole otherwise);
    identifiers are pseudonymised with SAFER_PSEUDONYM_KEY."""
    import getpass
    from datetime import date

    from safer_communities.ingest.partner_feed import check_key, schema_of
    from safer_communities.sharing import require_agreement
    from safer_communities.store.app_db import open_app_db
    from safer_communities.web import audit

    settings = settings_from(ctx)
    schema_of(schema)
    check_key(settings.pseudonym_key)
    engine = open_app_db(settings.app_db_url)
    actor = f"cli:{getpass.getuser()}"
    require_agreement(engine, agreement, schema, on=date.today(), actor=actor)
    _run(ctx, "partner-feed", paths, as_json, quiet, schema=schema, agreement=agreement,
         key=settings.pseudonym_key, keep_free_text=keep_free_text)
    audit.record(engine, actor=actor, action="partner_feed_loaded", obj=agreement, ip="cli",
                 detail=f"schema {schema}; files {', '.join(p.name for p in paths)}"
                        + ("; free text kept" if keep_free_text else ""))
