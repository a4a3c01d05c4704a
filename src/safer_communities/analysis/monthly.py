"""Monthly series: counts per area and month, a month missing from the store a gap (NA), never a zero.

Kept apart from :mod:`trends` (which re-exports ``monthly_series``) so that `safer evidence trends`
prints a series without importing pandas: the series is built as a :class:`Table`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from safer_communities.analysis import queries
from safer_communities.analysis.definitions import Definition, Definitions
from safer_communities.analysis.periods import Period
from safer_communities.analysis.rates import base_attrs, definition_for
from safer_communities.analysis.table import Table

if TYPE_CHECKING:
    import pandas as pd

Defs = Definitions | Path | str | None


def monthly_series(
    con: duckdb.DuckDBPyConnection,
    issue: str | Definition,
    *,
    area_level: str = "county",
    area_code: str | None = None,
    period: str | Period | None = None,
    definitions: Defs = None,
) -> pd.DataFrame:
    """Monthly counts per area: area_code, area_name, month, count (NA for months not in the store).

    ``period=None`` means every month from the first to the last loaded.
    """
    return series_table(con, issue, area_level=area_level, area_code=area_code, period=period,
                        definitions=definitions).to_frame()


def series_table(
    con: duckdb.DuckDBPyConnection,
    issue: str | Definition,
    *,
    area_level: str = "county",
    area_code: str | None = None,
    period: str | Period | None = None,
    definitions: Defs = None,
) -> Table:
    """:func:`monthly_series` as a :class:`Table`, sorted by area code and month."""
    definition = definition_for(issue, definitions)
    definition.require_source(expected=queries.POLICE_SOURCE)
    p = (queries.loaded_span(con, queries.POLICE_SOURCE) if period is None
         else queries.resolve_period(con, queries.POLICE_SOURCE, period))
    cov = queries.coverage(con, queries.POLICE_SOURCE, p)
    counts = queries.crime_count_table(con, definition, p, area_level, by_month=True, area_code=area_code)
    missing = set(cov.missing)
    rows = sorted(zip(*(counts.columns[c] for c in ("area_code", "area_name", "month", "count")),
                      strict=True), key=lambda r: (r[0], r[2]))
    columns = {
        "area_code": [r[0] for r in rows],
        "area_name": [r[1] for r in rows],
        "month": [r[2] for r in rows],
        "count": [None if r[2] in missing else r[3] for r in rows],
    }
    kinds = {"area_code": "str", "area_name": "str", "month": "datetime", "count": "Int64"}
    attrs = dict(counts.attrs)  # the counts' metadata first, then the result's (the keys' order as before)
    attrs.update(base_attrs(definition, p, cov, unlocated=counts.attrs["unlocated"], area_level=area_level))
    return Table(columns, kinds, attrs)
