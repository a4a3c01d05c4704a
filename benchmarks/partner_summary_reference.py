"""The partner indicator summary as it was before it became one set-based query (kept to prove the new one
gives identical results and to time it against; see benchmarks/partner_indicator_summary.py).

Per indicator, area and breakdown it filtered pandas frames row by row: about 21 s for ``--all`` on the demo
store. Do not use it in the product.
"""

from __future__ import annotations

from typing import Any

import duckdb
import pandas as pd

from safer_communities.analysis.partner_indicators import (
    COLUMNS,
    COMPARISON_RULE,
    TREND_BAND,
    TREND_POINTS,
    _has_table,
    compare,
    force_area_for,
    study_areas,
)
from safer_communities.errors import NoDataError, NotFoundError


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


def indicator_summary_reference(
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
