"""The register in the application database: published versions, each a full snapshot.

Storing every version's entries (rather than diffs) makes "reproduce version N exactly" a plain read,
and the register is small (hundreds of entries), so the cost is negligible.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from safer_communities.errors import NoDataError, NotFoundError
from safer_communities.framework.loader import entry_data, validate
from safer_communities.framework.model import KINDS, Framework
from safer_communities.store.app_db import as_utc, session_scope, utcnow
from safer_communities.store.app_models import FrameworkEntry, FrameworkVersion

# The Cabinet report's rule, recorded on every approval (Cabinet, 16 January 2025, recommendation ii).
CABINET_RULE = (
    "Cabinet, 16 January 2025, recommendation (ii): the Director of Public Health, Wellbeing and "
    "Communities, in consultation with the Cabinet Member for Community and Cultural Services, is "
    "authorised to make future minor amendments to the framework."
)
DEFAULT_CONSULTEE = "Cabinet Member for Community and Cultural Services"


@dataclass(frozen=True)
class VersionInfo:
    """A published version, as listed by ``safer framework versions``."""

    number: int
    published_at: datetime
    published_by: str
    note: str
    amendment_id: int | None
    entries: int

    def to_dict(self) -> dict[str, object]:
        return {"number": self.number, "published_at": self.published_at.isoformat(),
                "published_by": self.published_by, "note": self.note,
                "amendment_id": self.amendment_id, "entries": self.entries}


def latest_number(session: Session) -> int | None:
    return session.scalar(sa.select(sa.func.max(FrameworkVersion.number)))


def lock_for_publishing(session: Session) -> None:
    """Serialise decisions on the register: the first statement of a transaction that decides.

    SQLite: ``BEGIN IMMEDIATE`` takes the write lock before anything is read, so a second decision
    waits (busy timeout) and then reads the first one's result. PostgreSQL: a transaction-scoped
    advisory lock does the same under READ COMMITTED. Either way the version number, the status check
    and the register read all see the same state.
    """
    connection = session.connection()
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    elif connection.dialect.name == "postgresql":
        connection.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": PUBLISH_LOCK})


PUBLISH_LOCK = 14_062_025  # one constant every worker shares: "the framework register"


def publish(session: Session, framework: Framework, *, by: str, note: str,
            amendment_id: int | None = None, number: int | None = None) -> int:
    """Store ``framework`` as version ``number`` (default: the next); returns the number.

    A caller that built ``framework`` from version N passes ``number=N + 1``: if another version N + 1
    was published meanwhile, the primary key refuses it instead of publishing a register that lost a
    change.
    """
    number = (latest_number(session) or 0) + 1 if number is None else number
    session.add(FrameworkVersion(number=number, published_at=utcnow(), published_by=by, note=note,
                                 amendment_id=amendment_id))
    session.flush()
    for kind in KINDS:
        for position, entry in enumerate(framework.entries(kind)):
            session.add(FrameworkEntry(version=number, kind=kind, entry_id=entry.id, position=position,
                                       data=_jsonable(entry_data(entry))))
    session.flush()
    return number


def _jsonable(data: dict) -> dict:
    """Dates become ISO strings for the JSON column; the models parse them back."""
    import json

    return json.loads(json.dumps(data, default=lambda v: v.isoformat()))


def read_version_in(session: Session, number: int | None = None) -> tuple[int, Framework]:
    """The register as published in version ``number`` (the latest when None)."""
    latest = latest_number(session)
    if latest is None:
        raise NoDataError(
            "The framework register is empty: no version has been published yet.",
            found="no rows in framework_versions",
            hint="Load the shipped register with 'safer framework load' (or a folder of YAML files).",
        )
    number = latest if number is None else number
    if session.get(FrameworkVersion, number) is None:
        raise NotFoundError(f"Framework version {number} does not exist.",
                            found=f"published versions are 1 to {latest}",
                            hint="List them with 'safer framework versions'.")
    rows = session.scalars(sa.select(FrameworkEntry).where(FrameworkEntry.version == number)
                           .order_by(FrameworkEntry.kind, FrameworkEntry.position)).all()
    raw: dict[str, list[dict]] = {kind: [] for kind in KINDS}
    for row in rows:
        raw[row.kind].append(row.data)
    return number, validate(raw, {kind: f"version {number} {kind}" for kind in KINDS})


def read_version(engine: Engine, number: int | None = None) -> tuple[int, Framework]:
    with session_scope(engine) as session:
        return read_version_in(session, number)


def list_versions(engine: Engine) -> list[VersionInfo]:
    with session_scope(engine) as session:
        counts = dict(session.execute(sa.select(FrameworkEntry.version, sa.func.count())
                                      .group_by(FrameworkEntry.version)).all())
        return [VersionInfo(v.number, as_utc(v.published_at), v.published_by, v.note, v.amendment_id,
                            counts.get(v.number, 0))
                for v in session.scalars(sa.select(FrameworkVersion).order_by(FrameworkVersion.number))]
