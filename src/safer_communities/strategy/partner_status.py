"""The status of a strategy indicator that is a published partner indicator: its stored baseline, the
latest stored period of the same length, and the rating on the trajectory in its polarity's direction."""

from __future__ import annotations

import duckdb

from safer_communities.strategy import indicators as ind
from safer_communities.strategy import models as m
from safer_communities.strategy import partner_measure as pm
from safer_communities.strategy.status import IndicatorStatus


def partner_indicator_status(con: duckdb.DuckDBPyConnection, strategy_id: str, objective_id: str,
                             row: m.Indicator) -> IndicatorStatus:
    """Baseline and current value from ``indicator_values``; rated like every other indicator."""
    ident = str(row.partner_indicator)
    about = pm.catalogue(con, ident)
    notes: list[str] = []
    base = pm.baseline(con, ident, row.area_code, row.baseline_period) if about else None
    now = pm.current(con, ident, row.area_code, base) if about else None
    if about is None:
        notes.append(f"No data: the partner indicator {ident} is not loaded in the evidence store.")
    elif base is None or base.value is None:
        notes.append(f"No data: the baseline {row.baseline_period} of {ident} is not stored or is withheld.")
    baseline = base.value if base is not None else None
    if baseline is not None and row.baseline_value is not None and abs(baseline - row.baseline_value) > 1e-9:
        notes.append(f"The baseline has changed since the strategy was loaded (was "
                     f"{row.baseline_value:,.2f}): the publisher revised it.")
    if now is not None and now.value is None:
        notes.append(f"Current {now.label}: withheld by the publisher (marker {now.marker!r}), a gap, not a "
                     "zero.")
    same = base is not None and now is not None and now.label == base.label
    if same:
        notes.append(f"{ind.NOT_RATED.capitalize()}: the latest published period ({now.label}) is the "  # type: ignore[union-attr]
                     "baseline itself, so there is no change to rate yet.")
    target = ind.target_value(baseline, value=row.target_value, change_pct=row.target_change_pct)
    expected, rating = None, "no data"
    if baseline is not None and now is not None and now.value is not None and same:
        rating = ind.NOT_RATED
    elif baseline is not None and target is not None and now is not None and now.value is not None \
            and base is not None:
        expected = ind.expected_value(baseline, target, start=base.end, end=row.target_date, at=now.end)
        rating = ind.rag(now.value, expected, direction=row.direction, tolerance_pct=row.amber_tolerance_pct)
    unit = about["unit"] if about else ""
    return IndicatorStatus(
        strategy_id=strategy_id, objective_id=objective_id, indicator_id=row.indicator_id, title=row.title,
        issue=row.issue, measure=f"partner:{ident}", area_code=row.area_code, unit=unit,
        direction=row.direction, baseline_period=row.baseline_period, baseline_value=baseline,
        baseline_records=None, baseline_stored=row.baseline_value,
        current_period=now.label if now is not None else None,
        current_value=now.value if now is not None else None, current_records=None,
        target_value=target, target_date=row.target_date, expected_value=expected,
        amber_tolerance_pct=row.amber_tolerance_pct, rating=rating, notes=notes)
