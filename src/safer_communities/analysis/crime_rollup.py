"""Where the analyses count police.uk records from: the ingest's roll-up, or a scan of ``crimes``.

Counts per LSOA, month and crime type (and force) are all that rates, trends, comparisons and the
needs assessment's counts ask of ``crimes``, and ``crime_monthly_counts`` holds exactly those counts
(kept in step by the ingest, written in month and LSOA order so a period or an area reads only its
row groups). On a national store that is millions of rows read instead of 70 million. The roll-up is
used when it is in step with ``crimes`` (``quality_rollup.available``); otherwise, and inside
``with scanning():`` (benchmarks and tests comparing the two), ``crimes`` is scanned.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

import duckdb

from safer_communities.analysis.quality_rollup import (
    LSOA_MONTHS,
    LSOA_TOTALS,
    TYPE_MONTHS,
    available,
    rollup_tables,
)
from safer_communities.analysis.run_cache import per_run

_SCAN: ContextVar[bool] = ContextVar("safer_scan_crimes", default=False)


@contextmanager
def scanning() -> Iterator[None]:
    """Count by scanning ``crimes`` inside the block, even where the roll-up is in step."""
    token = _SCAN.set(True)
    try:
        yield
    finally:
        _SCAN.reset(token)


@per_run
def _in_step(con: duckdb.DuckDBPyConnection) -> bool:
    return available(con)


def counted(con: duckdb.DuckDBPyConnection) -> tuple[str, str]:
    """(relation, count expression) for counting records by force, month, LSOA and crime type.

    The relation has the columns force, month, lsoa_code and crime_type; the expression is one
    aggregate counting its rows as records (``count(*)`` over ``crimes``, ``sum(records)`` over the
    roll-up: a HUGEINT, so cast it where a BIGINT is wanted), and takes a ``FILTER`` clause.
    """
    if not _SCAN.get() and _in_step(con):
        return "crime_monthly_counts", "sum(records)"
    return "crimes", "count(*)"


def months_relation(con: duckdb.DuckDBPyConnection) -> str:
    """A relation with a row per force and month of police.uk street records (column month): the
    force-month roll-up (thousands of rows), or ``crimes``."""
    return "crime_force_months" if not _SCAN.get() and _in_step(con) else "crimes"


def unlocated_counted(con: duckdb.DuckDBPyConnection) -> tuple[str, str, str]:
    """(relation, rows without an LSOA, all rows) for counting by force, month and crime type:
    ``crime_type_months`` (a few thousand rows per force) where the store has it and the roll-ups are
    in step, else the LSOA roll-up, else ``crimes``. Both expressions are aggregates (HUGEINT or BIGINT)."""
    relation, n = counted(con)
    if relation == "crimes":
        return relation, "count(*) FILTER (WHERE lsoa_code IS NULL)", n
    if TYPE_MONTHS in rollup_tables(con):
        return TYPE_MONTHS, "sum(no_lsoa)", "sum(records)"
    return relation, "sum(records) FILTER (WHERE lsoa_code IS NULL)", n


def lsoa_month_type_sql(con: duckdb.DuckDBPyConnection, codes: str | None = None) -> str:
    """SQL of records per LSOA code, month and crime type (columns lsoa_code, month, crime_type, n
    BIGINT; NULL lsoa_code for records without one), for the LSOA codes in the relation ``codes`` (one
    column, lsoa_code; e.g. a county's rows of ``areas``) or for the whole store.

    The roll-up is already one row per force, month, LSOA code and crime type, so for the whole store
    only the codes that appear under more than one force (and the rows without a code) are summed
    again; every other row is the answer as it stands. Re-aggregating all of it (21 million groups on
    the national store) costs several times more than reading it. With ``codes`` the answer is small
    and one GROUP BY is cheaper than finding the shared codes."""
    relation, n = counted(con)
    where = "" if codes is None else f"WHERE lsoa_code IN ({codes})"
    by_code = next((t for t in (LSOA_TOTALS, LSOA_MONTHS) if t in rollup_tables(con)), None)
    if relation == "crimes" or codes is not None or by_code is None:  # None: a store no writer upgraded yet
        return (f"SELECT lsoa_code, month, crime_type, CAST({n} AS BIGINT) AS n FROM {relation} {where} "
                "GROUP BY ALL")
    shared = (f"SELECT lsoa_code FROM {by_code} WHERE lsoa_code IS NOT NULL GROUP BY lsoa_code "
              "HAVING count(DISTINCT force) > 1")
    return f"""
        WITH shared AS ({shared})
        SELECT k.lsoa_code, k.month, k.crime_type, k.records AS n FROM {relation} AS k
        WHERE k.lsoa_code IS NOT NULL AND k.lsoa_code NOT IN (SELECT lsoa_code FROM shared)
        UNION ALL
        SELECT lsoa_code, month, crime_type, CAST(sum(records) AS BIGINT) AS n FROM {relation}
        WHERE lsoa_code IS NULL OR lsoa_code IN (SELECT lsoa_code FROM shared)
        GROUP BY ALL"""
