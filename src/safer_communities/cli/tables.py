"""Printing a table so that nothing in it is cut, whatever the terminal's width (``COLUMNS``).

Rich squeezes a table that does not fit: it folds codes mid-word ("E0600000" / "8"), shortens values
to an ellipsis ("212,…") and can shrink a text column to nothing. ``show`` measures the table first.
If its least width (every number whole, every word whole) fits, the table is printed as built; if it
fits only without the box lines, it is printed with a light frame; otherwise each row becomes a
block: its first cell, then one "header  value" line per other cell.
"""

from __future__ import annotations

from rich import box
from rich.console import Console
from rich.measure import Measurement
from rich.table import Table
from rich.text import Text

from safer_communities.cli.common import console as stdout_console


def _least_width(table: Table, console: Console) -> int:
    # Measured against a very wide terminal: Measurement.get clamps to the width it is given.
    return Measurement.get(console, console.options.update_width(100_000), table).minimum


def _plain(value: object) -> str:
    return value.plain if isinstance(value, Text) else str(value)


def show(table: Table, *, console: Console | None = None) -> None:
    """Print ``table`` whole: as built, with a lighter frame, or as one block per row."""
    out = console or stdout_console
    for column in table.columns:  # a header is not cut either: at least its longest word wide
        words = _plain(column.header).split() or [""]
        column.min_width = max(column.min_width or 0, *(len(w) for w in words))
        if column.justify == "right":  # a figure column is exactly as wide as its widest line, so
            # Rich's sharing-out of the width (which can overshoot by a character) only moves text.
            lines = [line for cell in column._cells for line in _plain(cell).splitlines()]
            column.width = max([column.min_width, *(len(line) for line in lines)])
    if _least_width(table, out) <= out.width:
        out.print(table)
        return
    table.box, table.show_edge, table.pad_edge = box.SIMPLE_HEAD, False, False
    if _least_width(table, out) <= out.width:
        out.print(table)
        return
    print_blocks(table, out)


def print_blocks(table: Table, out: Console) -> None:
    """One block per row: the first cell as its heading, then each other cell under its header
    (numbers right-aligned in one column); a long text wraps between words, never inside one."""
    if table.title:
        out.print(_plain(table.title), highlight=False)
    headers = [_plain(c.header) for c in table.columns]
    cells = [[_plain(v) for v in c._cells] for c in table.columns]
    numeric = [c.justify == "right" for c in table.columns]
    key_width = max([len(h) for h in headers[1:]] + [1])
    value_width = max([len(line) for k, column in enumerate(cells) if numeric[k] for v in column
                       for line in v.splitlines()[:1]] + [1])
    for row in range(table.row_count):
        out.print("", highlight=False)
        out.print(", ".join(cells[0][row].splitlines()) if cells else "", highlight=False)
        for k in range(1, len(headers)):
            # A cell of several lines (a figure and its period) keeps its first line in the column.
            first, *rest = cells[k][row].splitlines() or [""]
            text = f"{first:>{value_width}}" if numeric[k] else first
            out.print(" ".join([f"  {headers[k]:<{key_width}}  {text}", *rest]), highlight=False)
    if table.caption:
        out.print(_plain(table.caption), highlight=False)
