"""`safer report sna`: the strategic needs assessment from the evidence store, in one command."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated, Any

import typer

from safer_communities.cli.common import console, settings_from

app = typer.Typer(help="Reports built from the evidence store.", no_args_is_help=True)


@app.command("sna")
def sna(
    ctx: typer.Context,
    out: Annotated[Path, typer.Option("--out", help="Folder to write the report into.")],
    area: Annotated[
        str | None,
        typer.Option("--area", help="District or county GSS code; default: the whole study area.",
                     show_default=False),
    ] = None,
    period: Annotated[
        str, typer.Option("--period", help="2021, 2021-04..2022-03 or latest-12-months.")
    ] = "latest-12-months",
    all_districts: Annotated[
        bool, typer.Option("--all-districts", help="Also write one report per district, in sub-folders.")
    ] = False,
    definitions: Annotated[
        Path | None,
        typer.Option("--definitions", help="Your area's definitions file (YAML).", show_default=False),
    ] = None,
    internal: Annotated[
        bool, typer.Option("--internal", help="Build a report for a period off the publication grid, for the "
                                              "partnership's own use: marked INTERNAL (not for publication) "
                                              "on every page and file.")
    ] = False,
) -> None:
    """Write the strategic needs assessment: index.html, report.pdf, report.docx, tables, maps, manifest.

    The period must be on the publication grid (a month, a calendar quarter, a financial or calendar year,
    or 12 months ending on a month); any other is refused unless --internal."""
    from safer_communities.publish.sna import build_needs_assessment
    from safer_communities.store.evidence import connect

    settings = settings_from(ctx)
    started = time.perf_counter()
    strategy = _strategy_by_issue(settings.app_db_url)
    con = connect(settings.db, read_only=True)
    try:
        _audit_partner_records(ctx, con)
        folders = build_needs_assessment(con, settings, area_code=area, period=period, out_dir=out,
                                         all_districts=all_districts, definitions=definitions,
                                         strategy=strategy, internal=internal)
    finally:
        con.close()
    for folder in folders:
        console.print(f"Needs assessment written: {folder / 'index.html'}"
                      + (" (INTERNAL - not for publication)" if internal else ""), highlight=False)
    console.print(f"{len(folders)} report(s) in {time.perf_counter() - started:.1f} s "
                  "(HTML, PDF, Word, tables, maps, manifest.json).", highlight=False)


def _audit_partner_records(ctx: typer.Context, con: Any) -> None:
    """The report reads record-level partner feeds (their protected aggregates are published): audited."""
    from safer_communities.analysis.partner_records import loaded_feeds

    feeds = loaded_feeds(con)
    if feeds:
        from safer_communities.cli.evidence_partner_records import audit_read

        audit_read(ctx, ", ".join(f.table for f in feeds.values()), "needs assessment (protected aggregates)")


def _strategy_by_issue(app_db_url: str) -> dict[str, list[dict[str, Any]]] | None:
    """The loaded strategies' objectives and actions per issue; None when there is no application database
    yet (a SQLite file not created), so the report is built from the evidence alone."""
    from sqlalchemy.engine import make_url

    from safer_communities.store.app_db import open_app_db
    from safer_communities.strategy.links import by_issue

    url = make_url(app_db_url)
    if url.get_backend_name() == "sqlite" and (not url.database or not Path(url.database).exists()):
        return None
    return by_issue(open_app_db(app_db_url))
