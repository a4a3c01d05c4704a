"""The set-based part of the police.uk ingest: stage a file, check every row in SQL, insert.

Fast path: DuckDB's own CSV reader (strict, every column VARCHAR) stages the whole file. When it
refuses the file, or the checks find a bad row, the caller stages it again from the exact Python
reader, which carries each record's physical line number and raw text for ``rejects``.
"""

from __future__ import annotations

import contextlib
from datetime import date

import duckdb

from safer_communities.ingest.bng import bng_sql
from safer_communities.ingest.police_uk_read import COLUMNS, Header
from safer_communities.store.evidence import refresh_crime_monthly_counts, refresh_kind_force_months

# A generous box around the UK and Northern Ireland (WGS84); (0, 0) and swapped axes fall outside.
LON_MIN, LON_MAX, LAT_MIN, LAT_MAX = -11.0, 2.5, 49.0, 61.5

FILES, CHECKED = "_police_files", "_police_checked"
CSV_REJECTS, CSV_SCANS = "_police_csv_rejects", "_police_csv_scans"
TOUCHED = "_police_touched"
TABLES = {"street": "crimes", "outcomes": "outcomes", "stop_search": "stop_search"}


def _text(col: str) -> str:
    """Blank -> NULL. Values are not trimmed: kept as published (police.uk pads none)."""
    return f"nullif({col}, '')"


def csv_relation(header: Header, paths: list[str], max_line_bytes: int = 1 << 20) -> str:
    """DuckDB's strict CSV reader over ``paths`` (files sharing ``header``), every column VARCHAR.

    Malformed lines are skipped and logged in DuckDB's rejects tables (an error would abort the
    store's transaction); ``check`` reports their files, which the caller then reads exactly.
    """
    select = ", ".join(
        f"c{header.positions[c]} AS {c}" if c in header.positions else f"NULL::VARCHAR AS {c}"
        for c in COLUMNS[header.kind].values()
    )
    columns = "{" + ", ".join(f"'c{i}': 'VARCHAR'" for i in range(len(header.names))) + "}"
    compression = "gzip" if header.compressed else "none"
    max_line = max(max_line_bytes + 2, 4096)  # DuckDB counts the line break; tiny limits it refuses
    return (
        f"(SELECT {select}, NULL::BIGINT AS line_number, NULL::VARCHAR AS raw_line, filename "
        f"FROM read_csv([{', '.join(_literal(p) for p in paths)}], columns = {columns}, "
        "header = true, auto_detect = false, delim = ',', "
        "quote = '\"', escape = '\"', strict_mode = true, null_padding = false, ignore_errors = true, "
        f"store_rejects = true, rejects_table = '{CSV_REJECTS}', rejects_scan = '{CSV_SCANS}', "
        f"filename = true, compression = '{compression}', max_line_size = {max_line}))"
    )


def stage_exact(spill: str, path: str) -> str:
    """The exact Python reader's records (with line numbers and raw text), spilled to a Parquet file
    so that memory stays bounded, as a relation for ``check``."""
    return f"(SELECT *, {_literal(path)} AS filename FROM read_parquet({_literal(spill)}))"


def _coords_checks() -> list[tuple[str, str, str]]:
    return [
        ("_has_lon AND _lon IS NULL", "Longitude", "longitude is not a number"),
        ("_has_lat AND _lat IS NULL", "Latitude", "latitude is not a number"),
        ("_has_lon <> _has_lat", "Longitude", "only one of longitude and latitude given"),
        (f"_lon IS NOT NULL AND _lat IS NOT NULL AND NOT (_lon BETWEEN {LON_MIN} AND {LON_MAX} "
         f"AND _lat BETWEEN {LAT_MIN} AND {LAT_MAX})", "Longitude", "coordinates outside the UK"),
    ]


def _checks(kind: str) -> list[tuple[str, str, str]]:
    """(condition that makes a row bad, field, reason): the first that holds is the row's reason."""
    if kind == "stop_search":
        return [
            ("_datetime IS NULL", "Date", "unparseable date"),
            ("_file_month IS NOT NULL AND _month <> _file_month AND _month_utc <> _file_month", "Date",
             "date is not in the month of the file"),
            *_coords_checks(),
            *[(f"{_text(col)} IS NOT NULL AND TRY_CAST(trim({col}) AS BOOLEAN) IS NULL", name,
               "not True or False")
              for name, col in (("Part of a policing operation", "part_of_policing_operation"),
                                ("Outcome linked to object of search", "outcome_linked_to_object_of_search"),
                                ("Removal of more than just outer clothing",
                                 "removal_of_more_than_outer_clothing"))],
        ]
    value = "crime_type" if kind == "street" else "outcome_type"
    field = "Crime type" if kind == "street" else "Outcome type"
    return [
        ("_month IS NULL", "Month", "unparseable month"),
        ("_file_month IS NOT NULL AND _month <> _file_month", "Month", "month does not match the file"),
        *_coords_checks(),
        (blank_sql(value), field, f"empty {field.lower()}"),
    ]


BLANK_CHARACTERS = " \t\x0b\x0c\xa0"
"""What an 'empty' Crime or Outcome type may still hold: spaces, tabs, vertical tabs, form feeds and
no-break spaces (U+00A0, as a spreadsheet leaves them)."""


def blank_sql(col: str) -> str:
    """True when ``col`` is NULL or holds only ``BLANK_CHARACTERS`` (or nothing).

    One RE2 match, not ``trim(col, <characters>)``: trimming a set that holds a non-ASCII character
    copies every value through DuckDB's Unicode path and was the dearest check of all (about 0.2 CPU-s
    per pass over the 438,248 county rows, paid twice); the match answers the same question
    (``test_blank_sql_matches_trim``) at a third of the cost."""
    return f"({col} IS NULL OR regexp_full_match({col}, '[ \\t\\x0b\\x0c\\x{{a0}}]*'))"


def set_files(con: duckdb.DuckDBPyConnection, files: list[tuple[str, date | None]]) -> None:
    """The files about to be checked: (path as DuckDB reads it, month from its name or folder)."""
    con.execute(f"CREATE OR REPLACE TEMP TABLE {FILES} (filename VARCHAR, file_month DATE, "
                "force VARCHAR, source_file VARCHAR, ingest_id BIGINT)")
    con.executemany(f"INSERT INTO {FILES} (filename, file_month) VALUES (?, ?)", files)


def check(con: duckdb.DuckDBPyConnection, kind: str, relation: str) -> dict[str, tuple[int, int]]:
    """Define the checked rows of ``relation`` and count them; per file: (rows, bad rows)."""
    define_checked(con, kind, relation)
    rows = con.execute(
        f"SELECT filename, count(*), count(_reject_reason) FROM {CHECKED} GROUP BY filename").fetchall()
    counts = {name: (int(n), int(bad)) for name, n, bad in rows}
    if "read_csv(" in relation:
        skipped = con.execute(
            f"SELECT s.file_path, count(*) FROM {CSV_REJECTS} r JOIN {CSV_SCANS} s "
            "USING (scan_id, file_id) GROUP BY 1").fetchall()
        for name, n in skipped:  # lines the strict reader skipped make the file 'bad' too
            rows_seen, bad = counts.get(name, (0, 0))
            counts[name] = (rows_seen + int(n), bad + int(n))
    return counts


def define_checked(con: duckdb.DuckDBPyConnection, kind: str, relation: str) -> None:
    """The view of ``relation``'s rows with each row's first failed check (``_reject_field``,
    ``_reject_reason``; NULL when the row is valid) and its parsed month and coordinates.

    A view, not a table: inside the store's transaction a dropped temporary table keeps its memory
    until commit, so a national load would hold every file twice. Each use re-reads the CSV.
    """
    if kind == "stop_search":
        parsed = f"TRY_CAST({_text('date')} AS TIMESTAMPTZ) AS _datetime"
        month = "date_trunc('month', _datetime AT TIME ZONE 'Europe/London')::DATE"
        month_utc = "date_trunc('month', _datetime AT TIME ZONE 'UTC')::DATE"
        inner = (f"SELECT *, {month} AS _month, {month_utc} AS _month_utc "
                 f"FROM (SELECT *, {parsed} FROM {relation})")
    else:
        inner = (f"SELECT *, CASE WHEN length(month) = 7 AND substr(month, 5, 1) = '-' THEN "
                 f"TRY_CAST(month || '-01' AS DATE) END AS _month FROM {relation}")
    checks = _checks(kind)
    field_case = " ".join(f"WHEN {cond} THEN {_literal(fld)}" for cond, fld, _ in checks)
    reason_case = " ".join(f"WHEN {cond} THEN {_literal(reason)}" for cond, _, reason in checks)
    for name in (CSV_REJECTS, CSV_SCANS):
        con.execute(f"DROP TABLE IF EXISTS {name}")
    con.execute(
        f"CREATE OR REPLACE TEMP VIEW {CHECKED} AS "
        f"SELECT *, CASE {field_case} END AS _reject_field, CASE {reason_case} END AS _reject_reason "
        f"FROM (SELECT r.*, f.file_month AS _file_month, TRY_CAST(longitude AS DOUBLE) AS _lon, "
        f"TRY_CAST(latitude AS DOUBLE) AS _lat, {_text('longitude')} IS NOT NULL AS _has_lon, "
        f"{_text('latitude')} IS NOT NULL AS _has_lat FROM ({inner}) r JOIN {FILES} f USING (filename))")


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def reject_rows(con: duckdb.DuckDBPyConnection) -> list[tuple[int | None, str | None, str, str | None]]:
    """The checked rows that failed, in file order, for ``record_rejects`` (exact path: one file)."""
    return con.execute(
        f"SELECT line_number, _reject_field, _reject_reason, raw_line FROM {CHECKED} "
        "WHERE _reject_reason IS NOT NULL ORDER BY line_number").fetchall()


def month_counts(con: duckdb.DuckDBPyConnection) -> dict[date | None, tuple[int, int]]:
    """Month -> (valid rows, all rows) of the checked file: what a file without a month in its name
    replaces, and which months the rows of a file named for one month really hold.

    A valid row belongs to the file's month (a stop-and-search row may be the next month in UK
    time); a rejected row counts under the month its own field holds (None: unparseable).
    """
    rows = con.execute(
        f"SELECT CASE WHEN _reject_reason IS NULL THEN coalesce(_file_month, _month) ELSE _month END, "
        f"count(*) FILTER (WHERE _reject_reason IS NULL), count(*) FROM {CHECKED} GROUP BY 1").fetchall()
    return {m: (int(valid), int(n)) for m, valid, n in rows}


def held_counts(con: duckdb.DuckDBPyConnection, kind: str, force: str, months: list[date],
                new_ids: list[int] | None = None) -> dict[date, int]:
    """Rows the store holds for (kind, force) in each of ``months`` (what a new file would replace),
    leaving out the rows of ``new_ids`` (the batch just inserted)."""
    if not months:
        return {}
    rows = con.execute(
        f"SELECT month, count(*) FROM {TABLES[kind]} WHERE force = ? AND month IN "
        "(SELECT unnest(?::DATE[])) AND ingest_id NOT IN (SELECT unnest(?::BIGINT[])) GROUP BY 1",
        [force, months, new_ids or []]).fetchall()
    return {m: int(n) for m, n in rows}


def reported_by(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Distinct 'Reported by' values of the valid rows (to name the force when nothing else does)."""
    rows = con.execute(
        f"SELECT DISTINCT trim(reported_by) FROM {CHECKED} WHERE _reject_reason IS NULL "
        "AND nullif(trim(reported_by), '') IS NOT NULL ORDER BY 1").fetchall()
    return [r[0] for r in rows]


def _select(kind: str) -> str:
    if kind == "stop_search":
        fields = [
            f"{_text('type')} AS type", "_datetime AS datetime",
            "coalesce(f.file_month, c._month) AS month",
            "TRY_CAST(trim(part_of_policing_operation) AS BOOLEAN) AS part_of_policing_operation",
            f"{_text('policing_operation')} AS policing_operation",
            *[f"{_text(c)} AS {c}" for c in ("gender", "age_range", "self_defined_ethnicity",
                                            "officer_defined_ethnicity", "legislation",
                                            "object_of_search", "outcome")],
            *[f"TRY_CAST(trim({c}) AS BOOLEAN) AS {c}" for c in (
                "outcome_linked_to_object_of_search", "removal_of_more_than_outer_clothing")],
        ]
    else:
        texts = [c for c in COLUMNS[kind].values() if c not in ("month", "longitude", "latitude")]
        fields = ["c._month AS month", *[f"{_text(c)} AS {c}" for c in texts]]
    return ", ".join([*fields, "_lon AS longitude", "_lat AS latitude", "f.force AS force",
                      "f.source_file AS source_file", "f.ingest_id AS ingest_id"])


def assign(con: duckdb.DuckDBPyConnection, filename: str, *, force: str, source_file: str,
           ingest_id: int) -> None:
    """Say which force, provenance path and ingest id the valid rows of a checked file get."""
    con.execute(f"UPDATE {FILES} SET force = ?, source_file = ?, ingest_id = ? WHERE filename = ?",
                [force, source_file, ingest_id, filename])


def assign_many(con: duckdb.DuckDBPyConnection, files: list[tuple[str, str, str, int]]) -> None:
    """``assign`` for many checked files at once: (filename, force, source_file, ingest_id) each."""
    if not files:
        return
    names, forces, sources, ids = (list(c) for c in zip(*files, strict=True))
    con.execute(
        f"UPDATE {FILES} AS f SET force = v.force, source_file = v.source_file, ingest_id = v.ingest_id "
        "FROM (SELECT unnest(?::VARCHAR[]) AS filename, unnest(?::VARCHAR[]) AS force, "
        "unnest(?::VARCHAR[]) AS source_file, unnest(?::BIGINT[]) AS ingest_id) AS v "
        "WHERE f.filename = v.filename", [names, forces, sources, ids])


def new_ingest_ids(con: duckdb.DuckDBPyConnection, count: int) -> list[int]:
    """``count`` new provenance ids, ascending: what as many ``new_ingest_id`` calls in a row give."""
    rows = con.execute("SELECT nextval('ingest_id_seq') AS id FROM range(?) ORDER BY id", [count]).fetchall()
    return [int(r[0]) for r in rows]


def insert_valid(con: duckdb.DuckDBPyConnection, kind: str) -> int:
    """Insert the valid rows of every assigned file, with British National Grid coordinates.

    Returns how many rows were inserted.
    """
    rows = (f"(SELECT {_select(kind)} FROM {CHECKED} c JOIN {FILES} f USING (filename) "
            "WHERE c._reject_reason IS NULL AND f.ingest_id IS NOT NULL)")
    inserted = con.execute(f"INSERT INTO {TABLES[kind]} BY NAME SELECT * FROM ({bng_sql(rows)})").fetchone()
    return int(inserted[0]) if inserted else 0


def replace_existing(con: duckdb.DuckDBPyConnection, kind: str, force: str, months: list[date],
                     new_ids: list[int] | None = None) -> int:
    """Delete what the store holds for (kind, force, month): a later release replaces an earlier one.
    The rows of ``new_ids`` (the batch just inserted) stay."""
    if not months:
        return 0
    table = TABLES[kind]
    deleted = con.execute(
        f"DELETE FROM {table} WHERE force = ? AND month IN (SELECT unnest(?::DATE[])) "
        "AND ingest_id NOT IN (SELECT unnest(?::BIGINT[]))", [force, months, new_ids or []]).fetchone()
    return int(deleted[0]) if deleted else 0


def rows_by_ingest(con: duckdb.DuckDBPyConnection, kind: str, ids: list[int]) -> dict[int, int]:
    """Rows the store holds for each of ``ids`` (a batch's ids are consecutive: the scan reads only
    the row groups whose ingest_id range can hold them)."""
    rows = con.execute(
        f"SELECT ingest_id, count(*) FROM {TABLES[kind]} WHERE ingest_id BETWEEN ? AND ? "
        "AND ingest_id IN (SELECT unnest(?::BIGINT[])) GROUP BY 1", [min(ids), max(ids), ids]).fetchall()
    return {int(i): int(n) for i, n in rows}


def delete_ingests(con: duckdb.DuckDBPyConnection, kind: str, ids: list[int]) -> None:
    """Take out the rows of ``ids`` again (files of a batch that the exact reader must load)."""
    if ids:
        con.execute(f"DELETE FROM {TABLES[kind]} WHERE ingest_id IN (SELECT unnest(?::BIGINT[]))", [ids])


def loaded_keys(con: duckdb.DuckDBPyConnection) -> set[tuple[str, str, date | None]]:
    """(kind, force, month) of every file loaded so far (month None: a file of several months)."""
    rows = con.execute("SELECT DISTINCT kind, force, month FROM ingests WHERE status = 'loaded' "
                       "AND force IS NOT NULL").fetchall()
    return {(kind, force, month) for kind, force, month in rows}


def refresh_counts(con: duckdb.DuckDBPyConnection, ingest_ids: list[int],
                   keys: list[tuple[str, date]], kind: str = "street") -> None:
    """Rebuild the roll-ups of a kind for every force-month this command loaded or replaced: for street
    files ``crime_monthly_counts`` and the rest, for outcomes and stop-and-search files their rows of
    ``police_force_months``.

    ``keys`` are the (force, month) of the kind's files (a replaced month whose new rows were all
    rejected still needs its old counts removed); ``ingest_ids`` add the months of multi-month files.
    """
    con.execute(f"CREATE OR REPLACE TEMP TABLE {TOUCHED} (force VARCHAR, month DATE)")
    if ingest_ids:
        con.execute(f"INSERT INTO {TOUCHED} SELECT DISTINCT force, month FROM {TABLES[kind]} "
                    "WHERE ingest_id IN (SELECT unnest(?::BIGINT[]))", [ingest_ids])
    if keys:
        con.executemany(f"INSERT INTO {TOUCHED} VALUES (?, ?)", keys)
    touched = f"(SELECT DISTINCT force, month FROM {TOUCHED})"
    if kind == "street":
        refresh_crime_monthly_counts(con, touched)
    else:
        refresh_kind_force_months(con, kind, touched)
    con.execute(f"DROP TABLE {TOUCHED}")


def drop_stage(con: duckdb.DuckDBPyConnection) -> None:
    """Remove the temporary tables (the transaction would drop nothing else)."""
    with contextlib.suppress(duckdb.Error):  # an aborted transaction is rolled back by the caller
        con.execute(f"DROP VIEW IF EXISTS {CHECKED}")
        for name in (FILES, CSV_REJECTS, CSV_SCANS):
            con.execute(f"DROP TABLE IF EXISTS {name}")
