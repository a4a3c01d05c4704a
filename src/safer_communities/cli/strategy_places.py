"""`safer strategy place`: link a strategy action to next month's forecast cells (registered on the
``strategy`` group). Parse, call the library, print."""

from __future__ import annotations

import getpass
from typing import Annotated

import typer

from safer_communities.cli.common import console, print_json, settings_from
from safer_communities.cli.strategy import app
from safer_communities.store.app_db import open_app_db
from safer_communities.store.evidence import connect


@app.command("place")
def place_cmd(
    ctx: typer.Context,
    strategy: Annotated[str, typer.Option("--strategy", help="Strategy id.")],
    action: Annotated[str, typer.Option("--action", help="Action id in that strategy.")],
    issue: Annotated[str, typer.Option("--issue", "-i", help="Issue id, e.g. violence.")],
    share: Annotated[
        float, typer.Option("--share", help="Share of the area: 0.01, 0.02, 0.05 or 0.10.")
    ] = 0.01,
    cell_size_m: Annotated[float, typer.Option("--cell-size-m", help="Grid cell size in metres.")] = 250.0,
    by: Annotated[str | None, typer.Option("--by", help="Who links it (default: your user name).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the placement as JSON.")] = False,
) -> None:
    """Place an action on the cells where the issue is most likely next month (the forecast's top cells)."""
    from safer_communities.analysis.prevention import issue_forecast
    from safer_communities.strategy.places import link_forecast_cells

    settings = settings_from(ctx)
    con = connect(settings.db, read_only=True)
    try:
        forecast = issue_forecast(con, issue, cell_size_m=cell_size_m, focus_share=share, quiet=True)
    finally:
        con.close()
    placed = link_forecast_cells(
        open_app_db(settings.app_db_url), strategy, action, forecast, share=share, by=by or getpass.getuser()
    )
    if as_json:
        print_json({**placed.__dict__})
        return
    console.print(
        f"Action {action} placed on {len(placed.cells):,} cells of {placed.cell_size_m:g} m (top "
        f"{share:.0%} of the area) for {placed.issue} in {placed.forecast_month}: "
        f"{forecast.attrs['model_label']}, expected to catch {placed.expected_hit_rate:.0%} of it.",
        highlight=False,
    )
