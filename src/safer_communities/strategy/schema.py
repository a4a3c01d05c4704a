"""The strategy file (YAML) as Pydantic models: what an officer writes, checked before anything is stored.

These models check the shape of the file and what can be checked inside it (dates in order, ids unique,
a target given one way only). References to the framework register and the evidence store are checked
by ``strategy.loader``, which needs both.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

Slug = Annotated[str, Field(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$", max_length=100,
                            description="Lower-case identifier: letters, digits and single hyphens.")]
Text = Annotated[str, Field(min_length=1)]

StrategyKind = Literal["serious-violence-strategy", "partnership-plan", "community-safety-agreement",
                       "domestic-abuse-safe-accommodation-strategy"]
KIND_LABELS: dict[str, str] = {
    "serious-violence-strategy": "Serious violence strategy",
    "partnership-plan": "Community safety partnership plan",
    "community-safety-agreement": "Community safety agreement",
    "domestic-abuse-safe-accommodation-strategy": "Domestic abuse safe accommodation strategy",
}
# Partner categories that must be consulted, by kind: the Serious Violence Duty (PCSC Act 2022 s8(4))
# requires education, prison and youth custody authorities to be consulted on the strategy.
REQUIRED_CONSULTEES: dict[str, tuple[str, ...]] = {
    "serious-violence-strategy": ("education", "prisons", "youth-custody"),
}
ActionStatus = Literal["not-started", "in-progress", "complete", "delayed", "cancelled"]
CLOSED_STATUSES = ("complete", "cancelled")
Measure = Literal["count", "rate", "harm", "ksi", "partner"]
Direction = Literal["decrease", "increase"]
PERIOD_RULE = re.compile(r"^(rolling-(\d{1,2})-months|financial-year|calendar-year)$")
PUBLISHED_RULE = "published"  # a partner indicator: each period its publisher releases


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class StrategyPeriod(_Strict):
    """The dates the strategy runs, inclusive."""

    start: dt.date
    end: dt.date

    @model_validator(mode="after")
    def _ordered(self) -> StrategyPeriod:
        if self.end <= self.start:
            raise ValueError(f"end ({self.end}) is not after start ({self.start})")
        return self


class Consultation(_Strict):
    """One consultation: with a partner from the register, or an organisation of a partner category."""

    partner: Slug | None = Field(default=None, description="Partner id from the register.")
    category: str | None = Field(default=None, description="Partner category (e.g. education) when the "
                                                           "organisation is not in the register.")
    organisation: str | None = None
    date: dt.date
    method: Text = Field(description="e.g. 'written consultation', 'workshop'.")
    summary: str | None = None

    @model_validator(mode="after")
    def _who(self) -> Consultation:
        if self.partner is None and (self.category is None or self.organisation is None):
            raise ValueError("give either 'partner' (an id from the register) or both 'category' and "
                             "'organisation'")
        return self


class Target(_Strict):
    """Where the indicator should be by ``date``: a value, or a change from the baseline in per cent."""

    value: float | None = None
    change_pct: float | None = Field(default=None, description="e.g. -10 for a 10% reduction.")
    date: dt.date | None = Field(default=None, description="Default: the end of the strategy period.")

    @model_validator(mode="after")
    def _one(self) -> Target:
        if (self.value is None) == (self.change_pct is None):
            raise ValueError("give exactly one of 'value' and 'change_pct'")
        return self


class IndicatorSpec(_Strict):
    """An evidence query with a baseline, a target and a tolerance for amber."""

    id: Slug
    title: Text
    issue: Slug
    measure: Measure
    area: Text = Field(description="GSS code of an area in the evidence store (LSOA, district or county).")
    period_rule: Text = Field(description="rolling-N-months, financial-year or calendar-year.")
    baseline_period: Text = Field(description="e.g. 2021-04..2021-06, 2021, 2023.")
    direction: Direction
    target: Target
    amber_tolerance_pct: float = Field(default=5.0, ge=0, le=100,
                                       description="How far (% of the expected value) off the trajectory "
                                                   "is amber rather than red.")
    partner_indicator: str | None = Field(
        default=None, pattern=r"^[a-z0-9][a-z0-9._-]{0,99}$",
        description="With measure 'partner': a published partner indicator id (safer evidence indicators), "
                    "e.g. lait-firstyjs; period_rule 'published', baseline_period its period label.")

    @model_validator(mode="after")
    def _rule(self) -> IndicatorSpec:
        change = self.target.change_pct
        if change is not None and (change > 0 if self.direction == "decrease" else change < 0):
            raise ValueError(f"target change_pct {change:+g} goes the wrong way for direction "
                             f"{self.direction!r}")
        if (self.measure == "partner") != (self.partner_indicator is not None):
            raise ValueError("measure 'partner' and partner_indicator go together: give both or neither")
        if self.measure == "partner":
            if self.period_rule != PUBLISHED_RULE:
                raise ValueError(f"a partner indicator takes period_rule {PUBLISHED_RULE!r} (each period its "
                                 f"publisher releases), not {self.period_rule!r}")
            return self
        match = PERIOD_RULE.match(self.period_rule)
        if not match or (match.group(2) is not None and not 1 <= int(match.group(2)) <= 36):
            raise ValueError(f"period_rule {self.period_rule!r} is not rolling-N-months (N 1 to 36), "
                             "financial-year or calendar-year")
        return self


class ActionSpec(_Strict):
    """Something the partnership will do, with an owner from the register."""

    id: Slug
    title: Text
    owner: Slug | None = Field(default=None, description="Service or partner id from the register.")
    start: dt.date
    due: dt.date
    status: ActionStatus = "not-started"
    activities: list[Slug] = Field(default_factory=list, description="Activity ids from the register.")

    @model_validator(mode="after")
    def _ordered(self) -> ActionSpec:
        if self.due < self.start:
            raise ValueError(f"due ({self.due}) is before start ({self.start})")
        return self


class ObjectiveSpec(_Strict):
    """What the strategy sets out to achieve, for which issues and under which duties."""

    id: Slug
    title: Text
    description: str | None = None
    issues: list[Slug] = Field(min_length=1)
    duties: list[Slug] = Field(default_factory=list)
    actions: list[ActionSpec] = Field(default_factory=list)
    indicators: list[IndicatorSpec] = Field(default_factory=list)


class StrategySpec(_Strict):
    """One strategy, plan or agreement."""

    id: Slug
    name: Text
    kind: StrategyKind
    area: Text = Field(description="GSS code of the area the strategy covers.")
    period: StrategyPeriod
    published: dt.date | None = None
    next_review: dt.date
    illustrative: bool = Field(default=False, description="An example, not an adopted strategy.")
    note: str | None = None
    consultations: list[Consultation] = Field(default_factory=list)
    objectives: list[ObjectiveSpec] = Field(min_length=1)

    @model_validator(mode="after")
    def _checks(self) -> StrategySpec:
        if self.published is not None and self.next_review <= self.published:
            raise ValueError(f"next_review ({self.next_review}) is not after published ({self.published})")
        for kind, items in (("objective", [o.id for o in self.objectives]),
                            ("action", [a.id for o in self.objectives for a in o.actions]),
                            ("indicator", [i.id for o in self.objectives for i in o.indicators])):
            dupes = sorted({i for i in items if items.count(i) > 1})
            if dupes:
                raise ValueError(f"{kind} ids must be unique in a strategy: {', '.join(dupes)} repeated")
        return self


class StrategyFile(_Strict):
    """A strategy file: one or more strategies."""

    strategies: list[StrategySpec] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> StrategyFile:
        ids = [s.id for s in self.strategies]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"strategy ids must be unique: {', '.join(dupes)} repeated")
        return self
