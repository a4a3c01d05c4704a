"""``safer strategy load FILE``: read, check everything, then store all of it or nothing.

Checks, each reported with the file, the entry and the field: the file's shape and dates (Pydantic);
issues, duties, activities and action owners against the published framework register; each indicator's
issue, measure and area against the analysis definitions and the evidence store. Every problem is
collected before anything is written, and the write is one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, get_args

import duckdb
import sqlalchemy as sa
import yaml
from pydantic import ValidationError
from sqlalchemy.engine import Engine

from safer_communities.analysis import queries
from safer_communities.analysis.definitions import Definitions, resolve
from safer_communities.errors import InputError, SaferError
from safer_communities.framework.model import Framework, PartnerCategory
from safer_communities.framework.register import read_version_in
from safer_communities.store.app_db import session_scope, utcnow
from safer_communities.strategy import indicators as ind
from safer_communities.strategy import models as m
from safer_communities.strategy.schema import StrategyFile, StrategySpec

PARTNER_CATEGORIES: tuple[str, ...] = get_args(PartnerCategory)
HINT = "See docs/strategy.md for the file layout; the example is strategy/data/lancashire-example.yaml."


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the file: where (entry and field) and what."""

    entry: str
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.entry}: {self.field}: {self.message}"


class StrategyInvalidError(InputError):
    """The strategy file has problems; nothing was loaded."""

    def __init__(self, path: str, problems: list[Problem]) -> None:
        listed = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"The strategy file {path} has {len(problems)} problem(s); nothing was loaded.",
                         found=f"{path}:\n{listed}", hint=HINT)
        self.path = path
        self.problems = problems


def read_file(path: Path) -> tuple[StrategyFile, dict[str, Any]]:
    """Parse and validate the file's shape; ``StrategyInvalidError`` lists every problem."""
    if not path.is_file():
        raise InputError("The strategy file does not exist.", found=str(path), hint=HINT)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise InputError("The strategy file is not valid YAML.", found=f"{path}: {exc}", hint=HINT) from exc
    if not isinstance(raw, dict):
        raise InputError("A strategy file is a mapping with a 'strategies' list.", found=f"{path}: "
                         f"{type(raw).__name__}", hint=HINT)
    try:
        return StrategyFile.model_validate(raw), raw
    except ValidationError as exc:
        raise StrategyInvalidError(str(path), [_problem(raw, e) for e in exc.errors()]) from exc


def _problem(raw: Any, error: Any) -> Problem:
    """Name the entry by its id (``strategy lancs-svd > action a1``) and the field the error is in."""
    names, node, fields = [], raw, []
    loc = list(error["loc"])
    i = 0
    while i < len(loc):
        key = loc[i]
        if isinstance(key, str) and i + 1 < len(loc) and isinstance(loc[i + 1], int) \
                and isinstance(node, dict) and isinstance(node.get(key), list):
            items = node[key]
            index = loc[i + 1]
            node = items[index] if index < len(items) else None
            label = node.get("id") if isinstance(node, dict) and node.get("id") else f"#{index + 1}"
            names.append(f"{key.rstrip('s') if key != 'strategies' else 'strategy'} {label}")
            i += 2
            continue
        fields.append(str(key))
        node = node.get(key) if isinstance(node, dict) else None
        i += 1
    message = error["msg"].removeprefix("Value error, ")
    return Problem(" > ".join(names) or "file", ".".join(fields) or "(entry)", message)


def check_references(spec: StrategySpec, framework: Framework, definitions: Definitions,
                     con: duckdb.DuckDBPyConnection) -> list[Problem]:
    """Everything the strategy names must exist: register entries, definitions, measures, areas."""
    problems: list[Problem] = []
    index = {kind: framework.index(kind) for kind in ("issues", "duties", "services", "partners",
                                                      "activities")}
    where = f"strategy {spec.id}"
    areas = _area_codes(con)
    if spec.area not in areas:
        problems.append(Problem(where, "area", f"{spec.area!r} is not an area in the evidence store"))
    for k, c in enumerate(spec.consultations):
        if c.partner is not None and c.partner not in index["partners"]:
            problems.append(Problem(f"{where} > consultation #{k + 1}", "partner",
                                    f"{c.partner!r} is not a partner in the register"))
        if c.category is not None and c.category not in PARTNER_CATEGORIES:
            problems.append(Problem(f"{where} > consultation #{k + 1}", "category",
                                    f"{c.category!r} is not a partner category; use one of "
                                    f"{', '.join(PARTNER_CATEGORIES)}"))
    for objective in spec.objectives:
        here = f"{where} > objective {objective.id}"
        for ref, kind in (("issues", "issues"), ("duties", "duties")):
            for item in getattr(objective, ref):
                if item not in index[kind]:
                    problems.append(Problem(here, ref, f"{item!r} is not in the register's {kind}"))
        for action in objective.actions:
            at = f"{here} > action {action.id}"
            if action.owner is not None and action.owner not in index["services"] \
                    and action.owner not in index["partners"]:
                problems.append(Problem(at, "owner", f"{action.owner!r} is not a service or partner in the "
                                                     "register"))
            for activity in action.activities:
                if activity not in index["activities"]:
                    problems.append(Problem(at, "activities", f"{activity!r} is not an activity in the "
                                                              "register"))
        for indicator in objective.indicators:
            at = f"{here} > indicator {indicator.id}"
            if indicator.measure == "partner":  # a published partner indicator (issue 12)
                problems.extend(_partner_problems(spec, indicator, at, index["issues"], con))
                continue
            problems.extend(_indicator_problems(spec, indicator, at, index["issues"], definitions, areas))
    return problems


def _partner_problems(spec: StrategySpec, indicator: Any, at: str, issues: dict,
                      con: duckdb.DuckDBPyConnection) -> list[Problem]:
    from safer_communities.strategy import partner_measure

    problems = [Problem(at, "issue", f"{indicator.issue!r} is not an issue in the register")] \
        if indicator.issue not in issues else []
    problems += [Problem(at, name, message) for name, message in partner_measure.problems(con, indicator)]
    base = partner_measure.baseline(con, indicator.partner_indicator, indicator.area,
                                    indicator.baseline_period)
    target_date = indicator.target.date or spec.period.end
    if base is not None and base.end >= target_date:
        problems.append(Problem(at, "baseline_period", f"{base.label} does not end before the target date "
                                                       f"{target_date}"))
    if not spec.period.start <= target_date <= spec.period.end:
        problems.append(Problem(at, "target.date", f"{target_date} is outside the strategy period "
                                                   f"{spec.period.start}..{spec.period.end}"))
    return problems


def _indicator_problems(spec: StrategySpec, indicator: Any, at: str, issues: dict, definitions: Definitions,
                        areas: set[str]) -> list[Problem]:
    problems = []
    if indicator.issue not in issues:
        problems.append(Problem(at, "issue", f"{indicator.issue!r} is not an issue in the register"))
    definition = definitions.items.get(indicator.issue)
    if definition is None:
        problems.append(Problem(at, "issue", f"{indicator.issue!r} has no evidence definition (version "
                                             f"{definitions.version})"))
    elif definition.source is not None:
        allowed = [name for name, sources in ind.MEASURE_SOURCES.items() if definition.source in sources]
        if indicator.measure not in allowed:
            problems.append(Problem(at, "measure", f"{indicator.measure!r} does not apply to "
                                                   f"{indicator.issue} ({definition.source}); use one of "
                                                   f"{', '.join(allowed)}"))
        if definition.source == queries.STATS19_SOURCE and indicator.period_rule != "calendar-year":
            problems.append(Problem(at, "period_rule", "road-safety (STATS19) indicators use calendar-year"))
    if indicator.area not in areas:
        problems.append(Problem(at, "area", f"{indicator.area!r} is not an area in the evidence store"))
    try:
        baseline = ind.check_baseline(indicator.period_rule, indicator.baseline_period)
    except SaferError as exc:
        problems.append(Problem(at, "baseline_period", exc.what))
    else:
        target_date = indicator.target.date or spec.period.end
        if baseline.end >= target_date.replace(day=1):
            problems.append(Problem(at, "baseline_period", f"{baseline.label} does not end before the "
                                                           f"target date {target_date}"))
        if not spec.period.start <= target_date <= spec.period.end:
            problems.append(Problem(at, "target.date", f"{target_date} is outside the strategy period "
                                                       f"{spec.period.start}..{spec.period.end}"))
    return problems


def _area_codes(con: duckdb.DuckDBPyConnection) -> set[str]:
    codes: set[str] = set()
    try:
        for level in queries.AREA_LEVELS:
            codes |= set(queries.area_list(con, level)["area_code"])
    except SaferError:
        return set()
    return codes


@dataclass(frozen=True)
class LoadOutcome:
    """What ``load`` stored."""

    strategies: list[str]
    replaced: list[str]
    objectives: int
    actions: int
    indicators: int
    framework_version: int
    definitions_version: str
    baselines_missing: list[str]

    def to_dict(self) -> dict[str, object]:
        return dict(self.__dict__)


def load(engine: Engine, con: duckdb.DuckDBPyConnection, path: Path, *, by: str,
         definitions: Definitions | Path | str | None = None) -> LoadOutcome:
    """Check the file against the register and the store, compute baselines, store it all or nothing."""
    spec_file, _ = read_file(path)
    defs = resolve(definitions)
    with session_scope(engine) as session:
        version, framework = read_version_in(session)
        problems = [p for spec in spec_file.strategies
                    for p in check_references(spec, framework, defs, con)]
        if problems:
            raise StrategyInvalidError(str(path), problems)
        owners = {**{s: "service" for s in framework.index("services")},
                  **{p: "partner" for p in framework.index("partners")}}
        partners = framework.index("partners")
        replaced, missing, wrong_way = [], [], []
        counts = [0, 0, 0]
        for spec in spec_file.strategies:
            old = session.get(m.Strategy, spec.id)
            if old is not None:
                session.delete(old)
                session.flush()
                replaced.append(spec.id)
            row = _strategy_row(spec, path, by, version, defs.version, partners)
            for position, objective in enumerate(spec.objectives):
                orow = m.Objective(objective_id=objective.id, position=position, title=objective.title,
                                   description=objective.description, issues=list(objective.issues),
                                   duties=list(objective.duties))
                for k, action in enumerate(objective.actions):
                    orow.actions.append(m.Action(
                        action_id=action.id, position=k, title=action.title,
                        owner_kind=owners.get(action.owner) if action.owner else None, owner_id=action.owner,
                        start_on=action.start, due_on=action.due, status=action.status,
                        activities=list(action.activities)))
                for k, indicator in enumerate(objective.indicators):
                    if indicator.measure == "partner":
                        baseline = _partner_baseline(con, indicator)
                    else:
                        baseline = ind.measure(con, issue=indicator.issue, measure_name=indicator.measure,
                                               area_code=indicator.area,
                                               period=ind.check_baseline(indicator.period_rule,
                                                                         indicator.baseline_period),
                                               definitions=defs)
                    value = baseline.value if baseline.complete else None
                    if value is None:
                        missing.append(f"{spec.id}/{indicator.id}")
                    wrong_way.extend(_wrong_way(f"strategy {spec.id} > objective {objective.id} > indicator "
                                                f"{indicator.id}", indicator, value))
                    orow.indicators.append(m.Indicator(
                        indicator_id=indicator.id, position=k, title=indicator.title, issue=indicator.issue,
                        measure=indicator.measure, area_code=indicator.area,
                        period_rule=indicator.period_rule, baseline_period=indicator.baseline_period,
                        baseline_value=value, baseline_note=baseline.note or None,
                        direction=indicator.direction, target_value=indicator.target.value,
                        target_change_pct=indicator.target.change_pct,
                        target_date=indicator.target.date or spec.period.end,
                        amber_tolerance_pct=indicator.amber_tolerance_pct,
                        partner_indicator=indicator.partner_indicator))
                row.objectives.append(orow)
                counts[0] += 1
                counts[1] += len(objective.actions)
                counts[2] += len(objective.indicators)
            session.add(row)
        if wrong_way:  # known only once baselines are computed; the session rolls back
            raise StrategyInvalidError(str(path), wrong_way)
        session.flush()
    return LoadOutcome([s.id for s in spec_file.strategies], replaced, *counts, version, defs.version,
                       missing)


def _partner_baseline(con: duckdb.DuckDBPyConnection, indicator: Any) -> ind.Measurement:
    """A partner indicator's stored baseline value, as a Measurement (checked by ``_partner_problems``)."""
    from safer_communities.strategy import partner_measure

    base = partner_measure.baseline(con, indicator.partner_indicator, indicator.area,
                                    indicator.baseline_period)
    value = base.value if base is not None else None
    return ind.Measurement(value, None, None, note="" if value is not None else "withheld or not stored")


def _wrong_way(at: str, indicator: Any, baseline: float | None) -> list[Problem]:
    """A target value on the wrong side of the baseline for the indicator's direction."""
    target = indicator.target.value
    if baseline is None or target is None:
        return []
    if (target > baseline) if indicator.direction == "decrease" else (target < baseline):
        side = "above" if target > baseline else "below"
        return [Problem(at, "target.value", f"{target:g} is {side} the baseline {baseline:,.2f} but the "
                                            f"direction is {indicator.direction}")]
    return []


def _strategy_row(spec: StrategySpec, path: Path, by: str, version: int, definitions_version: str,
                  partners: dict[str, Any]) -> m.Strategy:
    row = m.Strategy(id=spec.id, name=spec.name, kind=spec.kind, area_code=spec.area,
                     period_start=spec.period.start, period_end=spec.period.end, published_on=spec.published,
                     next_review=spec.next_review, illustrative=spec.illustrative, note=spec.note,
                     source_file=str(path), loaded_by=by, loaded_at=utcnow(), framework_version=version,
                     definitions_version=definitions_version)
    for position, c in enumerate(spec.consultations):
        partner = partners.get(c.partner) if c.partner else None
        row.consultations.append(m.Consultation(
            position=position, partner_id=c.partner,
            category=partner.category if partner is not None else str(c.category),
            organisation=partner.name if partner is not None and not c.organisation else str(c.organisation),
            consulted_on=c.date, method=c.method, summary=c.summary))
    return row


def list_strategies(engine: Engine) -> list[m.Strategy]:
    """Every stored strategy with its objectives, actions and indicators loaded (detached, read-only)."""
    with session_scope(engine) as session:
        return list(session.scalars(sa.select(m.Strategy).order_by(m.Strategy.id)))
