"""Migration 0003 on SQLite and PostgreSQL: accounts, the shared lockout and the append-only audit log."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from safer_communities.errors import PermissionDeniedError
from safer_communities.store.app_db import current_revision, head_revision, open_app_db, upgrade
from safer_communities.web import accounts, audit
from safer_communities.web.models import AuditEntry

PASSWORD = "correct horse battery staple"


def test_accounts_lockout_and_audit_on_each_backend(app_db_url: str) -> None:
    engine = open_app_db(app_db_url)
    assert current_revision(engine) == head_revision()
    accounts.add_user(engine, "Clare Platt", roles=["approver", "viewer"], password=PASSWORD, by="t")
    assert accounts.authenticate(engine, "Clare  Platt", PASSWORD, "10.1.1.1").roles == {"approver", "viewer"}
    for _ in range(accounts.MAX_FAILURES):
        with pytest.raises(PermissionDeniedError, match="not right"):
            accounts.authenticate(engine, "Clare Platt", "wrong but long enough", "10.1.1.1")
    # a second engine stands for another worker: it sees the same lock
    other = open_app_db(app_db_url)
    with pytest.raises(PermissionDeniedError, match="locked"):
        accounts.authenticate(other, "Clare Platt", PASSWORD, "10.9.9.9")
    audit.record(engine, actor="Clare Platt", action="login", ip="10.1.1.1")
    with pytest.raises(sa.exc.DatabaseError, match="append-only"), engine.begin() as con:
        con.execute(sa.delete(AuditEntry))
    assert [e["action"] for e in audit.entries(other)] == ["login"]
    accounts.remove_user(engine, "Clare Platt")
    assert accounts.list_users(engine) == []
    other.dispose()
    engine.dispose()


def test_downgrade_and_upgrade_again(app_db_url: str) -> None:
    engine = open_app_db(app_db_url)
    from alembic import command

    from safer_communities.store.app_db import _alembic_config

    config = _alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0002_strategy")
    assert current_revision(engine) == "0002_strategy"
    assert "audit_log" not in sa.inspect(engine).get_table_names()
    upgrade(engine)
    assert {"audit_log", "api_tokens", "login_failures", "user_credentials"} <= set(
        sa.inspect(engine).get_table_names())
    engine.dispose()
