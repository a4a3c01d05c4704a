"""Strategy indicators as published: values and record counts through disclosure control."""

from __future__ import annotations

from typing import Any

import pandas as pd

from safer_communities.config import Settings
from safer_communities.publish.disclosure import MISSING, suppress_table

COUNT_MEASURES = ("count", "ksi")  # indicators whose value is the number of records itself


def protected_indicators(indicators: list[Any], settings: Settings) -> list[dict[str, Any]]:
    """Each indicator's dict with ``*_published`` texts; a value on few records is withheld."""
    rows = [i.to_dict() for i in indicators]
    if not rows:
        return []
    frame = pd.DataFrame({
        "key": [f"{r['strategy_id']}/{r['indicator_id']}" for r in rows],
        "baseline_records": [r["baseline_records"] for r in rows],
        "current_records": [r["current_records"] for r in rows],
        "baseline_value": [r["baseline_value"] for r in rows],
        "current_value": [r["current_value"] for r in rows],
    })
    for col in frame.columns[1:]:
        frame[col] = pd.to_numeric(frame[col], errors="coerce").astype(float)
    rate_columns = {"baseline_value": "baseline_records", "current_value": "current_records"}
    table = suppress_table(frame, count_columns=["baseline_records", "current_records"],
                           rate_columns=rate_columns, key_column="key", settings=settings, decimals=1)
    out = []
    for i, row in enumerate(rows):
        published = table.published.iloc[i]
        values = table.values.iloc[i]
        clean = dict(row)
        for col in ("baseline_records", "current_records", "baseline_value", "current_value"):
            value = values[col]
            clean[col] = None if pd.isna(value) else float(value)
            clean[f"{col}_published"] = str(published[col])
        for prefix in ("baseline", "current"):
            if row.get("measure") in COUNT_MEASURES:  # a count is its own numerator: show it as an integer
                clean[f"{prefix}_value_published"] = clean[f"{prefix}_records_published"]
            if str(row.get("measure", "")).startswith("partner:"):  # a publisher's own statistic (issue 12)
                value = row[f"{prefix}_value"]
                clean[f"{prefix}_value"] = value
                clean[f"{prefix}_value_published"] = MISSING if value is None else f"{value:,.2f}"
                clean[f"{prefix}_records_published"] = ""
            elif row[f"{prefix}_records"] is None:  # not measurable from the store: a gap, never a zero
                clean[f"{prefix}_value_published"] = clean[f"{prefix}_records_published"] = MISSING
        out.append(clean)
    return out
