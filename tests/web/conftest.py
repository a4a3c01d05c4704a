"""Web test fixtures: the demo evidence store (built once per session from demo/data), a template
application database (framework, strategy and one user per role), and a fresh copy of it per test."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from web_helpers import PASSWORD, ROLES, SECRET, login

from safer_communities.config import Settings

# demo_store (the demo evidence store, built once per session) is in tests/conftest.py: the docs
# examples test shares it.


@pytest.fixture(scope="session")
def template_app_db(tmp_path_factory: pytest.TempPathFactory, demo_store: Path) -> Path:
    """An application database with the shipped register, the example strategy and a user per role."""
    from safer_communities.framework import amendments
    from safer_communities.framework.loader import read_framework, shipped_path
    from safer_communities.store.app_db import open_app_db
    from safer_communities.store.evidence import connect
    from safer_communities.strategy import loader as strategy_loader
    from safer_communities.web import accounts

    path = tmp_path_factory.mktemp("appdb") / "template.sqlite"
    engine = open_app_db(f"sqlite:///{path}")
    amendments.load(engine, read_framework(shipped_path()), by="Test Loader", origin="shipped register")
    con = connect(demo_store, read_only=True)
    try:
        example = Path(strategy_loader.__file__).with_name("data") / "lancashire-example.yaml"
        strategy_loader.load(engine, con, example, by="Test Loader")
    finally:
        con.close()
    for role in ROLES:
        accounts.add_user(engine, role, roles=[role], password=PASSWORD, by="tests")
    accounts.add_user(engine, "nobody", roles=["viewer"], password=None, by="tests")
    engine.dispose()
    return path


@pytest.fixture
def app_factory(tmp_path: Path, demo_store: Path, template_app_db: Path) -> Callable[..., FastAPI]:
    """Build an app on a fresh copy of the template application database, with settings overrides."""
    def make(**overrides: object) -> FastAPI:
        from safer_communities.web.app import create_app

        copy = tmp_path / f"app-{len(list(tmp_path.glob('app-*.sqlite')))}.sqlite"
        shutil.copy(template_app_db, copy)
        options: dict[str, object] = {"db": demo_store, "app_db_url": f"sqlite:///{copy}",
                                      "secret_key": SECRET}
        options.update(overrides)
        return create_app(Settings(**options))

    return make


@pytest.fixture
def app(app_factory: Callable[..., FastAPI]) -> FastAPI:
    return app_factory()


@pytest.fixture
def client(app: FastAPI) -> TestClient:
    return TestClient(app)


@pytest.fixture
def login_as(app: FastAPI) -> Callable[[str], TestClient]:
    """A client signed in as the user named after a role."""
    def signed_in(name: str) -> TestClient:
        c = TestClient(app)
        response = login(c, name)
        assert response.status_code == 303, response.text
        return c

    return signed_in
