"""How every evidence command prints a result: the terminal table (numbers never cut), --json (records
and meta) and --csv (with its CSVW sidecar), always with the notes a reader needs."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.table import Table

from safer_communities.analysis.table import Table as Columns
from safer_communities.cli.common import console_err, print_json
from safer_communities.cli.tables import show

if TYPE_CHECKING:  # a light result (rates, a monthly series) is a Table and prints without pandas
    import pandas as pd

    Result = pd.DataFrame | Columns

app = typer.Typer(
    help="The evidence: rates, trends, harm, hotspots, deprivation, outcomes, road safety, peers.",
    no_args_is_help=True,
)

def _fmt(value: Any, column: str = "") -> str:
    if value is None or (isinstance(value, float) and value != value):
        return ""
    if isinstance(value, float) and value.is_integer() and abs(value) >= 1:
        return f"{int(value):,}"
    if isinstance(value, float):
        return f"{value:,.3g}" if abs(value) < 1 else f"{value:,.2f}"
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value) if "year" in column or column in {"hour", "decile", "rank"} else f"{value:,}"
    return str(value)


def _emit(
    frame: Result,
    *,
    as_json: bool,
    csv: str | None,
    title: str,
    gpkg: Path | None = None,
    to_map: Callable[[], Any] | None = None,
    layer: str = "evidence",
    extra: list[str] | None = None,
) -> None:
    """Print or write one result, always with its notes: under the table (stderr), in the JSON object
    (``meta``), and in a CSVW-style sidecar ``PATH-metadata.json`` beside a CSV file (stderr for ``-``)."""
    from safer_communities.analysis import results

    if isinstance(frame, Columns) and (csv is not None or gpkg is not None):
        frame = frame.to_frame()
    columns, constant = _table_columns(frame)
    notes = result_notes(frame, constant=constant, extra=extra)
    if gpkg is not None:
        if to_map is None:
            raise typer.BadParameter("this command has no map output", param_hint="--gpkg")
        from safer_communities.publish.gpkg import layer_name, write_result

        write_result(to_map(), gpkg, layer=layer, title=title)
        console_err.print(f"Map layer '{layer_name(layer)}' written to {gpkg}.", highlight=False)
    if csv is not None:
        results.write_csv(frame, csv)
        if csv != "-":
            sidecar = results.write_csv_metadata(frame, csv, title=title, notes=notes)
            rows = "row" if len(frame) == 1 else "rows"
            console_err.print(f"{len(frame):,} {rows} written to {csv} (notes in {sidecar}).",
                              highlight=False)
        elif not as_json:
            for line in notes:
                console_err.print(f"Note: {line}", highlight=False, markup=False)
    if as_json:
        print_json({"records": results.to_records(frame), "meta": json_meta(frame, title=title, notes=notes)})
        return
    if csv == "-" or (csv is not None and gpkg is None) or gpkg is not None:
        return
    records = results.to_records(frame)
    shown = records if len(records) <= MAX_TERMINAL_ROWS else records[:SUMMARY_ROWS]
    cells = [[_fmt(record[c], str(c)) for c in columns] for record in shown]
    table = Table(title=title, title_justify="left")
    for k, column in enumerate(columns):
        numeric = _numeric(frame, column)
        # A number is never cut (no_wrap: its column is as wide as its widest value); text wraps
        # between words. show() prints rows as blocks when even that does not fit the terminal.
        widest = max([len(row[k]) for row in cells] + [1])
        table.add_column(str(column), justify="right" if numeric else "left", no_wrap=numeric,
                         min_width=widest if numeric else None, overflow="fold")
    for row in cells:
        table.add_row(*row)
    show(table)
    if len(records) > len(shown):
        console_err.print(f"Showing the first {len(shown):,} of {len(records):,} rows. Write them all with "
                          "--csv FILE (or --csv - to print them as CSV).", highlight=False)
    for line in notes:
        console_err.print(f"Note: {line}", highlight=False, markup=False)


def result_notes(frame: Result, *, constant: list[str] | None = None, extra: list[str] | None = None
                 ) -> list[str]:
    """Every line a reader needs beside the numbers: definition, constants, method, caveats."""
    attrs = frame.attrs
    lines: list[str] = []
    if attrs.get("definition_id"):
        lines.append(
            f"Definition: {attrs['definition_id']} (version {attrs.get('definition_version', '')})"
            + (f"; {attrs['population_note']}" if attrs.get("population_note") else "")
        )
    caveats = list(attrs.get("caveats", []))
    if attrs.get("caveat") and attrs["caveat"] not in caveats:
        caveats.append(attrs["caveat"])
    return list(dict.fromkeys([*lines, *(constant or []), *(extra or []), *caveats]))


def json_meta(frame: Result, *, title: str, notes: list[str]) -> dict[str, Any]:
    """The JSON ``meta`` object: the result's metadata (missing months, versions...) and its notes."""
    from safer_communities.analysis import results

    return {"title": title, **results.clean_attrs(frame.attrs), "notes": notes}


MAX_TERMINAL_ROWS = 60
"""Longer results are summarised on the terminal (the first ``SUMMARY_ROWS``) with a hint to --csv."""
SUMMARY_ROWS = 25
_CONSTANT_COLUMNS = ("issue", "period", "previous_period", "severity", "population_year", "unit")


def _table_columns(frame: Result) -> tuple[list[str], list[str]]:
    """Columns for the terminal table: a column holding one value throughout is said once, below it."""
    columns, constant = [], []
    for column in (frame.names if isinstance(frame, Columns) else frame.columns):
        if column == "geometry":
            continue
        if column in _CONSTANT_COLUMNS and len(frame) > 1:
            if isinstance(frame, Columns):
                values = frame.columns[column]
                same, first = len(set(values)) == 1, values[0]
            else:
                same, first = frame[column].nunique(dropna=False) == 1, frame[column].iloc[0]
            if same:
                constant.append(f"{column}: {_fmt(first, column)}")
                continue
        columns.append(column)
    return columns, constant


def _numeric(frame: Result, column: str) -> bool:
    if isinstance(frame, Columns):
        return frame.numeric(column)
    import pandas as pd

    return bool(pd.api.types.is_numeric_dtype(frame[column]))
