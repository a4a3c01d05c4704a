"""Published partner statistics (Fingertips, DfE, LAIT, ONS) -> ``indicator_values`` and ``indicators``.

The same guarantees as the police.uk ingest: one transaction per command (``runner.run_ingest``), a file
with identical bytes is not loaded twice, a row loaded again (a later release of the same indicator,
area, period and breakdown) replaces the earlier one, and every refused row goes to ``rejects`` with its
file, line (or row) and field. A publisher's marker stays a marker: NULL value, ``marker`` set.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from safer_communities.errors import InputError
from safer_communities.ingest.common import IngestReport, NullProgress, Progress
from safer_communities.ingest.csv_tools import (
    close_report,
    decode_text,
    list_files,
    open_report,
    read_bytes,
    read_csv,
    scalar,
)
from safer_communities.ingest.indicators_books import read_lait, read_ons_pfa
from safer_communities.ingest.indicators_common import (
    META_COLUMNS,
    VALUE_COLUMNS,
    Parsed,
    ValueProblem,
    catalogue,
)
from safer_communities.ingest.indicators_read import CSV_READERS, detect_csv

KIND = "indicators"
FORMATS = ("auto", "fingertips", "dfe", "ons", "lait", "ons-pfa-tables")
_HINT = (
    "Give files as published: Fingertips CSV exports, DfE Explore Education Statistics CSVs, LAIT's "
    "bds_long_0.parquet and lait_data_dictionary.csv, ONS Explore Local Statistics CSVs, ONS police "
    "force area tables (.xlsx). See docs/partner-data.md."
)
_KEY = ["indicator_id", "area_code", "period_label", "breakdown"]
LAYOUTS = ("fingertips", "fingertips-short", "dfe", "ons", "lait", "lait-dictionary", "ons-pfa-tables")


def _family(layout: str) -> str:
    """The ``--format`` family a detected layout belongs to."""
    return {"fingertips-short": "fingertips", "lait-dictionary": "lait"}.get(layout, layout)


def read_indicator_file(path: Path, data: bytes, fmt: str = "auto") -> tuple[str, Parsed]:
    """Recognise one file's layout (or check it against ``fmt``) and parse it."""
    name = path.name.lower()
    if name.endswith(".parquet"):
        layout = "lait"
    elif name.endswith((".xlsx", ".xlsm")):
        layout = "ons-pfa-tables"
    else:
        table = read_csv(path, decode_text(read_bytes(path, data), path))
        layout = detect_csv(table) or ""
        if not layout:
            raise InputError(
                f"{path.name} is not a partner-statistics layout this tool knows.",
                found=f"columns {table.header[:10]}",
                hint=_HINT,
            )
    if fmt != "auto" and _family(layout) != fmt:
        raise InputError(
            f"{path.name} is not in the '{fmt}' format.",
            found=f"it looks like '{layout}'",
            hint="Use --format auto, or the format the file is in.",
        )
    if layout == "lait":
        parsed = read_lait(path)
    elif layout == "ons-pfa-tables":
        parsed = read_ons_pfa(path)
    else:
        try:
            parsed = CSV_READERS[layout](table)
        except ValueProblem as exc:
            raise InputError(
                f"{path.name} cannot be read as '{layout}'.", found=str(exc), hint=_HINT
            ) from exc
        parsed.rejects = list(table.rejects) + parsed.rejects
    return layout, parsed


def _deduplicate(parsed: Parsed, source: str) -> pd.DataFrame:
    """One row per key: an exact repeat is dropped (and counted), a conflicting repeat is rejected."""
    frame = pd.DataFrame(parsed.rows, columns=VALUE_COLUMNS)
    if parsed.frame is not None:
        frame = parsed.frame if frame.empty else pd.concat([frame, parsed.frame], ignore_index=True)
    if frame.empty:
        return frame
    repeated = frame.duplicated(subset=_KEY, keep="first")
    if repeated.any():
        first = frame[~repeated].set_index(_KEY)
        conflicts = 0
        for _, row in frame[repeated].iterrows():
            kept = first.loc[tuple(row[k] for k in _KEY)]
            same = all(
                (pd.isna(kept[c]) and pd.isna(row[c])) or kept[c] == row[c] for c in ("value", "marker")
            )
            if not same:
                conflicts += 1
                parsed.rejects.append(
                    (
                        None,
                        "value",
                        f"conflicting repeat of {tuple(row[k] for k in _KEY)}: "
                        f"{row['value']} against {kept['value']}",
                        None,
                    )
                )
        parsed.warnings.append(
            f"{source}: {int(repeated.sum()) - conflicts:,} exact repeated rows counted once"
            + (f", {conflicts:,} conflicting repeats rejected." if conflicts else ".")
        )
        frame = frame[~repeated]
    return frame


def _metadata(parsed: Parsed, source_file: str, ingest_id: int) -> pd.DataFrame:
    known = catalogue().get("indicators", {})
    rows = []
    for indicator, meta in parsed.meta.items():
        entry = dict(meta)
        extra = known.get(indicator, {}) or {}
        for key in ("polarity", "publisher", "unit", "name"):
            if extra.get(key):
                entry[key] = extra[key]
        entry["issues"] = " ".join(extra.get("issues", [])) or None
        entry["polarity"] = entry.get("polarity") or "none"
        entry["name"] = entry.get("name") or indicator
        entry["publisher"] = entry.get("publisher") or "unknown"
        entry["licence"] = entry.get("licence") or "unknown"
        rows.append(
            {**{c: entry.get(c) for c in META_COLUMNS}, "source_file": source_file, "ingest_id": ingest_id}
        )
    return pd.DataFrame(rows, columns=[*META_COLUMNS, "source_file", "ingest_id"])


def _store(con: duckdb.DuckDBPyConnection, values: pd.DataFrame, meta: pd.DataFrame) -> int:
    """Replace rows with the same keys, insert the new ones; returns how many were replaced."""
    replaced = 0
    if not values.empty:
        values = values.astype(
            {
                "period_start": "datetime64[s]",
                "period_end": "datetime64[s]",
                **dict.fromkeys(["value", "lower_ci_95", "upper_ci_95", "count", "denominator"], "float64"),
            }
        )
        con.register("_indicator_values_new", values)
        try:
            join = " AND ".join(f"v.{k} = n.{k}" for k in _KEY)
            replaced = int(
                scalar(con, f"SELECT count(*) FROM indicator_values v JOIN _indicator_values_new n ON {join}")
            )
            con.execute(f"DELETE FROM indicator_values v USING _indicator_values_new n WHERE {join}")
            cols = ", ".join([*VALUE_COLUMNS, "source_file", "ingest_id"])
            con.execute(f"INSERT INTO indicator_values ({cols}) SELECT {cols} FROM _indicator_values_new")
        finally:
            con.unregister("_indicator_values_new")
    if not meta.empty:
        con.register("_indicators_new", meta)
        try:
            # A dictionary loaded after the data (or the data after it) fills in what the other lacks.
            con.execute("""
                INSERT INTO indicators SELECT * FROM _indicators_new
                ON CONFLICT (indicator_id) DO UPDATE SET
                  name = CASE WHEN indicators.name = indicators.indicator_id
                                OR excluded.source LIKE '%measure%'
                              THEN excluded.name ELSE indicators.name END,
                  publisher = CASE WHEN excluded.publisher LIKE '%data owner%' THEN excluded.publisher
                                   ELSE indicators.publisher END,
                  unit = coalesce(indicators.unit, excluded.unit),
                  polarity = CASE WHEN indicators.polarity = 'none' THEN excluded.polarity
                                  ELSE indicators.polarity END,
                  description = coalesce(excluded.description, indicators.description),
                  issues = coalesce(excluded.issues, indicators.issues),
                  value_type = coalesce(indicators.value_type, excluded.value_type),
                  source_file = excluded.source_file, ingest_id = excluded.ingest_id
            """)
        finally:
            con.unregister("_indicators_new")
    return replaced


def ingest_indicators(
    con: duckdb.DuckDBPyConnection,
    paths: Sequence[Path],
    *,
    fmt: str = "auto",
    progress: Progress | None = None,
) -> IngestReport:
    """Load partner statistics files into ``indicator_values`` and ``indicators``."""
    if fmt not in FORMATS:
        raise InputError(f"Unknown format '{fmt}'.", found=fmt, hint=f"Use one of: {', '.join(FORMATS)}.")
    progress = progress or NullProgress()
    files = [
        p
        for p in list_files(paths, (".csv", ".csv.gz", ".parquet", ".xlsx"))
        if not p.name.lower().startswith("~$")
    ]
    if not files:
        raise InputError(
            "No partner-statistics files found.", found=", ".join(str(p) for p in paths), hint=_HINT
        )
    report = IngestReport(source=KIND)
    progress.start(len(files), "indicators")
    for path in files:
        file_report, raw = open_report(con, path, KIND, kinds=tuple(f"{KIND}:{x}" for x in LAYOUTS))
        rejects: list[Any] = []
        if raw is not None:
            layout, parsed = read_indicator_file(path, raw, fmt)
            file_report.kind = f"{KIND}:{layout}"
            values = _deduplicate(parsed, path.name)
            values["source_file"] = str(path)
            values["ingest_id"] = file_report.ingest_id
            assert file_report.ingest_id is not None
            meta = _metadata(parsed, str(path), file_report.ingest_id)
            file_report.rows_replaced = _store(con, values, meta)
            file_report.rows_loaded = len(values)
            rejects = parsed.rejects
            file_report.rows_read = parsed.n_rows + len(rejects)
            file_report.warnings.extend(parsed.warnings)
            if layout == "lait-dictionary":
                file_report.warnings.append(f"{path.name}: metadata for {len(meta):,} LAIT measures.")
        close_report(con, file_report, rejects, command_id=report.command_id)
        report.files.append(file_report)
        progress.advance(path.name)
    return report
