"""Readers for the partner statistics published as Parquet and spreadsheets: DfE LAIT, ONS PFA tables.

LAIT (641,070 rows) is read column-wise with pandas: its ``Values`` are strings mixing decimals, float
noise and scientific notation, with ``-`` for no data. The ONS police force area workbooks are laid out
for people: title rows, two-row headers, footnote digits glued to labels, sheet names with trailing
spaces; each table is found by its title, not its sheet name.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any

import pandas as pd

from safer_communities.errors import InputError
from safer_communities.ingest.indicators_common import (
    MARKERS,
    OGL,
    VALUE_COLUMNS,
    Parsed,
    ValueProblem,
    area_level,
    catalogue,
    clean_label,
    dfe_la_codes,
    parse_period,
    slug,
    split_value,
)

LAIT_COLUMNS = {"Short Desc", "Data item", "Years", "LA and Regions", "Values", "LA Number"}
_YEAR_TYPES = {
    "financial year": "financial",
    "academic year": "academic",
    "calendar year": "calendar",
    "annual": "calendar",
    "annual - january": "calendar",
    "annual (end of sept)": "calendar",
}


def _lait_year_types(folder: Path) -> dict[str, str]:
    """Measure -> period kind, from the data dictionary beside the parquet (calendar when absent)."""
    found = [
        folder / n
        for n in ("lait_data_dictionary.csv", "lait_data_dictionary.csv.gz")
        if (folder / n).exists()
    ]
    if not found:
        return {}
    dictionary = found[0]
    frame = pd.read_csv(dictionary, dtype=str, keep_default_na=False, usecols=["Measure_short", "Year_Type"])
    return {
        slug(m): _YEAR_TYPES.get(t.strip().lower(), "calendar")
        for m, t in zip(frame["Measure_short"], frame["Year_Type"], strict=True)
    }


def _lait_ids(short: pd.Series) -> dict[str, str]:
    """Short Desc -> indicator id. LAIT has pairs of measures such as ``LAC_ceased_SGO`` (a count) and
    ``LAC_ceased_SGO%`` (a share): '%' becomes ``-percent``; any other clash gets ``-2`` in sorted order."""
    ids: dict[str, str] = {}
    taken: set[str] = set()
    for code in sorted(short.dropna().unique()):
        ident = "lait-" + slug(code)
        n = 2
        while ident in taken:
            ident, n = f"lait-{slug(code)}-{n}", n + 1
        taken.add(ident)
        ids[code] = ident
    return ids


def read_lait(path: Path) -> Parsed:
    """The LAIT long table (``bds_long_0.parquet``): old DfE LA numbers map to GSS codes through the
    shipped lookup; a value is a number or a marker; LAIT's known errors are refused with the reason."""
    try:
        frame = pd.read_parquet(path)
    except Exception as exc:  # pyarrow raises several types for a file that is not Parquet
        raise InputError(
            "The file cannot be read as Parquet.",
            found=f"{path.name}: {exc}",
            hint="Give LAIT's bds_long_0.parquet as downloaded.",
        ) from exc
    missing = LAIT_COLUMNS - set(frame.columns)
    if missing:
        raise InputError(
            f"{path.name} is not a LAIT long table: column(s) missing.",
            found=f"missing {sorted(missing)}; columns {list(frame.columns)}",
            hint="Give LAIT's bds_long_0.parquet (columns Short Desc, Years, Values, LA Number).",
        )
    parsed = Parsed()
    kinds = _lait_year_types(path.parent)
    if not kinds:
        parsed.warnings.append(
            f"{path.name}: no lait_data_dictionary.csv beside it; bare years are read as calendar years."
        )
    frame = frame.reset_index(drop=True)
    frame["line"] = frame.index + 1  # row number in the Parquet file, counted from 1
    frame["indicator_id"] = frame["Short Desc"].map(_lait_ids(frame["Short Desc"]))
    lookup = dfe_la_codes()
    frame["number"] = frame["LA Number"].map(lambda v: str(int(v)) if v == v else "")
    for column, key in (
        ("area_code", "gss_code"),
        ("area_name", "name"),
        ("area_level", "level"),
        ("parent_code", "region_code"),
    ):
        frame[column] = frame["number"].map({k: (v[key] or None) for k, v in lookup.items()})
    periods = {}
    for indicator, years in set(zip(frame["indicator_id"], frame["Years"], strict=True)):
        kind = kinds.get(indicator[5:], kinds.get(indicator[5:].rsplit("-", 1)[0], "calendar"))
        try:
            periods[(indicator, years)] = (*parse_period(years, kind), None)
        except ValueProblem as exc:
            periods[(indicator, years)] = (None, None, None, str(exc))
    keys = pd.Series(list(zip(frame["indicator_id"], frame["Years"], strict=True)), index=frame.index)
    for position, column in enumerate(("period_label", "period_start", "period_end", "period_error")):
        frame[column] = keys.map({k: v[position] for k, v in periods.items()})
    text = frame["Values"].fillna("").astype(str).str.strip()
    lowered = text.str.lower()
    is_marker = lowered.isin(set(MARKERS)) | (text == "")
    frame["value"] = pd.to_numeric(text.str.replace(",", "", regex=False).where(~is_marker), errors="coerce")
    frame["marker"] = lowered.where(is_marker).replace({"": "blank"})
    errors = {
        (e["indicator_id"], e["area_code"]): e["reason"]
        for e in catalogue().get("publisher_errors", [])
        if e.get("format") == "lait"
    }
    frame["error"] = pd.Series(
        list(zip(frame["indicator_id"], frame["area_code"], strict=True)), index=frame.index
    ).map(errors)
    bad_area = frame["area_code"].isna()
    bad_period = ~bad_area & frame["period_error"].notna()
    known_error = ~bad_area & ~bad_period & frame["error"].notna()
    bad_value = ~bad_area & ~bad_period & ~known_error & ~is_marker & frame["value"].isna()
    for mask, field, reason in (
        (bad_area, "LA Number", lambda r: f"LA number {r['number']!r} is not in the shipped lookup"),
        (bad_period, "Years", lambda r: r["period_error"]),
        (known_error, "Values", lambda r: r["error"]),
        (bad_value, "Values", lambda r: f"not a number or a known marker: {r['Values']!r}"),
    ):
        for _, r in frame[mask].iterrows():
            parsed.rejects.append(
                (
                    int(r["line"]),
                    field,
                    reason(r),
                    f"{r['Short Desc']} | {r['LA and Regions']} | {r['Years']} | {r['Values']}",
                )
            )
    good = frame[~(bad_area | bad_period | known_error | bad_value)].copy()
    good["breakdown"] = "all"
    for column in (
        "unit",
        "lower_ci_95",
        "upper_ci_95",
        "count",
        "denominator",
        "marker_note",
        "compared_to_england",
    ):
        good[column] = None
    parsed.frame = good[VALUE_COLUMNS]
    names = frame.dropna(subset=["Data item"]).drop_duplicates("indicator_id")
    names = dict(zip(names["indicator_id"], names["Data item"], strict=True))
    for indicator in frame["indicator_id"].unique():
        parsed.add_meta(
            indicator,
            name=names.get(indicator, indicator),
            publisher="DfE LAIT",
            licence=OGL,
            source=f"DfE Local Authority Interactive Tool ({path.name})",
        )
    return parsed


# -- ONS police force area workbooks ---------------------------------------------------------------

_GSS = re.compile(r"^[EWK]\d{8}$")


def _text(value: object) -> str:
    return " ".join(str(value).split()) if value is not None else ""


def _strip_notes(label: str) -> str:
    """'Violence against the person6' -> 'Violence against the person'; '(excluding fraud5)' too."""
    return " ".join(re.sub(r"(?<=[A-Za-z)])\d+(,\d+)*", "", label).split())


@cache
def _table_kind(title: str) -> str | None:
    lowered = title.lower()
    if "knife and sharp instrument rates" in lowered:
        return "knife-rate"
    if "knife and sharp instrument offences" in lowered and "change" not in lowered:
        return "knife"
    if "police recorded crime by offence group" in lowered and "rate" in lowered:
        return "rates"
    return None


def _header_row(rows: list[tuple[Any, ...]]) -> int:
    for i, row in enumerate(rows[:20]):
        if _text(row[0]).lower() == "area code":
            return i
    raise ValueProblem("no 'Area Code' header row in the first 20 rows")


def _columns(
    kind: str, rows: list[tuple[Any, ...]], header: int, period: tuple[str, Any, Any]
) -> list[tuple[int, str, str, str, tuple[str, Any, Any]]]:
    """(column index, indicator id, name, unit, period) for each value column of one table."""
    names = [_strip_notes(_text(c)) for c in rows[header]]
    above = [_strip_notes(_text(c)) for c in rows[header - 1]] if header else [""] * len(names)
    out = []
    if kind == "knife-rate":
        for i, name in enumerate(names[2:], start=2):
            if not name:
                continue
            match = re.match(r"^(\w{3}) '(\d{2}) to (\w{3}) '(\d{2})$", name)
            if not match:
                continue
            month = {"dec": "December", "mar": "March", "jun": "June", "sep": "September"}.get(
                match[3].lower(), match[3]
            )
            col_period = parse_period(f"year ending {month} 20{match[4]}")
            out.append(
                (
                    i,
                    "ons-pfa-knife-rate",
                    "Knife and sharp instrument offences (selected) per 100,000",
                    "Rate per 100,000 population",
                    col_period,
                )
            )
        return out
    group = ""
    for i, name in enumerate(names[2:], start=2):
        group = above[i] or group
        if not name:
            continue
        if kind == "knife":
            offence = group or "selected offences"
            if offence.lower().startswith("total of selected"):
                offence = "offences selected"
            percent = name.startswith("%")
            ident = "ons-pfa-knife-" + slug(offence) + ("-percent" if percent else "")
            label = f"Knife and sharp instrument {offence.lower()}" + (
                " (% involving a knife)" if percent else ""
            )
            out.append((i, ident, label, "%" if percent else "offences", period))
        elif kind == "rates":
            if "figures" in name.lower() or "rate per" in name.lower():
                continue
            out.append(
                (
                    i,
                    "ons-pfa-rate-" + slug(name),
                    f"Police recorded crime: {name} per 1,000",
                    "Rate per 1,000 population",
                    period,
                )
            )
    return out


def read_ons_pfa(path: Path) -> Parsed:
    """Tables P3 (rates per 1,000), P4 (knife offences) and P6 (knife rate) of the ONS PFA workbooks."""
    import openpyxl

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # zipfile.BadZipFile, KeyError, InvalidFileException
        raise InputError(
            "The file cannot be read as an Excel workbook.",
            found=f"{path.name}: {exc}",
            hint="Give the ONS police force area tables (.xlsx) as downloaded.",
        ) from exc
    parsed = Parsed()
    try:
        for sheet in book.worksheets:
            rows = [tuple(r) for r in sheet.iter_rows(values_only=True)]
            if not rows or not rows[0]:
                continue
            title = _text(rows[0][0])
            kind = _table_kind(title)
            if kind is None:
                continue
            sheet_name = sheet.title.strip()
            try:
                header = _header_row(rows)
                period = parse_period(title) if kind != "knife-rate" else ("", None, None)
            except ValueProblem as exc:
                parsed.warnings.append(f"{path.name} {sheet_name}: {exc}; table not read.")
                continue
            scope = " ".join(_text(r[0]) for r in rows[1:header] if r and r[0])
            if "excluding greater manchester" in scope.lower():
                parsed.warnings.append(
                    f"{path.name} {sheet_name}: figures exclude Greater Manchester Police (as published)."
                )
            columns = _columns(kind, rows, header, period)
            region: str | None = None
            for number, row in enumerate(rows[header + 1 :], start=header + 2):
                code = _text(row[0]) if row else ""
                if not _GSS.match(code):
                    continue  # blank spacer rows, notes and the source line under the table
                name = clean_label(_strip_notes(_text(row[1])))
                level = "england" if code == "E92000001" else area_level(code) if code[0] == "E" else "other"
                if code.startswith("E12") or code.startswith("W92"):
                    region = code
                parent = region if level == "police_force_area" else None
                if code.startswith("W23"):
                    level = "police_force_area"
                for col, indicator, label, unit, col_period in columns:
                    cell = row[col] if col < len(row) else None
                    try:
                        value, marker = split_value(cell)
                    except ValueProblem as exc:
                        parsed.rejects.append(
                            (
                                number,
                                f"{sheet_name}!{_text(rows[header][col])[:40]}",
                                str(exc),
                                f"{code} {name} {cell!r}",
                            )
                        )
                        continue
                    parsed.rows.append(
                        {
                            "indicator_id": indicator,
                            "area_code": code,
                            "area_name": name,
                            "area_level": level,
                            "parent_code": parent,
                            "period_label": col_period[0],
                            "period_start": col_period[1],
                            "period_end": col_period[2],
                            "breakdown": "all",
                            "value": value,
                            "unit": unit,
                            "lower_ci_95": None,
                            "upper_ci_95": None,
                            "count": None,
                            "denominator": None,
                            "marker": marker,
                            "marker_note": MARKERS.get(marker) if marker else None,
                            "compared_to_england": None,
                        }
                    )
                    parsed.add_meta(
                        indicator,
                        name=label,
                        unit=unit,
                        licence=OGL,
                        value_type={"offences": "count", "%": "percent"}.get(unit, "rate"),
                        publisher="ONS, Crime in England and Wales: Police Force Area data tables",
                        source=f"ONS PFA tables ({sheet_name})",
                    )
    finally:
        book.close()
    return parsed
