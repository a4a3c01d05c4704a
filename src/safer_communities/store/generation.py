"""The application database's change stamp: what tells every web worker that a cached answer is stale.

One row, ``app_generation`` (id 1): a counter ``n`` and a random ``stamp``. Database triggers on every
table whose rows feed a page or an API answer (the register, amendments, strategies, case reviews,
sharing agreements, action places) move both on every INSERT, UPDATE or DELETE, in the writer's own
transaction, whoever writes: a web worker, ``safer strategy load``, ``safer framework approve`` or a
hand-written SQL statement. A worker reads the stamp (one indexed row) before it answers from its
cache, so an edit through one worker shows at once through every other.

The stamp is random rather than the counter alone: two copies of one database that are then edited
differently (a restore from a backup, the tests' copies of one template) reach the same counter with
different contents, but never the same stamp.

Tables that are not inputs of any cached answer (sign-in, sessions, tokens, the audit log, report jobs,
users) are ``VOLATILE``: writing them every request must not empty the caches. A table that is in
neither list fails ``tests/web/test_web_cache.py``: a new table must be classified, and if watched, its
migration calls :func:`watch`.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable

import sqlalchemy as sa
from sqlalchemy.engine import Engine

TABLE = "app_generation"
WATCHED: tuple[str, ...] = (
    "framework_versions", "framework_entries", "framework_amendments", "strategies", "strategy_objectives",
    "strategy_actions", "strategy_indicators", "strategy_consultations", "strategy_action_places",
    "case_reviews", "case_review_recommendations", "sharing_agreements")
"""Tables whose rows feed cached answers: each has the change triggers (migration 0011)."""
VOLATILE: tuple[str, ...] = (
    "users", "user_roles", "user_credentials", "api_tokens", "web_sessions", "login_gate", "login_failures",
    "audit_log", "report_jobs", "alembic_version", TABLE)
"""Tables no cached answer reads (pages render the signed-in user per request)."""

_PG_FUNCTION = "app_generation_bump"


def _sqlite_bump() -> str:
    return f"UPDATE {TABLE} SET n = n + 1, stamp = lower(hex(randomblob(16))) WHERE id = 1"


def create(execute: Callable[[str], object], dialect: str) -> None:
    """The stamp table, its row and (PostgreSQL) the trigger function; for a migration's ``op.execute``."""
    execute(f"CREATE TABLE {TABLE} (id INTEGER NOT NULL PRIMARY KEY, n BIGINT NOT NULL, "
            "stamp VARCHAR(32) NOT NULL)")
    execute(f"INSERT INTO {TABLE} (id, n, stamp) VALUES (1, 0, '{secrets.token_hex(16)}')")
    if dialect == "postgresql":
        execute(f"CREATE FUNCTION {_PG_FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                f"UPDATE {TABLE} SET n = n + 1, stamp = md5(random()::text || clock_timestamp()::text) "
                "WHERE id = 1; RETURN NULL; END $$")


def watch(execute: Callable[[str], object], dialect: str, tables: Iterable[str]) -> None:
    """Triggers that move the stamp on every change to ``tables`` (call it from the table's migration)."""
    for table in tables:
        if dialect == "postgresql":
            execute(f"CREATE TRIGGER {table}_generation AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
                    f"ON {table} FOR EACH STATEMENT EXECUTE FUNCTION {_PG_FUNCTION}()")
            continue
        for verb in ("INSERT", "UPDATE", "DELETE"):
            execute(f"CREATE TRIGGER {table}_generation_{verb.lower()} AFTER {verb} ON {table} "
                    f"BEGIN {_sqlite_bump()}; END")


def unwatch(execute: Callable[[str], object], dialect: str, tables: Iterable[str]) -> None:
    for table in tables:
        if dialect == "postgresql":
            execute(f"DROP TRIGGER IF EXISTS {table}_generation ON {table}")
            continue
        for verb in ("insert", "update", "delete"):
            execute(f"DROP TRIGGER IF EXISTS {table}_generation_{verb}")


def drop(execute: Callable[[str], object], dialect: str) -> None:
    if dialect == "postgresql":
        execute(f"DROP FUNCTION IF EXISTS {_PG_FUNCTION}()")
    execute(f"DROP TABLE IF EXISTS {TABLE}")


def read_stamp(engine: Engine) -> str:
    """The current stamp (changes with every committed change to a watched table, in any process)."""
    with engine.connect() as connection:
        return str(connection.execute(sa.text(f"SELECT stamp FROM {TABLE} WHERE id = 1")).scalar_one())


def watched_tables(engine: Engine) -> set[str]:
    """Tables of the database that carry the change triggers (what the classification test checks)."""
    with engine.connect() as connection:
        if engine.dialect.name == "postgresql":
            rows = connection.execute(sa.text(
                "SELECT DISTINCT event_object_table FROM information_schema.triggers "
                "WHERE trigger_name LIKE '%\\_generation' AND trigger_schema = current_schema()"))
        else:
            rows = connection.execute(sa.text(
                "SELECT DISTINCT tbl_name FROM sqlite_master WHERE type = 'trigger' "
                "AND name LIKE '%\\_generation\\_%' ESCAPE '\\'"))
        return {str(r[0]) for r in rows}
