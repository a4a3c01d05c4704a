"""Road safety from STATS19: collisions (killed or seriously injured, or all) by area and year, per 100,000
residents, and when they happen (hour x day of week).

Collisions are placed by ``local_authority_ons_district`` (the retired ``local_authority_district`` is -1),
and by LSOA of the collision location at LSOA level.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pandas as pd

from safer_communities.analysis import queries
from safer_communities.analysis.definitions import Definitions, resolve
from safer_communities.analysis.periods import Period, add_months
from safer_communities.analysis.rates import add_rates
from safer_communities.errors import InputError

SEVERITIES = {"ksi": (1, 2), "all": (1, 2, 3), "fatal": (1,), "serious": (2,), "slight": (3,)}
DAYS = {1: "Sunday", 2: "Monday", 3: "Tuesday", 4: "Wednesday", 5: "Thursday", 6: "Friday", 7: "Saturday"}
DAY_ORDER = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
CAVEAT = (
    "Police-reported injury collisions only. Forces using injury-based severity recording (CRaSH) "
    "need the DfT severity adjustment before comparing serious collisions over time or between areas."
)


def _severity(severity: str) -> tuple[int, ...]:
    if severity not in SEVERITIES:
        raise InputError(
            "That collision severity is not known.",
            found=repr(severity),
            hint=f"Use one of: {', '.join(SEVERITIES)}.",
        )
    return SEVERITIES[severity]


def _period(con: duckdb.DuckDBPyConnection, period: str | Period | None) -> Period:
    whole = queries.loaded_span(con, queries.STATS19_SOURCE)  # refuses an empty store whatever the period
    return whole if period is None else queries.resolve_period(con, queries.STATS19_SOURCE, period)


def _collisions_sql(area_level: str) -> str:
    if area_level == "lsoa":
        join = "JOIN areas x ON k.lsoa_code = x.lsoa_code"
        code = "x.lsoa11_code"
    else:
        join = (
            "JOIN (SELECT DISTINCT district_code, county_code FROM areas) x "
            "ON k.local_authority_ons_district = x.district_code"
        )
        code = "x.district_code" if area_level == "district" else "x.county_code"
    return f"""
        SELECT {code} AS area_code, k.accident_year AS year,
               count(*) AS collisions,
               count(*) FILTER (WHERE k.accident_severity = 1) AS fatal,
               count(*) FILTER (WHERE k.accident_severity = 2) AS serious,
               count(*) FILTER (WHERE k.accident_severity = 3) AS slight
        FROM collisions k {join}
        WHERE k.date >= ? AND k.date < ? AND list_contains(?, k.accident_severity)
        GROUP BY ALL
    """


def collision_rates(
    con: duckdb.DuckDBPyConnection,
    *,
    area_level: str = "district",
    period: str | Period | None = None,
    severity: str = "ksi",
    definitions: Definitions | Path | str | None = None,
) -> pd.DataFrame:
    """Collisions per area and year with the rate per 100,000 residents and exact Poisson 95% limits.

    Columns: area_code, area_name, year, severity, collisions, fatal, serious, slight, population,
    population_year, rate_per_100000, ci_low, ci_high. ``period=None``: every year loaded.
    ``severity="ksi"`` uses the severities of the ``road-safety`` definition (default 1 and 2).
    """
    definition = resolve(definitions).get("road-safety")
    codes = _severity(severity)
    if severity == "ksi" and definition.source == queries.STATS19_SOURCE:
        codes = definition.severity
    queries.check_level(area_level)
    queries.require_areas(con)
    p = _period(con, period)
    cov = queries.coverage(con, queries.STATS19_SOURCE, p)
    counts = con.execute(_collisions_sql(area_level), [p.start, add_months(p.end, 1), list(codes)]).fetch_df()
    years = sorted({m.year for m in p.months})
    grid = queries.area_list(con, area_level).merge(pd.DataFrame({"year": years}), how="cross")
    out = grid.merge(counts, on=["area_code", "year"], how="left")
    for col in ("collisions", "fatal", "serious", "slight"):
        out[col] = out[col].fillna(0).astype("int64")
    frames, notes = [], []
    for year, group in out.groupby("year"):
        pop = queries.population(con, area_level, int(year))
        g = group.merge(pop.table, on="area_code", how="left")
        g["population_year"] = pop.year
        frames.append(g)
        notes.append(f"{year}: {pop.note}")
    out = pd.concat(frames, ignore_index=True)
    out["population"] = out["population"].astype("Int64")
    out["severity"] = severity
    out = add_rates(out, count="collisions", per=100000.0)
    out = out[
        [
            "area_code",
            "area_name",
            "year",
            "severity",
            "collisions",
            "fatal",
            "serious",
            "slight",
            "population",
            "population_year",
            "rate_per_100000",
            "ci_low",
            "ci_high",
        ]
    ]
    partial = [y for y in years if date(y, 1, 1) < p.start or date(y, 12, 1) > p.end]
    caveats = [CAVEAT, cov.note()]
    if partial:
        caveats.append(f"Year(s) {', '.join(map(str, partial))} are only partly inside {p.label}.")
    out.attrs.update(
        definition_id="road-safety",
        definition_version=definition.version,
        source="stats19",
        severity=severity,
        severity_codes=list(codes),
        period_label=p.label,
        area_level=area_level,
        missing_months=[m.isoformat() for m in cov.missing],
        population_note=" ".join(notes),
        caveats=[c for c in caveats if c],
    )
    return out.sort_values(["area_code", "year"]).reset_index(drop=True)


def monthly_collisions(
    con: duckdb.DuckDBPyConnection,
    area_code: str,
    *,
    area_level: str = "district",
    period: str | Period | None = None,
    severity: str = "ksi",
    definitions: Definitions | Path | str | None = None,
) -> pd.DataFrame:
    """Collisions in one area month by month, in one query (columns: month, collisions).

    A month of the period that the store does not hold is ``<NA>`` (a gap, never a zero); a held month
    without collisions is 0. Placed like ``collision_rates`` (district by the ONS district code, county
    through its districts, LSOA by the collision's LSOA).
    """
    definition = resolve(definitions).get("road-safety")
    codes = _severity(severity)
    if severity == "ksi" and definition.source == queries.STATS19_SOURCE:
        codes = definition.severity
    queries.check_level(area_level)
    queries.require_areas(con)
    p = _period(con, period)
    cov = queries.coverage(con, queries.STATS19_SOURCE, p)
    by_area = _collisions_sql(area_level).replace("k.accident_year AS year",
                                                  "date_trunc('month', k.date) AS month")
    rows = con.execute(f"SELECT month, sum(collisions) AS collisions FROM ({by_area}) WHERE area_code = ? "
                       "GROUP BY month", [p.start, add_months(p.end, 1), list(codes), area_code]).fetchall()
    counts = {pd.Timestamp(m).date().replace(day=1): int(n) for m, n in rows}
    missing = set(cov.missing)
    out = pd.DataFrame({"month": p.months,
                        "collisions": pd.array([None if m in missing else counts.get(m, 0) for m in p.months],
                                               dtype="Int64")})
    out.attrs.update(
        definition_id="road-safety", definition_version=definition.version, source="stats19",
        severity=severity, severity_codes=list(codes), period_label=p.label, area_level=area_level,
        missing_months=[m.isoformat() for m in cov.missing], caveats=[c for c in (CAVEAT, cov.note()) if c],
    )
    return out


def collisions_over_period(rates: pd.DataFrame) -> pd.DataFrame:
    """``collision_rates`` rows (area x year) folded into one row per area for the whole period.

    Collisions are summed over the period's years and residents averaged over them, so a 12-month
    period across two calendar years counts each resident once. Columns: area_code, area_name, count,
    population, rate_per_100000, ci_low, ci_high (exact Poisson 95%); ``attrs`` are kept.
    """
    grouped = rates.groupby(["area_code", "area_name"], as_index=False).agg(
        count=("collisions", "sum"), population=("population", "mean"))
    grouped["population"] = grouped["population"].round()
    out = add_rates(grouped, count="count", per=100000.0)
    out.attrs = dict(rates.attrs)
    return out


def collision_times(
    con: duckdb.DuckDBPyConnection,
    *,
    period: str | Period | None = None,
    severity: str = "ksi",
    area_code: str | None = None,
) -> pd.DataFrame:
    """Collisions by hour of day (rows 0-23) and day of week (columns Monday..Sunday), study area only."""
    codes = _severity(severity)
    queries.require_areas(con)
    p = _period(con, period)
    area_filter, params = "", []
    if area_code is not None:
        queries.units_within(con, "district", area_code)
        area_filter = " AND ? IN (x.district_code, x.county_code)"
        params = [area_code]
    raw = con.execute(
        f"""
        SELECT k.hour, k.day_of_week, count(*) AS collisions
        FROM collisions k JOIN (SELECT DISTINCT district_code, county_code FROM areas) x
             ON k.local_authority_ons_district = x.district_code
        WHERE k.date >= ? AND k.date < ? AND list_contains(?, k.accident_severity)
              AND k.hour IS NOT NULL{area_filter}
        GROUP BY ALL
    """,
        [p.start, add_months(p.end, 1), list(codes), *params],
    ).fetch_df()
    raw["day"] = raw["day_of_week"].map(DAYS)
    table = (
        raw.pivot_table(index="hour", columns="day", values="collisions", aggfunc="sum", fill_value=0)
        .reindex(index=range(24), columns=DAY_ORDER, fill_value=0)
        .astype("int64")
    )
    table.index.name = "hour"
    table.columns.name = None
    table.attrs.update(definition_id="road-safety", severity=severity, period_label=p.label, caveats=[CAVEAT])
    return table
