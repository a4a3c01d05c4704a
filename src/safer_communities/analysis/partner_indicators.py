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


def _trend(series: pd.DataFrame) -> tuple[str, str | None]:
    values = series.dropna(subset=["value"]).sort_values("period_end").tail(TREND_POINTS)
    if len(values) < 2:
        return "too few values", None
    first, last = float(values["value"].iloc[0]), float(values["value"].iloc[-1])
    label = str(values["period_label"].iloc[0])
    if first == 0:
        return ("stable" if last == 0 else "rising"), label
    change = last / first - 1
    return ("rising" if change > TREND_BAND else "falling" if change < -TREND_BAND else "stable"), label


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
    rows = con.execute(
        f"""
        SELECT v.*, i.name, i.polarity, i.value_type, i.publisher, i.licence, i.issues,
               coalesce(v.unit, i.unit) AS unit_any
        FROM indicator_values v JOIN indicators i USING (indicator_id)
        WHERE {" AND ".join(filters)} AND v.breakdown IN ('all', 'Persons')
    """,
        params,
    ).df()
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
    ids = sorted(rows["indicator_id"].unique())
    peers = con.execute(
        """
        SELECT indicator_id, area_code, area_level, parent_code, period_label, period_end, breakdown, value
        FROM indicator_values WHERE indicator_id IN (SELECT unnest(?::VARCHAR[]))
          AND breakdown IN ('all', 'Persons')
          AND (area_level IN ('england', 'region', 'upper_tier', 'police_force_area'))
    """,
        [ids],
    ).df()
    by_key = {k: g for k, g in peers.groupby(["indicator_id", "period_label", "breakdown"], sort=False)}
    parents = (
        peers.dropna(subset=["parent_code"])
        .groupby("area_code")["parent_code"]
        .agg(lambda s: s.mode().iloc[0])
        .to_dict()
    )
    out: list[dict[str, Any]] = []
    for (ident, area, breakdown), series in rows.groupby(
        ["indicator_id", "area_code", "breakdown"], sort=True
    ):
        series = series.sort_values("period_end")
        latest = series.iloc[-1]
        same = series[
            (series["period_end"] - series["period_start"]) == (latest["period_end"] - latest["period_start"])
        ]
        trend, trend_from = _trend(same)
        key = by_key.get((ident, latest["period_label"], breakdown), peers.iloc[0:0])
        england = key[key["area_level"] == "england"]["value"].dropna()
        region_code = latest["parent_code"] if isinstance(latest["parent_code"], str) else parents.get(area)
        region = (
            key[key["area_code"] == region_code]["value"].dropna()
            if region_code
            else pd.Series([], dtype=float)
        )
        value = None if pd.isna(latest["value"]) else float(latest["value"])

        def num(column: str, row: pd.Series = latest) -> float | None:
            return None if pd.isna(row[column]) else float(row[column])

        england_value = float(england.iloc[0]) if len(england) else None
        is_count = latest["value_type"] == "count"
        vs_england, method = (
            ("not compared", "a count: areas differ in size")
            if is_count
            else compare(
                value,
                england_value,
                lower=num("lower_ci_95"),
                upper=num("upper_ci_95"),
                count=num("count"),
                denominator=num("denominator"),
                polarity=latest["polarity"],
            )
        )
        region_value = float(region.iloc[0]) if len(region) else None
        vs_region, _ = (
            ("not compared", "")
            if is_count
            else compare(
                value,
                region_value,
                lower=num("lower_ci_95"),
                upper=num("upper_ci_95"),
                count=num("count"),
                denominator=num("denominator"),
                polarity=latest["polarity"],
            )
        )
        level = latest["area_level"]
        among = "police force areas" if level == "police_force_area" else "English upper-tier authorities"
        pool = (
            key[(key["area_level"] == level) & key["area_code"].str.startswith("E") & key["value"].notna()]
            if level in {"upper_tier", "police_force_area"}
            else key.iloc[0:0]
        )
        rank = (
            int((pool["value"] > value).sum() + 1)
            if value is not None and len(pool) and not is_count
            else None
        )
        out.append(
            {
                "indicator_id": ident,
                "name": latest["name"],
                "area_code": area,
                "area_name": latest["area_name"],
                "area_level": level,
                "breakdown": breakdown,
                "period": latest["period_label"],
                "period_end": latest["period_end"],
                "value": value,
                "marker": latest["marker"],
                "unit": latest["unit_any"],
                "lower_ci_95": num("lower_ci_95"),
                "upper_ci_95": num("upper_ci_95"),
                "count": num("count"),
                "denominator": num("denominator"),
                "trend": trend,
                "trend_from": trend_from,
                "england_value": england_value,
                "vs_england": vs_england,
                "method": method,
                "region_code": region_code,
                "region_value": region_value,
                "vs_region": vs_region,
                "rank": rank,
                "rank_of": len(pool) if rank is not None else None,
                "rank_among": among if rank is not None else None,
                "polarity": latest["polarity"],
                "publisher": latest["publisher"],
                "licence": latest["licence"],
                "issues": latest["issues"],
            }
        )
    frame = pd.DataFrame(out, columns=COLUMNS)
    frame.attrs["method"] = COMPARISON_RULE
    frame.attrs["caveats"] = [
        "A withheld value (marker c, x, -, ...) is a gap, never a zero; it is shown with "
        "its marker and not compared."
    ]
    return frame
