"""Governance checks on a stored strategy: review date, required consultation, actions overdue or unowned.

``today`` is always passed in (the CLI passes the date, tests inject one), so a check never depends on
when it happens to run.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from safer_communities.framework.model import Framework
from safer_communities.strategy import models as m
from safer_communities.strategy.schema import CLOSED_STATUSES, KIND_LABELS, REQUIRED_CONSULTEES


@dataclass(frozen=True)
class ActionView:
    """An action as the status and the report show it."""

    strategy_id: str
    objective_id: str
    action_id: str
    title: str
    owner: str | None
    owner_name: str | None
    start: date
    due: date
    status: str
    days_overdue: int

    def to_dict(self) -> dict[str, object]:
        return dict(self.__dict__)


def action_views(strategy: m.Strategy, today: date, framework: Framework | None = None) -> list[ActionView]:
    """Every action of the strategy, with how many days it is overdue (0 when not overdue)."""
    names: dict[str, str] = {}
    if framework is not None:
        names = {e.id: e.name for kind in ("services", "partners") for e in framework.entries(kind)}
    out = []
    for objective in strategy.objectives:
        for a in objective.actions:
            overdue = (today - a.due_on).days if a.due_on < today and a.status not in CLOSED_STATUSES else 0
            out.append(ActionView(strategy.id, objective.objective_id, a.action_id, a.title, a.owner_id,
                                  names.get(a.owner_id or "", a.owner_id), a.start_on, a.due_on, a.status,
                                  overdue))
    return out


def warnings(strategy: m.Strategy, today: date, framework: Framework | None = None) -> list[str]:
    """What a partnership officer must act on: review passed, consultation missing, owners gone."""
    out: list[str] = []
    label = KIND_LABELS.get(strategy.kind, strategy.kind)
    if strategy.next_review < today:
        out.append(f"Review date passed: the {label.lower()} was due for review on "
                   f"{strategy.next_review:%d %B %Y} ({(today - strategy.next_review).days} days ago).")
    if strategy.period_end < today:
        out.append(f"The strategy period ended on {strategy.period_end:%d %B %Y}: a new strategy is due.")
    consulted = {c.category for c in strategy.consultations}
    for category in REQUIRED_CONSULTEES.get(strategy.kind, ()):
        if category not in consulted:
            out.append(f"Required consultation not recorded: no consultation with a {category} authority "
                       f"(Serious Violence Duty, PCSC Act 2022 s8(4), for a {label.lower()}).")
    if framework is not None:
        owners = set(framework.index("services")) | set(framework.index("partners"))
        for objective in strategy.objectives:
            for a in objective.actions:
                if a.owner_id and a.owner_id not in owners:
                    out.append(f"Action {a.action_id}: owner {a.owner_id!r} is no longer in the register.")
    return out
