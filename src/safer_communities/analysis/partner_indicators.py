"""Partner indicators for an area: latest value, trend, comparison with England and the region, rank.

The comparison follows Fingertips where an interval is published: the area is *higher* than England when
its 95% interval lies wholly above England's value, *lower* when wholly below, otherwise *similar*. Where
no interval is published but a count and a denominator are, the Wilson 95% interval of the proportion is
used (scaled to the published value). Otherwise the stated rule is a 10% band: within 10% of England's
value is *similar*. The indicator's polarity turns higher/lower into better/worse; a need indicator
(polarity none, e.g. children-in-need assessment factors) stays higher/lower.
"""

from __future__ import annotations

import math
from typing import Any

import duckdb
import pandas as pd

from safer_communities.errors import NoDataError, NotFoundError

Z95 = 1.959963984540054
BAND = 0.10
TREND_BAND = 0.05
TREND_POINTS = 5
COMPARISON_RULE = (
    "Compared with England by the published 95% interval (as Fingertips does); without one, by the Wilson "
    "95% interval from the published count and denominator; without those, within 10% of England's value "
    "is 'similar'. Trend: the latest value against the earliest of the last five published values of the "
    "same period length; within 5% is 'stable'. Rank: 1 = the highest value among English upper-tier "
    "authorities (or police force areas) with a value for that period."
)
COLUMNS = [
    "indicator_id",
    "name",
    "area_code",
    "area_name",
    "area_level",
    "breakdown",
    "period",
    "period_end",
    "value",
    "marker",
    "unit",
    "lower_ci_95",
    "upper_ci_95",
    "count",
    "denominator",
    "trend",
    "trend_from",
    "england_value",
    "vs_england",
    "method",
    "region_code",
    "region_value",
    "vs_region",
    "rank",
    "rank_of",
    "rank_among",
    "polarity",
    "publisher",
    "licence",
    "issues",
]


def _has_table(con: duckdb.DuckDBPyConnection) -> bool:
    rows = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'indicator_values'"
    ).fetchall()
    if not rows[0][0]:
        return False
    return bool(con.execute("SELECT count(*) FROM indicator_values").fetchall()[0][0])


def study_areas(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The areas whose partner indicators describe the study area: its upper-tier authorities (the county
    council and the unitaries beside it), its districts, and the police force area of the same name."""
    areas = (
        [
            r[0]
            for r in con.execute(
                "SELECT DISTINCT upper_tier_code FROM areas UNION "
                "SELECT DISTINCT district_code FROM areas ORDER BY 1"
            ).fetchall()
        ]
        if con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = 'areas'"
        ).fetchall()[0][0]
        else []
    )
    counties = (
        [r[0].lower() for r in con.execute("SELECT DISTINCT county_name FROM areas").fetchall()]
        if areas
        else []
    )
    forces = (
        [
            r[0]
            for r in con.execute(
                "SELECT DISTINCT area_code FROM indicator_values WHERE area_level = 'police_force_area' "
                "AND lower(area_name) IN (SELECT unnest(?::VARCHAR[]))",
                [counties],
            ).fetchall()
        ]
        if counties
        else []
    )
    return sorted(set(areas) | set(forces))


def force_area_for(con: duckdb.DuckDBPyConnection, area: str) -> str | None:
    """The police force area whose figures attach to an area of the study area (same name as its county)."""
    if not con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'areas'"
    ).fetchall()[0][0]:
        return None
    rows = con.execute(
        "SELECT DISTINCT v.area_code FROM areas a JOIN indicator_values v ON lower(v.area_name) = "
        "lower(a.county_name) AND v.area_level = 'police_force_area' WHERE ? IN (a.upper_tier_code, "
        "a.district_code, a.county_code)",
        [area],
    ).fetchall()
    return rows[0][0] if rows else None


def _wilson(count: float, denominator: float) -> tuple[float, float]:
    p = count / denominator
    centre = (p + Z95**2 / (2 * denominator)) / (1 + Z95**2 / denominator)
    half = (
        Z95
        * math.sqrt(p * (1 - p) / denominator + Z95**2 / (4 * denominator**2))
        / (1 + Z95**2 / denominator)
    )
    return centre - half, centre + half


def compare(
    value: float | None,
    reference: float | None,
    *,
    lower: float | None = None,
    upper: float | None = None,
    count: float | None = None,
    denominator: float | None = None,
    polarity: str = "none",
) -> tuple[str, str]:
    """(verdict, method) of one value against a reference value, by the rule in the module docstring."""
    if value is None or reference is None or math.isnan(value) or math.isnan(reference):
        return "not compared", "no value"
    if lower is not None and upper is not None and not (math.isnan(lower) or math.isnan(upper)):
        side = "higher" if lower > reference else "lower" if upper < reference else "similar"
        method = "95% interval (published)"
    elif count is not None and denominator and not math.isnan(count) and count <= denominator and value:
        low, high = _wilson(count, denominator)
        scale = value / (count / denominator) if count else 0.0
        side = "higher" if low * scale > reference else "lower" if high * scale < reference else "similar"
        method = "95% Wilson interval (from count and denominator)"
    else:
        if reference == 0:
            side = "similar" if value == 0 else "higher"
        else:
            ratio = value / reference
            side = "higher" if ratio > 1 + BAND else "lower" if ratio < 1 - BAND else "similar"
        method = "within 10% rule (no interval published)"
    if side == "similar" or polarity not in {"low", "high"}:
        return side, method
    better = (side == "lower") == (polarity == "low")
    return ("better" if better else "worse"), method


def _trend(values: list[float] | None, labels: list[str] | None) -> tuple[str, str | None]:
    """Trend from the last ``TREND_POINTS`` non-missing values of the latest period's length, newest first."""
    if not values or len(values) < 2:
        return "too few values", None
    last, first = values[0], values[-1]
    label = labels[-1] if labels else None
    if first == 0:
        return ("stable" if last == 0 else "rising"), label
    change = last / first - 1
    return ("rising" if change > TREND_BAND else "falling" if change < -TREND_BAND else "stable"), label


# One set-based query: per (indicator, area, breakdown) the latest period, its trend points (values of the
# same period length, newest first), England's and the region's value for that period, and the pool the
# rank is taken in. The region is the row's own parent, else the parent its peers name most often (ties:
# the smallest code). Python only turns numbers into verdicts.
_SUMMARY_SQL = """
WITH sel AS (
    SELECT v.*, i.name, i.polarity, i.value_type, i.publisher, i.licence, i.issues,
           coalesce(v.unit, i.unit) AS unit_any, v.period_end - v.period_start AS span
    FROM indicator_values v JOIN indicators i USING (indicator_id)
    WHERE {filters} AND v.breakdown IN ('all', 'Persons')
),
latest AS (
    SELECT * EXCLUDE (rn) FROM (
        SELECT *, row_number() OVER (PARTITION BY indicator_id, area_code, breakdown
                                     ORDER BY period_end DESC, period_start DESC, period_label DESC) AS rn
        FROM sel
    ) WHERE rn = 1
),
points AS (
    SELECT indicator_id, area_code, breakdown,
           list(value ORDER BY period_end DESC) FILTER (WHERE k <= {points}) AS trend_values,
           list(period_label ORDER BY period_end DESC) FILTER (WHERE k <= {points}) AS trend_labels
    FROM (
        SELECT s.indicator_id, s.area_code, s.breakdown, s.value, s.period_label, s.period_end,
               row_number() OVER (PARTITION BY s.indicator_id, s.area_code, s.breakdown
                                  ORDER BY s.period_end DESC) AS k
        FROM sel s JOIN latest l USING (indicator_id, area_code, breakdown)
        WHERE s.span = l.span AND s.value IS NOT NULL
    )
    GROUP BY ALL
),
peers AS (
    SELECT indicator_id, area_code, area_level, parent_code, period_label, breakdown, value
    FROM indicator_values
    WHERE indicator_id IN (SELECT DISTINCT indicator_id FROM sel) AND breakdown IN ('all', 'Persons')
      AND area_level IN ('england', 'region', 'upper_tier', 'police_force_area')
),
parents AS (
    SELECT area_code, parent_code FROM (
        SELECT area_code, parent_code,
               row_number() OVER (PARTITION BY area_code ORDER BY count(*) DESC, parent_code) AS r
        FROM peers WHERE parent_code IS NOT NULL GROUP BY area_code, parent_code
    ) WHERE r = 1
),
framed AS (
    SELECT l.*, coalesce(l.parent_code, pa.parent_code) AS region_code
    FROM latest l LEFT JOIN parents pa USING (area_code)
),
compared AS (
    SELECT f.indicator_id, f.area_code, f.breakdown,
           min(p.value) FILTER (WHERE p.area_level = 'england') AS england_value,
           min(p.value) FILTER (WHERE p.area_code = f.region_code) AS region_value,
           count(p.value) FILTER (WHERE p.area_level = f.area_level AND p.area_code LIKE 'E%') AS pool,
           count(*) FILTER (WHERE p.area_level = f.area_level AND p.area_code LIKE 'E%'
                            AND p.value > f.value) AS above
    FROM framed f JOIN peers p ON p.indicator_id = f.indicator_id AND p.period_label = f.period_label
         AND p.breakdown = f.breakdown
    GROUP BY ALL
)
SELECT f.*, c.england_value, c.region_value, coalesce(c.pool, 0) AS pool, coalesce(c.above, 0) AS above,
       pt.trend_values, pt.trend_labels
FROM framed f
LEFT JOIN compared c USING (indicator_id, area_code, breakdown)
LEFT JOIN points pt USING (indicator_id, area_code, breakdown)
ORDER BY f.indicator_id, f.area_code, f.breakdown
"""


AMONG = {"police_force_area": "police force areas", "upper_tier": "English upper-tier authorities"}


def _as_list(value: Any) -> list[Any] | None:
    """A list column's cell as a list (DuckDB gives a list or an array; a missing one is None or NaN)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return list(value)


def _num(value: Any) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


def indicator_summary(
    con: duckdb.DuckDBPyConnection,
    areas: list[str] | str | None = None,
    *,
    indicator: str | None = None,
    issue: str | None = None,
    linked_only: bool = False,
) -> pd.DataFrame:
    """For each area and partner indicator: the latest period's value (or marker), its trend, England
    and the region, and the rank among English upper-tier authorities (police force areas for PFA data).

    ``areas`` None means the study area (``study_areas``); an area of the study area also gets its police
    force area's figures. ``issue`` keeps indicators the catalogue links to that framework issue;
    ``linked_only`` keeps those linked to any issue (LAIT alone has 432 measures, finance included).
    One set-based query does the work (``_SUMMARY_SQL``).
    """
    if not _has_table(con):
        raise NoDataError(
            "No partner statistics are loaded.",
            found="indicator_values is empty",
            hint="Load them first: 'safer ingest indicators PATH...' (see docs/partner-data.md).",
        )
    if areas is None:
        wanted = study_areas(con)
    else:
        wanted = [areas] if isinstance(areas, str) else list(areas)
        for area in list(wanted):
            force = force_area_for(con, area)
            if force and force not in wanted:
                wanted.append(force)
    if not wanted:
        raise NoDataError(
            "There is no study area to describe.",
            found="the areas table is empty",
            hint="Pass --area CODE, or load the geography first ('safer ingest geography').",
        )
    filters, params = ["v.area_code IN (SELECT unnest(?::VARCHAR[]))"], [wanted]
    if indicator:
        filters.append("v.indicator_id = ?")
        params.append(indicator)
    if linked_only and not indicator:
        filters.append("i.issues IS NOT NULL")
    if issue:
        filters.append("list_contains(string_split(coalesce(i.issues, ''), ' '), ?)")
        params.append(issue)
    rows = con.execute(_SUMMARY_SQL.format(filters=" AND ".join(filters), points=TREND_POINTS), params).df()
    if rows.empty:
        known = con.execute(
            "SELECT count(*) FROM indicator_values WHERE area_code IN (SELECT unnest(?::VARCHAR[]))", [wanted]
        ).fetchall()[0][0]
        if (
            indicator
            and not con.execute(
                "SELECT count(*) FROM indicators WHERE indicator_id = ?", [indicator]
            ).fetchall()[0][0]
        ):
            raise NotFoundError(
                f"Unknown partner indicator '{indicator}'.",
                found=indicator,
                hint="List them with 'safer evidence indicators --json' or see the indicators table.",
            )
        raise NoDataError(
            "No partner indicator has a value for these areas.",
            found=f"areas {', '.join(wanted)}; {known:,} rows for them in any indicator",
            hint="Partner statistics are published for upper-tier authorities, police force areas "
            "and (Fingertips) districts; try --area E10000017.",
        )
    out = [_summary_record(row) for row in rows.to_dict("records")]
    frame = pd.DataFrame(out, columns=COLUMNS)
    frame.attrs["method"] = COMPARISON_RULE
    frame.attrs["caveats"] = [
        "A withheld value (marker c, x, -, ...) is a gap, never a zero; it is shown with "
        "its marker and not compared."
    ]
    return frame


def _summary_record(row: dict[str, Any]) -> dict[str, Any]:
    """One output row: the query's numbers turned into verdicts."""
    value = _num(row["value"])
    trend, trend_from = _trend(_as_list(row["trend_values"]), _as_list(row["trend_labels"]))
    england_value, region_value = _num(row["england_value"]), _num(row["region_value"])
    region_code = row["region_code"] if isinstance(row["region_code"], str) else None
    if not region_code:
        region_value = None
    limits = {
        "lower": _num(row["lower_ci_95"]),
        "upper": _num(row["upper_ci_95"]),
        "count": _num(row["count"]),
        "denominator": _num(row["denominator"]),
        "polarity": row["polarity"],
    }
    is_count = row["value_type"] == "count"
    if is_count:
        (vs_england, method), vs_region = ("not compared", "a count: areas differ in size"), "not compared"
    else:
        vs_england, method = compare(value, england_value, **limits)
        vs_region = compare(value, region_value, **limits)[0]
    level = row["area_level"]
    ranked = (
        level in {"upper_tier", "police_force_area"} and value is not None and row["pool"] and not is_count
    )
    rank = int(row["above"]) + 1 if ranked else None
    return {
        "indicator_id": row["indicator_id"],
        "name": row["name"],
        "area_code": row["area_code"],
        "area_name": row["area_name"],
        "area_level": level,
        "breakdown": row["breakdown"],
        "period": row["period_label"],
        "period_end": row["period_end"],
        "value": value,
        "marker": row["marker"],
        "unit": row["unit_any"],
        "lower_ci_95": limits["lower"],
        "upper_ci_95": limits["upper"],
        "count": limits["count"],
        "denominator": limits["denominator"],
        "trend": trend,
        "trend_from": trend_from,
        "england_value": england_value,
        "vs_england": vs_england,
        "method": method,
        "region_code": region_code,
        "region_value": region_value,
        "vs_region": vs_region,
        "rank": rank,
        "rank_of": int(row["pool"]) if rank is not None else None,
        "rank_among": (
            "police force areas" if level == "police_force_area" else "English upper-tier authorities"
        )
        if rank is not None
        else None,
        "polarity": row["polarity"],
        "publisher": row["publisher"],
        "licence": row["licence"],
        "issues": row["issues"],
    }
