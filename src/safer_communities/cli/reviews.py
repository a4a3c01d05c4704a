"""`safer reviews ...`: domestic abuse related death reviews, offensive weapons homicide reviews and ASB
case reviews, on their clocks; the yearly ASB case review figures."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

import typer
from rich.table import Table

from safer_communities.cli.common import console, print_json, settings_from
from safer_communities.cli.tables import show
from safer_communities.errors import InputError, PermissionDeniedError
from safer_communities.reviews import register as reviews
from safer_communities.store.app_db import open_app_db
from safer_communities.web import audit

app = typer.Typer(help="Case reviews (DARDR, OWHR, ASB case review) with their statutory clocks.",
                  no_args_is_help=True)

AsOpt = Annotated[str, typer.Option("--as", "--by", metavar="USER",
                                    help="Your user account (editor or approver).")]
Day = Annotated[str | None, typer.Option(metavar="YYYY-MM-DD")]
TodayOpt = Annotated[str | None, typer.Option("--today", metavar="YYYY-MM-DD",
                                              help="Judge the clocks on this day (default: today).")]
AmberOpt = Annotated[int | None, typer.Option("--amber-days", help="Days before a deadline that count as "
                                              "due soon (default: SAFER_COMPLIANCE_AMBER_DAYS).")]


def parse_day(value: str | None, option: str) -> date | None:
    if value is None or not value.strip():
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError as exc:
        raise InputError(f"{option} takes a date as YYYY-MM-DD.", found=value,
                         hint=f"e.g. {option} {date.today().isoformat()}") from exc


def _engine(ctx: typer.Context) -> Any:
    meta = ctx.find_root().meta
    if "app_engine" not in meta:
        meta["app_engine"] = open_app_db(settings_from(ctx).app_db_url)
    return meta["app_engine"]


def _write(ctx: typer.Context, who: str, action: str, obj: str, call: Any, detail: str = "") -> Any:
    engine = _engine(ctx)
    try:
        result = call(engine)
    except PermissionDeniedError as exc:
        audit.record(engine, actor=who, action=f"{action}_refused", obj=obj, ip="cli", detail=exc.what)
        raise
    audit.record(engine, actor=who, action=action, obj=obj, ip="cli", detail=detail or str(result))
    return result


@app.command("add")
def add(ctx: typer.Context,
        reference: Annotated[str, typer.Argument(help="The case reference (never a name).")],
        kind: Annotated[str, typer.Option("--kind", help="dardr, owhr or asb.")],
        area: Annotated[str, typer.Option("--area", help="GSS code of the district or county.")],
        notified_on: Annotated[str, typer.Option("--notified-on", metavar="YYYY-MM-DD",
                                                 help="Notified to the partnership / application received.")],
        by: AsOpt) -> None:
    """Register a review: a reference and an area only, with the date the clock starts."""
    day = parse_day(notified_on, "--notified-on")
    assert day is not None
    _write(ctx, by, "case_review_added", reference,
           lambda e: reviews.add(e, kind=kind, reference=reference, area_code=area, notified_on=day, by=by),
           f"{kind} in {area}, notified {day}")
    console.print(f"Registered {reviews.KINDS[kind]} {reference}.", highlight=False)
    _print_deadlines(reviews.get(_engine(ctx), reference,
                                 amber_days=settings_from(ctx).compliance_amber_days))


@app.command("update")
def update(ctx: typer.Context, reference: Annotated[str, typer.Argument(help="The case reference.")],
           by: AsOpt,
           decision: Annotated[str | None, typer.Option(
               "--decision", help="review / no-review (DARDR, OWHR); threshold-met / -not-met (ASB).")]
           = None,
           decided_on: Annotated[str | None, typer.Option("--decided-on", metavar="YYYY-MM-DD")] = None,
           panel_on: Annotated[str | None, typer.Option("--panel-on", metavar="YYYY-MM-DD",
                                                        help="First panel (ASB: review held).")] = None,
           draft_on: Annotated[str | None, typer.Option("--draft-on", metavar="YYYY-MM-DD")] = None,
           qa_submitted_on: Annotated[str | None, typer.Option(
               "--qa-submitted-on", metavar="YYYY-MM-DD", help="Sent for Home Office quality assurance.")]
           = None,
           published_on: Annotated[str | None, typer.Option(
               "--published-on", metavar="YYYY-MM-DD", help="Published (ASB: outcome sent to applicant).")]
           = None,
           recommendations: Annotated[bool | None, typer.Option(
               "--recommendations/--no-recommendations", help="Whether the review made recommendations.")]
           = None,
           closed_on: Annotated[str | None, typer.Option("--closed-on", metavar="YYYY-MM-DD")] = None,
           ) -> None:
    """Record the dates and decision of a review as they happen."""
    values = {"decision": decision, "decided_on": parse_day(decided_on, "--decided-on"),
              "panel_on": parse_day(panel_on, "--panel-on"), "draft_on": parse_day(draft_on, "--draft-on"),
              "qa_submitted_on": parse_day(qa_submitted_on, "--qa-submitted-on"),
              "published_on": parse_day(published_on, "--published-on"),
              "recommendations_made": recommendations, "closed_on": parse_day(closed_on, "--closed-on")}
    done = _write(ctx, by, "case_review_updated", reference,
                  lambda e: reviews.update(e, reference, by=by, **values))
    console.print(f"Updated {reference}: " + ("; ".join(f"{k} {a} -> {b}" for k, (a, b) in done.items())
                                              or "nothing changed") + ".", highlight=False)
    _print_deadlines(reviews.get(_engine(ctx), reference,
                                 amber_days=settings_from(ctx).compliance_amber_days))


@app.command("recommend")
def recommend(ctx: typer.Context, reference: Annotated[str, typer.Argument(help="The case reference.")],
              by: AsOpt, title: Annotated[str, typer.Option("--title", help="What is to be done.")],
              strategy: Annotated[str, typer.Option("--strategy", help="Strategy id.")],
              objective: Annotated[str, typer.Option("--objective", help="Objective id in the strategy.")],
              owner: Annotated[str, typer.Option("--owner", help="Register id of the owner.")],
              due: Annotated[str, typer.Option("--due", metavar="YYYY-MM-DD")],
              owner_kind: Annotated[str, typer.Option("--owner-kind", help="services or partners.")]
              = "services") -> None:
    """Track a recommendation of the review as a strategy action with an owner and a due date."""
    due_on = parse_day(due, "--due")
    assert due_on is not None
    action_id = _write(ctx, by, "case_review_recommendation", reference,
                       lambda e: reviews.recommend(e, reference, by=by, title=title, strategy_id=strategy,
                                                   objective_id=objective, owner_kind=owner_kind,
                                                   owner_id=owner, due_on=due_on))
    console.print(f"Added strategy action {action_id} to {strategy} / {objective}.", highlight=False)


def _print_deadlines(view: reviews.ReviewView) -> None:
    for d in view.deadlines:
        style = {"overdue": "bold red", "late": "red", "due-soon": "yellow"}.get(d.state, "")
        console.print(f"  {d.message}", style=style, highlight=False, markup=False)


@app.command("list")
def list_(ctx: typer.Context, today: TodayOpt = None, amber_days: AmberOpt = None,
          kind: Annotated[str | None, typer.Option("--kind", help="Only this kind.")] = None,
          as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """Every review with its next deadline; exit code 1 when any is overdue."""
    day = parse_day(today, "--today") or date.today()
    views = reviews.list_reviews(_engine(ctx), today=day, kind=kind,
                                 amber_days=settings_from(ctx).compliance_amber_days
                                 if amber_days is None else amber_days)
    if as_json:
        print_json({"today": day, "reviews": [v.to_dict() for v in views]})
    else:
        table = Table("reference", "kind", "area", "decision", "open", "deadlines", title=f"Case reviews on "
                      f"{day:%d %B %Y}")
        for v in views:
            marks = "; ".join(d.message for d in v.deadlines if d.state != "met") or "all met"
            table.add_row(v.reference, v.kind, v.area_code, v.decision or "", "yes" if v.is_open else "no",
                          marks)
        show(table)
        overdue = sum(bool(v.overdue) for v in views)
        console.print(f"{len(views)} review(s), {overdue} with an overdue deadline.", highlight=False)
    if any(v.overdue for v in views):
        raise typer.Exit(1)


@app.command("report")
def report(ctx: typer.Context,
           year: Annotated[str, typer.Option("--year", help="Financial year of the figures, e.g. 2025-26.")],
           as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """The yearly ASB case review figures (2014 Act s104), per area, through disclosure control."""
    figures = reviews.asb_figures(_engine(ctx), year, settings=settings_from(ctx))
    if as_json:
        print_json(figures.to_dict())
        return
    table = Table("area", *reviews.ASB_COLUMNS.values(),
                  title=f"ASB case reviews, {figures.start:%d %B %Y} to {figures.end:%d %B %Y}")
    for key in figures.published.index:
        table.add_row(str(key), *[str(figures.published.loc[key, c]) for c in reviews.ASB_COLUMNS])
    show(table)
    for note in figures.notes:
        console.print(note, highlight=False, markup=False)
