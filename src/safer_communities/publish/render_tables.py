"""Every table of the report for analysts: ``tables.xlsx`` (one sheet per table) and ``tables/*.csv``.

The cells are the published, disclosure-controlled values (see :mod:`tidy_tables`: plain numbers, a
marker column where a cell is withheld, GSS codes and a level column). In Excel each table is an
Excel table with filters and number formats, the Contents sheet links to every sheet, and every
sheet prints on A4 at one page wide with its header repeated. Notes and the licence sit above the
table in Excel and in a sidecar beside the CSVs, never among the data rows. An analyst who needs the
unsuppressed figures queries the evidence store under their own access.
"""

from __future__ import annotations

import re
from copy import copy
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.cell.cell import Cell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.hyperlink import Hyperlink
from openpyxl.worksheet.table import Table as ExcelTable
from openpyxl.worksheet.table import TableStyleInfo
from openpyxl.worksheet.worksheet import Worksheet

from safer_communities.csv_safety import protect_sheet
from safer_communities.publish.document import Report, Table
from safer_communities.publish.tidy_tables import TidyTable, tidy, write_csv, write_readme

HEADER_FILL = PatternFill("solid", fgColor="1F3A5F")
HEADER_FONT = Font(name="Arial", bold=True, color="FFFFFF", size=10)
BODY_FONT = Font(name="Arial", size=10)


def _sheet_name(key: str, used: set[str]) -> str:
    name = re.sub(r"[\[\]:*?/\\]", "-", key)[:31]
    base, k = name, 2
    while name.lower() in used:
        suffix = f"-{k}"
        name = base[: 31 - len(suffix)] + suffix
        k += 1
    used.add(name.lower())
    return name


def _table_name(key: str, used: set[str]) -> str:
    """An Excel table name: letters, digits and underscores, starting with a letter, unique in the book."""
    name = "t_" + re.sub(r"[^A-Za-z0-9_]", "_", key)[:200]
    base, k = name, 2
    while name.lower() in used:
        name, k = f"{base}_{k}", k + 1
    used.add(name.lower())
    return name


def _number_format(column: str, decimals: int) -> str:
    """Thousands separated, with the decimals the report prints; years without a separator."""
    if decimals == 0 and "year" in column.lower():
        return "0"
    return "#,##0" if decimals == 0 else "#,##0." + "0" * decimals


def _link(cell: Cell, sheet_name: str) -> None:
    """An internal link (a location in the book, which Excel and LibreOffice both follow)."""
    cell.hyperlink = Hyperlink(ref=cell.coordinate, location=f"'{sheet_name}'!A1", display=str(cell.value))
    cell.style = "Hyperlink"


def _print_setup(sheet: Worksheet, header_row: int, columns: int) -> None:
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.orientation = "landscape" if columns > 6 else "portrait"
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_title_rows = f"{header_row}:{header_row}"
    sheet.oddFooter.center.text = "&A, page &P of &N"


def _width(values: list[object], header: str) -> float:
    longest = max([len(str(v)) for v in values if v is not None] + [min(len(header), 24), 6])
    return float(min(longest + 2, 60))


def _write_sheet(sheet: Worksheet, table: TidyTable, report: Report, table_name: str) -> None:
    sheet["A1"] = table.title
    sheet["A1"].font = Font(name="Arial", bold=True, size=12)
    row = 2
    for note in [*table.notes, report.attribution]:
        sheet.cell(row=row, column=1, value=note).font = Font(name="Arial", italic=True, size=9)
        row += 1
    _link(sheet.cell(row=row, column=1, value="Back to Contents"), "Contents")
    header_row = row + 2
    frame = table.frame
    for j, name in enumerate(frame.columns, start=1):
        cell = sheet.cell(row=header_row, column=j, value=str(name))
        cell.font, cell.fill = HEADER_FONT, HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    # A column's body cells share one style: it is set on the first and copied to the rest (openpyxl's
    # own way of copying a style), instead of hashing the font and number format into the book's
    # style lists again for each of thousands of cells. The same styles are written either way.
    column_style: dict[int, object] = {}
    for i, record in enumerate(frame.itertuples(index=False), start=header_row + 1):
        for j, value in enumerate(record, start=1):
            missing = bool(pd.isna(value))  # withheld or empty cells stay empty
            if not missing and hasattr(value, "item"):
                value = value.item()  # numpy scalars to Python numbers for openpyxl
            if j in column_style:  # the cell made directly with its column's style: what ``sheet.cell`` does
                sheet._add_cell(Cell(sheet, row=i, column=j, value=None if missing else value,
                                     style_array=column_style[j]))
                continue
            cell = sheet.cell(row=i, column=j, value=None if missing else value)
            cell.font = BODY_FONT
            column = frame.columns[j - 1]
            if column in table.decimals:
                cell.number_format = _number_format(column, table.decimals[column])
            column_style[j] = copy(cell._style)
    last_row = header_row + max(len(frame), 1)
    ref = f"A{header_row}:{get_column_letter(len(frame.columns))}{last_row}"
    excel_table = ExcelTable(displayName=table_name, ref=ref)
    excel_table.tableStyleInfo = TableStyleInfo(name="TableStyleLight9", showRowStripes=True)
    sheet.add_table(excel_table)
    for j, name in enumerate(frame.columns, start=1):
        sheet.column_dimensions[get_column_letter(j)].width = _width(frame[name].tolist(), str(name))
    sheet.column_dimensions["A"].width = max(sheet.column_dimensions["A"].width, 18)
    sheet.freeze_panes = sheet.cell(row=header_row + 1, column=2)
    _print_setup(sheet, header_row, len(frame.columns))


def _chart_tables(report: Report, used: set[str]) -> list[Table]:
    """The numbers behind every chart and map (``Chart.data``), after the report's own tables.

    A chart drawn twice (the same map in two sections) gives one table; keys that clash with a
    report table get a ``-chart`` suffix."""
    out: list[Table] = []
    seen: set[str] = set()
    for figure in report.figures():
        data = figure.chart.data
        if data is None or data.key in seen:
            continue
        seen.add(data.key)
        key = data.key if data.key not in used else f"{data.key}-chart"
        used.add(key)
        out.append(Table(title=data.title, key=key, headers=data.headers, rows=data.rows, notes=data.notes))
    return out


def render_tables(report: Report, out_dir: Path) -> list[Path]:
    """Write ``tables.xlsx``, one CSV (and CSVW sidecar) per table and ``tables/README.md``."""
    report.unique_table_keys()
    tables: list[Table] = report.tables()
    tables += _chart_tables(report, {t.key for t in tables})
    csv_dir = out_dir / "tables"
    csv_dir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    book = Workbook()
    contents = book.active
    contents.title = "Contents"
    contents.append([f"{report.title}: {report.period_label}"])
    contents["A1"].font = Font(name="Arial", bold=True, size=12)
    contents.append([report.attribution])
    contents.append([])
    contents.append(["Sheet", "Table", "CSV file"])
    for cell in contents[4]:
        cell.font, cell.fill = HEADER_FONT, HEADER_FILL
    used, names = {"contents"}, set()
    tidied = []
    for table in tables:
        tidy_table = tidy(table, report.areas)
        tidied.append(tidy_table)
        name = _sheet_name(table.key, used)
        _write_sheet(book.create_sheet(name), tidy_table, report, _table_name(table.key, names))
        path = write_csv(tidy_table, csv_dir, attribution=report.attribution,
                         period_label=report.period_label)
        written.append(path)
        contents.append([name, table.title, f"tables/{path.name}"])
        _link(contents.cell(row=contents.max_row, column=1), name)
    written.append(write_readme(report, tidied, csv_dir))
    contents.column_dimensions["A"].width = 32
    contents.column_dimensions["B"].width = 80
    contents.column_dimensions["C"].width = 40
    _print_setup(contents, 4, 3)
    xlsx = out_dir / "tables.xlsx"
    for sheet in book.worksheets:
        protect_sheet(sheet)  # text from the data never becomes a formula
    book.save(str(xlsx))
    return [xlsx, *written]
