"""Answers the pages share, computed once per version of the store, the application database and the day.

Each wraps a function of ``strategy``, ``framework``, ``analysis`` or ``publish`` without changing what
it computes (``web.cache`` holds the result): the strategy status (indicators recomputed from the store,
actions from the app database), the latest register, the data quality report and the dashboard's
compliance summary. A function that raises (no strategy loaded, no register) is not cached.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import duckdb
from sqlalchemy.engine import Engine

from safer_communities.config import Settings
from safer_communities.web import cache


def strategy_statuses(engine: Engine, con: duckdb.DuckDBPyConnection, settings: Settings) -> list[Any]:
    """``strategy.status.status`` for today (every stored strategy), or its ``NoDataError``."""
    from safer_communities.strategy.status import status

    return cache.cached(settings, engine, ("strategy-status",),
                        lambda: status(engine, con, today=date.today()))


def strategy_indicators(engine: Engine, con: duckdb.DuckDBPyConnection, settings: Settings
                        ) -> dict[str, list[dict[str, Any]]]:
    """Each strategy's indicators as published (``web.strategy_view.protected_indicators``)."""
    from safer_communities.web.strategy_view import protected_indicators

    def compute() -> dict[str, list[dict[str, Any]]]:
        return {s.id: protected_indicators(s.indicators, settings)
                for s in strategy_statuses(engine, con, settings)}

    return cache.cached(settings, engine, ("strategy-indicators",), compute)


def strategy_status_answer(engine: Engine, con: duckdb.DuckDBPyConnection, settings: Settings
                           ) -> dict[str, Any]:
    """The body of ``GET /api/v1/strategy/status``."""
    def compute() -> dict[str, Any]:
        indicators = strategy_indicators(engine, con, settings)
        out = []
        for item in strategy_statuses(engine, con, settings):
            body = item.to_dict()
            body["indicators"] = indicators[item.id]
            body["actions"] = [a.to_dict() for a in item.actions]
            out.append(body)
        from safer_communities.publish.grid import internal_meta

        # Signed in only: the tracker's values are the analyst's view, not the grid (the progress report
        # is), and the answer says so.
        return {"strategies": out, **internal_meta()}

    return cache.cached(settings, engine, ("strategy-status-answer",), compute)


def register(engine: Engine, settings: Settings) -> tuple[int, Any]:
    """``framework.register.read_version``: the latest published register and its number."""
    from safer_communities.framework.register import read_version

    return cache.CACHE.get(("register", cache.app_version(engine)), lambda: read_version(engine))


def quality(con: duckdb.DuckDBPyConnection, settings: Settings) -> Any:
    """``analysis.quality.quality_report`` of the store."""
    from safer_communities.analysis.quality import quality_report

    return cache.CACHE.get(("quality", cache.store_version(settings.db)), lambda: quality_report(con))


def compliance_summary(engine: Engine, settings: Settings) -> dict[str, Any] | None:
    """The dashboard's compliance counts (``routes.reviews.compliance_summary``) for today."""
    from safer_communities.web.routes.reviews import compliance_summary as summary

    days = settings.compliance_amber_days
    found = cache.CACHE.get(("compliance", days, cache.app_version(engine), date.today().isoformat()),
                            lambda: summary(engine, days) or {})
    return found or None
