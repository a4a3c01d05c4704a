"""The DuckDB evidence store: the only place that opens it.

One file, many readers or one writer (DuckDB's own file lock). A writer that is killed part-way
leaves the store as it was before its transaction began: DuckDB discards an uncommitted WAL.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from safer_communities.errors import StoreError, StoreLockedError
from safer_communities.store import repeats, schema

_LOCK_PATTERN = re.compile(r"Could not set lock on file|Conflicting lock", re.IGNORECASE)
_PID_PATTERN = re.compile(r"PID (\d+)")


def connect(path: Path | str, *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open the evidence store; create it and its tables when writing to a new file."""
    path = Path(path)
    if read_only and not path.exists():
        raise StoreError(
            "The evidence store does not exist yet.",
            found=str(path),
            hint="Load data first, e.g. 'safer ingest police-uk ARCHIVE.zip', or pass --db PATH.",
        )
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    try:
        con = duckdb.connect(str(path), read_only=read_only)
    except duckdb.IOException as exc:
        message = str(exc)
        if _LOCK_PATTERN.search(message):
            pid = _PID_PATTERN.search(message)
            raise StoreLockedError(
                "The evidence store is being written by another process; it was not opened, "
                "so nothing in it has been changed.",
                found=f"{path} is locked" + (f" by process {pid.group(1)}" if pid else ""),
                hint="Wait for the other 'safer' command (or the web server) to finish, then try again.",
            ) from exc
        raise StoreError(
            "The evidence store could not be opened.", found=f"{path}: {message}",
            hint="Check the path, or whether the file is a DuckDB database.",
        ) from exc
    except duckdb.Error as exc:
        raise StoreError(
            "The evidence store could not be opened.", found=f"{path}: {exc}",
            hint="Check that the file is a safer-communities DuckDB store.",
        ) from exc
    if not read_only:
        ensure_schema(con)
    return con


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create every public table and view that does not exist yet (and fill tables new to an old store)."""
    version = scalar(con, "SELECT value FROM store_meta WHERE key = 'schema_version'") if scalar(
        con, "SELECT count(*) FROM information_schema.tables WHERE table_name = 'store_meta'") else None
    for ddl in schema.ALL_TABLES:
        con.execute(ddl)
    old = None if version is None else int(str(version))
    if old is not None and old < 3:  # roll-ups new to this store: build them (repeated IDs included)
        refresh_crime_monthly_counts(con)
    elif old is not None and old < 6:  # 6: crime_lsoa_months rewritten in force order
        if old < 4:
            repeats.refresh(con)  # the repeated IDs and their totals
        else:
            repeats.refresh_totals(con)  # 6: the totals from the repeated IDs held
        refresh_small_rollups(con)
    if old is not None and old < 6:
        for kind in KIND_TABLES:
            refresh_kind_force_months(con, kind)
    con.execute(
        "INSERT OR REPLACE INTO store_meta VALUES ('schema_version', ?)", [str(schema.SCHEMA_VERSION)]
    )


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """One ingest command is one transaction: all of it commits, or none of it does."""
    con.execute("BEGIN TRANSACTION")
    try:
        yield con
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")


def use_threads(con: duckdb.DuckDBPyConnection, threads: int) -> None:
    """Run the store's queries on this many threads (a setting of the whole open database: for a
    process's own connection only, never the web server's shared one)."""
    con.execute(f"SET threads = {int(threads)}")


def scalar(con: duckdb.DuckDBPyConnection, sql: str, params: list[object] | None = None) -> object:
    """First value of a query's first row. Fetches every row: DuckDB 2 keeps a connection busy until
    a result is fully consumed, so a bare ``fetchone()`` breaks the next ``register()`` on it."""
    rows = con.execute(sql, params or []).fetchall()
    return rows[0][0] if rows else None


def table_counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Row count of every public table (for summaries and the demo)."""
    return {
        table: int(scalar(con, f"SELECT count(*) FROM {table}"))
        for table in schema.PUBLIC_TABLES
    }


def next_ingest_id(con: duckdb.DuckDBPyConnection) -> int:
    """A new provenance id for one file."""
    return int(scalar(con, "SELECT nextval('ingest_id_seq')"))


def _forget_touched(con: duckdb.DuckDBPyConnection, tables: tuple[str, ...], base: str,
                    touched: str | None) -> str:
    """Delete the force-months in ``touched`` (all, when None) from the roll-ups ``tables``, and give the
    rows of ``base`` to rebuild them from."""
    for table in tables:
        if touched is None:
            con.execute(f"DELETE FROM {table}")
        else:
            con.execute(f"DELETE FROM {table} AS k USING {touched} AS t "
                        "WHERE k.force = t.force AND k.month = t.month")
    if touched is None:
        return base
    return (f"(SELECT b.* FROM {base} AS b SEMI JOIN {touched} AS t "
            "ON b.force = t.force AND b.month = t.month)")


def refresh_crime_monthly_counts(
    con: duckdb.DuckDBPyConnection, touched: str | None = None
) -> None:
    """Rebuild the roll-ups of ``crimes`` (``crime_monthly_counts``, by LSOA and crime type, and
    ``crime_force_months``, then ``crime_lsoa_months``, ``crime_type_months`` and ``crime_lsoa_totals``
    from the first) for the force-months in the relation ``touched`` (columns force, month), or for the
    whole store when it is None, and bring ``repeated_crime_ids`` in step (``store.repeats``).

    The LSOA roll-up is written in month and LSOA order, so a query for a period or an area reads only
    the row groups whose zone maps (min/max per column) can hold it."""
    source = _forget_touched(con, ("crime_monthly_counts", "crime_force_months"), "crimes", touched)
    con.execute(
        "INSERT INTO crime_monthly_counts "
        f"SELECT force, month, lsoa_code, crime_type, count(*) FROM {source} "
        "GROUP BY force, month, lsoa_code, crime_type ORDER BY month, lsoa_code, crime_type, force"
    )
    con.execute(
        "INSERT INTO crime_force_months "
        "SELECT force, month, count(*), count(*) FILTER (WHERE longitude IS NULL OR latitude IS NULL), "
        f"mode(reported_by) FROM {source} GROUP BY force, month"
    )
    refresh_small_rollups(con, touched)
    repeats.refresh(con, touched)


KIND_TABLES = {"outcomes": "outcomes", "stop_search": "stop_search"}
"""The police.uk kinds other than street-level crime whose force-months ``police_force_months`` holds."""


def refresh_kind_force_months(con: duckdb.DuckDBPyConnection, kind: str, touched: str | None = None) -> None:
    """Rebuild ``police_force_months`` for ``kind`` ('outcomes' or 'stop_search') for the force-months in
    the relation ``touched`` (columns force, month), or for all of that kind when it is None."""
    table = KIND_TABLES[kind]
    name = "mode(reported_by)" if table == "outcomes" else "NULL"
    if touched is None:
        con.execute("DELETE FROM police_force_months WHERE kind = ?", [kind])
        source = table
    else:
        con.execute("DELETE FROM police_force_months AS k USING "
                    f"{touched} AS t WHERE k.kind = ? AND k.force = t.force AND k.month = t.month", [kind])
        source = (f"(SELECT b.* FROM {table} AS b SEMI JOIN {touched} AS t "
                  "ON b.force = t.force AND b.month = t.month)")
    con.execute(f"INSERT INTO police_force_months SELECT ?, force, month, count(*), {name} FROM {source} "
                "GROUP BY force, month ORDER BY force, month", [kind])


def refresh_small_rollups(con: duckdb.DuckDBPyConnection, touched: str | None = None) -> None:
    """Rebuild ``crime_lsoa_months`` and ``crime_type_months`` from ``crime_monthly_counts`` for the
    force-months in ``touched`` (or all): a quarter and a three-hundredth of its rows, for ``quality``;
    then ``crime_lsoa_totals`` from the first, for every force ``touched`` holds (or all).

    ``crime_lsoa_months`` is written in force, month and LSOA order, so a query for a few forces (the
    study area's) reads their row groups only; a later release appends row groups of its own."""
    source = _forget_touched(con, ("crime_lsoa_months", "crime_type_months"), "crime_monthly_counts", touched)
    con.execute(f"INSERT INTO crime_lsoa_months SELECT force, month, lsoa_code, sum(records) FROM {source} "
                "GROUP BY force, month, lsoa_code ORDER BY force, month, lsoa_code")
    con.execute(
        "INSERT INTO crime_type_months SELECT force, month, crime_type, sum(records), "
        f"coalesce(sum(records) FILTER (WHERE lsoa_code IS NULL), 0) FROM {source} "
        "GROUP BY force, month, crime_type ORDER BY month, crime_type, force")
    forces = None if touched is None else f"(SELECT DISTINCT force FROM {touched})"
    if forces is None:
        con.execute("DELETE FROM crime_lsoa_totals")
    else:
        con.execute(f"DELETE FROM crime_lsoa_totals WHERE force IN {forces}")
    con.execute("INSERT INTO crime_lsoa_totals SELECT force, lsoa_code, sum(records) FROM crime_lsoa_months"
                + ("" if forces is None else f" WHERE force IN {forces}")
                + " GROUP BY force, lsoa_code ORDER BY force, lsoa_code")
