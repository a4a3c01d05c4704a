"""The evidence queries every analysis shares: the study area, months loaded, counts, population, points.

All SQL of the analysis layer lives here (and in a few subject modules), parameterised, never in the CLI.
Only records in the study area count: police.uk files hold everything a force reported, including records
in other forces' areas, so crimes are joined to ``areas`` (2011 or 2021 LSOA codes -> the 2011 LSOA).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

import duckdb

from safer_communities.analysis import crime_rollup, placement
from safer_communities.analysis.definitions import Definition
from safer_communities.analysis.periods import Period, months_between, parse_period
from safer_communities.analysis.run_cache import per_run
from safer_communities.analysis.table import Table
from safer_communities.errors import InputError, NoDataError

if TYPE_CHECKING:  # pandas loads where a frame is asked for, not for `safer evidence rates`
    import pandas as pd

AREA_LEVELS = ("lsoa", "district", "county")
_LEVEL_COLUMNS = {
    "lsoa": ("a.lsoa11_code", "coalesce(n.lsoa_name, a.lsoa11_code)"),
    "district": ("a.district_code", "a.district_name"),
    "county": ("a.county_code", "a.county_name"),
}
POLICE_SOURCE, STATS19_SOURCE = "police_uk_street", "stats19"
_SOURCE_LABEL = {POLICE_SOURCE: "police.uk street", STATS19_SOURCE: "STATS19 collision"}
_LOAD_HINT = {
    POLICE_SOURCE: "Load police.uk street files: safer ingest police-uk ARCHIVE.",
    STATS19_SOURCE: "Load STATS19 collisions: safer ingest stats19 FILE.",
}


def check_level(area_level: str) -> str:
    """The area level, or ``InputError`` listing the levels."""
    if area_level not in AREA_LEVELS:
        raise InputError(
            "That area level is not known.",
            found=repr(area_level),
            hint=f"Use one of: {', '.join(AREA_LEVELS)}.",
        )
    return area_level


def study_cte() -> str:
    """CTEs ``study`` (one row per study-area 2011 LSOA: district and county, taken from the 2011 row
    so a 2021 code can never count an LSOA twice) and ``names`` (2011 LSOA names)."""
    columns = ", ".join(
        f"arg_min({c}, lsoa_vintage) AS {c}"
        for c in ("district_code", "district_name", "county_code", "county_name")
    )
    return (
        f"study AS (SELECT lsoa11_code, {columns} FROM areas GROUP BY lsoa11_code), "
        "names AS (SELECT lsoa11_code AS lsoa_code, arg_min(lsoa_name, lsoa_vintage) AS lsoa_name "
        "FROM areas GROUP BY lsoa11_code)"
    )


@per_run
def require_areas(con: duckdb.DuckDBPyConnection) -> None:
    """``NoDataError`` when no study area is loaded (then no record could be counted)."""
    if con.execute("SELECT count(*) FROM areas").fetchall()[0][0] == 0:
        raise NoDataError(
            "No study area is loaded, so no record can be placed in it.",
            found="the areas table is empty",
            hint="Load the geography first: safer ingest geography LOOKUP BOUNDARIES.",
        )


def _area_sql(area_level: str) -> str:
    code, name = _LEVEL_COLUMNS[check_level(area_level)]
    return (
        f"WITH {study_cte()} SELECT DISTINCT {code} AS area_code, {name} AS area_name "
        "FROM study a LEFT JOIN names n ON n.lsoa_code = a.lsoa11_code ORDER BY area_code"
    )


@per_run
def area_list(con: duckdb.DuckDBPyConnection, area_level: str) -> pd.DataFrame:
    """Every study-area unit at ``area_level``: area_code, area_name (so zero counts still appear)."""
    sql = _area_sql(area_level)
    require_areas(con)
    return con.execute(sql).fetch_df()


@per_run
def area_rows(con: duckdb.DuckDBPyConnection, area_level: str) -> list[tuple[str, str]]:
    """``area_list`` as (area_code, area_name) tuples, without pandas."""
    sql = _area_sql(area_level)
    require_areas(con)
    return [(r[0], r[1]) for r in con.execute(sql).fetchall()]


@per_run
def months_loaded(con: duckdb.DuckDBPyConnection, source: str) -> list[date]:
    """The months for which ``source`` has data in the store (police.uk: any record that month;
    STATS19: every month of each year loaded, since collision files cover whole years)."""
    if source == POLICE_SOURCE:
        relation = crime_rollup.months_relation(con)
        rows = con.execute(f"SELECT DISTINCT month FROM {relation} ORDER BY month").fetchall()
        return [r[0] for r in rows]
    rows = con.execute("SELECT DISTINCT accident_year FROM collisions ORDER BY 1").fetchall()
    return [m for (year,) in rows for m in months_between(date(year, 1, 1), date(year, 12, 1))]


_NOTHING_LOADED = {
    POLICE_SOURCE: ("No police.uk records are loaded.", "0 records",
                    "Load police.uk street files: safer ingest police-uk ARCHIVE."),
    STATS19_SOURCE: ("No STATS19 collisions are loaded.", "the collisions table is empty",
                     "Load STATS19 collisions: safer ingest stats19 FILE."),
}


def loaded_span(con: duckdb.DuckDBPyConnection, source: str) -> Period:
    """Every month of ``source`` from the first loaded to the last (what ``period=None`` means), or a
    ``NoDataError`` saying how to load it."""
    months = months_loaded(con, source)
    if not months:
        what, found, hint = _NOTHING_LOADED[source]
        raise NoDataError(what, found=found, hint=hint)
    return Period.from_months(months[0], months[-1])


def latest_month(con: duckdb.DuckDBPyConnection, source: str) -> date | None:
    """The latest month of data for ``source``, or ``None`` when nothing is loaded."""
    months = months_loaded(con, source)
    return months[-1] if months else None


def resolve_period(
    con: duckdb.DuckDBPyConnection,
    source: str,
    period: str | Period | None,
    *,
    default: str = "latest-12-months",
) -> Period:
    """Parse ``period`` against the latest month of ``source`` (``None`` -> ``default``)."""
    if isinstance(period, Period):
        return period
    return parse_period(period or default, latest_month=latest_month(con, source))


@dataclass(frozen=True)
class Coverage:
    """Which months of a period the store holds for a source."""

    period: Period
    missing: list[date]

    @property
    def complete(self) -> bool:
        return not self.missing

    def note(self) -> str:
        if not self.missing:
            return ""
        months = ", ".join(m.strftime("%Y-%m") for m in self.missing)
        return (
            f"{len(self.missing)} of {self.period.n_months} months of {self.period.words} are not in the "
            f"store ({months}): they are gaps, not zeros, so totals for this period are incomplete."
        )


@per_run
def coverage(con: duckdb.DuckDBPyConnection, source: str, period: Period) -> Coverage:
    """The months of ``period`` missing from the store for ``source``; ``NoDataError`` when every month
    is missing (a period with no data is refused, never answered with zeros)."""
    loaded = set(months_loaded(con, source))
    if not loaded:
        raise NoDataError(
            f"No {_SOURCE_LABEL[source]} records are loaded.", found="0 records", hint=_LOAD_HINT[source]
        )
    missing = [m for m in period.months if m not in loaded]
    if len(missing) == period.n_months:
        held = Period.from_months(min(loaded), max(loaded))
        raise NoDataError(
            f"No data for this period: no {_SOURCE_LABEL[source]} records are in the store for "
            f"{period.words}, and a period with no data is a gap, never a zero.",
            found=f"the store holds {held.words} ({held.label}); asked for {period.label}",
            hint=f"Choose a period within {held.label}, or load the months you need. "
            + _LOAD_HINT[source],
        )
    return Coverage(period, missing)


def _crime_filter(definition: Definition) -> tuple[str, list[object]]:
    definition.require_source(expected=POLICE_SOURCE)
    marks = ", ".join("?" for _ in definition.crime_types)
    return f"c.crime_type IN ({marks})", list(definition.crime_types)


def crime_counts(
    con: duckdb.DuckDBPyConnection,
    definition: Definition,
    period: Period,
    area_level: str,
    *,
    by_month: bool = False,
    area_code: str | None = None,
) -> pd.DataFrame:
    """Counts of the issue's records per study-area unit (and month), zeros included for every unit.

    Rows are counted as police.uk publishes them (a repeated Crime ID is counted each time it appears,
    as on police.uk's own maps; see the ``crime_id_repeats`` view). At county level of a study area that
    is a whole police force area, the force's records without a location are counted too (see
    :mod:`placement`); ``attrs['unlocated']`` says how many there were either way.
    """
    return crime_count_table(
        con, definition, period, area_level, by_month=by_month, area_code=area_code
    ).to_frame()


def crime_count_table(
    con: duckdb.DuckDBPyConnection,
    definition: Definition,
    period: Period,
    area_level: str,
    *,
    by_month: bool = False,
    area_code: str | None = None,
) -> Table:
    """:func:`crime_counts` as a :class:`Table`: area_code, area_name, (month,) count; units in code
    order, each with every month of the period when ``by_month``."""
    code, _ = _LEVEL_COLUMNS[check_level(area_level)]
    where, params = _crime_filter(definition)
    month_col = ", c.month" if by_month else ""
    area_filter, area_params = ("", [])
    if area_code is not None:
        area_filter = " AND ? IN (a.lsoa11_code, a.district_code, a.county_code)"
        area_params = [area_code]
    relation, counter = crime_rollup.counted(con)  # the ingest's roll-up, or a scan of crimes
    sql = f"""
        WITH {study_cte()}
        SELECT {code} AS area_code{month_col}, CAST({counter} AS BIGINT) AS count
        FROM {relation} c JOIN areas x ON c.lsoa_code = x.lsoa_code
        JOIN study a ON a.lsoa11_code = x.lsoa11_code
        WHERE {where} AND c.month BETWEEN ? AND ?{area_filter}
        GROUP BY ALL
    """
    rows = con.execute(sql, [*params, period.start, period.end, *area_params]).fetchall()
    counts = {tuple(r[:-1]): int(r[-1]) for r in rows}
    units = area_rows(con, area_level)
    if area_code is not None:
        within = set(units_within(con, area_level, area_code))
        units = [u for u in units if u[0] in within]
    u = placement.unlocated(con, definition.crime_types, period)
    county = u.force_area.code if (  # type: ignore[union-attr]
        u.included(area_level) and area_code in (None, u.force_area.code)) else None  # type: ignore[union-attr]
    months = period.months if by_month else [None]
    columns: dict[str, list] = {"area_code": [], "area_name": [], "month": [], "count": []}
    for unit, name in units:
        for month in months:
            n = counts.get((unit, month) if by_month else (unit,), 0)
            if unit == county:
                n += u.by_month.get(month, 0) if by_month else u.records
            columns["area_code"].append(unit)
            columns["area_name"].append(name)
            columns["month"].append(month)
            columns["count"].append(n)
    kinds = {"area_code": "str", "area_name": "str", "month": "datetime", "count": "int64"}
    if not by_month:
        del columns["month"], kinds["month"]
    return Table(columns, kinds, {"unlocated": u})


@per_run
def units_within(con: duckdb.DuckDBPyConnection, area_level: str, area_code: str) -> list[str]:
    code, _ = _LEVEL_COLUMNS[area_level]
    rows = con.execute(
        f"WITH {study_cte()} SELECT DISTINCT {code} FROM study a "
        "WHERE ? IN (a.lsoa11_code, a.district_code, a.county_code) ORDER BY 1",  # DISTINCT alone: any order
        [area_code],
    ).fetchall()
    if not rows:
        raise InputError(
            "That area is not in the study area.",
            found=repr(area_code),
            hint="Use a GSS code from the areas table (LSOA, district or county).",
        )
    return [r[0] for r in rows]


@dataclass(frozen=True)
class Population:
    """Population per area unit for one mid-year, with a note saying which year and why."""

    values: dict[str, int | None]  # area_code -> population (None: an LSOA of the area has no estimate)
    year: int
    note: str

    @property
    def table(self) -> pd.DataFrame:
        """area_code, population (float64, NaN where unknown) as a DataFrame."""
        import numpy as np
        import pandas as pd

        return pd.DataFrame({
            "area_code": pd.array(list(self.values), dtype="str"),
            "population": np.asarray([np.nan if v is None else v for v in self.values.values()], "float64"),
        })


@per_run
def population(con: duckdb.DuckDBPyConnection, area_level: str, year: int) -> Population:
    """Mid-year population of each study-area unit: that of ``year`` or the latest earlier year loaded."""
    years = [r[0] for r in con.execute("SELECT DISTINCT year FROM population ORDER BY year").fetchall()]
    if not years:
        raise NoDataError(
            "No population estimates are loaded, so no rate can be computed.",
            found="the population table is empty",
            hint="Load ONS small-area population estimates: safer ingest population FILE.",
        )
    earlier = [y for y in years if y <= year]
    if earlier:
        used = earlier[-1]
        note = f"Mid-{used} population estimates" + (
            "." if used == year else f" (the latest available on or before {year})."
        )
    else:
        used = years[0]
        note = f"Mid-{used} population estimates: none loaded for {year} or earlier, so the earliest is used."
    code, _ = _LEVEL_COLUMNS[check_level(area_level)]
    sql = f"""
        WITH {study_cte()}
        SELECT {code} AS area_code, sum(p.population) AS population, count(p.population) AS lsoas_with,
               count(*) AS lsoas
        FROM study a LEFT JOIN population p ON p.area_code = a.lsoa11_code AND p.year = ?
        GROUP BY ALL
    """
    rows = con.execute(sql, [used]).fetchall()
    lacking = sum(lsoas - with_ for _, _, with_, lsoas in rows if with_ < lsoas)
    if lacking:
        note += (
            f" {int(lacking)} LSOA(s) have no estimate for {used};"
            " their areas' rates are not computed."
        )
    values = {code: (None if with_ < lsoas or total is None else total)
              for code, total, with_, lsoas in rows}
    return Population(values, used, note)


def crime_points(
    con: duckdb.DuckDBPyConnection,
    issue: str | Definition,
    *,
    period: str | Period | None = None,
    area_code: str | None = None,
    definitions: object = None,
) -> pd.DataFrame:
    """Located records of an issue in the study area, for the hotspot functions.

    Columns: easting, northing (EPSG:27700), month, crime_type, lsoa_code (2011), district_code.
    ``attrs``: definition_id, definition_version, period_label, no_location (records of the issue in the
    period without coordinates, excluded), missing_months, caveats.
    """
    import pandas as pd

    from safer_communities.analysis.definitions import resolve

    definition = issue if isinstance(issue, Definition) else resolve(definitions).get(issue)
    where, params = _crime_filter(definition)
    p = resolve_period(con, POLICE_SOURCE, period)
    cov = coverage(con, POLICE_SOURCE, p)
    require_areas(con)
    area_filter, area_params = ("", [])
    if area_code is not None:
        units_within(con, "lsoa", area_code)
        area_filter = " AND ? IN (a.lsoa11_code, a.district_code, a.county_code)"
        area_params = [area_code]
    sql = f"""
        WITH {study_cte()}
        SELECT c.easting, c.northing, c.month, c.crime_type, a.lsoa11_code AS lsoa_code, a.district_code
        FROM crimes c JOIN areas x ON c.lsoa_code = x.lsoa_code JOIN study a ON a.lsoa11_code = x.lsoa11_code
        WHERE {where} AND c.month BETWEEN ? AND ?{area_filter} AND c.easting IS NOT NULL
        ORDER BY c.month, c.easting, c.northing
    """
    points = con.execute(sql, [*params, p.start, p.end, *area_params]).fetch_df()
    no_location = con.execute(
        f"SELECT count(*) FROM crimes c WHERE {where} AND c.month BETWEEN ? AND ? AND c.easting IS NULL",
        [*params, p.start, p.end],
    ).fetchall()[0][0]
    points["month"] = pd.to_datetime(points["month"])
    points.attrs.update(
        definition_id=definition.issue,
        definition_version=definition.version,
        period_label=p.label,
        no_location=int(no_location),
        missing_months=[m.isoformat() for m in cov.missing],
        caveats=[
            c
            for c in (
                definition.caveat,
                "police.uk locations are snapped to anonymous map points (each covers at least 8 "
                "addresses or none); hotspots show where records were mapped, not exact addresses.",
                f"{no_location:,} record(s) without a location were excluded." if no_location else "",
                cov.note(),
            )
            if c
        ],
    )
    return points
