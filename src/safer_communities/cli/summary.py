"""`safer summary`: what the evidence store holds."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from safer_communities.cli.common import console, print_json, settings_from
from safer_communities.cli.tables import show
from safer_communities.store.evidence import connect
from safer_communities.store.summary import store_summary


def summary(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Row counts and coverage of every public table in the evidence store."""
    settings = settings_from(ctx)
    con = connect(settings.db, read_only=True)
    try:
        result = store_summary(con)
    finally:
        con.close()
    if as_json:
        print_json(result.to_dict())
        return
    tables = Table(title=f"Evidence store {settings.db}")
    tables.add_column("table")
    tables.add_column("rows", justify="right")
    for name, rows in result.tables.items():
        tables.add_row(name, f"{rows:,}")
    show(tables)
    for kind, forces in result.police_months.items():
        for force, (first, last, n) in forces.items():
            console.print(f"police.uk {kind}: {force} {first:%Y-%m} to {last:%Y-%m} ({n} months)")
    if result.districts:
        lsoas = sum(k for _, _, k in result.districts)
        console.print(f"Study area: {len(result.districts)} districts, {lsoas:,} LSOAs (2011): "
                      + ", ".join(name for _, name, _ in result.districts))
    if result.population_years:
        console.print(f"Population years: {result.population_years[0]}-{result.population_years[-1]}")
    if result.collision_years:
        console.print("STATS19 collision years: " + ", ".join(map(str, result.collision_years)))
