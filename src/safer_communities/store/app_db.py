"""The application database: what the council decides and does (framework register, strategy, users).

SQLAlchemy 2 on SQLite (default, one file) or PostgreSQL (deployment). The schema is owned by Alembic
migrations in ``store/migrations``; every part of the application adds its models to ``Base`` (in its
own module, imported by ``store.app_models``) and a migration, and calls ``upgrade(url)`` before use.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

from safer_communities.errors import StoreError

MIGRATIONS = Path(__file__).with_name("migrations")

# Stable constraint names, so migrations can drop or alter them on SQLite and PostgreSQL alike.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base of every application table."""

    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


def utcnow() -> datetime:
    """Timestamps are stored in UTC; SQLite drops the zone, so readers call ``as_utc``."""
    return datetime.now(UTC)


def as_utc(value: datetime) -> datetime:
    """A timestamp read back from either backend, with its UTC zone restored."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for the application database; SQLite gets foreign keys and a busy timeout."""
    try:
        engine = sa.create_engine(url, future=True, **kwargs)
    except (sa.exc.ArgumentError, ImportError) as exc:
        raise StoreError(
            "The application database URL cannot be used.", found=f"{url!r}: {exc}",
            hint="Use sqlite:///PATH or postgresql+psycopg://USER:PASSWORD@HOST/DB (--app-db or "
                 "SAFER_APP_DB_URL).",
        ) from exc
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
        database = engine.url.database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
    return engine


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """One unit of work: committed when the block ends, rolled back entirely on any error."""
    session = sessionmaker(bind=engine, expire_on_commit=False)()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def _alembic_config(engine: Engine) -> Any:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False)
                           .replace("%", "%%"))
    return config


def upgrade(url: str | Engine, revision: str = "head") -> None:
    """Bring the schema up to ``revision`` (idempotent); called before every use of the database."""
    from alembic import command

    engine = url if isinstance(url, Engine) else make_engine(url)
    config = _alembic_config(engine)
    try:
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, revision)
    except sa.exc.OperationalError as exc:
        raise StoreError(
            "The application database could not be opened or upgraded.",
            found=str(exc.orig) if exc.orig else str(exc),
            hint="Check --app-db / SAFER_APP_DB_URL, that the server is running and the user may "
                 "create tables.",
        ) from exc
    finally:
        if not isinstance(url, Engine):
            engine.dispose()


def current_revision(engine: Engine) -> str | None:
    """The migration the database is at (None when it has never been upgraded)."""
    from alembic.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def open_app_db(url: str) -> Engine:
    """An engine on an up-to-date schema: what commands and the web app call."""
    engine = make_engine(url)
    upgrade(engine)
    return engine


def head_revision() -> str:
    """The newest migration shipped with the package (what ``upgrade`` brings a database to)."""
    from alembic.script import ScriptDirectory

    heads = ScriptDirectory(str(MIGRATIONS)).get_heads()
    if len(heads) != 1:
        raise StoreError("The application database migrations have several heads.", found=", ".join(heads),
                         hint="Set down_revision of the newest migration to the previous head.")
    return heads[0]
