"""Indicators: an evidence query -> a value; the trajectory from baseline to target; RAG with tolerance.

Every value comes from ``safer_communities.analysis`` (``issue_rates``, ``issue_harm``,
``collision_rates``): this module chooses the period and picks the area's row, it computes no statistic
of its own. A period with months missing from the store is a gap, not a zero, so it gets no rating.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import duckdb

from safer_communities.analysis import queries
from safer_communities.analysis.definitions import Definitions, resolve
from safer_communities.analysis.harm import issue_harm
from safer_communities.analysis.periods import Period, add_months, parse_period
from safer_communities.analysis.rates import issue_rates
from safer_communities.analysis.road_safety import collision_rates
from safer_communities.errors import InputError, NoDataError
from safer_communities.strategy.schema import PERIOD_RULE

# measure -> sources it applies to
MEASURE_SOURCES: dict[str, tuple[str, ...]] = {
    "count": (queries.POLICE_SOURCE,),
    "rate": (queries.POLICE_SOURCE, queries.STATS19_SOURCE),
    "harm": (queries.POLICE_SOURCE,),
    "ksi": (queries.STATS19_SOURCE,),
}
UNITS: dict[tuple[str, str], str] = {
    ("count", queries.POLICE_SOURCE): "records",
    ("rate", queries.POLICE_SOURCE): "per 1,000 residents",
    ("harm", queries.POLICE_SOURCE): "CCHI harm days",
    ("ksi", queries.STATS19_SOURCE): "KSI collisions",
    ("rate", queries.STATS19_SOURCE): "KSI collisions per 100,000 residents",
}
NOT_RATED = "not enough data to rate"
RATINGS = ("green", "amber", "red", "no data", NOT_RATED)


@dataclass(frozen=True)
class Measurement:
    """One indicator value over one period, or why there is none (``value`` None)."""

    value: float | None
    records: int | None  # the numerator (records or collisions), for disclosure control
    period: Period | None
    unit: str = ""
    note: str = ""
    missing_months: list[str] = field(default_factory=list)
    caveats: list[str] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return self.value is not None and not self.missing_months

    def to_dict(self) -> dict[str, object]:
        return {"value": self.value, "records": self.records,
                "period": self.period.label if self.period else None, "unit": self.unit,
                "note": self.note, "missing_months": self.missing_months, "caveats": self.caveats}


def rule_months(rule: str) -> int:
    """How many months a period rule spans."""
    match = PERIOD_RULE.match(rule)
    if not match:
        raise InputError("That period rule is not known.", found=repr(rule),
                         hint="Use rolling-N-months, financial-year or calendar-year.")
    return int(match.group(2)) if match.group(2) else 12


def check_baseline(rule: str, baseline: str) -> Period:
    """The baseline period, which must be a period of the rule's kind and length (like for like)."""
    period = parse_period(baseline)
    n = rule_months(rule)
    if period.n_months != n:
        raise InputError(f"The baseline period has {period.n_months} month(s) but the period rule {rule} "
                         f"has {n}.", found=f"baseline_period {baseline!r}",
                         hint="Compare like with like: give a baseline of the same length as the rule.")
    if rule == "financial-year" and period.start.month != 4:
        raise InputError("A financial-year indicator needs an April to March baseline.",
                         found=f"baseline_period {baseline!r}", hint="e.g. 2021-04..2022-03.")
    if rule == "calendar-year" and period.start.month != 1:
        raise InputError("A calendar-year indicator needs a January to December baseline.",
                         found=f"baseline_period {baseline!r}", hint="e.g. 2023.")
    return period


def current_period(con: duckdb.DuckDBPyConnection, source: str, rule: str) -> Period:
    """The latest period the rule describes with data in the store for ``source``."""
    latest = queries.latest_month(con, source)
    if latest is None:
        raise NoDataError("No records of this source are loaded.", found=f"source {source}",
                          hint="Load the evidence (safer ingest ...), then ask again.")
    n = rule_months(rule)
    if rule == "financial-year":
        end = date(latest.year if latest.month >= 3 else latest.year - 1, 3, 1)
    elif rule == "calendar-year":
        end = date(latest.year if latest.month == 12 else latest.year - 1, 12, 1)
    else:
        end = latest
    return Period.from_months(add_months(end, -(n - 1)), end)


def area_level_of(con: duckdb.DuckDBPyConnection, area_code: str) -> str:
    """The level (county, district or lsoa) at which ``area_code`` is a unit of the study area."""
    for level in ("county", "district", "lsoa"):
        if area_code in set(queries.area_list(con, level)["area_code"]):
            return level
    raise InputError("That area is not in the study area loaded in the evidence store.",
                     found=repr(area_code),
                     hint="Use a GSS code from the areas table (county, district or 2011 LSOA).")


def measure(con: duckdb.DuckDBPyConnection, *, issue: str, measure_name: str, area_code: str,
            period: Period, definitions: Definitions | None = None) -> Measurement:
    """The value of one indicator over ``period``, or a Measurement saying why there is none."""
    defs = resolve(definitions)
    definition = defs.get(issue)
    if definition.source is None:
        return Measurement(None, None, period, note=f"No data: {definition.caveat or 'no source loaded.'}")
    unit = UNITS.get((measure_name, definition.source), "")
    level = area_level_of(con, area_code)
    try:
        if definition.source == queries.STATS19_SOURCE:
            severity = "ksi" if definition.severity in ((1, 2), (2, 1)) else "all"
            table = collision_rates(con, area_level=level, period=period, severity=severity)
            rows = table[table["area_code"] == area_code]
            if len(rows) != 1:
                raise InputError("Road-safety indicators take one calendar year.", found=period.label,
                                 hint="Use period_rule calendar-year and a baseline such as 2023.")
            row = rows.iloc[0]
            records = int(row["collisions"])
            value = records if measure_name == "ksi" else _float(row["rate_per_100000"])
        elif measure_name == "harm":
            table = issue_harm(con, definition, area_level=level, period=period, definitions=defs)
            row = table[table["area_code"] == area_code].iloc[0]
            records, value = int(row["count"]), float(row["harm_days"])
        else:
            table = issue_rates(con, definition, area_level=level, period=period, definitions=defs)
            row = table[table["area_code"] == area_code].iloc[0]
            records = int(row["count"])
            value = records if measure_name == "count" else _float(row["rate_per_1000"])
    except NoDataError as exc:
        return Measurement(None, None, period, unit, note=f"No data: {exc.what}")
    attrs = table.attrs
    missing = list(attrs.get("missing_months", []))
    note = ""
    if missing:
        note = f"{len(missing)} of {period.n_months} months missing from the store: not rated."
    elif value is None:
        note = "No population estimate for this area, so no rate."
    return Measurement(value, records, period, unit, note, missing, list(attrs.get("caveats", [])))


def _float(value: object) -> float | None:
    try:
        result = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return None if result != result else result  # NaN -> None


def unlike_periods(baseline: Period, current: Period | None) -> str:
    """Why ``current`` cannot be rated against ``baseline`` (empty when they are like with like).

    A rating needs two different periods of the same length and season: the same months of the year,
    or 12 months each (which hold every season once).
    """
    if current is None:
        return ""
    if current == baseline or (current.start, current.end) == (baseline.start, baseline.end):
        return (f"the latest period with data ({current.words}) is the baseline itself, so there is no "
                "change to rate yet")
    if current.n_months != baseline.n_months:
        return (f"the latest period ({current.words}, {current.n_months} months) and the baseline "
                f"({baseline.words}, {baseline.n_months} months) differ in length")
    if current.n_months < 12 and current.start.month != baseline.start.month:
        return (f"the latest period ({current.words}) covers different months of the year from the "
                f"baseline ({baseline.words}), so the comparison would show season, not change; it can be "
                "rated once the same months a year later are in the store")
    return ""


def target_value(baseline: float | None, *, value: float | None, change_pct: float | None) -> float | None:
    """The target: given, or the baseline changed by ``change_pct`` per cent."""
    if value is not None:
        return value
    if baseline is None or change_pct is None:
        return None
    return baseline * (1 + change_pct / 100.0)


def _month_index(day: date) -> int:
    return day.year * 12 + day.month - 1


def expected_value(baseline: float, target: float, *, start: date, end: date, at: date) -> float:
    """The trajectory: linear from ``baseline`` (at month ``start``) to ``target`` (at month ``end``).

    Before ``start`` the expectation is the baseline; after ``end`` it is the target.
    """
    span = _month_index(end) - _month_index(start)
    if span <= 0:
        return target
    fraction = min(max((_month_index(at) - _month_index(start)) / span, 0.0), 1.0)
    return baseline + (target - baseline) * fraction


def rag(actual: float, expected: float, *, direction: str, tolerance_pct: float) -> str:
    """Green on or better than the trajectory; amber within ``tolerance_pct`` of it (inclusive); red beyond.

    The tolerance is a share of the expected value (so 5 means 5% worse than expected is still amber).
    """
    worse_by = actual - expected if direction == "decrease" else expected - actual
    if worse_by <= 0:
        return "green"
    if worse_by <= abs(expected) * tolerance_pct / 100.0 + 1e-9:
        return "amber"
    return "red"
