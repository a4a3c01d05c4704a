"""`safer sharing ...`: the information-sharing register (agreements for record-level partner data)."""

from __future__ import annotations

import getpass
from datetime import date
from typing import Annotated, Any

import typer
from rich.table import Table

from safer_communities.cli.common import console, console_err, print_json, settings_from
from safer_communities.cli.tables import show as show_table
from safer_communities.errors import InputError
from safer_communities.store.app_db import open_app_db

app = typer.Typer(
    help="Information-sharing agreements: parties, legal gateway, schemas, retention, review.",
    no_args_is_help=True,
)
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


def _operator() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


def _date(text: str | None, option: str) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InputError(f"{option} is not a date.", found=text, hint="Use YYYY-MM-DD.") from None


def _partners(engine: Any) -> tuple[list[str], list[str]]:
    """(every partner id, the specified authorities) of the published register, or the shipped one."""
    from safer_communities.framework.loader import read_framework, shipped_path
    from safer_communities.framework.register import read_version

    try:
        _, framework = read_version(engine)
    except Exception:  # no published version yet: the shipped register
        framework = read_framework(shipped_path())
    partners = list(framework.partners)
    specified = [p.id for p in partners if "specified authority" in (p.description or "").lower()]
    return [p.id for p in partners], specified


@app.command("add")
def add(
    ctx: typer.Context,
    agreement_id: Annotated[str, typer.Argument(help="Id, e.g. lancs-svd-2025.")],
    title: Annotated[str, typer.Option("--title", help="What the agreement is.")],
    party: Annotated[list[str], typer.Option("--party", help="A party (framework partner id); repeat.")],
    gateway: Annotated[str, typer.Option("--gateway", help="Legal gateway(s), e.g. 'PCSC Act 2022 s16'.")],
    purpose: Annotated[str, typer.Option("--purpose", help="Purposes of the sharing.")],
    schema: Annotated[list[str], typer.Option("--schema", help="istv, force-crimes or council-asb; repeat.")],
    retention_days: Annotated[int, typer.Option("--retention-days", help="How long records may be kept.")],
    review: Annotated[str, typer.Option("--review", help="Review date (YYYY-MM-DD).")],
    start: Annotated[str | None, typer.Option("--start", help="Start date (default today).")] = None,
    end: Annotated[str | None, typer.Option("--end", help="End (expiry) date, if any.")] = None,
    dpia: Annotated[str | None, typer.Option("--dpia", help="Date of the DPIA.")] = None,
    status: Annotated[str, typer.Option("--status", help="draft, active, suspended or ended.")] = "active",
    as_json: JsonOpt = False,
) -> None:
    """Register an agreement (audited)."""
    from safer_communities import sharing

    engine = open_app_db(settings_from(ctx).app_db_url)
    known, _ = _partners(engine)
    record = sharing.add_agreement(
        engine,
        agreement_id=agreement_id,
        title=title,
        parties=party,
        legal_gateway=gateway,
        purposes=purpose,
        schemas=schema,
        retention_days=retention_days,
        start_date=_date(start, "--start") or date.today(),
        end_date=_date(end, "--end"),
        review_date=_date(review, "--review"),  # type: ignore[arg-type]
        dpia_date=_date(dpia, "--dpia"),
        status=status,
        by=_operator(),
        known_parties=known,
    )
    if as_json:
        print_json(record)
    else:
        console.print(
            f"Agreement {record['id']} registered ({record['status']}): "
            f"{', '.join(record['schemas'])} for {len(record['parties'])} parties.",
            highlight=False,
        )


@app.command("list")
def list_cmd(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """Every agreement."""
    from safer_communities import sharing

    rows = sharing.list_agreements(open_app_db(settings_from(ctx).app_db_url))
    if as_json:
        print_json(rows)
        return
    table = Table(title=f"Information-sharing agreements ({len(rows)})", title_justify="left")
    for column in ("id", "status", "schemas", "parties", "retention", "review", "end"):
        table.add_column(column, overflow="fold")
    for r in rows:
        table.add_row(
            r["id"],
            r["status"],
            " ".join(r["schemas"]),
            " ".join(r["parties"]),
            f"{r['retention_days']} days",
            str(r["review_date"]),
            str(r["end_date"] or ""),
        )
    show_table(table)


@app.command("show")
def show(ctx: typer.Context, agreement_id: str, as_json: JsonOpt = False) -> None:
    """One agreement in full."""
    from safer_communities import sharing

    record = sharing.get_agreement(open_app_db(settings_from(ctx).app_db_url), agreement_id)
    if as_json:
        print_json(record)
        return
    for key, value in record.items():
        shown = " ".join(value) if isinstance(value, list) else value
        console.print(f"[bold]{key}[/]: {shown if shown is not None else ''}", highlight=False)


@app.command("check")
def check(
    ctx: typer.Context,
    agreement_id: Annotated[str | None, typer.Argument(help="Check one agreement for a feed.")] = None,
    schema: Annotated[
        str | None, typer.Option("--schema", help="The feed schema to check it covers.")
    ] = None,
    on: Annotated[str | None, typer.Option("--on", help="Check as on this date (default today).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """The register's findings (past review, expired, no DPIA, specified authorities with no agreement), or
    whether one agreement allows a feed (exit code 1 when it does not)."""
    from safer_communities import sharing

    engine = open_app_db(settings_from(ctx).app_db_url)
    day = _date(on, "--on") or date.today()
    if agreement_id is not None:
        if schema is None:
            raise InputError(
                "Say which feed to check the agreement for.",
                found="no --schema",
                hint=f"Add --schema {'|'.join(sharing.FEED_SCHEMAS)}.",
            )
        sharing.require_agreement(engine, agreement_id, schema, on=day, actor=_operator())
        console.print(f"Agreement {agreement_id} allows a {schema} feed on {day}.", highlight=False)
        return
    _, specified = _partners(engine)
    findings = sharing.check_register(engine, on=day, specified_authorities=specified)
    if as_json:
        print_json(findings)
    else:
        table = Table(
            title=f"Information-sharing register on {day}: {len(findings)} finding(s)", title_justify="left"
        )
        for column in ("agreement", "finding", "detail"):
            table.add_column(column, overflow="fold")
        for f in findings:
            table.add_row(f["agreement"], f["finding"], f["detail"])
        show_table(table)
    if findings:
        console_err.print("The register has findings to act on.", highlight=False)
        raise typer.Exit(1)


@app.command("purge")
def purge(
    ctx: typer.Context,
    on: Annotated[str | None, typer.Option("--on", help="Purge as on this date (default today).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Delete record-level partner data past its agreement's retention period (audited)."""
    from datetime import datetime

    from safer_communities import sharing
    from safer_communities.ingest.partner_feed import purge_store
    from safer_communities.web import audit

    settings = settings_from(ctx)
    engine = open_app_db(settings.app_db_url)
    day = _date(on, "--on") or date.today()
    retention = {a["id"]: a["retention_days"] for a in sharing.list_agreements(engine)}
    deleted = purge_store(settings.db, retention, on=datetime(day.year, day.month, day.day))
    audit.record(
        engine,
        actor=_operator(),
        action="partner_records_purged",
        obj="evidence store",
        ip="cli",
        detail=f"as on {day}: " + ", ".join(f"{t} {n}" for t, n in deleted.items()),
    )
    if as_json:
        print_json({"on": day, "deleted": deleted})
    else:
        console.print(
            f"Purged as on {day}: " + ", ".join(f"{t}: {n:,}" for t, n in deleted.items()), highlight=False
        )


@app.command("synthetic")
def synthetic(
    ctx: typer.Context,
    schema: Annotated[str, typer.Option("--schema", help="istv, force-crimes or council-asb.")],
    out: Annotated[str, typer.Option("--out", help="CSV file to write ('-' for stdout).")],
    rows: Annotated[int, typer.Option("--rows", help="How many records.")] = 500,
    seed: Annotated[int, typer.Option("--seed", help="Random seed (the same seed, the same file).")] = 12,
) -> None:
    """Write a SYNTHETIC sample feed built from the store's police.uk rows (for demos and tests only)."""
    from pathlib import Path

    from safer_communities.ingest.partner_synthetic import generate
    from safer_communities.store.evidence import connect

    con = connect(settings_from(ctx).db, read_only=True)
    try:
        text = generate(con, schema, rows=rows, seed=seed)
    finally:
        con.close()
    if out == "-":
        typer.echo(text, nl=False)
    else:
        Path(out).write_text(text, encoding="utf-8")
        console_err.print(f"{rows:,} SYNTHETIC {schema} records written to {out}.", highlight=False)


AsOpt = Annotated[
    str,
    typer.Option(
        "--as",
        metavar="USER",
        help="Your user account; it must hold the analyst role (as on the web). The read is audited.",
    ),
]


def _analyst_session(ctx: typer.Context, user: str) -> tuple[Any, Any, str]:
    from safer_communities import partner_access

    settings = settings_from(ctx)
    engine = open_app_db(settings.app_db_url)
    name = partner_access.cli_analyst(engine, user)
    return settings, engine, name


@app.command("feeds")
def feeds(ctx: typer.Context, user: AsOpt, as_json: JsonOpt = False) -> None:
    """Record-level feeds held: agreement, schema version, rows, dates, rejects, retention (audited)."""
    from safer_communities import partner_access
    from safer_communities.store.evidence import connect

    settings, engine, name = _analyst_session(ctx, user)
    con = connect(settings.db, read_only=True)
    try:
        result = partner_access.overview(engine, con, actor=name, ip="cli")
    finally:
        con.close()
    frame = result.frame
    if as_json:
        print_json(frame.to_dict("records"))
        return
    table = Table(title=f"Record-level partner feeds ({result.records:,} records)", title_justify="left")
    for column in ("feed", "agreement", "schema", "rows", "dates", "rejected", "retention", "past it"):
        table.add_column(column, overflow="fold")
    for row in frame.to_dict("records"):
        table.add_row(
            row["schema"] + (" (SYNTHETIC)" if row["synthetic"] else ""),
            row["agreement_id"],
            f"v{row['schema_version']}",
            f"{row['rows']:,}",
            f"{row['first_date']}..{row['last_date']}",
            f"{row['rejected_rows']:,}",
            "no agreement" if row["retention_days"] is None else f"{row['retention_days']} days",
            "" if row["past_retention"] is None else f"{row['past_retention']:,}",
        )
    console.print(table)


@app.command("records")
def records(
    ctx: typer.Context,
    schema: Annotated[str, typer.Argument(help="istv, force-crimes or council-asb.")],
    user: AsOpt,
    by: Annotated[
        str | None, typer.Option("--by", help="Count by month or area instead of listing records.")
    ] = None,
    page: Annotated[int, typer.Option("--page", help="Page of records (from 1).")] = 1,
    page_size: Annotated[int, typer.Option("--page-size", help="Records a page (at most 200).")] = 50,
    as_json: JsonOpt = False,
    csv: Annotated[
        str | None, typer.Option("--csv", help="Write the rows to this CSV file (audited as an export).")
    ] = None,
) -> None:
    """Pseudonymised records of one feed, a page at a time, or counts by month or area (audited)."""
    from safer_communities import partner_access
    from safer_communities.store.evidence import connect

    settings, engine, name = _analyst_session(ctx, user)
    con = connect(settings.db, read_only=True)
    try:
        if by is not None:
            result = partner_access.aggregate(engine, con, schema, by=by, actor=name, ip="cli", export=csv)
        else:
            result = partner_access.records(
                engine, con, schema, page=page, page_size=page_size, actor=name, ip="cli", export=csv
            )
    finally:
        con.close()
    frame = result.frame
    if csv is not None:
        console_err.print(f"Wrote {len(frame):,} rows to {csv} (audited).", highlight=False)
        return
    if as_json:
        meta = {
            "schema": schema,
            "schema_version": result.version,
            "agreements": result.agreements,
            "page": result.page,
            "pages": result.pages,
            "total": result.total or result.records,
        }
        print_json({"records": frame.to_dict("records"), "meta": meta})
        return
    title = f"{schema}: " + (
        f"records by {by}" if by else f"page {result.page} of {result.pages} ({result.total:,} records)"
    )
    table = Table(title=title + " - analysts only, never publish", title_justify="left")
    for column in frame.columns:
        table.add_column(str(column), overflow="fold")
    for row in frame.itertuples(index=False):
        table.add_row(*["" if v is None or v != v else str(v) for v in row])
    console.print(table)
