"""The street-level parts of ``safer quality`` read from the roll-ups the ingest keeps, not from crimes.

``crime_force_months`` (force x month: rows, rows without coordinates, the force's name),
``crime_type_months`` (rows without an LSOA by crime type), ``crime_lsoa_totals`` (force x LSOA code)
and ``crime_lsoa_months`` (force x month x LSOA code, in force order: read only for the forces with a
code in the study area) hold everything the coverage, location, LSOA and study-area checks count, so on
a national store these answer from tens of thousands of rows instead of tens of millions. Repeated
Crime IDs are read from ``repeated_crime_ids`` (every ID on more than one row, per force-month, kept in
step by the same refresh: ``store.repeats``). Each function returns exactly what its full-scan twin in
``quality`` returns (tests compare them on the demo store and across re-ingests). A store of an older
schema read before a writer has opened it is answered from the roll-ups it has.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

import duckdb

COUNTS, FORCE_MONTHS, REPEATS = "crime_monthly_counts", "crime_force_months", "repeated_crime_ids"
LSOA_MONTHS, TYPE_MONTHS, LSOA_TOTALS = "crime_lsoa_months", "crime_type_months", "crime_lsoa_totals"
KIND_MONTHS, REPEAT_TOTALS = "police_force_months", "repeated_crime_id_totals"


_SCHEMA_6 = {LSOA_TOTALS, KIND_MONTHS, REPEAT_TOTALS}
"""Kept in step only by a writer of schema version 6 or later: ignored in a store whose version says an
older writer has opened it since (that writer keeps the older roll-ups, and its version)."""


def rollup_tables(con: duckdb.DuckDBPyConnection) -> set[str]:
    """The roll-up tables the store has and keeps in step (asked once per report, within ``one_report``)."""
    names = [COUNTS, FORCE_MONTHS, REPEATS, LSOA_MONTHS, TYPE_MONTHS, *sorted(_SCHEMA_6), "store_meta"]

    def ask() -> set[str]:
        rows = con.execute("SELECT table_name FROM information_schema.tables WHERE table_name IN "
                           f"({', '.join('?' for _ in names)})", names).fetchall()
        tables = {r[0] for r in rows}
        version = con.execute("SELECT value FROM store_meta WHERE key = 'schema_version'").fetchall() if (
            "store_meta" in tables) else []
        if not version or int(version[0][0]) < 6:
            tables -= _SCHEMA_6
        return tables - {"store_meta"}
    return _once("tables", con, ask)


def available(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether the store has both roll-ups and they hold as many rows as ``crimes``.

    A store written by an older version may lack them (until a writer opens it and builds them), and
    rows put into ``crimes`` other than by the ingest are not in them: both are scanned instead. One
    refresh (``store.evidence.refresh_crime_monthly_counts``) writes both roll-ups in the ingest's
    transaction, so the small force-month roll-up's total stands for both (summing the LSOA roll-up
    would read millions of rows on a national store).
    """
    if not {COUNTS, FORCE_MONTHS} <= rollup_tables(con):
        return False

    def in_step() -> bool:
        [(crimes, force_months)] = con.execute(
            f"SELECT (SELECT count(*) FROM crimes), (SELECT coalesce(sum(records), 0) FROM {FORCE_MONTHS})"
        ).fetchall()
        return int(crimes) == int(force_months)
    return bool(_once("in_step", con, in_step))


def repeats_available(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether the roll-ups are in step (``available``) and the store has ``repeated_crime_ids`` (a
    store of schema version 3, read before a writer has opened it, does not)."""
    return REPEATS in rollup_tables(con) and available(con)


def repeat_totals(con: duckdb.DuckDBPyConnection) -> tuple[int, ...] | None:
    """The six repeated-ID figures from ``repeated_crime_id_totals`` (schema 6), when it is there and
    in step with ``repeated_crime_ids`` (its rows equal the table's); else None (count them instead)."""
    if REPEAT_TOTALS not in rollup_tables(con):
        return None
    rows = con.execute(
        f"SELECT ids, rows, extra_rows, within_month_ids, within_month_extra_rows, across_months_ids, "
        f"(SELECT coalesce(sum(records), 0) FROM {REPEATS}) FROM {REPEAT_TOTALS}").fetchall()
    if len(rows) != 1 or int(rows[0][1]) != int(rows[0][6]):
        return None
    return tuple(int(v) for v in rows[0][:6])


def duplicate_ids_sql() -> str:
    """The ``per_month`` relation of ``quality._duplicates`` (crime_id, month, rows) from the table."""
    from safer_communities.store.repeats import PER_MONTH

    return PER_MONTH


def kind_available(con: duckdb.DuckDBPyConnection, kind: str, table: str) -> bool:
    """Whether ``police_force_months`` holds ``kind`` ('outcomes', 'stop_search') in step with its table
    (as many rows; rows written other than by the ingest, or a store of schema 5 or older read before a
    writer has opened it, are scanned instead)."""
    if KIND_MONTHS not in rollup_tables(con):
        return False

    def in_step() -> bool:
        [(rows, rolled)] = con.execute(
            f"SELECT (SELECT count(*) FROM {table}), "
            f"(SELECT coalesce(sum(records), 0) FROM {KIND_MONTHS} WHERE kind = ?)", [kind]).fetchall()
        return int(rows) == int(rolled)
    return bool(_once(f"in_step_{kind}", con, in_step))


def kind_coverage(con: duckdb.DuckDBPyConnection, kind: str) -> list[tuple[str, str, int, str | None]]:
    """(force, 'YYYY-MM', rows, commonest 'Reported by' or NULL) per force-month of an outcomes or
    stop-and-search kind, as ``quality._coverage`` counts them over the table."""
    return con.execute(
        f"SELECT force, strftime(month, '%Y-%m'), records, reported_by FROM {KIND_MONTHS} WHERE kind = ? "
        "ORDER BY force, month", [kind]).fetchall()


def street_coverage(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str, int, str | None]]:
    """(force, 'YYYY-MM', rows, commonest 'Reported by') per force-month, as ``quality._coverage``."""
    return con.execute(
        f"SELECT force, strftime(month, '%Y-%m'), records, reported_by FROM {FORCE_MONTHS} "
        "ORDER BY force, month").fetchall()


def present_months(table: str, kind: str | None = None) -> str:
    """The relation of (force, month) present for a kind: the roll-up for street-level crime, and
    ``police_force_months`` for another ``kind`` when it is given (in step: ``kind_available``)."""
    if table == "crimes":
        return f"(SELECT DISTINCT force, month FROM {FORCE_MONTHS})"
    if kind is not None:
        return f"(SELECT DISTINCT force, month FROM {KIND_MONTHS} WHERE kind = '{kind}')"
    return f"(SELECT DISTINCT force, month FROM {table})"


_PASSES: ContextVar[dict[str, Any] | None] = ContextVar("safer_quality_passes", default=None)
_IN_AREA = "lsoa_code IN (SELECT lsoa_code FROM areas)"


@contextmanager
def one_report() -> Iterator[None]:
    """Within the block, each pass over a roll-up (and the check that they are in step) runs once."""
    token = _PASSES.set({})
    try:
        yield
    finally:
        _PASSES.reset(token)


def _once(name: str, con: duckdb.DuckDBPyConnection, compute: Callable[[], Any]) -> Any:
    passes = _PASSES.get()
    if passes is None:
        return compute()
    if name not in passes:
        passes[name] = compute()
    return passes[name]


def _months_pass(con: duckdb.DuckDBPyConnection) -> list[tuple[Any, ...]]:
    """Per (force, 'YYYY-MM'): all rows, rows without an LSOA, and rows with an LSOA outside the study area.

    With ``crime_lsoa_totals`` (schema 6): all rows from ``crime_force_months``, rows without an LSOA
    from ``crime_type_months``, and outside = the rest less the rows inside, which are read from
    ``crime_lsoa_months`` for the forces with a code in the study area only (the table is in force
    order, so the other forces' row groups are skipped). Otherwise one pass over the LSOA roll-up."""
    if LSOA_TOTALS in rollup_tables(con):
        sql = f"""
            WITH inside AS (
                SELECT force, month, sum(records) AS n FROM {LSOA_MONTHS}
                WHERE force IN (SELECT DISTINCT force FROM {LSOA_TOTALS} WHERE {_IN_AREA}) AND {_IN_AREA}
                GROUP BY force, month),
            no_lsoa AS (SELECT force, month, sum(no_lsoa) AS n FROM {TYPE_MONTHS} GROUP BY force, month)
            SELECT f.force, strftime(f.month, '%Y-%m'), f.records, coalesce(z.n, 0),
                   f.records - coalesce(z.n, 0) - coalesce(i.n, 0)
            FROM {FORCE_MONTHS} AS f LEFT JOIN no_lsoa AS z USING (force, month)
                LEFT JOIN inside AS i USING (force, month)
            """
    else:
        outside = f"lsoa_code IS NOT NULL AND NOT {_IN_AREA}"
        sql = f"""
            SELECT force, strftime(month, '%Y-%m'), sum(records),
                   coalesce(sum(records) FILTER (WHERE lsoa_code IS NULL), 0),
                   coalesce(sum(records) FILTER (WHERE {outside}), 0)
            FROM {_lsoa_months(con)} GROUP BY force, month
            """
    return _once("months", con, lambda: con.execute(sql).fetchall())


def _lsoa_months(con: duckdb.DuckDBPyConnection) -> str:
    """``crime_lsoa_months`` (a quarter of the LSOA roll-up's rows), or the LSOA roll-up itself in a
    store of schema version 4 or older read before a writer has opened it."""
    return LSOA_MONTHS if LSOA_MONTHS in rollup_tables(con) else COUNTS


def _types_pass(con: duckdb.DuckDBPyConnection) -> list[tuple[Any, ...]]:
    """One pass over ``crime_type_months`` per (crime type, month): all rows and rows without an LSOA.
    (Separate passes cost less than one with GROUPING SETS, measured on a 21-million-row roll-up.)"""
    no_lsoa, source = ("sum(no_lsoa)", TYPE_MONTHS) if TYPE_MONTHS in rollup_tables(con) else (
        "coalesce(sum(records) FILTER (WHERE lsoa_code IS NULL), 0)", COUNTS)
    return _once("types", con, lambda: con.execute(
        f"SELECT crime_type, month, sum(records), {no_lsoa} FROM {source} GROUP BY crime_type, month"
    ).fetchall())


def _codes(con: duckdb.DuckDBPyConnection) -> str:
    """The relation (lsoa_code, n): rows per LSOA code, from ``crime_lsoa_totals`` (tens of thousands of
    rows on a national store), or from the LSOA roll-up in a store of schema version 5 or older read
    before a writer opened it."""
    source = LSOA_TOTALS if LSOA_TOTALS in rollup_tables(con) else _lsoa_months(con)
    return f"(SELECT lsoa_code, sum(records) AS n FROM {source} WHERE lsoa_code IS NOT NULL GROUP BY 1)"


def _nations(con: duckdb.DuckDBPyConnection) -> list[tuple[str, int, int, int]]:
    """(nation, codes, rows, rows with a code starting 'W') of the codes outside the study area."""
    return _once("nations", con, lambda: con.execute(
        f"""
        SELECT CASE WHEN lsoa_code LIKE 'E01%' THEN 'england'
                    WHEN lsoa_code LIKE 'W01%' THEN 'wales' ELSE 'other' END AS nation,
               count(*), sum(n), coalesce(sum(n) FILTER (WHERE lsoa_code LIKE 'W%'), 0)
        FROM {_codes(con)} WHERE NOT {_IN_AREA} GROUP BY 1 ORDER BY 1
        """).fetchall())


def by_month_rows(con: duckdb.DuckDBPyConnection, measure: str | None) -> list[tuple[str, str, int, int]]:
    """('YYYY-MM', force, rows, all rows) of ``measure``: 'no_lsoa' or 'outside' (from the LSOA
    roll-up), or ``None``: rows without coordinates (from ``crime_force_months``)."""
    if measure is None:
        return con.execute(
            f"SELECT strftime(month, '%Y-%m'), force, sum(unlocated), sum(records) FROM {FORCE_MONTHS} "
            "GROUP BY ALL ORDER BY 1, 2").fetchall()
    column = {"no_lsoa": 3, "outside": 4}[measure]
    return sorted((row[1], row[0], int(row[column]), int(row[2]))
                  for row in _months_pass(con))


def in_wales(con: duckdb.DuckDBPyConnection) -> int:
    """Rows outside the study area with a Welsh LSOA code (``LIKE 'W%'``, as the scan)."""
    return sum(int(row[3]) for row in _nations(con))


def unlocated_by_type_rows(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str, int, int]]:
    """(crime type or 'All crime types', 'YYYY-MM', rows without an LSOA, rows), as the scan."""
    out: dict[tuple[str, str], list[int]] = {}
    for crime_type, month, total, no_lsoa in _types_pass(con):
        label = month.strftime("%Y-%m")
        for key in ((crime_type, label), ("All crime types", label)):
            totals = out.setdefault(key, [0, 0])
            totals[0] += int(no_lsoa)
            totals[1] += int(total)
    return [(crime_type, month, n, total) for (crime_type, month), (n, total) in sorted(out.items())]


def unresolved(con: duckdb.DuckDBPyConnection) -> tuple[list[tuple[str, int, int]],
                                                       list[tuple[str, str | None, int]]]:
    """By nation (nation, codes, rows) and the ten commonest codes (code, name, rows) outside the
    study area. Names are not in the roll-up: each of those ten is read from the first row of crimes
    that has it."""
    top = con.execute(f"SELECT lsoa_code, n FROM {_codes(con)} WHERE NOT {_IN_AREA} "
                      "ORDER BY n DESC, lsoa_code LIMIT 10").fetchall()
    names = {code: _first(con, "SELECT lsoa_name FROM crimes WHERE lsoa_code = ? LIMIT 1", [code])
             for code, _ in top}
    return ([(nation, int(c), int(n)) for nation, c, n, _ in _nations(con)],
            [(code, names[code], int(n)) for code, n in top])


def _first(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any]) -> Any:
    rows = con.execute(sql, params).fetchall()
    return rows[0][0] if rows else None


def malformed(con: duckdb.DuckDBPyConnection) -> list[tuple[str, int]]:
    """(code, rows) of LSOA codes that are not GSS LSOA codes, commonest first, as the scan."""
    return [(code, int(n)) for code, n in con.execute(
        f"SELECT lsoa_code, n FROM {_codes(con)} WHERE NOT regexp_full_match(lsoa_code, '[EW]01[0-9]{{6}}') "
        "ORDER BY n DESC, lsoa_code").fetchall()]


def summary(rows: list[tuple[str, str, int, int]]) -> dict[str, Any]:
    """total, share, by_month, by_force from ('YYYY-MM', force, n, all) rows (``quality._by_month``)."""
    by_month: dict[str, int] = {}
    by_force: dict[str, int] = {}
    for month, force, n, _ in rows:
        by_month[month] = by_month.get(month, 0) + int(n)
        by_force[force] = by_force.get(force, 0) + int(n)
    total = sum(by_month.values())
    all_rows = sum(int(r[3]) for r in rows)
    return {"total": total, "share": round(total / all_rows, 4) if all_rows else None,
            "by_month": by_month, "by_force": by_force}
