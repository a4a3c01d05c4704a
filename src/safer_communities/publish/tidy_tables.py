"""The report's tables as data that imports: plain numbers, ISO dates and periods, GSS codes, a level column.

The report prints "7,180", "<5" and "2021-11..2022-10"; pandas, Power BI and Excel's Power Query
want 7180, an empty cell with the reason beside it, and ``2021-11/2022-10`` (ISO 8601 interval).
So each published column becomes a value column and, where any cell is withheld or marked, a
``<column> marker`` column holding the symbol ("<5", "[c]", "[u]"); notes and the licence go to a
sidecar (``README.md`` and a CSVW ``<table>.csv-metadata.json``), never under the data.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from safer_communities.csv_safety import safe_frame
from safer_communities.publish.document import Report, Table

_NUMBER = re.compile(r"^-?\d{1,3}(,\d{3})*(\.\d+)?$|^-?\d+(\.\d+)?$")
_PERIOD = re.compile(r"^(\d{4}-\d{2}(?:-\d{2})?)\.\.(\d{4}-\d{2}(?:-\d{2})?)$")
_MONTHS = {m: i for i, m in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), start=1)}
_MONTH_YEAR = re.compile(r"^([A-Za-z]{3})[a-z]* (\d{4})$")


@dataclass
class TidyTable:
    """One table ready to import: the frame, the decimals of each numeric column, and its notes."""

    key: str
    title: str
    frame: pd.DataFrame
    decimals: dict[str, int]
    notes: list[str]


TEXT_HEADERS = frozenset({"Version"})


def parse_cell(text: str) -> tuple[object, str | None]:
    """``(value, marker)`` for one printed cell: numbers without separators, ISO periods, markers apart."""
    text = text.strip()
    if text in ("", "nan", "None"):
        return None, None
    if _NUMBER.match(text):
        plain = text.replace(",", "")
        return (float(plain) if "." in plain else int(plain)), None
    period = _PERIOD.match(text)
    if period:
        return f"{period.group(1)}/{period.group(2)}", None
    month = _MONTH_YEAR.match(text)
    if month and month.group(1).lower() in _MONTHS:
        return f"{month.group(2)}-{_MONTHS[month.group(1).lower()]:02d}", None
    return text, None


def _is_marker(text: str) -> bool:
    return bool(re.fullmatch(r"\[[a-z]+\]|<\s?\d+|\.\.|-|:|\*", text.strip()))


def tidy(table: Table, areas: Mapping[str, tuple[str, str]]) -> TidyTable:
    """A :class:`Table` as a typed frame (see the module docstring); ``areas`` maps names to (code, level)."""
    raw = pd.DataFrame(table.rows, columns=table.headers).astype(str)
    out = pd.DataFrame(index=raw.index)
    decimals: dict[str, int] = {}
    first = table.headers[0]
    out[first] = [parse_cell(v)[0] for v in raw[first]]
    names = raw[first].str.strip().tolist()
    # Looked up in the mapping itself: ``isin(list(areas))`` hashed every area name for each table.
    if areas and names and sum(n in areas for n in names) >= 0.5 * len(names):
        out["area_code"] = [areas.get(n, (None, None))[0] for n in names]
        out["area_level"] = [areas.get(n, (None, None))[1] for n in names]
    for header in table.headers[1:]:
        cells = raw[header].tolist()
        if header in TEXT_HEADERS:  # identifiers that look like numbers: version "2025.1" is not 2025.1
            out[header] = [c.strip() for c in cells]
            continue
        markers = [c.strip() if _is_marker(c) else None for c in cells]
        values = [None if m else parse_cell(c)[0] for c, m in zip(cells, markers, strict=True)]
        numeric = [v for v in values if v is not None]
        if (numeric or any(markers)) and all(isinstance(v, int | float) for v in numeric):
            places = [len(c.strip().split(".")[1]) if "." in c and m is None else 0
                      for c, m in zip(cells, markers, strict=True)]
            decimals[header] = max(places, default=0)
            kind = "Float64" if decimals[header] else "Int64"
            out[header] = pd.array([None if v is None else v for v in values], dtype=kind)
        else:
            out[header] = [v if v is not None else m for v, m in zip(values, markers, strict=True)]
            markers = [None] * len(cells)
        if any(markers):
            out[f"{header} marker"] = markers
    return TidyTable(table.key, table.title, out, decimals, list(table.notes))


def write_csv(tidy_table: TidyTable, folder: Path, *, attribution: str, period_label: str) -> Path:
    """``<key>.csv`` (data only) and ``<key>.csv-metadata.json`` (W3C CSVW: title, notes, licence, types)."""
    path = folder / f"{tidy_table.key}.csv"
    safe_frame(tidy_table.frame).to_csv(path, index=False, lineterminator="\n")  # no formulas from data
    columns = []
    for name in tidy_table.frame.columns:
        dtype = str(tidy_table.frame[name].dtype)
        datatype = "integer" if dtype == "Int64" else "decimal" if dtype == "Float64" else "string"
        columns.append({"titles": name, "datatype": datatype})
    meta = {"@context": "http://www.w3.org/ns/csvw", "url": path.name, "dc:title": tidy_table.title,
            "dc:temporal": period_label, "dc:license": "http://www.nationalarchives.gov.uk/doc/"
            "open-government-licence/version/3/", "dc:rights": attribution,
            "notes": tidy_table.notes, "tableSchema": {"columns": columns}}
    (folder / f"{tidy_table.key}.csv-metadata.json").write_text(json.dumps(meta, indent=2, ensure_ascii=False)
                                                                + "\n", encoding="utf-8")
    return path


def write_readme(report: Report, tables: list[TidyTable], folder: Path) -> Path:
    """``tables/README.md``: what each file holds, its notes, the markers and the licence."""
    lines = [f"# Tables: {report.title}, {report.area_name}, {report.period_label}", "",
             "One CSV per table of the report (UTF-8, comma separated, plain numbers, ISO 8601 dates and "
             "periods such as 2021-11/2022-10). Areas carry their ONS GSS code (`area_code`) and level "
             "(`area_level`: lsoa, district, county). Where a cell is withheld or marked, the value is empty "
             "and the `<column> marker` column says why: `<5` fewer than five records, `[c]` withheld to "
             "protect another cell, `[u]` a rate on too few records to be reliable. Each CSV has a W3C CSVW "
             "`<name>.csv-metadata.json` with its title, notes, column types and licence.", ""]
    for t in tables:
        lines += [f"## {t.key}.csv", "", t.title, ""]
        lines += [f"- {note}" for note in t.notes]
        lines.append("")
    lines += ["## Licence", "", report.attribution, ""]
    path = folder / "README.md"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path
