"""Update one strategy action in the application database: its status and, optionally, its due date.

Officers report progress between strategy reloads; the change is checked here (a known action, a
status the tracker understands, a due date not before the start) so the web form, the API and any
future command all apply the same rules. Who made the change and why is for the caller's audit log.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import get_args

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from safer_communities.errors import InputError, NotFoundError
from safer_communities.store.app_db import session_scope
from safer_communities.strategy import models as m
from safer_communities.strategy.schema import ActionStatus

STATUSES: tuple[str, ...] = get_args(ActionStatus)


@dataclass(frozen=True)
class ActionChange:
    """What an update changed: the values before and after."""

    strategy_id: str
    action_id: str
    title: str
    status_before: str
    status_after: str
    due_before: date
    due_after: date

    @property
    def changed(self) -> bool:
        return self.status_before != self.status_after or self.due_before != self.due_after

    def describe(self) -> str:
        """One line for the audit log, e.g. 'status in-progress -> complete; due 2022-09-30 -> 2022-12-31'."""
        parts = []
        if self.status_before != self.status_after:
            parts.append(f"status {self.status_before} -> {self.status_after}")
        if self.due_before != self.due_after:
            parts.append(f"due {self.due_before.isoformat()} -> {self.due_after.isoformat()}")
        return "; ".join(parts) or "no change"

    def to_dict(self) -> dict[str, object]:
        return {"strategy_id": self.strategy_id, "action_id": self.action_id, "title": self.title,
                "status_before": self.status_before, "status": self.status_after,
                "due_before": self.due_before.isoformat(), "due": self.due_after.isoformat(),
                "changed": self.changed}


def update_action(engine: Engine, strategy_id: str, action_id: str, *, status: str,
                  due: date | None = None) -> ActionChange:
    """Set the action's status (and due date when given); raise before writing anything invalid."""
    if status not in STATUSES:
        raise InputError("That action status is not one the tracker uses.", found=repr(status),
                         hint=f"Use one of: {', '.join(STATUSES)}.")
    with session_scope(engine) as session:
        query = (sa.select(m.Action).join(m.Objective)
                 .where(m.Objective.strategy_id == strategy_id, m.Action.action_id == action_id))
        action = session.scalars(query).one_or_none()
        if action is None:
            known = session.scalar(sa.select(sa.func.count()).select_from(m.Strategy)
                                   .where(m.Strategy.id == strategy_id))
            found = f"action {action_id!r} in strategy {strategy_id!r}" if known else \
                f"strategy {strategy_id!r}"
            raise NotFoundError("There is no such strategy action.", found=found,
                                hint="See the strategy tracker (/strategy) or 'safer strategy status' "
                                     "for the strategy and action ids.")
        new_due = due or action.due_on
        if new_due < action.start_on:
            raise InputError("The due date is before the action starts.",
                             found=f"due {new_due.isoformat()}, start {action.start_on.isoformat()}",
                             hint="Give a due date on or after the start date.")
        change = ActionChange(strategy_id, action_id, action.title, action.status, status, action.due_on,
                              new_due)
        action.status = status
        action.due_on = new_due
    return change
