"""Readers for the partner statistics published as CSV: Fingertips (full and short), DfE, ONS.

Each takes a parsed CSV (``csv_tools.read_csv``: physical line numbers kept) and returns ``Parsed``:
value rows in ``VALUE_COLUMNS``, indicator metadata and rejects (line, field, reason, raw line).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from safer_communities.ingest.csv_tools import CsvFile, CsvRow, normalise_header
from safer_communities.ingest.indicators_common import (
    OGL,
    Parsed,
    ValueProblem,
    area_level,
    catalogue,
    clean_label,
    dfe_la_codes,
    optional_number,
    parse_period,
    slug,
    split_value,
)

FINGERTIPS_FULL = {
    "indicator id",
    "area code",
    "time period",
    "value",
    "lower ci 95.0 limit",
    "category type",
}
FINGERTIPS_SHORT = {"area_code", "area_name", "period", "value", "indicator", "measure", "significance"}
ONS_ELS = {"areacd", "areanm", "geography", "period", "observation", "measure", "unit", "status"}
DFE_GEOGRAPHY = {"country_code", "region_code", "old_la_code", "new_la_code", "la_name"}


def _row(**values: Any) -> dict[str, Any]:
    row: dict[str, Any] = dict.fromkeys(
        [
            "parent_code",
            "unit",
            "lower_ci_95",
            "upper_ci_95",
            "count",
            "denominator",
            "marker",
            "marker_note",
            "compared_to_england",
        ]
    )
    row["breakdown"] = "all"
    row.update(values)
    return row


def _cells(table: CsvFile, row: CsvRow) -> dict[str, str]:
    return {normalise_header(name): text.strip() for name, text in zip(table.header, row.fields, strict=True)}


def _original(table: CsvFile, key: str) -> str:
    """The column's name as published (for ``rejects.field``)."""
    return next((h for h in table.header if normalise_header(h) == key), key)


def read_fingertips(table: CsvFile) -> Parsed:
    """The full 27-column Fingertips export. Deprivation-decile rows (a ``Category Type``) are breakdowns
    of England, not areas: they are skipped, so England is not counted several times."""
    parsed = Parsed()
    skipped = 0
    for row in table.rows:
        cell = _cells(table, row)
        if cell["category type"]:
            skipped += 1
            continue
        indicator = f"fingertips-{cell['indicator id']}"
        try:
            level = "england" if cell["area type"].lower() == "england" else area_level(cell["area code"])
        except ValueProblem as exc:
            parsed.rejects.append((row.line, _original(table, "area code"), str(exc), row.raw))
            continue
        try:
            label, start, end = parse_period(cell["time period"], "financial")
        except ValueProblem as exc:
            parsed.rejects.append((row.line, _original(table, "time period"), str(exc), row.raw))
            continue
        try:
            value, marker = split_value(cell["value"])
            numbers = {
                k: optional_number(cell[c])
                for k, c in (
                    ("lower_ci_95", "lower ci 95.0 limit"),
                    ("upper_ci_95", "upper ci 95.0 limit"),
                    ("count", "count"),
                    ("denominator", "denominator"),
                )
            }
        except ValueProblem as exc:
            parsed.rejects.append((row.line, _original(table, "value"), str(exc), row.raw))
            continue
        note = cell.get("value note") or None
        parsed.rows.append(
            _row(
                indicator_id=indicator,
                area_code=cell["area code"],
                area_name=cell["area name"],
                area_level=level,
                parent_code=cell.get("parent code") or None,
                period_label=label,
                period_start=start,
                period_end=end,
                breakdown=cell.get("sex") or "all",
                value=value,
                marker=marker,
                marker_note=note,
                compared_to_england=cell.get("compared to england value or percentiles") or None,
                **numbers,
            )
        )
        parsed.add_meta(
            indicator,
            name=cell["indicator name"],
            publisher="OHID Fingertips",
            source=f"Fingertips indicator {cell['indicator id']}",
            licence=OGL,
            value_type="rate",
        )
    if skipped:
        parsed.warnings.append(
            f"{table.path.name}: {skipped:,} deprivation-decile breakdown rows skipped "
            "(England's value is kept once)."
        )
    return parsed


def read_fingertips_short(table: CsvFile) -> Parsed:
    """The short Fingertips layout in ``health/``: area_code, area_name, period, value, indicator, measure,
    unit (which holds the sex), significance (compared with England)."""
    parsed = Parsed()
    for row in table.rows:
        cell = _cells(table, row)
        indicator = "fingertips-short-" + slug(cell["indicator"])
        try:
            level = area_level(cell["area_code"])
            label, start, end = parse_period(cell["period"], "financial")
        except ValueProblem as exc:
            field = "area_code" if "area code" in str(exc) else "period"
            parsed.rejects.append((row.line, field, str(exc), row.raw))
            continue
        try:
            value, marker = split_value(cell["value"])
        except ValueProblem as exc:
            parsed.rejects.append((row.line, "value", str(exc), row.raw))
            continue
        parsed.rows.append(
            _row(
                indicator_id=indicator,
                area_code=cell["area_code"],
                area_name=cell["area_name"],
                area_level=level,
                period_label=label,
                period_start=start,
                period_end=end,
                breakdown=cell.get("unit") or "all",
                value=value,
                unit=cell["measure"],
                marker=marker,
                compared_to_england=cell.get("significance") or None,
            )
        )
        parsed.add_meta(
            indicator,
            name=cell["indicator"],
            publisher="OHID Fingertips",
            licence=OGL,
            source="Fingertips (short export)",
            unit=cell["measure"],
            value_type="rate",
        )
    return parsed


_ELS_LEVELS = {
    "nation": "other",
    "country": "other",
    "police force area": "police_force_area",
    "region": "region",
}


def read_ons_els(table: CsvFile) -> Parsed:
    """ONS Explore Local Statistics: one observation per area and ISO period; ``status`` is the marker.
    Its JSON metadata file beside the CSV, when present, gives the name and description."""
    parsed = Parsed()
    meta: dict[str, Any] = {}
    stem = table.path.name.removesuffix(".gz").rsplit(".", 1)[0]
    sidecar = table.path.with_name(f"{stem}.json")
    if sidecar.exists():
        try:
            meta = json.loads(sidecar.read_text(encoding="utf-8-sig")).get("ess-beta-metadata", {}) or {}
        except (json.JSONDecodeError, AttributeError):
            parsed.warnings.append(f"{sidecar.name}: not readable JSON metadata; names come from the CSV.")
    for row in table.rows:
        cell = _cells(table, row)
        indicator = "ons-" + slug(cell["indicator"] or cell["measure"])
        geography = cell["geography"].lower()
        try:
            level = _ELS_LEVELS.get(geography) or area_level(cell["areacd"])
            if cell["areacd"] == "E92000001":
                level = "england"
            label, start, end = parse_period(cell["period"], "financial")
        except ValueProblem as exc:
            field = "areacd" if "area code" in str(exc) else "period"
            parsed.rejects.append((row.line, field, str(exc), row.raw))
            continue
        try:
            value, marker = split_value(cell["observation"])
            lower, upper = optional_number(cell["lci_95"]), optional_number(cell["uci_95"])
        except ValueProblem as exc:
            parsed.rejects.append((row.line, "observation", str(exc), row.raw))
            continue
        status = cell["status"] or None
        if value is None and status:
            marker = status.lower()
        parsed.rows.append(
            _row(
                indicator_id=indicator,
                area_code=cell["areacd"],
                area_name=cell["areanm"],
                area_level=level,
                period_label=label,
                period_start=start,
                period_end=end,
                value=value,
                unit=cell["unit"],
                lower_ci_95=lower,
                upper_ci_95=upper,
                marker=marker,
                marker_note=(f"status {status}" if status and value is not None else None)
                or cell["notes"]
                or None,
            )
        )
        description = " ".join(str(meta.get(k) or "") for k in ("longDescription", "caveats")).strip()
        parsed.add_meta(
            indicator,
            name=meta.get("label") or cell["indicator"],
            unit=cell["unit"],
            publisher=str(meta.get("sourceOrg") or "Office for National Statistics").split("|")[0],
            source="ONS Explore Local Statistics",
            licence=OGL,
            value_type="rate",
            description=description[:2000] or None,
        )
    return parsed


def _dfe_layout(columns: set[str]) -> dict[str, Any] | None:
    for layout in catalogue()["dfe_layouts"]:
        if set(layout["signature"]) <= columns:
            return dict(layout)
    return None


def _dfe_area(cell: dict[str, str], level_text: str) -> tuple[str, str, str, str | None]:
    """(code, name, level, parent) of a DfE row; an LA with no GSS code is found by its old LA number."""
    level_text = level_text.lower()
    if level_text == "national":
        return cell.get("country_code") or "E92000001", cell.get("country_name") or "England", "england", None
    if level_text == "regional":
        code = cell.get("region_code", "")
        if not code:
            raise ValueProblem("regional row with no region_code (not a GSS area code)")
        return code, cell.get("region_name", ""), area_level(code), cell.get("country_code")
    if level_text in {"local authority", "local_authority"}:
        code, old = cell.get("new_la_code", "").strip(". "), cell.get("old_la_code", "")
        if not code and old:
            found = dfe_la_codes().get(old)
            if found is None:
                raise ValueProblem(
                    f"LA {cell.get('la_name', '')!r} has no GSS code and its old LA number "
                    f"{old!r} is not in the shipped lookup"
                )
            code = found["gss_code"]
        if not code:
            raise ValueProblem("local authority row with no LA code")
        return code, cell.get("la_name", ""), area_level(code), cell.get("region_code") or None
    raise ValueProblem(f"geographic level {level_text!r} is not loaded (national, regional, local authority)")


def read_dfe(table: CsvFile) -> Parsed:
    """DfE Explore Education Statistics CSVs, in the layouts declared in ``data/partner/indicators.yaml``
    (wide: one indicator per column; long: one indicator per set of filter values)."""
    columns = set(table.columns)
    layout = _dfe_layout(columns)
    if layout is None:
        raise ValueProblem("no declared DfE layout matches these columns")
    parsed = Parsed()
    kind = layout.get("period_kind", "academic")
    period_column = layout.get("period_column", "time_period")
    level_column = layout.get("level_column", "geographic_level")
    filters = {k.lower(): v for k, v in (layout.get("filters") or {}).items()}
    skipped = 0
    specs = layout.get("long") or []
    wide = layout.get("wide")
    geography = DFE_GEOGRAPHY | {
        period_column,
        level_column,
        "time_identifier",
        "country_name",
        "region_name",
    }
    wide_columns = (
        [c for c in table.columns if c not in geography and c not in set(wide.get("skip", []))]
        if wide
        else []
    )
    for row in table.rows:
        cell = _cells(table, row)
        if any(cell.get(k) != v for k, v in filters.items()):
            skipped += 1
            continue
        try:
            code, name, level, parent = _dfe_area(cell, cell.get(level_column, ""))
            label, start, end = parse_period(cell[period_column], kind)
        except ValueProblem as exc:
            field = (
                period_column if "period" in str(exc) else "new_la_code" if "LA" in str(exc) else level_column
            )
            parsed.rejects.append((row.line, field, str(exc), row.raw))
            continue
        base = dict(
            area_code=code,
            area_name=name,
            area_level=level,
            parent_code=parent,
            period_label=label,
            period_start=start,
            period_end=end,
        )
        made: list[dict[str, Any]] = []
        try:
            if wide:
                denominator_column = wide.get("denominator")
                denominator = optional_number(cell[denominator_column]) if denominator_column else None
                for column in wide_columns:
                    if column == denominator_column:
                        continue
                    count, marker = split_value(cell[column])
                    value = count
                    if wide.get("value") == "percent_of_denominator":
                        value = (100.0 * count / denominator) if count is not None and denominator else None
                        if count is not None and not denominator:
                            marker = "blank"
                    made.append(
                        _row(
                            indicator_id=wide["prefix"] + slug(column),
                            value=value,
                            count=count,
                            denominator=denominator,
                            unit=wide.get("unit"),
                            marker=marker,
                            **base,
                        )
                    )
            for spec in specs:
                if any(cell.get(k.lower()) != v for k, v in spec["filters"].items()):
                    continue
                value, marker = split_value(cell[spec["value"]])
                count = optional_number(cell[spec["count"]]) if spec.get("count") else None
                denominator = optional_number(cell[spec["denominator"]]) if spec.get("denominator") else None
                made.append(
                    _row(
                        indicator_id=spec["id"],
                        value=value,
                        count=count,
                        denominator=denominator,
                        unit=spec.get("unit"),
                        marker=marker,
                        **base,
                    )
                )
        except ValueProblem as exc:
            field = next(
                (
                    c
                    for c in wide_columns + [s["value"] for s in specs]
                    if c in cell and str(exc).endswith(repr(cell[c]))
                ),
                None,
            )
            parsed.rejects.append((row.line, field, str(exc), row.raw))
            continue
        if specs and not made:
            skipped += 1
        parsed.rows.extend(made)
    for spec in specs:
        parsed.add_meta(
            spec["id"],
            name=spec["name"],
            publisher=layout["publisher"],
            licence=OGL,
            source=f"DfE Explore Education Statistics ({layout['layout']})",
            unit=spec.get("unit"),
            value_type="percent",
        )
    if wide:
        for column in wide_columns:
            if column == wide.get("denominator"):
                continue
            label = _original(table, column).replace("_", " ")
            parsed.add_meta(
                wide["prefix"] + slug(column),
                name=wide["name"].format(column=label),
                publisher=layout["publisher"],
                licence=OGL,
                unit=wide.get("unit"),
                source=f"DfE Explore Education Statistics ({layout['layout']})",
                value_type="percent" if wide.get("value") == "percent_of_denominator" else "count",
            )
    if skipped:
        parsed.warnings.append(
            f"{table.path.name}: {skipped:,} rows of other breakdowns not loaded (layout {layout['layout']})."
        )
    return parsed


def read_lait_dictionary(table: CsvFile) -> Parsed:
    """LAIT's data dictionary: metadata only (name, polarity, owner) for the ``lait-*`` indicators."""
    parsed = Parsed()
    for row in table.rows:
        cell = _cells(table, row)
        short = cell.get("measure_short", "")
        if not short or short == "NA":
            continue
        polarity = {"high": "high", "low": "low"}.get(cell.get("polarity", "").lower(), "none")
        owner = " ".join(cell.get("data owner (do) /supplier and contact details", "").split())
        parsed.add_meta(
            "lait-" + slug(short),
            name=clean_label(cell.get("measure", "")) or short,
            polarity=polarity,
            publisher=f"DfE LAIT; data owner: {owner[:200]}" if owner else "DfE LAIT",
            unit=cell.get("y_axis_name") or None,
            licence=OGL,
            source=f"DfE LAIT measure {short}",
            description=" ".join(cell.get("description", "").split())[:2000] or None,
        )
    return parsed


def detect_csv(table: CsvFile) -> str | None:
    """The CSV layout a header belongs to, or None."""
    columns = set(table.columns)
    if columns >= FINGERTIPS_FULL:
        return "fingertips"
    if columns >= FINGERTIPS_SHORT:
        return "fingertips-short"
    if columns >= ONS_ELS:
        return "ons"
    if {"measure_short", "polarity", "measure"} <= columns:
        return "lait-dictionary"
    if _dfe_layout(columns) is not None:
        return "dfe"
    return None


CSV_READERS = {
    "fingertips": read_fingertips,
    "fingertips-short": read_fingertips_short,
    "ons": read_ons_els,
    "dfe": read_dfe,
    "lait-dictionary": read_lait_dictionary,
}


def is_lait_dictionary(path: Path) -> bool:
    return path.name.lower().startswith("lait_data_dictionary")
