"""`safer evidence indicators`: the partner statistics for an area, against England and the region."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from safer_communities.cli.common import console_err
from safer_communities.cli.evidence import AreaOpt, CsvOpt, JsonOpt, _emit, _fmt, _store, app
from safer_communities.cli.tables import show


@app.command("indicators")
def indicators_cmd(
    ctx: typer.Context,
    area: AreaOpt = None,
    indicator: Annotated[
        str | None,
        typer.Option("--indicator", help="Only this indicator id (e.g. lait-firstyjs).", show_default=False),
    ] = None,
    issue: Annotated[
        str | None,
        typer.Option(
            "--issue", "-i", help="Only indicators linked to this framework issue.", show_default=False
        ),
    ] = None,
    show_all: Annotated[
        bool,
        typer.Option("--all", help="Every loaded indicator, not only those linked to a framework issue."),
    ] = False,
    as_json: JsonOpt = False,
    csv: CsvOpt = None,
) -> None:
    """Partner indicators (health, education, youth justice, ONS): latest value, trend, England, region, rank.

    Without --area: the study area's upper-tier authorities, districts and police force area."""
    from safer_communities.analysis.partner_indicators import indicator_summary

    with _store(ctx) as con:
        frame = indicator_summary(con, area, indicator=indicator, issue=issue, linked_only=not show_all)
    if as_json or csv is not None:
        _emit(frame, as_json=as_json, csv=csv, title="")
        return
    table = Table(
        title=f"Partner indicators for {area or 'the study area'} ({len(frame):,})", title_justify="left"
    )
    for name in (
        "indicator",
        "area",
        "period",
        "value",
        "England",
        "vs England",
        "vs region",
        "rank",
        "trend",
    ):
        table.add_column(
            name,
            overflow="fold",
            min_width=22 if name == "indicator" else None,
            max_width={"indicator": 30, "period": 10, "area": 9}.get(name),
            justify="right" if name in {"value", "England"} else "left",
        )
    for row in frame.itertuples(index=False):
        value = row.marker if row.value is None or row.value != row.value else _fmt(row.value)
        rank = f"{int(row.rank)} of {int(row.rank_of)}" if row.rank == row.rank and row.rank else ""
        table.add_row(
            row.indicator_id,
            row.area_code,
            row.period,
            value or "",
            _fmt(row.england_value),
            row.vs_england.replace("not compared", "n/c"),
            row.vs_region.replace("not compared", "n/c"),
            rank.replace(" of ", "/"),
            row.trend.replace("too few values", "few values"),
        )
    show(table)
    for line in (
        frame.attrs["method"],
        *frame.attrs["caveats"],
        "n/c = not compared; rank 9/151 = 9th of 151.",
    ):
        console_err.print(f"Note: {line}", highlight=False, markup=False)
    if not show_all and not indicator:
        console_err.print(
            "Note: only indicators linked to a framework issue; --all lists every one loaded.",
            highlight=False,
        )
