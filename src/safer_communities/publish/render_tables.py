"""Every table of the report for analysts: ``tables.xlsx`` (one sheet per table) and ``tables/*.csv``.

The cells are the published, disclosure-controlled strings, with the notes that explain the symbols;
an analyst who needs the unsuppressed figures queries the evidence store under their own access.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from safer_communities.csv_safety import protect_sheet, safe_row
from safer_communities.publish.document import Report, Table

_NUMBER = re.compile(r"^-?[\d,]+(\.\d+)?$")
TEXT_HEADERS = frozenset({"Version"})  # identifiers that look like numbers: "2025.1" is not 2025.1


def _cell_value(text: str) -> object:
    """Numbers become numbers in Excel (so analysts can sort and sum); symbols stay text."""
    if _NUMBER.match(text):
        plain = text.replace(",", "")
        return float(plain) if "." in plain else int(plain)
    return text


def _sheet_name(key: str, used: set[str]) -> str:
    name = re.sub(r"[\[\]:*?/\\]", "-", key)[:31]
    base, k = name, 2
    while name.lower() in used:
        suffix = f"-{k}"
        name = base[: 31 - len(suffix)] + suffix
        k += 1
    used.add(name.lower())
    return name


def render_tables(report: Report, out_dir: Path) -> list[Path]:
    """Write ``tables.xlsx`` and one CSV per table; return the paths written."""
    report.unique_table_keys()
    tables: list[Table] = report.tables()
    csv_dir = out_dir / "tables"
    csv_dir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    book = Workbook()
    contents = book.active
    contents.title = "Contents"
    contents.append([f"{report.title}: {report.area_name}, {report.period_label}"])
    contents["A1"].font = Font(bold=True, size=12)
    contents.append([report.attribution])
    contents.append([])
    contents.append(["Sheet", "Table", "CSV file"])
    for cell in contents[4]:
        cell.font = Font(bold=True)
    used = {"contents"}
    for table in tables:
        name = _sheet_name(table.key, used)
        sheet = book.create_sheet(name)
        sheet.append([table.title])
        sheet["A1"].font = Font(bold=True)
        sheet.append(table.headers)
        for cell in sheet[2]:
            cell.font = Font(bold=True)
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        for row in table.rows:
            sheet.append([row[0], *(v if h in TEXT_HEADERS else _cell_value(v)
                                    for h, v in zip(table.headers[1:], row[1:], strict=True))])
        sheet.append([])
        for note in table.notes:
            sheet.append([note])
        sheet.append([report.attribution])
        for k in range(1, len(table.headers) + 1):
            sheet.column_dimensions[get_column_letter(k)].width = 34 if k == 1 else 16
        sheet.freeze_panes = "B3"
        path = csv_dir / f"{table.key}.csv"
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(safe_row(table.headers))
            writer.writerows(safe_row(row) for row in table.rows)
        written.append(path)
        contents.append([name, table.title, f"tables/{path.name}"])
    contents.column_dimensions["A"].width = 32
    contents.column_dimensions["B"].width = 80
    contents.column_dimensions["C"].width = 40
    xlsx = out_dir / "tables.xlsx"
    for sheet in book.worksheets:
        protect_sheet(sheet)  # text from the data never becomes a formula
    book.save(str(xlsx))
    return [xlsx, *written]
