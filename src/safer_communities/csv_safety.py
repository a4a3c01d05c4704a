"""Formula-safe spreadsheets: text from the data must never run as a formula (CSV injection).

police.uk, STATS19 and partner files are written by others; a field such as ``=HYPERLINK("http://...")``
would become a live formula when an analyst opens our CSV or Excel export. Every CSV the CLI, the web
and the reports write goes through ``safe_cell`` (OWASP's advice): a text cell that begins with
``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a leading apostrophe, which spreadsheets
show as text. Plain numbers written as text (``-1.5``, ``+3``) and a lone ``-`` are left alone: they
are not formulas.
Excel files are protected by storing such cells as text (``protect_sheet``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import pandas as pd

DANGEROUS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def safe_cell(value: Any) -> Any:
    """``value`` with a leading apostrophe when it is text a spreadsheet would read as a formula."""
    if (isinstance(value, str) and value.startswith(DANGEROUS) and value != "-"  # "-" alone: a placeholder
            and not _NUMBER.fullmatch(value)):
        return "'" + value
    return value


def safe_row(row: Iterable[Any]) -> list[Any]:
    return [safe_cell(v) for v in row]


def safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells and column names are formula-safe (numbers untouched)."""
    out = frame.copy()
    for column in out.columns:
        if not (pd.api.types.is_numeric_dtype(out[column]) or pd.api.types.is_bool_dtype(out[column])
                or pd.api.types.is_datetime64_any_dtype(out[column])):
            out[column] = out[column].map(safe_cell)
    out.columns = [safe_cell(c) for c in out.columns]
    return out


def protect_sheet(sheet: Any) -> None:
    """Store every cell of an openpyxl sheet that would be a formula as plain text instead (openpyxl
    makes any string starting with ``=`` a formula; ours never contain formulas on purpose)."""
    for row in sheet.iter_rows():
        for cell in row:
            if cell.data_type == "f":
                cell.data_type = "s"
