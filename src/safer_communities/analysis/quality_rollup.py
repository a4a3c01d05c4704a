"""The street-level parts of ``safer quality`` read from the roll-ups the ingest keeps, not from crimes.

``crime_monthly_counts`` (force x month x LSOA x crime type) and ``crime_force_months`` (force x month:
rows, rows without coordinates, the force's name) hold everything the coverage, location, LSOA and
study-area checks count, so on a national store these answer from thousands of rows instead of tens of
millions. Repeated Crime IDs are read from ``repeated_crime_ids`` (every ID on more than one row, per
force-month, kept in step by the same refresh: ``store.repeats``). Each function returns exactly what its
full-scan twin in ``quality`` returns (tests compare them on the demo store and across re-ingests).
"""

from __future__ import annotations

from typing import Any

import duckdb

COUNTS, FORCE_MONTHS, REPEATS = "crime_monthly_counts", "crime_force_months", "repeated_crime_ids"


def _tables(con: duckdb.DuckDBPyConnection) -> set[str]:
    rows = con.execute("SELECT table_name FROM information_schema.tables WHERE table_name IN (?, ?, ?)",
                       [COUNTS, FORCE_MONTHS, REPEATS]).fetchall()
    return {r[0] for r in rows}


def available(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether the store has both roll-ups and they hold as many rows as ``crimes``.

    A store written by an older version may lack them (until a writer opens it and builds them), and
    rows put into ``crimes`` other than by the ingest are not in them: both are scanned instead. One
    refresh (``store.evidence.refresh_crime_monthly_counts``) writes both roll-ups in the ingest's
    transaction, so the small force-month roll-up's total stands for both (summing the LSOA roll-up
    would read millions of rows on a national store).
    """
    if not {COUNTS, FORCE_MONTHS} <= _tables(con):
        return False
    [(crimes, force_months)] = con.execute(
        f"SELECT (SELECT count(*) FROM crimes), (SELECT coalesce(sum(records), 0) FROM {FORCE_MONTHS})"
    ).fetchall()
    return int(crimes) == int(force_months)


def repeats_available(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether the roll-ups are in step (``available``) and the store has ``repeated_crime_ids`` (a
    store of schema version 3, read before a writer has opened it, does not)."""
    return REPEATS in _tables(con) and available(con)


def duplicate_ids_sql() -> str:
    """The ``per_month`` relation of ``quality._duplicates`` (crime_id, month, rows) from the table."""
    return f"SELECT crime_id, month, sum(records) AS n FROM {REPEATS} GROUP BY crime_id, month"


def street_coverage(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str, int, str | None]]:
    """(force, 'YYYY-MM', rows, commonest 'Reported by') per force-month, as ``quality._coverage``."""
    return con.execute(
        f"SELECT force, strftime(month, '%Y-%m'), records, reported_by FROM {FORCE_MONTHS} "
        "ORDER BY force, month").fetchall()


def present_months(table: str) -> str:
    """The relation of (force, month) present for a kind: the roll-up for street-level crime."""
    return f"(SELECT DISTINCT force, month FROM {FORCE_MONTHS})" if table == "crimes" else (
        f"(SELECT DISTINCT force, month FROM {table})")


def by_month_rows(con: duckdb.DuckDBPyConnection, condition: str | None) -> list[tuple[str, str, int, int]]:
    """('YYYY-MM', force, rows meeting ``condition`` on the LSOA roll-up, all rows); ``None`` means
    rows without coordinates (from ``crime_force_months``)."""
    if condition is None:
        return con.execute(
            f"SELECT strftime(month, '%Y-%m'), force, sum(unlocated), sum(records) FROM {FORCE_MONTHS} "
            "GROUP BY ALL ORDER BY 1, 2").fetchall()
    return con.execute(
        f"SELECT strftime(month, '%Y-%m'), force, coalesce(sum(records) FILTER (WHERE {condition}), 0), "
        f"sum(records) FROM {COUNTS} GROUP BY ALL ORDER BY 1, 2").fetchall()


def rows_where(con: duckdb.DuckDBPyConnection, condition: str) -> int:
    rows = con.execute(f"SELECT coalesce(sum(records), 0) FROM {COUNTS} WHERE {condition}").fetchall()
    return int(rows[0][0])


def unlocated_by_type_rows(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str, int, int]]:
    """(crime type or 'All crime types', 'YYYY-MM', rows without an LSOA, rows), as the scan."""
    return con.execute(
        f"""
        SELECT coalesce(crime_type, 'All crime types'), strftime(month, '%Y-%m'),
               coalesce(sum(records) FILTER (WHERE lsoa_code IS NULL), 0), sum(records)
        FROM {COUNTS} GROUP BY GROUPING SETS ((crime_type, month), (month)) ORDER BY 1, 2
        """).fetchall()


def unresolved(con: duckdb.DuckDBPyConnection, outside: str) -> tuple[list[tuple[str, int, int]],
                                                                      list[tuple[str, str | None, int]]]:
    """By nation (nation, codes, rows) and the ten commonest codes (code, name, rows) outside the
    study area. Names are not in the roll-up: they are read from crimes for those ten codes only."""
    by_nation = con.execute(
        f"""
        SELECT CASE WHEN lsoa_code LIKE 'E01%' THEN 'england'
                    WHEN lsoa_code LIKE 'W01%' THEN 'wales' ELSE 'other' END AS nation,
               count(DISTINCT lsoa_code), sum(records)
        FROM {COUNTS} WHERE {outside} GROUP BY 1 ORDER BY 1
        """).fetchall()
    top = con.execute(
        f"SELECT lsoa_code, sum(records) AS n FROM {COUNTS} WHERE {outside} "
        "GROUP BY lsoa_code ORDER BY n DESC, lsoa_code LIMIT 10").fetchall()
    codes = [code for code, _ in top]
    names = dict(con.execute(
        "SELECT lsoa_code, any_value(lsoa_name) FROM crimes WHERE lsoa_code IN (SELECT unnest(?::VARCHAR[])) "
        "GROUP BY 1", [codes]).fetchall()) if codes else {}
    return ([(nation, int(c), int(n)) for nation, c, n in by_nation],
            [(code, names.get(code), int(n)) for code, n in top])


def malformed(con: duckdb.DuckDBPyConnection) -> list[tuple[str, int]]:
    """(code, rows) of LSOA codes that are not GSS LSOA codes, commonest first, as the scan."""
    return con.execute(
        f"""
        SELECT lsoa_code, sum(records) FROM {COUNTS}
        WHERE lsoa_code IS NOT NULL AND NOT regexp_full_match(lsoa_code, '[EW]01[0-9]{{6}}')
        GROUP BY 1 ORDER BY 2 DESC, 1
        """).fetchall()


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
