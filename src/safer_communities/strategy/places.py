"""Strategy actions placed on forecast cells: "youth outreach in these 40 cells next month".

An action is linked to the top cells of a forecast (``analysis/forecast.py``); the link keeps the cells,
the forecast month and the model with its expected hit rate, so a review can later ask whether the
place was the right one. Several links per action are allowed (one per month, say).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from safer_communities.errors import InputError, NotFoundError
from safer_communities.store.app_db import session_scope
from safer_communities.store.app_models_prevention import ActionPlace
from safer_communities.strategy import models as m


@dataclass(frozen=True)
class Placement:
    """One action's link to a forecast's cells, as read back."""

    strategy_id: str
    action_id: str
    issue: str
    forecast_month: str
    model: str
    cell_size_m: float
    share: float
    expected_hit_rate: float
    cells: list[list[float]]
    linked_by: str


def _action(session: Any, strategy_id: str, action_id: str) -> m.Action:
    query = (
        sa.select(m.Action)
        .join(m.Objective)
        .where(m.Objective.strategy_id == strategy_id, m.Action.action_id == action_id)
    )
    action = session.scalars(query).one_or_none()
    if action is None:
        raise NotFoundError(
            "There is no such strategy action.",
            found=f"action {action_id!r} in {strategy_id!r}",
            hint="See 'safer strategy status' for the strategy and action ids.",
        )
    return action


def link_forecast_cells(
    engine: Engine, strategy_id: str, action_id: str, forecast: Any, *, share: float, by: str
) -> Placement:
    """Link the action to the forecast's top ``share`` cells (a ``hotspot_forecast`` result)."""
    column = f"top_{share * 100:g}pct"
    if column not in getattr(forecast, "columns", []):
        raise InputError(
            "The forecast has no cells flagged at that share of the area.",
            found=repr(share),
            hint="Use 0.01, 0.02, 0.05 or 0.10.",
        )
    if not by.strip():
        raise InputError("Say who links the action (by).", found=repr(by), hint="Pass by='Your Name'.")
    attrs = forecast.attrs
    flagged = forecast.loc[forecast[column]].sort_values("rank")
    cells = [
        [int(c), float(x), float(y)]
        for c, x, y in zip(flagged["cell_id"], flagged["x"], flagged["y"], strict=True)
    ]
    issue = str(attrs.get("definition_id") or "")
    with session_scope(engine) as session:
        action = _action(session, strategy_id, action_id)
        session.add(
            ActionPlace(
                action_pk=action.pk,
                issue=issue,
                forecast_month=attrs["forecast_months"][0],
                model=attrs["model"],
                cell_size_m=float(attrs["cell_size_m"]),
                share=float(share),
                expected_hit_rate=float(attrs["expected_hit_rate"]),
                cells=cells,
                linked_by=by,
            )
        )
    return Placement(
        strategy_id,
        action_id,
        issue,
        attrs["forecast_months"][0],
        attrs["model"],
        float(attrs["cell_size_m"]),
        float(share),
        float(attrs["expected_hit_rate"]),
        cells,
        by,
    )


def action_places(engine: Engine, strategy_id: str, action_id: str) -> list[Placement]:
    """Every forecast placement of the action, oldest first."""
    with session_scope(engine) as session:
        action = _action(session, strategy_id, action_id)
        rows = session.scalars(
            sa.select(ActionPlace).where(ActionPlace.action_pk == action.pk).order_by(ActionPlace.pk)
        ).all()
        return [
            Placement(
                strategy_id,
                action_id,
                r.issue,
                r.forecast_month,
                r.model,
                r.cell_size_m,
                r.share,
                r.expected_hit_rate,
                [list(c) for c in r.cells],
                r.linked_by,
            )
            for r in rows
        ]
