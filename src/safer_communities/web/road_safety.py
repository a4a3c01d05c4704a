"""Road safety on the dashboard: killed or seriously injured (KSI) collisions per 100,000 residents.

STATS19 is not a police.uk crime count, so ``analysis.road_safety.collision_rates`` measures it; this
module gives its answer the same shape as ``evidence.rates_by_area`` and ``evidence.trend`` (headline,
units, meta; monthly points), through the same disclosure control, so the page, the chart, the map and
the API need no second code path. ``rate_key`` says which rate field to read.
"""

from __future__ import annotations

from typing import Any

import duckdb
import pandas as pd

from safer_communities.analysis import queries, road_safety
from safer_communities.config import Settings
from safer_communities.publish.disclosure import suppress_counts, suppress_table

ISSUE = "road-safety"
RATE_KEY = "rate_per_100000"
COLUMNS = ["count", "population", RATE_KEY, "ci_low", "ci_high"]
RATE_COLUMNS = {RATE_KEY: "count", "ci_low": "count", "ci_high": "count"}
LABELS = {"rate_key": RATE_KEY, "rate_label": "per 100,000 residents", "count_label": "KSI collisions",
          "count_noun": "KSI collisions"}


def _meta(attrs: dict[str, Any], notes: list[str]) -> dict[str, Any]:
    keep = ("definition_id", "definition_version", "period_label", "missing_months", "caveats", "area_level",
            "population_note")
    return {**{k: attrs[k] for k in keep if k in attrs}, "disclosure_notes": notes,
            "rate_basis": "Killed or seriously injured collisions (STATS19, fatal or serious) in the period "
                          "per 100,000 residents", **LABELS}


def rates_by_area(con: duckdb.DuckDBPyConnection, level: str, name: str, area_code: str, period: str,
                  settings: Settings) -> dict[str, Any]:
    """The area's KSI headline and its units (districts of the county, LSOAs of a district), protected."""
    from safer_communities.web.evidence import _records

    unit_level = "district" if level == "county" else "lsoa"
    own_raw = road_safety.collision_rates(con, area_level=level, period=period, severity="ksi")
    own = road_safety.collisions_over_period(own_raw[own_raw["area_code"] == area_code])
    units_raw = road_safety.collision_rates(con, area_level=unit_level, period=period, severity="ksi")
    if unit_level == "lsoa":
        units_raw = units_raw[units_raw["area_code"].isin(set(queries.units_within(con, "lsoa", area_code)))]
    units = road_safety.collisions_over_period(units_raw)

    head = suppress_table(own, count_columns=["count"], rate_columns=RATE_COLUMNS, settings=settings,
                          source=queries.STATS19_SOURCE)
    headline = _records(own, head.published, head.values, COLUMNS)[0]
    # The headline is a known total of the units, so secondary suppression protects withheld units from it.
    frame = pd.concat([units, own], ignore_index=True)
    frame["key"] = [*units["area_code"].astype(str), "__total__"]
    table = suppress_table(frame, count_columns=["count"], rate_columns=RATE_COLUMNS, total_row="__total__",
                           key_column="key", settings=settings, decimals=1, source=queries.STATS19_SOURCE)
    n = len(units)
    unit_records = _records(frame.iloc[:n], table.published.iloc[:n], table.values.iloc[:n], COLUMNS)
    return {"area": {"code": area_code, "name": name, "level": level}, "issue": ISSUE, "headline": headline,
            "unit_level": unit_level, "units": unit_records, **LABELS,
            "meta": _meta(units_raw.attrs, list(dict.fromkeys(head.notes + table.notes)))}


def trend(con: duckdb.DuckDBPyConnection, level: str, name: str, area_code: str, period: str | None,
          settings: Settings) -> dict[str, Any]:
    """KSI collisions in the area month by month (STATS19 is published by year; each month is counted
    from the collision dates), protected like every monthly series."""
    from safer_communities.web.evidence import _num

    whole = queries.resolve_period(con, queries.STATS19_SOURCE, period)
    monthly = road_safety.monthly_collisions(con, area_code, area_level=level, period=whole, severity="ksi")
    attrs: dict[str, Any] = dict(monthly.attrs)  # one query for the whole period, not one per month
    counts: dict[str, float | None] = {
        m.strftime("%Y-%m"): None if pd.isna(n) else float(n)  # a month not loaded is a gap, never a zero
        for m, n in zip(monthly["month"], monthly["collisions"], strict=True)}
    series = pd.Series(list(counts.values()), index=list(counts), dtype="Float64")
    table = suppress_counts(series, settings=settings, with_total=True, source=queries.STATS19_SOURCE)
    points = [{"month": m, "count": _num(table.values["count"].loc[m]),
               "published": str(table.published["count"].loc[m])} for m in series.index]
    total = {"count": _num(table.values["count"].iloc[-1]),
             "published": str(table.published["count"].iloc[-1])}
    return {"area": {"code": area_code, "name": name, "level": level}, "issue": ISSUE, "months": points,
            "total": total, "meta": _meta(attrs, table.notes)}
