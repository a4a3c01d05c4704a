"""``repeated_crime_ids``: every Crime ID that appears on more than one row of ``crimes``, kept by the ingest.

police.uk repeats some Crime IDs (within a month, and across months or forces). ``safer quality`` counts
them; finding them means grouping every ID in the store, which at national scale (70 million 64-character
IDs) takes tens of seconds. So the police.uk ingest keeps this small table in step instead: one row per
repeated ID and force-month it appears in, with how many rows of that force-month carry it.

Kept exactly, whatever the ingest history: when an ingest loads or replaces force-months, every ID whose
rows changed is either on a new row (its hash is taken from the touched force-months of ``crimes``) or was
on a deleted row; a deleted row's ID can only matter if it was repeated, and then it is in this table
under the touched force-month. Every ID with one of those hashes is counted again over the whole of
``crimes`` (a semi-join on a 64-bit hash, then grouped by the real ID, so a hash collision cannot merge
two IDs); every other ID's rows did not change. When most of the store was touched (a first load),
the whole table is rebuilt in two steps instead: repeated hashes first, then their real IDs. Either way
``repeated_crime_id_totals`` (the report's six figures) is then rewritten from the table.
"""

from __future__ import annotations

import duckdb

TABLE = "repeated_crime_ids"
TOTALS = "repeated_crime_id_totals"
FULL_REBUILD_SHARE = 0.25  # read at each call (tests set it to take each path)
"""Rebuild everything when the touched force-months hold more than this share of ``crimes``."""

_KEYS = "_repeats_keys"


REPEATED_HASHES = ("SELECT hash(crime_id) FROM crimes WHERE crime_id IS NOT NULL "
                   "GROUP BY 1 HAVING count(*) > 1")
"""The 64-bit hashes on more than one row of ``crimes`` (8-byte keys: grouping 70 million 64-character
IDs at once needs more than 10 GB)."""


def repeated_sql(hashes: str) -> str:
    """(crime_id, force, month, records) over ``crimes`` for every ID with a hash in the query ``hashes``
    that is on more than one row: grouped by the real ID, so a hash collision cannot merge two IDs."""
    return f"""
        WITH groups AS (
            SELECT crime_id, force, month, count(*) AS records FROM crimes
            WHERE crime_id IS NOT NULL AND hash(crime_id) IN ({hashes})
            GROUP BY ALL
        )
        SELECT crime_id, force, month, records FROM groups
        QUALIFY sum(records) OVER (PARTITION BY crime_id) > 1"""


def totals_sql(per_month: str) -> str:
    """The one row of repeated-ID figures (ids, rows, extra_rows, within_month_ids,
    within_month_extra_rows, across_months_ids) from a relation of (crime_id, month, n: rows of the ID in
    the month), counting only IDs on more than one row. ``safer quality`` reports these."""
    return f"""
        WITH per_month AS ({per_month}),
        per_id AS (
            SELECT crime_id, sum(n) AS n_rows, count(*) AS n_months,
                   count(*) FILTER (WHERE n > 1) AS months_repeated, sum(n - 1) AS within_extra
            FROM per_month GROUP BY crime_id HAVING sum(n) > 1
        )
        SELECT count(*), coalesce(sum(n_rows), 0), coalesce(sum(n_rows - 1), 0),
               coalesce(sum(months_repeated), 0), coalesce(sum(within_extra), 0),
               count(*) FILTER (WHERE n_months > 1)
        FROM per_id"""


PER_MONTH = f"SELECT crime_id, month, sum(records) AS n FROM {TABLE} GROUP BY crime_id, month"
"""(crime_id, month, rows) of the repeated IDs, from the table (forces summed)."""


def refresh_totals(con: duckdb.DuckDBPyConnection) -> None:
    """Rewrite ``repeated_crime_id_totals`` from ``repeated_crime_ids`` (a fraction of a second)."""
    con.execute(f"DELETE FROM {TOTALS}")
    con.execute(f"INSERT INTO {TOTALS} {totals_sql(PER_MONTH)}")


def refresh(con: duckdb.DuckDBPyConnection, touched: str | None = None) -> None:
    """Bring ``repeated_crime_ids`` in step with ``crimes`` after the force-months in the relation
    ``touched`` (columns force, month) changed; ``None`` rebuilds it from the whole store."""
    if touched is not None:
        [(new, total)] = con.execute(
            f"SELECT (SELECT count(*) FROM crimes AS c SEMI JOIN {touched} AS t "
            "ON c.force = t.force AND c.month = t.month), (SELECT count(*) FROM crimes)").fetchall()
        if int(total) and int(new) <= FULL_REBUILD_SHARE * int(total):
            _refresh_ids(con, touched)
            refresh_totals(con)
            return
    con.execute(f"DELETE FROM {TABLE}")
    con.execute(f"INSERT INTO {TABLE} {repeated_sql(REPEATED_HASHES)} ORDER BY crime_id, force, month")
    refresh_totals(con)


def _refresh_ids(con: duckdb.DuckDBPyConnection, touched: str) -> None:
    """Count again every ID whose hash is on a touched force-month, now or before the change."""
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE {_KEYS} AS
        SELECT DISTINCT hash(c.crime_id) AS h FROM crimes AS c SEMI JOIN {touched} AS t
            ON c.force = t.force AND c.month = t.month WHERE c.crime_id IS NOT NULL
        UNION
        SELECT hash(r.crime_id) FROM {TABLE} AS r SEMI JOIN {touched} AS t
            ON r.force = t.force AND r.month = t.month
        """)
    con.execute(f"DELETE FROM {TABLE} WHERE hash(crime_id) IN (SELECT h FROM {_KEYS})")
    con.execute(f"INSERT INTO {TABLE} {repeated_sql(f'SELECT h FROM {_KEYS}')} "
                "ORDER BY crime_id, force, month")
    con.execute(f"DROP TABLE {_KEYS}")
