"""The audit log: every login, write and export, with who, when, from where and on what. Append-only."""

from __future__ import annotations

import csv
import io
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from safer_communities.csv_safety import safe_cell
from safer_communities.store.app_db import as_utc, session_scope, utcnow
from safer_communities.web.models import AuditEntry

COLUMNS = ["id", "at", "actor", "action", "object", "ip", "detail"]


def record(engine: Engine, *, actor: str, action: str, obj: str = "", ip: str = "", detail: str | None = None,
           at: datetime | None = None) -> None:
    """Append one entry (its own transaction, so it is kept even when the action it records fails)."""
    with session_scope(engine) as session:
        session.add(AuditEntry(at=at or utcnow(), actor=actor[:200], action=action[:60], object=obj[:300],
                               ip=(ip or "-")[:64], detail=detail))


def entries(engine: Engine, *, limit: int | None = 500, action: str | None = None) -> list[dict[str, object]]:
    """Newest first."""
    query = sa.select(AuditEntry).order_by(AuditEntry.id.desc())
    if action:
        query = query.where(AuditEntry.action == action)
    if limit:
        query = query.limit(limit)
    with session_scope(engine) as session:
        return [{"id": e.id, "at": as_utc(e.at).isoformat(timespec="seconds"), "actor": e.actor,
                 "action": e.action, "object": e.object, "ip": e.ip, "detail": e.detail or ""}
                for e in session.scalars(query)]


def to_csv(rows: list[dict[str, object]]) -> str:
    out = io.StringIO()
    # Every text cell quoted: a carriage return inside a field must not end the record for a reader.
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n", quoting=csv.QUOTE_NONNUMERIC)
    writer.writeheader()
    for row in rows:
        # A leading =, +, -, @, tab or CR would run as a formula in a spreadsheet (CSV injection).
        writer.writerow({k: safe_cell(v) for k, v in row.items()})
    return out.getvalue()
