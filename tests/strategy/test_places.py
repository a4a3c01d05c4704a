"""A strategy action linked to forecast cells: stored, read back, refused when wrong; the migration."""

from __future__ import annotations

import pytest
from strategy_helpers import EXAMPLE

from safer_communities.analysis.prevention import issue_forecast
from safer_communities.errors import InputError, NotFoundError
from safer_communities.strategy.loader import load
from safer_communities.strategy.places import action_places, link_forecast_cells

STRATEGY, ACTION = "example-community-safety-agreement", "family-hubs-outreach"


def test_an_action_holds_the_forecast_cells(engine, con) -> None:
    load(engine, con, EXAMPLE, by="t")
    forecast = issue_forecast(con, "violence", cell_size_m=1000, quiet=True)
    placed = link_forecast_cells(engine, STRATEGY, ACTION, forecast, share=0.05, by="Analyst")
    flagged = forecast[forecast["top_5pct"]].sort_values("rank")
    assert [c[0] for c in placed.cells] == flagged["cell_id"].tolist()
    back = action_places(engine, STRATEGY, ACTION)
    assert len(back) == 1 and back[0].cells == placed.cells
    assert back[0].forecast_month == "2022-11" and back[0].issue == "violence"
    assert back[0].model == forecast.attrs["model"]
    assert back[0].expected_hit_rate == pytest.approx(forecast.attrs["expected_hit_rate"])
    link_forecast_cells(engine, STRATEGY, ACTION, forecast, share=0.01, by="Analyst")
    assert [p.share for p in action_places(engine, STRATEGY, ACTION)] == [0.05, 0.01]
    with pytest.raises(NotFoundError, match="no such strategy action"):
        link_forecast_cells(engine, STRATEGY, "no-such-action", forecast, share=0.01, by="Analyst")
    with pytest.raises(InputError, match="share"):
        link_forecast_cells(engine, STRATEGY, ACTION, forecast, share=0.03, by="Analyst")
    with pytest.raises(InputError, match="who"):
        link_forecast_cells(engine, STRATEGY, ACTION, forecast, share=0.01, by=" ")


def test_the_migration_creates_and_drops_the_table(engine) -> None:
    import sqlalchemy as sa
    from alembic import command

    from safer_communities.store.app_db import _alembic_config, current_revision, upgrade

    assert "strategy_action_places" in sa.inspect(engine).get_table_names()
    config = _alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0007_sharing")
    assert "strategy_action_places" not in sa.inspect(engine).get_table_names()
    assert current_revision(engine) == "0007_sharing"
    upgrade(engine)
    assert "strategy_action_places" in sa.inspect(engine).get_table_names()
