"""The migration and the ORM models agree, on SQLite and PostgreSQL; the issue view of the strategy."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from strategy_helpers import EXAMPLE

from safer_communities.store.app_db import Base, current_revision
from safer_communities.strategy import models  # noqa: F401  (registers the strategy tables on Base)
from safer_communities.strategy.links import for_issue
from safer_communities.strategy.loader import load

TABLES = {"strategies", "strategy_consultations", "strategy_objectives", "strategy_actions",
          "strategy_indicators"}


def test_migration_matches_the_models(engine):
    assert current_revision(engine) is not None
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)

    def table_of(change: object) -> str | None:
        item = change[0] if isinstance(change, list) else change
        for part in item[1:]:  # type: ignore[index]
            name = getattr(part, "name", None) if not isinstance(part, str) else None
            table = getattr(part, "table", None)
            if table is not None:
                return table.name
            if name in TABLES:
                return name
            if isinstance(part, str) and part in TABLES:
                return part
        return None

    ours = [d for d in diff if table_of(d) in TABLES]
    assert ours == [], ours


def test_objectives_and_actions_by_issue(engine, con):
    load(engine, con, EXAMPLE, by="t")
    linked = for_issue(engine, "serious-violence")
    assert [(x["strategy_id"], x["objective_id"]) for x in linked] == [
        ("example-serious-violence-strategy", "reduce-serious-violence")]
    assert [a["owner"] for a in linked[0]["actions"]] == ["public-health", "youth-justice-service",
                                                          "violence-reduction-network"]
    assert for_issue(engine, "hate-crime") == []
