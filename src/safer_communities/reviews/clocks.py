"""The deadlines of a case review, computed from its dates, the clocks in ``data/clocks.yaml`` and a day.

``today`` is always passed in, so a test (or a "what will be overdue next month" question) can inject
the date. A clock that has not started (its ``from`` date is empty) says so; one whose ``to`` date is
recorded is met or was late; otherwise it is overdue, due soon (within ``amber_days``) or running.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field

from safer_communities.framework.compliance import add_months

CLOCKS_FILE = Path(__file__).with_name("data") / "clocks.yaml"
State = Literal["not-started", "running", "due-soon", "overdue", "met", "late"]


class Clock(BaseModel):
    """One deadline of one kind of review, with its source."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    id: str
    kind: Literal["dardr", "owhr", "asb"]
    name: str
    start: str = Field(alias="from")
    end: str = Field(alias="to")
    months: int | None = None
    working_days: int | None = None
    when: str | None = None
    status: Literal["statutory", "local", "to-check"]
    source: str
    url: str

    def due(self, start: date) -> date:
        if self.months is not None:
            return add_months(start, self.months)
        return add_working_days(start, self.working_days or 0)

    @property
    def period(self) -> str:
        if self.months is not None:
            return f"{self.months} month{'s' if self.months != 1 else ''}"
        return f"{self.working_days} working days"


@cache
def clocks() -> tuple[Clock, ...]:
    """The shipped clocks (read once)."""
    raw = yaml.safe_load(CLOCKS_FILE.read_text(encoding="utf-8"))
    return tuple(Clock.model_validate(item) for item in raw)


def add_working_days(start: date, days: int) -> date:
    """``days`` weekdays after ``start`` (bank holidays are not known here, so the date is never late)."""
    day = start
    while days > 0:
        day += timedelta(days=1)
        if day.weekday() < 5:
            days -= 1
    return day


@dataclass(frozen=True)
class Deadline:
    """Where one clock of one review stands on a given day."""

    clock: Clock
    due: date | None
    done: date | None
    state: State

    @property
    def message(self) -> str:
        c = self.clock
        if self.state == "not-started":
            return f"{c.name}: not started (runs {c.period} from {c.start.replace('_', ' ')})"
        if self.state in ("met", "late"):
            word = "met" if self.state == "met" else "LATE"
            return f"{c.name}: {word}, {self.done:%d %B %Y} (due {self.due:%d %B %Y})"
        word = {"overdue": "OVERDUE since", "due-soon": "due soon:", "running": "due"}[self.state]
        return f"{c.name}: {word} {self.due:%d %B %Y} ({c.period}, {c.status})"

    def to_dict(self) -> dict[str, Any]:
        return {"clock": self.clock.id, "name": self.clock.name, "status": self.clock.status,
                "period": self.clock.period, "due": self.due.isoformat() if self.due else None,
                "done": self.done.isoformat() if self.done else None, "state": self.state,
                "message": self.message, "source": self.clock.source}


def deadlines(review: Any, today: date, *, amber_days: int) -> list[Deadline]:
    """Every clock of the review's kind, on ``today``. ``review`` has the date fields by name."""
    out = []
    for clock in clocks():
        if clock.kind != review.kind:
            continue
        if clock.when and review.decision not in (None, clock.when):
            continue  # e.g. no completion clock when the decision was not to hold a review
        start, done = getattr(review, clock.start), getattr(review, clock.end)
        if start is None or (clock.when and review.decision is None):
            out.append(Deadline(clock, None, done, "not-started"))
            continue
        due = clock.due(start)
        if done is not None:
            state: State = "met" if done <= due else "late"
        elif review.closed_on is not None:
            continue  # closed without this step (e.g. withdrawn): nothing is owed
        elif today > due:
            state = "overdue"
        elif (due - today).days <= amber_days:
            state = "due-soon"
        else:
            state = "running"
        out.append(Deadline(clock, due, done, state))
    return out
