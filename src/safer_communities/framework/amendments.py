"""Amendments: proposed (who, what, why), approved or rejected by an approver, published as versions.

A change is one of: ``add`` a whole entry, ``update`` an entry with a merge patch (RFC 7396: a key set
to null removes an optional field; lists are replaced whole), or ``remove`` an entry. A proposal is
validated against the current register when made, and again when approved, so a published version is
always a valid register.
"""

from __future__ import annotations

import copy
import difflib
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from safer_communities.errors import ConflictError, InputError, NotFoundError, PermissionDeniedError
from safer_communities.framework import delegation, register
from safer_communities.framework.loader import FrameworkInvalidError, dump_kind, to_raw, validate
from safer_communities.framework.model import KINDS, SINGULAR, Framework
from safer_communities.framework.roles import EDITOR, require_role
from safer_communities.store.app_db import as_utc, session_scope, utcnow
from safer_communities.store.app_models import APPROVER, FrameworkAmendment

Op = Literal["add", "update", "remove"]


@dataclass(frozen=True)
class Change:
    """One change to one entry."""

    kind: str
    id: str
    op: Op
    data: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "id": self.id, "op": self.op, "data": self.data}

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> Change:
        return cls(raw["kind"], raw["id"], raw["op"], raw.get("data") or {})


@dataclass(frozen=True)
class AmendmentView:
    """An amendment with its diff, as ``safer framework history`` shows it."""

    id: int
    status: str
    proposed_by: str
    proposed_at: datetime
    reason: str
    changes: list[Change]
    base_version: int
    decided_by: str | None
    decided_at: datetime | None
    decision_note: str | None
    authority: str | None
    consulted: str | None
    published_version: int | None
    diff: str
    route: delegation.Route | None = None
    consulted_on: date | None = None
    consultation_outcome: str | None = None
    cabinet_reference: str | None = None
    cabinet_date: date | None = None

    def to_dict(self) -> dict[str, Any]:
        out = {k: getattr(self, k) for k in ("id", "status", "proposed_by", "reason", "base_version",
                                              "decided_by", "decision_note", "authority", "consulted",
                                              "consultation_outcome", "cabinet_reference",
                                              "published_version", "diff")}
        out["route"] = self.route.to_dict() if self.route else None
        out["consulted_on"] = self.consulted_on.isoformat() if self.consulted_on else None
        out["cabinet_date"] = self.cabinet_date.isoformat() if self.cabinet_date else None
        out["proposed_at"] = self.proposed_at.isoformat()
        out["decided_at"] = self.decided_at.isoformat() if self.decided_at else None
        out["changes"] = [c.to_dict() for c in self.changes]
        return out


def normalise_kind(kind: str) -> str:
    """Accept 'issue' or 'issues'; anything else is refused with the list of kinds."""
    kind = kind.strip().lower()
    if kind in KINDS:
        return kind
    if kind in SINGULAR:
        return SINGULAR[kind]
    raise InputError(f"Unknown kind of entry '{kind}'.", found=kind,
                     hint=f"Use one of: {', '.join(SINGULAR)}.")


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7396 JSON merge patch."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = copy.deepcopy(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def apply_changes(framework: Framework, changes: list[Change], label: str = "amendment") -> Framework:
    """The register with ``changes`` applied, validated as a whole (refused with every problem)."""
    raw = to_raw(framework)
    for change in changes:
        kind = normalise_kind(change.kind)
        entries = raw[kind]
        where = next((i for i, e in enumerate(entries) if e["id"] == change.id), None)
        if change.op == "add":
            if where is not None:
                raise InputError(f"The {kind} entry '{change.id}' already exists, so it cannot be added.",
                                 found=change.id, hint="Propose an update to it instead.")
            entries.append({"id": change.id, **{k: v for k, v in change.data.items() if k != "id"}})
        elif where is None:
            raise NotFoundError(f"There is no {kind} entry '{change.id}' to {change.op}.", found=change.id,
                                hint="See the ids with 'safer framework export --format yaml'; to create "
                                     "a new entry, propose it with --add.")
        elif change.op == "remove":
            del entries[where]
        else:
            if "id" in change.data and change.data["id"] != change.id:
                raise InputError("An update cannot change an entry's id.", found=str(change.data["id"]),
                                 hint="Remove the entry and add a new one instead.")
            entries[where] = merge_patch(entries[where], change.data)
    return validate(raw, {kind: f"{label} ({kind})" for kind in KINDS})


def yaml_diff(before: Framework, after: Framework, label_before: str, label_after: str) -> str:
    """A unified diff of the canonical YAML, file by file, of what changed."""
    parts = []
    for kind in KINDS:
        a, b = dump_kind(before, kind), dump_kind(after, kind)
        if a != b:
            parts.extend(difflib.unified_diff(a.splitlines(keepends=True), b.splitlines(keepends=True),
                                              f"{label_before}/{kind}.yaml", f"{label_after}/{kind}.yaml"))
    return "".join(parts)


def propose(engine: Engine, *, by: str, reason: str, changes: list[Change]) -> int:
    """Record a proposal by an editor after checking it would give a valid register; returns its id.

    The register's rules class it (delegated or Cabinet) and the rule behind each change is kept with
    it, so the proposal shows from the start who can decide it.
    """
    if not reason.strip():
        raise InputError("An amendment needs a reason.", found="an empty reason",
                         hint="Say why the change is needed (--why '...'); it is published with it.")
    if not by.strip():
        raise InputError("An amendment needs the user account of who proposes it.", found="an empty name",
                         hint="Pass --as USER (a user with the editor role).")
    if not changes:
        raise InputError("The amendment changes nothing.", found="no changes",
                         hint="Pass --set FIELD=VALUE, --patch FILE, --add FILE or --remove.")
    with session_scope(engine) as session:
        proposer = require_role(session, by, EDITOR, "propose framework amendments")
        base, current = register.read_version_in(session)
        after = apply_changes(current, changes)
        if after == current:
            raise InputError("The amendment changes nothing in the current register.",
                             found=f"version {base} already says this", hint="Check the values given.")
        route = delegation.classify(current, changes)
        row = FrameworkAmendment(proposed_by=proposer, proposed_at=utcnow(),
                                 reason=reason.strip(), changes=[c.to_dict() for c in changes],
                                 base_version=base, status="proposed", route=route.decision,
                                 route_rules=[c.to_dict() for c in route.classed])
        session.add(row)
        session.flush()
        return row.id


@dataclass(frozen=True)
class Consultation:
    """The consultation the delegation requires, as the approver enters it (never pre-filled)."""

    who: str
    on: date
    outcome: str


@dataclass(frozen=True)
class CabinetDecision:
    """The Cabinet decision that approved an amendment the delegation does not cover."""

    reference: str
    on: date


def _pending(session: Any, amendment_id: int) -> FrameworkAmendment:
    row = session.get(FrameworkAmendment, amendment_id)
    if row is None:
        raise NotFoundError(f"There is no amendment {amendment_id}.", found=str(amendment_id),
                            hint="List amendments with 'safer framework history'.")
    if row.status != "proposed":
        raise ConflictError(f"Amendment {amendment_id} has already been {row.status}.",
                            found=f"{row.status} by {row.decided_by} on {as_utc(row.decided_at):%Y-%m-%d}"
                            if row.decided_at else row.status,
                            hint="Propose a new amendment to change it again.")
    return row


def _not_own(row: FrameworkAmendment, decider: str, verb: str) -> None:
    """Separation of duties: whoever proposed an amendment never decides it."""
    if row.proposed_by == decider:
        raise PermissionDeniedError(
            f"{decider} proposed amendment {row.id}, so cannot {verb} it.",
            found=f"proposed by {row.proposed_by} on {as_utc(row.proposed_at):%Y-%m-%d}",
            hint="Separation of duties: another approver decides it (list them with "
                 "'safer framework approvers').")


def _check_consultation(consultation: Consultation, row: FrameworkAmendment, today: date) -> Consultation:
    who, outcome = " ".join(consultation.who.split()), consultation.outcome.strip()
    if not who or not outcome:
        raise InputError("The consultation needs who was consulted and its outcome.",
                         found=f"who={who!r}, outcome={outcome!r}",
                         hint="Enter the Cabinet Member consulted, the date and what they said.")
    proposed = as_utc(row.proposed_at).date()
    if consultation.on > today or consultation.on < proposed:
        raise InputError("The consultation date must fall between the proposal and today.",
                         found=f"{consultation.on:%d %B %Y} (proposed {proposed:%d %B %Y}, today "
                               f"{today:%d %B %Y})",
                         hint="Enter the date the Cabinet Member was consulted on this amendment.")
    return Consultation(who, consultation.on, outcome)


def _decision_error(exc: Exception, amendment_id: int) -> ConflictError:
    return ConflictError(f"Another decision on the register was made at the same moment; amendment "
                         f"{amendment_id} was not changed.", found=type(exc).__name__,
                         hint="Reload the amendments and decide again if it is still proposed.")


def approve(engine: Engine, amendment_id: int, *, by: str, consultation: Consultation | None = None,
            cabinet: CabinetDecision | None = None, note: str | None = None,
            today: date | None = None) -> int:
    """Approve and publish the next version; returns the version number.

    A minor amendment (by the register's rules) is approved under the delegation with the consultation
    the approver enters; any other needs the Cabinet decision. The proposer can never approve it. The
    decision is serialised (``register.lock_for_publishing``), the version published is the one after
    the version the new register was built from, and the status changes only from 'proposed': two
    approvals at once publish one version, and the second is refused.
    """
    today = today or date.today()
    try:
        with session_scope(engine) as session:
            register.lock_for_publishing(session)
            approver = require_role(session, by, APPROVER, "approve framework amendments")
            row = _pending(session, amendment_id)
            _not_own(row, approver, "approve")
            base, current = register.read_version_in(session)
            changes = [Change.from_dict(c) for c in row.changes]
            route = delegation.classify(current, changes)
            if cabinet is not None:
                if not cabinet.reference.strip() or cabinet.on > today:
                    raise InputError("A Cabinet decision needs its reference and a date not in the future.",
                                     found=f"{cabinet.reference!r} on {cabinet.on:%d %B %Y}",
                                     hint="e.g. --cabinet-decision 'Cabinet 12 March 2026, minute 7' "
                                          "--cabinet-date 2026-03-12.")
                authority = f"Cabinet decision: {cabinet.reference.strip()} ({cabinet.on:%d %B %Y})."
            elif route.decision == "cabinet":
                raise PermissionDeniedError(
                    f"Amendment {amendment_id} is not a minor amendment, so it cannot be approved under "
                    "the delegation.", found=route.reason,
                    hint="Cabinet decides it: once Cabinet has, record its decision (--cabinet-decision "
                         "REFERENCE --cabinet-date DATE).")
            elif consultation is None:
                raise InputError(
                    "The delegation requires consultation with the Cabinet Member, entered by the "
                    "approver.", found="no consultation entered",
                    hint="Enter who was consulted, when and the outcome (--consulted NAME --consulted-on "
                         "DATE --outcome TEXT).")
            else:
                authority = register.CABINET_RULE
            checked = _check_consultation(consultation, row, today) if consultation else None
            try:
                after = apply_changes(current, changes, label=f"amendment {amendment_id}")
            except FrameworkInvalidError as exc:
                raise FrameworkInvalidError(exc.problems, hint=(
                    f"Amendment {amendment_id} no longer fits the current register (it was proposed "
                    f"against version {row.base_version}); reject it and propose it again.")) from exc
            number = register.publish(session, after, by=approver, amendment_id=amendment_id,
                                      note=f"Amendment {amendment_id}: {row.reason}", number=base + 1)
            done = session.execute(
                sa.update(FrameworkAmendment)
                .where(FrameworkAmendment.id == amendment_id, FrameworkAmendment.status == "proposed")
                .values(status="approved", decided_by=approver, decided_at=utcnow(), decision_note=note,
                        authority=authority, published_version=number, route=route.decision,
                        route_rules=[c.to_dict() for c in route.classed],
                        consulted=checked.who if checked else None,
                        consulted_on=checked.on if checked else None,
                        consultation_outcome=checked.outcome if checked else None,
                        cabinet_reference=cabinet.reference.strip() if cabinet else None,
                        cabinet_date=cabinet.on if cabinet else None)
                .execution_options(synchronize_session=False))
            if done.rowcount != 1:
                raise ConflictError(f"Amendment {amendment_id} was decided by someone else meanwhile.",
                                    found="its status is no longer 'proposed'",
                                    hint="Reload the amendments to see the decision.")
            return number
    except (sa.exc.IntegrityError, sa.exc.OperationalError) as exc:
        if isinstance(exc, sa.exc.OperationalError) and "locked" not in str(exc):
            raise
        raise _decision_error(exc, amendment_id) from exc


def reject(engine: Engine, amendment_id: int, *, by: str, note: str) -> None:
    """Reject a proposal; it is kept, with the reason, and never reaches a published version."""
    if not note.strip():
        raise InputError("A rejection needs a reason.", found="an empty --why",
                         hint="Say why, so the proposer can respond.")
    try:
        with session_scope(engine) as session:
            register.lock_for_publishing(session)
            approver = require_role(session, by, APPROVER, "reject framework amendments")
            row = _pending(session, amendment_id)
            _not_own(row, approver, "reject")
            done = session.execute(
                sa.update(FrameworkAmendment)
                .where(FrameworkAmendment.id == amendment_id, FrameworkAmendment.status == "proposed")
                .values(status="rejected", decided_by=approver, decided_at=utcnow(),
                        decision_note=note.strip())
                .execution_options(synchronize_session=False))
            if done.rowcount != 1:
                raise ConflictError(f"Amendment {amendment_id} was decided by someone else meanwhile.",
                                    found="its status is no longer 'proposed'",
                                    hint="Reload the amendments to see the decision.")
    except (sa.exc.IntegrityError, sa.exc.OperationalError) as exc:
        if isinstance(exc, sa.exc.OperationalError) and "locked" not in str(exc):
            raise
        raise _decision_error(exc, amendment_id) from exc


def history(engine: Engine) -> list[AmendmentView]:
    """Every amendment, oldest first, each with its diff.

    Approved: the diff between the version before and the version it published (exact). Proposed or
    rejected: the diff it would make to the version it was proposed against.
    """
    views = []
    with session_scope(engine) as session:
        rows = session.scalars(sa.select(FrameworkAmendment).order_by(FrameworkAmendment.id)).all()
        cache: dict[int, Framework] = {}

        def version(n: int) -> Framework:
            if n not in cache:
                cache[n] = register.read_version_in(session, n)[1]
            return cache[n]

        for row in rows:
            changes = [Change.from_dict(c) for c in row.changes]
            route = _route_of(row, changes, version)
            if row.status == "approved" and row.published_version:
                diff = yaml_diff(version(row.published_version - 1), version(row.published_version),
                                 f"v{row.published_version - 1}", f"v{row.published_version}")
            else:
                try:
                    after = apply_changes(version(row.base_version), changes)
                    diff = yaml_diff(version(row.base_version), after, f"v{row.base_version}",
                                     f"amendment-{row.id}")
                except (InputError, NotFoundError) as exc:
                    diff = f"(cannot be applied to version {row.base_version}: {exc.what})\n"
            views.append(AmendmentView(
                row.id, row.status, row.proposed_by, as_utc(row.proposed_at), row.reason, changes,
                row.base_version, row.decided_by, as_utc(row.decided_at) if row.decided_at else None,
                row.decision_note, row.authority, row.consulted, row.published_version, diff, route,
                row.consulted_on, row.consultation_outcome, row.cabinet_reference, row.cabinet_date))
    return views


def _route_of(row: FrameworkAmendment, changes: list[Change], version: Any) -> delegation.Route | None:
    """The route recorded with the amendment; one proposed before routes were recorded is classed now,
    by the rules of the version it was proposed against."""
    if row.route_rules:
        return delegation.Route(row.route, [delegation.Classed(**c) for c in row.route_rules])
    if row.status != "proposed":
        return None
    try:
        return delegation.classify(version(row.base_version), changes)
    except (InputError, NotFoundError):
        return None


def diff_changes(before: Framework, after: Framework) -> list[Change]:
    """The changes that turn ``before`` into ``after`` (a whole-file load becomes one amendment)."""
    changes: list[Change] = []
    raw_before, raw_after = to_raw(before), to_raw(after)
    for kind in KINDS:
        old = {e["id"]: e for e in raw_before[kind]}
        new = {e["id"]: e for e in raw_after[kind]}
        for entry_id, data in new.items():
            if entry_id not in old:
                changes.append(Change(kind, entry_id, "add", register._jsonable(data)))
            elif old[entry_id] != data:
                patch = {k: None for k in old[entry_id] if k not in data}
                patch.update({k: v for k, v in data.items() if old[entry_id].get(k) != v})
                changes.append(Change(kind, entry_id, "update", register._jsonable(patch)))
        changes.extend(Change(kind, entry_id, "remove") for entry_id in old if entry_id not in new)
    return changes


@dataclass(frozen=True)
class LoadOutcome:
    """What ``safer framework load`` did: published the first version, proposed an amendment, or nothing."""

    published_version: int | None = None
    amendment_id: int | None = None
    changes: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {"published_version": self.published_version, "amendment_id": self.amendment_id,
                "changes": self.changes}


def load(engine: Engine, framework: Framework, *, by: str, origin: str) -> LoadOutcome:
    """Seed an empty register (version 1), or propose the differences as one amendment.

    Only approved changes reach a published version, so loading over a published register never
    publishes by itself.
    """
    with session_scope(engine) as session:
        if register.latest_number(session) is None:
            number = register.publish(session, framework, by=by,
                                      note=f"First version, loaded from {origin}")
            return LoadOutcome(published_version=number,
                               changes=sum(len(framework.entries(k)) for k in KINDS))
        _, current = register.read_version_in(session)
    changes = diff_changes(current, framework)
    if not changes:
        return LoadOutcome()
    amendment_id = propose(engine, by=by, reason=f"Load of {origin}: {len(changes)} change(s)",
                           changes=changes)
    return LoadOutcome(amendment_id=amendment_id, changes=len(changes))
