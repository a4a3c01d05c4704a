"""The strategy seen from one issue: its objectives, actions and indicators (issue -> evidence -> services
-> actions in one place). For ``safer framework show issue ID`` and the needs assessment's issue sections.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import Engine

from safer_communities.strategy.loader import list_strategies


def for_issue(engine: Engine, issue: str) -> list[dict[str, Any]]:
    """Every objective of every stored strategy linked to ``issue``, with its actions and indicators.

    Returns plain records (JSON-ready): strategy id and name, objective id and title, actions (id, title,
    owner, due, status) and indicator ids and titles. An empty list when no strategy names the issue.
    """
    return by_issue(engine).get(issue, [])


def by_issue(engine: Engine) -> dict[str, list[dict[str, Any]]]:
    """``for_issue`` for every issue at once (one read of the strategies, for whole reports)."""
    out: dict[str, list[dict[str, Any]]] = {}
    for strategy in list_strategies(engine):
        for objective in strategy.objectives:
            record = {
                "strategy_id": strategy.id, "strategy": strategy.name, "illustrative": strategy.illustrative,
                "objective_id": objective.objective_id, "objective": objective.title,
                "actions": [{"id": a.action_id, "title": a.title, "owner": a.owner_id, "due": a.due_on,
                             "status": a.status} for a in objective.actions],
                "indicators": [{"id": i.indicator_id, "title": i.title, "measure": i.measure}
                               for i in objective.indicators],
            }
            for issue in objective.issues:
                out.setdefault(issue, []).append(record)
    return out
