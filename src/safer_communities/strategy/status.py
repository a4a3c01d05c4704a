"""``safer strategy status``: every indicator computed from the current store, rated against its trajectory.

An indicator is rated only when both its baseline and its current period are complete in the store;
otherwise it is "no data" with the reason (no open source, months missing, no population).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import duckdb
from sqlalchemy.engine import Engine

from safer_communities.analysis.definitions import Definitions, resolve
from safer_communities.errors import NoDataError, NotFoundError, SaferError
from safer_communities.framework.model import Framework
from safer_communities.framework.register import read_version
from safer_communities.strategy import indicators as ind
from safer_communities.strategy import models as m
from safer_communities.strategy.loader import list_strategies
from safer_communities.strategy.reviews import ActionView, action_views, warnings
from safer_communities.strategy.schema import KIND_LABELS


@dataclass(frozen=True)
class IndicatorStatus:
    """One indicator now: baseline, current value, the trajectory's expectation and the rating."""

    strategy_id: str
    objective_id: str
    indicator_id: str
    title: str
    issue: str
    measure: str
    area_code: str
    unit: str
    direction: str
    baseline_period: str
    baseline_value: float | None
    baseline_records: int | None
    baseline_stored: float | None
    current_period: str | None
    current_value: float | None
    current_records: int | None
    target_value: float | None
    target_date: date
    expected_value: float | None
    amber_tolerance_pct: float
    rating: str
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, object]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class StrategyStatus:
    """A strategy's state on ``today``."""

    id: str
    name: str
    kind: str
    kind_label: str
    illustrative: bool
    area_code: str
    period_start: date
    period_end: date
    published: date | None
    next_review: date
    today: date
    indicators: list[IndicatorStatus]
    actions: list[ActionView]
    warnings: list[str]
    objectives: list[dict[str, object]]
    consultations: list[dict[str, object]]

    @property
    def overdue(self) -> list[ActionView]:
        return [a for a in self.actions if a.days_overdue > 0]

    @property
    def unowned(self) -> list[ActionView]:
        return [a for a in self.actions if not a.owner]

    def ratings(self) -> dict[str, int]:
        return {r: sum(1 for i in self.indicators if i.rating == r) for r in ind.RATINGS}

    def to_dict(self) -> dict[str, object]:
        return {
            "id": self.id, "name": self.name, "kind": self.kind, "illustrative": self.illustrative,
            "area_code": self.area_code, "period": {"start": self.period_start, "end": self.period_end},
            "published": self.published, "next_review": self.next_review, "today": self.today,
            "ratings": self.ratings(), "indicators": [i.to_dict() for i in self.indicators],
            "overdue_actions": [a.to_dict() for a in self.overdue],
            "actions_without_owner": [a.to_dict() for a in self.unowned],
            "warnings": self.warnings, "objectives": self.objectives, "consultations": self.consultations,
        }


def indicator_status(con: duckdb.DuckDBPyConnection, strategy_id: str, objective_id: str, row: m.Indicator,
                     definitions: Definitions) -> IndicatorStatus:
    """Recompute baseline and current value from the store; rate the current value on the trajectory."""
    if row.measure == "partner":  # a published partner indicator (issue 12)
        from safer_communities.strategy.partner_status import partner_indicator_status

        return partner_indicator_status(con, strategy_id, objective_id, row)
    baseline_period = ind.check_baseline(row.period_rule, row.baseline_period)
    notes: list[str] = []
    base = ind.measure(con, issue=row.issue, measure_name=row.measure, area_code=row.area_code,
                       period=baseline_period, definitions=definitions)
    source = definitions.get(row.issue).source
    current = None
    if source is not None:
        try:
            period = ind.current_period(con, source, row.period_rule)
            current = ind.measure(con, issue=row.issue, measure_name=row.measure, area_code=row.area_code,
                                  period=period, definitions=definitions)
        except NoDataError as exc:
            notes.append(f"No data: {exc.what}")
    baseline = base.value if base.complete else None
    if source is None:
        notes.append(base.note)
    elif base.note:
        notes.append(f"Baseline {baseline_period.label}: {base.note}")
    if current is not None and current.note:
        notes.append(f"Current {current.period.label if current.period else ''}: {current.note}")
    if baseline is not None and row.baseline_value is not None and abs(baseline - row.baseline_value) > 1e-9:
        was = f"{row.baseline_value:,.{0 if row.measure in ('count', 'ksi') else 2}f}"
        notes.append(f"The baseline has changed since the strategy was loaded (was {was}): the evidence "
                     "store was updated.")
    unlike = ind.unlike_periods(baseline_period, current.period if current is not None else None)
    if unlike:
        notes.append(f"{ind.NOT_RATED.capitalize()}: {unlike}.")
    target = ind.target_value(baseline, value=row.target_value, change_pct=row.target_change_pct)
    expected, rating = None, "no data"
    if unlike and baseline is not None and current is not None and current.complete:
        rating = ind.NOT_RATED
    elif baseline is not None and target is not None and current is not None and current.complete \
            and current.period is not None:
        expected = ind.expected_value(baseline, target, start=baseline_period.end, end=row.target_date,
                                      at=current.period.end)
        rating = ind.rag(float(current.value), expected, direction=row.direction,  # type: ignore[arg-type]
                         tolerance_pct=row.amber_tolerance_pct)
    return IndicatorStatus(
        strategy_id=strategy_id, objective_id=objective_id, indicator_id=row.indicator_id, title=row.title,
        issue=row.issue, measure=row.measure, area_code=row.area_code, unit=base.unit,
        direction=row.direction, baseline_period=baseline_period.label, baseline_value=baseline,
        baseline_records=base.records if baseline is not None else None, baseline_stored=row.baseline_value,
        current_period=current.period.label if current is not None and current.period else None,
        current_value=current.value if current is not None and current.complete else None,
        current_records=current.records if current is not None and current.complete else None,
        target_value=target, target_date=row.target_date, expected_value=expected,
        amber_tolerance_pct=row.amber_tolerance_pct, rating=rating, notes=[n for n in notes if n])


def strategy_status(con: duckdb.DuckDBPyConnection, strategy: m.Strategy, *, today: date,
                    framework: Framework | None = None,
                    definitions: Definitions | None = None) -> StrategyStatus:
    """One strategy's status on ``today``."""
    defs = resolve(definitions)
    indicators = [indicator_status(con, strategy.id, o.objective_id, i, defs)
                  for o in strategy.objectives for i in o.indicators]
    names = {e.id: e.name for k in ("issues", "duties") for e in framework.entries(k)} if framework else {}
    objectives = [{"id": o.objective_id, "title": o.title, "issues": list(o.issues), "duties": list(o.duties),
                   "issue_names": [names.get(i, i) for i in o.issues],
                   "duty_names": [names.get(d, d) for d in o.duties],
                   "actions": [a.action_id for a in o.actions],
                   "indicators": [i.indicator_id for i in o.indicators]} for o in strategy.objectives]
    consultations = [{"organisation": c.organisation, "category": c.category, "partner": c.partner_id,
                      "date": c.consulted_on, "method": c.method, "summary": c.summary}
                     for c in strategy.consultations]
    return StrategyStatus(
        id=strategy.id, name=strategy.name, kind=strategy.kind,
        kind_label=KIND_LABELS.get(strategy.kind, strategy.kind), illustrative=strategy.illustrative,
        area_code=strategy.area_code, period_start=strategy.period_start, period_end=strategy.period_end,
        published=strategy.published_on, next_review=strategy.next_review, today=today,
        indicators=indicators, actions=action_views(strategy, today, framework),
        warnings=warnings(strategy, today, framework), objectives=objectives, consultations=consultations)


def status(engine: Engine, con: duckdb.DuckDBPyConnection, *, today: date, strategy_id: str | None = None,
           definitions: Definitions | None = None) -> list[StrategyStatus]:
    """The status of every stored strategy (or one), computed from the current evidence store."""
    strategies = list_strategies(engine)
    if strategy_id is not None:
        strategies = [s for s in strategies if s.id == strategy_id]
        if not strategies:
            raise NotFoundError(f"There is no strategy '{strategy_id}'.",
                                found=f"stored: {', '.join(s.id for s in list_strategies(engine)) or 'none'}",
                                hint="List them with 'safer strategy status', load one with "
                                     "'safer strategy load FILE'.")
    if not strategies:
        raise NoDataError("No strategy is loaded.", found="no rows in strategies",
                          hint="Load one with 'safer strategy load FILE' (an example ships in "
                               "strategy/data/lancashire-example.yaml).")
    try:
        _, framework = read_version(engine)
    except SaferError:
        framework = None
    return [strategy_status(con, s, today=today, framework=framework, definitions=definitions)
            for s in strategies]
