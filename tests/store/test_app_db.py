"""The application database: migrations on SQLite and PostgreSQL, sessions that roll back."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from safer_communities.errors import StoreError
from safer_communities.store.app_db import (
    current_revision,
    head_revision,
    make_engine,
    open_app_db,
    session_scope,
    upgrade,
)
from safer_communities.store.app_models import User, UserRole

TABLES = {"users", "user_roles", "framework_versions", "framework_entries", "framework_amendments"}


def test_migrations_create_every_table_and_are_idempotent(app_db_url: str) -> None:
    upgrade(app_db_url)
    upgrade(app_db_url)  # a second run changes nothing and does not fail
    engine = make_engine(app_db_url)
    try:
        assert set(sa.inspect(engine).get_table_names()) >= TABLES
        assert current_revision(engine) == head_revision()
        columns = {c["name"] for c in sa.inspect(engine).get_columns("framework_amendments")}
        assert {"proposed_by", "reason", "changes", "authority", "consulted", "published_version"} <= columns
    finally:
        engine.dispose()


def test_downgrade_removes_the_tables(app_db_url: str) -> None:
    upgrade(app_db_url)
    from alembic import command

    from safer_communities.store.app_db import _alembic_config

    engine = make_engine(app_db_url)
    try:
        config = _alembic_config(engine)
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.downgrade(config, "base")
        assert not TABLES & set(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_session_scope_rolls_back_everything_on_error(app_db_url: str) -> None:
    engine = open_app_db(app_db_url)
    try:
        with pytest.raises(RuntimeError), session_scope(engine) as session:
            session.add(User(name="Clare Platt"))
            session.flush()
            raise RuntimeError("boom")
        with session_scope(engine) as session:
            assert session.scalar(sa.select(sa.func.count()).select_from(User)) == 0
    finally:
        engine.dispose()


def test_roles_cascade_with_their_user(app_db_url: str) -> None:
    engine = open_app_db(app_db_url)
    try:
        with session_scope(engine) as session:
            user = User(name="A. Approver")
            session.add(user)
            session.flush()
            session.add(UserRole(user_id=user.id, role="approver"))
        with session_scope(engine) as session:
            user = session.scalar(sa.select(User))
            assert user.role_names == {"approver"}
            session.delete(user)
        with session_scope(engine) as session:
            assert session.scalar(sa.select(sa.func.count()).select_from(UserRole)) == 0
    finally:
        engine.dispose()


def test_one_head_and_the_framework_migration_is_first() -> None:
    from alembic.script import ScriptDirectory

    from safer_communities.store.app_db import MIGRATIONS

    revisions = list(ScriptDirectory(str(MIGRATIONS)).walk_revisions())
    assert revisions[-1].revision == "0001_framework" and revisions[-1].down_revision is None
    assert revisions[0].revision == head_revision()


def test_a_bad_url_is_a_store_error() -> None:
    with pytest.raises(StoreError, match="URL cannot be used"):
        make_engine("notadb://x")
