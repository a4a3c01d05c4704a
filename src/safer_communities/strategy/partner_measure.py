"""Strategy indicators that are published partner indicators (issue 12 item 6).

A YAML indicator with ``measure: partner`` names a partner indicator id (``safer evidence indicators``) and
an area; its baseline is the stored value for ``baseline_period`` (the publisher's period label, e.g.
``2021/22``) and its current value the latest stored period of the same length. It is rated on the same
trajectory as every other indicator, in the direction its polarity sets (low is good: decrease; high is
good: increase); a need indicator (no polarity) cannot be rated and is refused at load. A withheld value
(a publisher's marker) is a gap, never a zero.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import duckdb

DIRECTIONS = {"low": "decrease", "high": "increase"}
BREAKDOWNS = ("all", "Persons")


@dataclass(frozen=True)
class PartnerValue:
    """One stored value of a partner indicator for an area (``value`` None: withheld, see ``marker``)."""

    label: str
    start: date
    end: date
    value: float | None
    marker: str | None

    @property
    def months(self) -> int:
        return (self.end.year - self.start.year) * 12 + self.end.month - self.start.month + 1


def catalogue(con: duckdb.DuckDBPyConnection, indicator_id: str) -> dict[str, Any] | None:
    """The indicator's catalogue row (name, unit, polarity, publisher, issues), or None if not loaded."""
    if not con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'indicators'"
    ).fetchall()[0][0]:
        return None
    row = con.execute(
        "SELECT name, coalesce(unit, (SELECT mode(unit) FROM indicator_values v WHERE v.indicator_id = ?)), "
        "polarity, publisher, coalesce(issues, '') FROM indicators WHERE indicator_id = ?",
        [indicator_id, indicator_id],
    ).fetchall()
    if not row:
        return None
    name, unit, polarity, publisher, issues = row[0]
    return {"name": name, "unit": unit or "", "polarity": polarity, "publisher": publisher,
            "issues": issues.split()}


def values(con: duckdb.DuckDBPyConnection, indicator_id: str, area: str) -> list[PartnerValue]:
    """Every stored period of the indicator for the area (whole-population breakdown), oldest first."""
    rows = con.execute(
        "SELECT period_label, period_start, period_end, value, marker FROM indicator_values "
        "WHERE indicator_id = ? AND area_code = ? AND breakdown IN (SELECT unnest(?::VARCHAR[])) "
        "ORDER BY period_end, period_start",
        [indicator_id, area, list(BREAKDOWNS)],
    ).fetchall()
    return [PartnerValue(label, start, end, None if value is None else float(value), marker)
            for label, start, end, value, marker in rows]


def problems(con: duckdb.DuckDBPyConnection, indicator: Any) -> list[tuple[str, str]]:
    """(field, message) for everything that stops a partner indicator being measured and rated."""
    about = catalogue(con, indicator.partner_indicator)
    if about is None:
        return [("partner_indicator", f"{indicator.partner_indicator!r} is not a partner indicator in the "
                                      "evidence store (list them with 'safer evidence indicators --all')")]
    found: list[tuple[str, str]] = []
    wanted = DIRECTIONS.get(about["polarity"])
    if wanted is None:
        found.append(("partner_indicator", f"{indicator.partner_indicator} has no polarity (a measure of "
                                           "need, neither good nor bad when higher), so it cannot be rated"))
    elif indicator.direction != wanted:
        found.append(("direction", f"{indicator.partner_indicator} is better when {about['polarity']}er, so "
                                   f"its direction is {wanted}, not {indicator.direction}"))
    if about["issues"] and indicator.issue not in about["issues"]:
        found.append(("issue", f"{indicator.partner_indicator} is linked to {', '.join(about['issues'])}, "
                               f"not {indicator.issue}"))
    series = values(con, indicator.partner_indicator, indicator.area)
    if not series:
        found.append(("area", f"{indicator.partner_indicator} has no value for {indicator.area}"))
        return found
    base = next((v for v in series if v.label == indicator.baseline_period), None)
    if base is None:
        found.append(("baseline_period", f"{indicator.baseline_period!r} is not a period of "
                                         f"{indicator.partner_indicator} for {indicator.area}; stored: "
                                         f"{', '.join(v.label for v in series)}"))
    elif base.value is None:
        found.append(("baseline_period", f"the {base.label} value is withheld by the publisher (marker "
                                         f"{base.marker!r}), so it cannot be a baseline"))
    return found


def baseline(con: duckdb.DuckDBPyConnection, indicator_id: str, area: str, label: str) -> PartnerValue | None:
    return next((v for v in values(con, indicator_id, area) if v.label == label), None)


def current(con: duckdb.DuckDBPyConnection, indicator_id: str, area: str,
            base: PartnerValue | None) -> PartnerValue | None:
    """The latest stored period of the baseline's length (a withheld one included: it is then a gap)."""
    series = values(con, indicator_id, area)
    same = [v for v in series if base is None or v.months == base.months]
    return same[-1] if same else None
