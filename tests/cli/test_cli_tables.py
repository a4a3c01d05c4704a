"""CLI tables never cut a number, a code or a word, at 80 or 60 columns (issue 13, item 7): a table
that cannot fit whole is printed with a light frame, then as one block per row."""

from __future__ import annotations

import io
import re

import pytest
from rich.console import Console
from rich.table import Table

from safer_communities.cli.tables import show

# The district rates of the demo store (violence, April 2021 to March 2022), as `evidence rates` prints them.
ROWS = [("E06000008", "Blackburn with Darwen", "7,180", "150,030", "47.86", "46.76", "48.98"),
        ("E06000009", "Blackpool", "11,028", "138,381", "79.69", "78.21", "81.19"),
        ("E07000124", "Ribble Valley", "1,051", "62,026", "16.94", "15.94", "18.00")]
HEADERS = ("area_code", "area_name", "count", "population", "rate_per_1000", "ci_low", "ci_high")


def _table() -> Table:
    table = Table(title="violence: rate per 1,000 residents, 2021-04..2022-03")
    for k, header in enumerate(HEADERS):
        table.add_column(header, justify="right" if k >= 2 else "left")
    for row in ROWS:
        table.add_row(*row)
    return table


def _printed(table: Table, width: int) -> str:
    out = io.StringIO()
    show(table, console=Console(file=out, width=width, markup=False, color_system=None))
    return out.getvalue()


@pytest.mark.parametrize("width", [120, 80, 60, 40])
def test_every_value_is_printed_whole(width: int) -> None:
    text = _printed(_table(), width)
    assert "…" not in text
    assert all(header in text for header in HEADERS[1:])  # blocks head each row with its first cell
    assert all(len(line.rstrip()) <= width for line in text.splitlines())
    tokens = set(re.findall(r"\S+", text))
    for row in ROWS:
        for value in row:
            assert all(word in tokens for word in value.split()), (width, value)  # words and numbers whole
    if width <= 60:  # as blocks, a name is printed on one line, in order
        assert all(re.search(rf"area_name\s+{re.escape(row[1])}$", text, re.M) for row in ROWS), text


def test_the_layout_steps_down_with_the_width() -> None:
    assert "┃" in _printed(_table(), 120)  # the table as built
    light = _printed(_table(), 80)
    assert "┃" not in light and "─" in light and "E06000008" in light.splitlines()[3]  # a light frame
    blocks = _printed(_table(), 60)  # one block per row, each figure on its own line
    assert re.search(r"^E06000009$", blocks, re.M)
    assert re.search(r"^  count\s+11,028$", blocks, re.M)
    assert re.search(r"^  area_name\s+Blackburn with Darwen$", blocks, re.M)


def test_a_cell_of_two_lines_keeps_its_figure_in_the_column() -> None:
    table = Table(title="Indicators")
    for header, justify in (("indicator", "left"), ("baseline", "right"), ("target", "right"),
                            ("rating", "left"), ("note", "left")):
        table.add_column(header, justify=justify)
    table.add_row("violence-rate-county\nper 1,000 residents", "11.68\n2021-04..2021-06", "10.51\nMar 2024",
                  "not enough data to rate", "the latest period covers different months from the baseline")
    text = _printed(table, 40)
    assert re.search(r"^violence-rate-county, per 1,000\s+residents$", text, re.M)
    assert re.search(r"^  baseline\s+11\.68 2021-04\.\.2021-06$", text, re.M)
    assert re.search(r"^  target\s+10\.51 Mar 2024$", text, re.M)
