"""Strategy actions placed on forecast cells (issue 15): which cells of which forecast an action targets.

Cells are kept as their ids on the aligned grid (stable for the same study area and cell size, see
``analysis/grid.py``) with their centres in British National Grid, so the tracker can show them without
recomputing the forecast, together with the forecast they came from (issue, month, model, skill).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from safer_communities.store.app_db import Base, utcnow


class ActionPlace(Base):
    """One forecast's cells linked to one strategy action."""

    __tablename__ = "strategy_action_places"

    pk: Mapped[int] = mapped_column(primary_key=True)
    action_pk: Mapped[int] = mapped_column(
        sa.ForeignKey("strategy_actions.pk", ondelete="CASCADE"), index=True
    )
    issue: Mapped[str] = mapped_column(sa.String(100))
    forecast_month: Mapped[str] = mapped_column(sa.String(7))
    model: Mapped[str] = mapped_column(sa.String(40))
    cell_size_m: Mapped[float] = mapped_column(sa.Float)
    share: Mapped[float] = mapped_column(sa.Float)
    expected_hit_rate: Mapped[float] = mapped_column(sa.Float)
    cells: Mapped[list[Any]] = mapped_column(sa.JSON)  # [[cell_id, x, y], ...] in EPSG:27700
    linked_by: Mapped[str] = mapped_column(sa.String(200))
    linked_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)

    __table_args__ = (sa.CheckConstraint("share > 0 AND share < 1", name="share"),)
