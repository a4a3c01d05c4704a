"""Record-level partner feeds as analysts see them: per feed its agreement, schema version, rows, date
range, rejects and retention; counts by month or by district; and a paged view of the pseudonymised
records themselves.

These are reads of record-level data: callers go through ``safer_communities.partner_access``, which
writes each one to the audit log. Nothing here is ever published. Free-text columns appear in the record
view only when the ingest kept them (``--keep-free-text``); otherwise they are NULL and left out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache
from importlib import resources
from typing import Any

import duckdb
import pandas as pd
import yaml

from safer_communities.errors import InputError, NoDataError

BY = ("month", "area")
MAX_PAGE_SIZE = 200
# Columns the store adds to every feed; the record view shows the first four.
_TAIL = ["record_date", "agreement_id", "schema_version", "synthetic"]


@cache
def feed_schemas() -> dict[str, dict[str, Any]]:
    """The declared feed schemas (``data/partner/feeds.yaml``), by schema name."""
    text = resources.files("safer_communities").joinpath("data/partner/feeds.yaml").read_text("utf-8")
    return dict(yaml.safe_load(text)["schemas"])


def schema_spec(schema: str) -> dict[str, Any]:
    schemas = feed_schemas()
    if schema not in schemas:
        raise InputError(
            f"Unknown partner feed schema '{schema}'.",
            found=schema,
            hint=f"Use one of {', '.join(schemas)}.",
        )
    return schemas[schema]


def _table_exists(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    return bool(
        con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [table]
        ).fetchall()[0][0]
    )


@dataclass
class Read:
    """What one read returned: the rows, how many records they cover, and which agreements they came
    under (for the audit entry)."""

    schema: str
    version: int
    frame: pd.DataFrame
    records: int
    agreements: list[str] = field(default_factory=list)
    total: int = 0
    page: int = 1
    pages: int = 1
    synthetic: bool = False


def feed_overview(con: duckdb.DuckDBPyConnection, retention: dict[str, int], *, on: date) -> Read:
    """One row per feed and agreement: schema version, rows, first and last record date, rejected rows
    of its loads, retention days and the rows already past it on ``on``, SYNTHETIC or not, and whether
    free text was kept."""
    rows: list[dict[str, Any]] = []
    for name, spec in feed_schemas().items():
        table = spec["table"]
        if not _table_exists(con, table):
            continue
        texts = [f["column"] for f in spec["fields"] if f["type"] == "text"]
        kept = " + ".join(f"count({c})" for c in texts) or "0"
        for agreement, version, n, first, last, synthetic, free_text, ingests in con.execute(
            f"SELECT agreement_id, max(schema_version), count(*), min(record_date), max(record_date), "
            f"bool_or(synthetic), {kept}, list(DISTINCT ingest_id) FROM {table} GROUP BY 1 ORDER BY 1"
        ).fetchall():
            rejects = con.execute(
                "SELECT coalesce(sum(rows_rejected), 0) FROM ingests WHERE ingest_id IN "
                "(SELECT unnest(?::BIGINT[]))",
                [list(ingests)],
            ).fetchall()[0][0]
            days = retention.get(agreement)
            past = (
                con.execute(
                    f"SELECT count(*) FROM {table} WHERE agreement_id = ? AND record_date < ?",
                    [agreement, on - timedelta(days=days)],
                ).fetchall()[0][0]
                if days is not None
                else None
            )
            rows.append(
                {
                    "schema": name,
                    "title": spec["title"],
                    "table": table,
                    "agreement_id": agreement,
                    "schema_version": int(version),
                    "declared_version": int(spec["version"]),
                    "rows": int(n),
                    "first_date": first.date() if hasattr(first, "date") else first,
                    "last_date": last.date() if hasattr(last, "date") else last,
                    "rejected_rows": int(rejects),
                    "retention_days": days,
                    "past_retention": past,
                    "synthetic": bool(synthetic),
                    "free_text_kept": bool(free_text),
                }
            )
    frame = pd.DataFrame(rows)
    if frame.empty:
        raise NoDataError(
            "No record-level partner feed is loaded.",
            found="partner_istv, partner_force_crimes and partner_council_asb are empty or absent",
            hint="Load one under an agreement: 'safer ingest partner-feed PATH --schema S --agreement ID'.",
        )
    return Read(
        schema="all",
        version=0,
        frame=frame,
        records=int(frame["rows"].sum()),
        agreements=sorted(set(frame["agreement_id"])),
    )


def _require_rows(con: duckdb.DuckDBPyConnection, schema: str, spec: dict[str, Any]) -> bool:
    """Refuse an empty feed; otherwise whether any of its records is SYNTHETIC."""
    found = (
        con.execute(f"SELECT count(*), bool_or(synthetic) FROM {spec['table']}").fetchall()[0]
        if _table_exists(con, spec["table"])
        else (0, False)
    )
    if not found[0]:
        raise NoDataError(
            f"No {schema} records are loaded.",
            found=f"{spec['table']} is empty",
            hint=f"Load them under an agreement: 'safer ingest partner-feed PATH --schema {schema} ...'.",
        )
    return bool(found[1])


def feed_aggregate(con: duckdb.DuckDBPyConnection, schema: str, *, by: str = "month") -> Read:
    """Records of one feed by month (of the record date) or by district (through the record's LSOA;
    records without one, or outside the study area, are 'not placed')."""
    spec = schema_spec(schema)
    if by not in BY:
        raise InputError("Aggregate by month or area.", found=by, hint="Use by=month or by=area.")
    synthetic = _require_rows(con, schema, spec)
    table = spec["table"]
    if by == "month":
        sql = (
            f"SELECT strftime(date_trunc('month', record_date), '%Y-%m') AS month, count(*) AS records, "
            f"string_agg(DISTINCT agreement_id, ' ' ORDER BY agreement_id) AS agreements FROM {table} "
            "GROUP BY 1 ORDER BY 1"
        )
    else:
        has_lsoa = any(f["column"] == "lsoa_code" for f in spec["fields"])
        join = "LEFT JOIN areas a ON a.lsoa_code = t.lsoa_code" if has_lsoa else "LEFT JOIN areas a ON FALSE"
        sql = (
            "SELECT coalesce(a.district_code, 'not placed') AS area_code, "
            "coalesce(any_value(a.district_name), 'no LSOA, or outside the study area') AS area_name, "
            "count(*) AS records, string_agg(DISTINCT t.agreement_id, ' ' ORDER BY t.agreement_id) "
            f"AS agreements FROM {table} t {join} GROUP BY 1 ORDER BY (area_code = 'not placed'), 1"
        )
    frame = con.execute(sql).df()
    agreements = sorted({a for text in frame.pop("agreements") for a in str(text).split()})
    return Read(
        schema=schema,
        version=int(spec["version"]),
        frame=frame,
        records=int(frame["records"].sum()),
        agreements=agreements,
        synthetic=synthetic,
    )


def record_columns(con: duckdb.DuckDBPyConnection, schema: str) -> list[str]:
    """The columns the record view shows: the schema's fields (free text only where it was kept) and
    the record date, agreement, schema version and SYNTHETIC mark."""
    spec = schema_spec(schema)
    table = spec["table"]
    columns = []
    for f in spec["fields"]:
        if (
            f["type"] == "text"
            and not con.execute(f"SELECT count({f['column']}) FROM {table}").fetchall()[0][0]
        ):
            continue
        columns.append(f["column"])
    return columns + _TAIL


def feed_records(con: duckdb.DuckDBPyConnection, schema: str, *, page: int = 1, page_size: int = 50) -> Read:
    """One page of a feed's pseudonymised records, oldest first (then by pseudonymised reference)."""
    spec = schema_spec(schema)
    if page < 1 or not 1 <= page_size <= MAX_PAGE_SIZE:
        raise InputError(
            "A page is 1 or more, and its size 1 to 200 records.",
            found=f"page {page}, page size {page_size}",
            hint="For example page=1&page_size=50.",
        )
    synthetic = _require_rows(con, schema, spec)
    table, ident = spec["table"], spec["fields"][0]["column"]
    total = int(con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0])
    pages = max(1, -(-total // page_size))
    if page > pages:
        raise InputError(
            "There is no such page.",
            found=f"page {page} of {pages}",
            hint=f"Pages run from 1 to {pages} at {page_size} records a page.",
        )
    columns = record_columns(con, schema)
    frame = con.execute(
        f"SELECT {', '.join(columns)} FROM {table} ORDER BY record_date, {ident} LIMIT ? OFFSET ?",
        [page_size, (page - 1) * page_size],
    ).df()
    frame["record_date"] = pd.to_datetime(frame["record_date"]).dt.date
    return Read(
        schema=schema,
        version=int(spec["version"]),
        frame=frame,
        records=len(frame),
        agreements=sorted(set(frame["agreement_id"])),
        total=total,
        page=page,
        pages=pages,
        synthetic=synthetic,
    )
