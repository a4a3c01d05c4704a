"""Audited access to record-level partner data: every read or export, from the CLI or the web, goes to
the append-only audit log with who, what, which schema and agreements, and how many records.

The entry is written only after the read has succeeded, with the rows it actually returned
(``partner_records_read``, or ``partner_records_exported`` for a file); a read that fails writes
``partner_records_read_failed`` with the reason and no row count, so the log never claims a read that did
not happen. Who may read is decided by the caller (the web allows the analyst role only).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

import duckdb
from sqlalchemy.engine import Engine

from safer_communities.analysis import partner_record_view as pr
from safer_communities.errors import SaferError
from safer_communities.web import audit

READ = "partner_records_read"
EXPORTED = "partner_records_exported"
FAILED = "partner_records_read_failed"


def audited(
    engine: Engine, *, actor: str, ip: str, what: str, schema: str, read: Callable[[], pr.Read],
    export: str | None = None,
) -> pr.Read:
    """Run ``read`` and write its audit entry (for any reader of record-level partner data, including
    analyses: build a ``partner_record_view.Read`` with the schema, version, rows, record count and
    agreements, and pass a function returning it)."""
    try:
        result = read()
        if export:
            _write_csv(result, Path(export))
    except Exception as error:
        reason = error.what if isinstance(error, SaferError) else type(error).__name__
        audit.record(engine, actor=actor, action=FAILED, obj=f"partner feed {schema}", ip=ip,
                     detail=f"{what}: not read ({reason})")
        raise
    version = "" if result.schema == "all" else f" v{result.version}"
    detail = (f"{what}; schema {result.schema}{version}; agreements "
              f"{' '.join(result.agreements) or 'none'}; {result.records:,} records")
    if export:
        detail += f"; written to {export}"
    audit.record(engine, actor=actor, action=EXPORTED if export else READ, obj=f"partner feed {schema}",
                 ip=ip, detail=detail)
    return result


def _write_csv(result: pr.Read, path: Path) -> None:
    """The rows as CSV, text cells made safe for spreadsheets (no formula injection)."""
    from safer_communities.csv_safety import safe_cell

    frame = result.frame.copy()
    for column in frame.columns:
        if frame[column].dtype == object:
            frame[column] = frame[column].map(lambda v: v if v is None else safe_cell(v))
    frame.to_csv(path, index=False)


def overview(engine: Engine, con: duckdb.DuckDBPyConnection, *, actor: str, ip: str,
             on: date | None = None) -> pr.Read:
    """Per feed and agreement: schema version, rows, dates, rejects, retention (audited)."""
    from safer_communities import sharing

    retention = {a["id"]: a["retention_days"] for a in sharing.list_agreements(engine)}
    return audited(engine, actor=actor, ip=ip, what="feed overview", schema="all",
                    read=lambda: pr.feed_overview(con, retention, on=on or date.today()))


def aggregate(engine: Engine, con: duckdb.DuckDBPyConnection, schema: str, *, by: str, actor: str,
              ip: str, export: str | None = None) -> pr.Read:
    """A feed's records counted by month or by district (audited)."""
    return audited(engine, actor=actor, ip=ip, what=f"records by {by}", schema=schema, export=export,
                    read=lambda: pr.feed_aggregate(con, schema, by=by))


def records(engine: Engine, con: duckdb.DuckDBPyConnection, schema: str, *, page: int, page_size: int,
            actor: str, ip: str, export: str | None = None) -> pr.Read:
    """One page of a feed's pseudonymised records (audited, with the page and the rows returned)."""
    return audited(engine, actor=actor, ip=ip, what=f"records page {page} ({page_size} a page)",
                    schema=schema, export=export,
                    read=lambda: pr.feed_records(con, schema, page=page, page_size=page_size))


def cli_analyst(engine: Engine, name: str) -> str:
    """The CLI reader's account name if it holds the analyst role (as on the web); a refusal is audited
    as a failed read."""
    from safer_communities.framework.roles import require_role
    from safer_communities.store.app_db import session_scope

    try:
        with session_scope(engine) as session:
            return require_role(session, name, "analyst", "read record-level partner data")
    except SaferError as error:
        audit.record(engine, actor=name, action=FAILED, obj="partner feeds", ip="cli",
                     detail=f"refused: {error.what}")
        raise
