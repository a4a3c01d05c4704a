"""The case review register: add and update reviews, their deadlines, recommendations as strategy actions,
and the yearly ASB case review figures the 2014 Act requires, through disclosure control.

No personal data: a review is a case reference (checked to look like one, never a name) and an area
code, with dates and a decision. Editors and approvers keep it up to date; every signed-in user reads it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from safer_communities.config import Settings
from safer_communities.errors import InputError, NotFoundError, PermissionDeniedError
from safer_communities.framework import roles
from safer_communities.framework.compliance import CaseClocks
from safer_communities.reviews.clocks import Deadline, deadlines
from safer_communities.store.app_db import session_scope, utcnow
from safer_communities.store.app_models_governance import CaseReview, CaseReviewRecommendation

KINDS = {"dardr": "Domestic abuse related death review", "owhr": "Offensive weapons homicide review",
         "asb": "ASB case review (community trigger)"}
DUTIES = {"dardr": "domestic-homicide-reviews", "owhr": "offensive-weapons-homicide-reviews",
          "asb": "asb-case-review"}
DECISIONS = {"dardr": ("review", "no-review"), "owhr": ("review", "no-review"),
             "asb": ("threshold-met", "threshold-not-met")}
# The process's dates in order; each must fall on or after the one before it that is recorded.
DATE_FIELDS = ("notified_on", "decided_on", "panel_on", "draft_on", "qa_submitted_on", "published_on")
LABELS = {
    "dardr": {"notified_on": "notified to the partnership", "decided_on": "decision", "panel_on":
              "first panel", "draft_on": "draft report", "qa_submitted_on": "submitted for Home Office "
              "quality assurance", "published_on": "published"},
    "owhr": {"notified_on": "notified to the review partners", "decided_on": "decision", "panel_on":
             "first panel", "draft_on": "draft report", "qa_submitted_on": "sent to the Home Office",
             "published_on": "published"},
    "asb": {"notified_on": "application received", "decided_on": "threshold decision", "panel_on":
            "review held", "draft_on": "draft response", "qa_submitted_on": "(not used)",
            "published_on": "outcome sent to the applicant"},
}
REFERENCE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{2,49}$")
AREA = re.compile(r"^E0[6-9]\d{6}$|^E1[01]\d{6}$")
EDITORS = ("editor", "approver")
# Steps that commit the partnership: only an approver records them, and the record keeps who did (the
# sign-off). Editors record the process in between (panel, draft, submission for quality assurance).
SIGN_OFFS = {"decision": "decision_signed_by", "decided_on": "decision_signed_by",
             "published_on": "published_signed_by", "closed_on": "closed_signed_by"}
SIGN_OFF_NAMES = {"decision_signed_by": "decision", "published_signed_by": "publication",
                  "closed_signed_by": "closing"}


@dataclass
class ReviewView:
    """A review with its deadlines on one day."""

    id: int
    kind: str
    reference: str
    area_code: str
    dates: dict[str, date | None]
    decision: str | None
    recommendations_made: bool | None
    closed_on: date | None
    updated_by: str
    deadlines: list[Deadline]
    recommendations: list[dict[str, Any]] = field(default_factory=list)
    signed_off: dict[str, str | None] = field(default_factory=dict)

    @property
    def overdue(self) -> list[Deadline]:
        return [d for d in self.deadlines if d.state == "overdue"]

    @property
    def due_soon(self) -> list[Deadline]:
        return [d for d in self.deadlines if d.state == "due-soon"]

    @property
    def is_open(self) -> bool:
        return self.closed_on is None and self.dates.get("published_on") is None

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "kind": self.kind, "kind_name": KINDS[self.kind], "reference": self.reference,
                "area_code": self.area_code, "decision": self.decision,
                "recommendations_made": self.recommendations_made,
                "closed_on": self.closed_on.isoformat() if self.closed_on else None,
                "dates": {k: v.isoformat() if v else None for k, v in self.dates.items()},
                "open": self.is_open, "overdue": len(self.overdue), "due_soon": len(self.due_soon),
                "deadlines": [d.to_dict() for d in self.deadlines],
                "recommendations": self.recommendations, "signed_off": self.signed_off}


def _writer(session: Any, by: str, action: str, needed: tuple[str, ...] = EDITORS) -> Any:
    user = roles.get_user(session, by) if by.strip() else None
    if user is None or not set(needed) & user.role_names:
        role = "editor or approver role" if needed == EDITORS else "approver role"
        raise PermissionDeniedError(f"{' '.join(by.split()) or 'Nobody'} cannot {action}: it needs the "
                                    f"{role}.", found=f"roles: "
                                    f"{', '.join(sorted(user.role_names)) if user else 'no such user'}",
                                    hint=f"Ask an admin for the {needed[-1]} role ('safer users set-role')"
                                    + ("; an approver signs off decisions, publication and closing."
                                       if needed != EDITORS else "."))
    return user


def _editor(session: Any, by: str, action: str) -> str:
    return _writer(session, by, action).name


def _check(kind: str, reference: str, area_code: str, values: dict[str, Any], today: date) -> None:
    if kind not in KINDS:
        raise InputError(f"Unknown kind of review '{kind}'.", found=kind,
                         hint=f"Use one of: {', '.join(KINDS)}.")
    if not REFERENCE.match(reference):
        raise InputError("A case review is registered by its case reference only.", found=repr(reference),
                         hint="Use the partnership's reference, e.g. DARDR-2026-01 (letters, digits, - and "
                              "_; no spaces): never a name or anything that identifies a person.")
    if not AREA.match(area_code):
        raise InputError("The area must be a GSS code of a district, unitary or county.", found=area_code,
                         hint="e.g. E07000117 (Burnley) or E10000017 (Lancashire).")
    decision = values.get("decision")
    if decision is not None and decision not in DECISIONS[kind]:
        raise InputError(f"A {KINDS[kind]} decision is one of: {', '.join(DECISIONS[kind])}.",
                         found=decision, hint="Record the decision with its date (--decided-on).")
    if decision is not None and values.get("decided_on") is None:
        raise InputError("A decision needs its date.", found=f"decision {decision}, no date",
                         hint="Pass --decided-on YYYY-MM-DD.")
    previous: tuple[str, date] | None = None
    for name in DATE_FIELDS:
        value = values.get(name)
        if value is None:
            continue
        if value > today:
            raise InputError(f"The {LABELS[kind][name]} date is in the future.", found=value.isoformat(),
                             hint="Record dates when they have happened.")
        if previous and value < previous[1]:
            raise InputError(f"The {LABELS[kind][name]} date is before the {LABELS[kind][previous[0]]} date.",
                             found=f"{value.isoformat()} < {previous[1].isoformat()}",
                             hint="Check the dates: each step follows the one before.")
        previous = (name, value)


def add(engine: Engine, *, kind: str, reference: str, area_code: str, notified_on: date, by: str,
        today: date | None = None) -> int:
    """Register a new review (an editor or approver); returns its id."""
    today = today or date.today()
    reference = reference.strip()
    _check(kind, reference, area_code, {"notified_on": notified_on}, today)
    with session_scope(engine) as session:
        who = _editor(session, by, "register case reviews")
        if session.scalar(sa.select(CaseReview.id).where(CaseReview.reference == reference)) is not None:
            raise InputError(f"A review with reference {reference} is already registered.", found=reference,
                             hint="Update it with 'safer reviews update', or use a new reference.")
        row = CaseReview(kind=kind, reference=reference, area_code=area_code, notified_on=notified_on,
                         created_by=who, updated_by=who, created_at=utcnow(), updated_at=utcnow())
        session.add(row)
        session.flush()
        return row.id


UPDATABLE = (*DATE_FIELDS[1:], "decision", "recommendations_made", "closed_on", "area_code")


def update(engine: Engine, reference: str, *, by: str, today: date | None = None,
           **changes: Any) -> dict[str, tuple[Any, Any]]:
    """Set the given fields (None leaves a field as it is); returns what changed, before and after."""
    today = today or date.today()
    unknown = set(changes) - set(UPDATABLE)
    if unknown:
        raise InputError("Those fields cannot be updated.", found=", ".join(sorted(unknown)),
                         hint=f"Update any of: {', '.join(UPDATABLE)}.")
    with session_scope(engine) as session:
        user = _writer(session, by, "update case reviews")
        row = _get(session, reference)
        given = {k: v for k, v in changes.items() if v is not None}
        merged = {name: getattr(row, name) for name in (*DATE_FIELDS, "decision")} | given
        _check(row.kind, row.reference, given.get("area_code", row.area_code), merged, today)
        if given.get("closed_on") is not None and given["closed_on"] > today:
            raise InputError("The closing date is in the future.", found=given["closed_on"].isoformat())
        done = {k: (getattr(row, k), v) for k, v in given.items() if getattr(row, k) != v}
        signed = sorted({SIGN_OFFS[k] for k in done if k in SIGN_OFFS})
        if signed:
            steps = " and ".join(SIGN_OFF_NAMES[s] for s in signed)
            _writer(session, by, f"sign off the {steps} of {row.reference}", ("approver",))
        for key, (_, value) in done.items():
            setattr(row, key, value)
        for column in signed:
            setattr(row, column, user.name)
        if done:
            row.updated_by, row.updated_at = user.name, utcnow()
        return done


def _get(session: Any, reference: str) -> CaseReview:
    row = session.scalar(sa.select(CaseReview).where(CaseReview.reference == reference.strip()))
    if row is None:
        raise NotFoundError(f"There is no case review {reference}.", found=reference,
                            hint="List them with 'safer reviews list'.")
    return row


def _view(session: Any, row: CaseReview, today: date, amber_days: int) -> ReviewView:
    from safer_communities.strategy import models as sm

    recs = []
    for rec in session.scalars(sa.select(CaseReviewRecommendation)
                               .where(CaseReviewRecommendation.review_id == row.id)
                               .order_by(CaseReviewRecommendation.id)):
        action = session.scalars(sa.select(sm.Action).join(sm.Objective).where(
            sm.Objective.strategy_id == rec.strategy_id, sm.Action.action_id == rec.action_id)).one_or_none()
        recs.append({"strategy_id": rec.strategy_id, "action_id": rec.action_id,
                     "title": action.title if action else None,
                     "owner": f"{action.owner_kind}/{action.owner_id}"
                     if action and action.owner_id else None,
                     "due": action.due_on.isoformat() if action else None,
                     "status": action.status if action else "missing: the strategy was reloaded without it"})
    return ReviewView(row.id, row.kind, row.reference, row.area_code,
                      {name: getattr(row, name) for name in DATE_FIELDS}, row.decision,
                      row.recommendations_made, row.closed_on, row.updated_by,
                      deadlines(row, today, amber_days=amber_days), recs,
                      {name: getattr(row, column) for column, name in SIGN_OFF_NAMES.items()})


def get(engine: Engine, reference: str, *, today: date | None = None, amber_days: int = 60) -> ReviewView:
    with session_scope(engine) as session:
        return _view(session, _get(session, reference), today or date.today(), amber_days)


def list_reviews(engine: Engine, *, today: date | None = None, amber_days: int = 60,
                 kind: str | None = None) -> list[ReviewView]:
    """Every review (newest notification first), each with its deadlines on ``today``."""
    today = today or date.today()
    query = sa.select(CaseReview).order_by(CaseReview.notified_on.desc(), CaseReview.id.desc())
    if kind:
        if kind not in KINDS:
            raise InputError(f"Unknown kind of review '{kind}'.", found=kind,
                             hint=f"Use one of: {', '.join(KINDS)}.")
        query = query.where(CaseReview.kind == kind)
    with session_scope(engine) as session:
        return [_view(session, row, today, amber_days) for row in session.scalars(query)]


def case_clocks(engine: Engine, *, today: date, amber_days: int) -> dict[str, CaseClocks]:
    """For compliance: per duty id, how many open reviews are overdue or due soon."""
    out: dict[str, CaseClocks] = {}
    views = [v for v in list_reviews(engine, today=today, amber_days=amber_days) if v.is_open]
    for kind, duty in DUTIES.items():
        mine = [v for v in views if v.kind == kind]
        if mine:
            out[duty] = CaseClocks(overdue=sum(bool(v.overdue) for v in mine),
                                   due_soon=sum(bool(v.due_soon) and not v.overdue for v in mine),
                                   open=len(mine))
    return out


def recommend(engine: Engine, reference: str, *, by: str, title: str, strategy_id: str, objective_id: str,
              owner_kind: str, owner_id: str, due_on: date, today: date | None = None) -> str:
    """Track a recommendation of the review as a new action of a strategy objective; returns its id."""
    from safer_communities.framework import register
    from safer_communities.strategy import models as sm

    today = today or date.today()
    if not title.strip():
        raise InputError("A recommendation needs its title.", found="an empty title",
                         hint="Say what is to be done (no names).")
    if owner_kind not in ("services", "partners"):
        raise InputError("The owner is a register service or partner.", found=owner_kind,
                         hint="Pass --owner-kind services or partners and --owner ID.")
    if due_on < today:
        raise InputError("The due date has passed.", found=due_on.isoformat(), hint="Give a date from today.")
    with session_scope(engine) as session:
        who = _editor(session, by, "track case review recommendations")
        row = _get(session, reference)
        _, framework = register.read_version_in(session)
        if framework.get(owner_kind, owner_id) is None:
            raise NotFoundError(f"There is no {owner_kind[:-1]} '{owner_id}' in the register.",
                                found=owner_id,
                                hint="Owners are register ids, e.g. community-safety.")
        objective = session.scalar(sa.select(sm.Objective).where(sm.Objective.strategy_id == strategy_id,
                                                                 sm.Objective.objective_id == objective_id))
        if objective is None:
            raise NotFoundError("There is no such strategy objective.",
                                found=f"{strategy_id} / {objective_id}",
                                hint="See 'safer strategy status' for strategy and objective ids.")
        n = session.scalar(sa.select(sa.func.count()).select_from(CaseReviewRecommendation)
                           .where(CaseReviewRecommendation.review_id == row.id)) + 1
        action_id = f"review-{re.sub(r'[^a-z0-9]+', '-', row.reference.lower()).strip('-')}-{n}"
        session.add(sm.Action(objective_pk=objective.pk, action_id=action_id, position=len(objective.actions),
                              title=f"{title.strip()} (recommendation of {row.reference})",
                              owner_kind=owner_kind, owner_id=owner_id, start_on=today, due_on=due_on,
                              status="not-started", activities=[]))
        session.add(CaseReviewRecommendation(review_id=row.id, strategy_id=strategy_id, action_id=action_id,
                                             created_by=who, created_at=utcnow()))
        if row.recommendations_made is None:
            row.recommendations_made = True
        return action_id


def recommendation_choices(engine: Engine) -> dict[str, list[dict[str, str]]]:
    """What a recommendation can be filed under: the strategy objectives (with the issues of the review's
    kind first in mind) and the register's services and partners as owners, for the web form."""
    from safer_communities.errors import NoDataError
    from safer_communities.framework import register
    from safer_communities.strategy import models as sm

    with session_scope(engine) as session:
        objectives = [{"value": f"{o.strategy_id}/{o.objective_id}", "label": f"{o.title} ({o.strategy_id})"}
                      for o in session.scalars(sa.select(sm.Objective)
                                               .order_by(sm.Objective.strategy_id, sm.Objective.position))]
        try:
            _, framework = register.read_version_in(session)
        except NoDataError:
            return {"objectives": objectives, "owners": []}
    owners = [{"value": f"{kind}/{e.id}", "label": e.name} for kind in ("services", "partners")
              for e in framework.entries(kind)]
    return {"objectives": objectives, "owners": owners}


ASB_COLUMNS = {"applications": "Applications for an ASB case review",
               "threshold_not_met": "Times the threshold for a review was not met",
               "reviews_held": "ASB case reviews carried out",
               "with_recommendations": "Reviews that resulted in recommendations"}


@dataclass(frozen=True)
class AsbFigures:
    """The yearly figures of ASB, Crime and Policing Act 2014 s104, per area and in total, protected."""

    year: str
    start: date
    end: date
    counts: pd.DataFrame
    published: pd.DataFrame
    notes: list[str]

    def to_dict(self) -> dict[str, Any]:
        rows = [{"area_code": key, **{c: self.published.loc[key, c] for c in ASB_COLUMNS}}
                for key in self.published.index]
        return {"year": self.year, "from": self.start.isoformat(), "to": self.end.isoformat(),
                "columns": ASB_COLUMNS, "rows": rows, "notes": self.notes}


def financial_year(label: str) -> tuple[date, date, str]:
    """'2025-26' or '2025' (the year it starts) -> 1 April 2025 .. 31 March 2026."""
    match = re.fullmatch(r"(\d{4})(?:-(\d{2}))?", label.strip())
    if not match or not 2000 <= int(match[1]) <= 2098 or (
            match[2] and int(match[2]) != (int(match[1]) + 1) % 100):
        raise InputError("A financial year is written 2025-26 (or 2025 for the year starting April 2025).",
                         found=label, hint="e.g. --year 2025-26")
    start = int(match[1])
    return date(start, 4, 1), date(start + 1, 3, 31), f"{start}-{(start + 1) % 100:02d}"


def asb_figures(engine: Engine, year: str, *, settings: Settings | None = None) -> AsbFigures:
    """Count the four figures for the financial year, by area, then suppress small counts.

    Applications count by the date received, threshold-not-met decisions by the decision date, reviews
    (and those with recommendations) by the date the review was held.
    """
    from safer_communities.publish.disclosure import TOTAL, suppress_table

    start, end, label = financial_year(year)
    within = lambda d: d is not None and start <= d <= end  # noqa: E731
    with session_scope(engine) as session:
        rows = session.scalars(sa.select(CaseReview).where(CaseReview.kind == "asb")).all()
        counts: dict[str, dict[str, int]] = {}
        for r in rows:
            c = counts.setdefault(r.area_code, dict.fromkeys(ASB_COLUMNS, 0))
            c["applications"] += within(r.notified_on)
            c["threshold_not_met"] += r.decision == "threshold-not-met" and within(r.decided_on)
            c["reviews_held"] += within(r.panel_on)
            c["with_recommendations"] += within(r.panel_on) and r.recommendations_made is True
    frame = pd.DataFrame.from_dict(counts, orient="index", columns=list(ASB_COLUMNS)).sort_index()
    frame = frame[frame.sum(axis=1) > 0]
    if frame.empty:
        raise NotFoundError(f"No ASB case review falls in {label}.", found=f"{start} to {end}",
                            hint="Register applications with 'safer reviews add --kind asb ...'.")
    frame.loc[TOTAL] = frame.sum()
    table = suppress_table(frame.astype(float), count_columns=list(ASB_COLUMNS), total_row=TOTAL,
                           settings=settings)
    return AsbFigures(label, start, end, frame.astype(int), table.published, table.notes)
