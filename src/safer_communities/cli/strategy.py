"""`safer strategy ...`: load a strategy, see its status, publish a progress report."""

from __future__ import annotations

import getpass
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from safer_communities.cli.common import console, console_err, print_json, settings_from
from safer_communities.cli.tables import show
from safer_communities.errors import InputError
from safer_communities.store.app_db import open_app_db
from safer_communities.store.evidence import connect
from safer_communities.strategy import loader
from safer_communities.strategy.status import StrategyStatus, status

app = typer.Typer(help="Strategies: objectives, actions, owners and indicators computed from the evidence.",
                  no_args_is_help=True)

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")]
TodayOpt = Annotated[str | None, typer.Option("--today", help="Date to check against, YYYY-MM-DD "
                                                              "(default: today).", show_default=False)]
StrategyOpt = Annotated[str | None, typer.Option("--strategy", "-s", help="One strategy id (default: all).",
                                                 show_default=False)]
RATING_STYLE = {"green": "green", "amber": "yellow", "red": "red", "no data": "dim",
                "not enough data to rate": "dim"}


def _today(text: str | None) -> date:
    if text is None:
        return date.today()
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InputError("--today is not a date.", found=repr(text), hint="Use YYYY-MM-DD.") from None


def _evidence(ctx: typer.Context) -> Any:
    path = settings_from(ctx).db
    if not Path(path).is_file():
        raise InputError("The evidence store does not exist.", found=str(path),
                         hint="Give --db PATH (or SAFER_DB), or build the demo store with 'make demo'.")
    return connect(path, read_only=True)


@app.command("load")
def load(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="Strategy YAML file (see docs/strategy.md).")],
    by: Annotated[str | None, typer.Option("--by", help="Who loads it (default: your login name).")] = None,
) -> None:
    """Check a strategy file against the register and the evidence, and store it (all or nothing)."""
    engine = open_app_db(settings_from(ctx).app_db_url)
    con = _evidence(ctx)
    try:
        outcome = loader.load(engine, con, file, by=by or getpass.getuser())
    finally:
        con.close()
    console.print(f"Loaded {len(outcome.strategies)} strategy(ies) from {file}: "
                  f"{', '.join(outcome.strategies)} ({outcome.objectives} objectives, {outcome.actions} "
                  f"actions, {outcome.indicators} indicators), checked against framework version "
                  f"{outcome.framework_version} and definitions {outcome.definitions_version}.",
                  highlight=False)
    if outcome.replaced:
        console.print(f"Replaced the stored version of: {', '.join(outcome.replaced)}.", highlight=False)
    if outcome.baselines_missing:
        console.print(f"No baseline from the evidence for: {', '.join(outcome.baselines_missing)} "
                      "(shown as 'no data' in the status).", highlight=False)


def _fmt(value: float | None, measure: str) -> str:
    if value is None:
        return "-"
    return f"{value:,.2f}" if measure == "rate" or measure.startswith("partner:") else f"{value:,.0f}"


def _print(item: StrategyStatus) -> None:
    label = " [bold magenta]ILLUSTRATIVE EXAMPLE, not an adopted strategy[/]" if item.illustrative else ""
    console.print(f"\n[bold]{escape(item.name)}[/]{label}", highlight=False, markup=True)
    console.print(f"{item.kind_label}, {item.period_start:%d %b %Y} to {item.period_end:%d %b %Y}; "
                  f"next review {item.next_review:%d %b %Y}. Status on {item.today:%d %b %Y}: "
                  + ", ".join(f"{n} {r}" for r, n in item.ratings().items()), highlight=False)
    table = Table(show_lines=False)
    for column in ("indicator", "baseline", "current", "expected", "target", "rating"):
        table.add_column(column, justify="left" if column in ("indicator", "rating") else "right")
    for i in item.indicators:
        style = RATING_STYLE[i.rating]
        table.add_row(Text.from_markup(f"{escape(i.indicator_id)}\n[dim]{escape(i.unit)}[/]"),
                      Text.from_markup(f"{_fmt(i.baseline_value, i.measure)}\n"
                                       f"[dim]{escape(str(i.baseline_period))}[/]"),
                      Text.from_markup(f"{_fmt(i.current_value, i.measure)}\n"
                                       f"[dim]{escape(str(i.current_period or ''))}[/]"),
                      _fmt(i.expected_value, i.measure),
                      Text.from_markup(f"{_fmt(i.target_value, i.measure)}\n[dim]{i.target_date:%b %Y}[/]"),
                      Text.from_markup(f"[{style}]{escape(i.rating)}[/]"))
    show(table)
    for i in item.indicators:
        for note in i.notes:
            console.print(f"  {i.indicator_id}: {note}", highlight=False, markup=False)
    for a in item.overdue:
        text = (f"{a.action_id} ({a.status}, due {a.due:%d %b %Y}, {a.days_overdue} days): {a.title} "
                f"- owner {a.owner_name or 'none'}")
        console.print(f"[red]Overdue[/] {escape(text)}", highlight=False, markup=True)
    for a in item.unowned:
        console.print(f"[yellow]No owner[/] {escape(f'{a.action_id}: {a.title}')}", highlight=False,
                      markup=True)
    for w in item.warnings:
        console.print(f"[yellow]Warning:[/] {escape(w)}", highlight=False, markup=True)


@app.command("status")
def status_command(ctx: typer.Context, json_out: JsonOpt = False, today: TodayOpt = None,
                   strategy: StrategyOpt = None) -> None:
    """Every indicator computed from the current store and rated against its trajectory; overdue and
    unowned actions; review dates passed and required consultations missing."""
    engine = open_app_db(settings_from(ctx).app_db_url)
    con = _evidence(ctx)
    try:
        result = status(engine, con, today=_today(today), strategy_id=strategy)
    finally:
        con.close()
    if json_out:
        print_json([s.to_dict() for s in result])
        return
    for item in result:
        _print(item)


@app.command("report")
def report_command(
    ctx: typer.Context,
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder to write the report into.")],
    today: TodayOpt = None,
    strategy: StrategyOpt = None,
    formats: Annotated[str, typer.Option("--formats", help="Comma-separated: html, pdf, docx, tables.")]
    = "html,pdf,docx,tables",
) -> None:
    """A progress report (HTML, PDF, Word, tables) through the publishing and disclosure control."""
    from safer_communities.strategy.report import write_report

    settings = settings_from(ctx)
    engine = open_app_db(settings.app_db_url)
    con = _evidence(ctx)
    try:
        result = status(engine, con, today=_today(today), strategy_id=strategy)
        written = write_report(result, out, settings=settings, con=con,
                               formats=tuple(f.strip() for f in formats.split(",") if f.strip()))
    finally:
        con.close()
    for path in written:
        console_err.print(f"Wrote {path}", highlight=False)
from safer_communities.cli import strategy_places  # noqa: E402,F401  (issue 15: safer strategy place)
