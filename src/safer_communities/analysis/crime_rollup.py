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

from safer_communities.analysis.quality_rollup import TYPE_MONTHS, available, rollup_tables
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
