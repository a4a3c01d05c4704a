"""`safer users` and `safer serve --help`: the commands that manage who can sign in."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from safer_communities.cli import app, main
from safer_communities.errors import InputError
from safer_communities.store.app_db import open_app_db
from safer_communities.web import accounts, audit


def _run(url: str, *args: str, stdin: str | None = None) -> object:
    return CliRunner().invoke(app, ["--app-db", url, "users", *args], input=stdin, catch_exceptions=False)


def test_add_list_set_role_remove(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'app.sqlite'}"
    result = _run(url, "add", "Clare Platt", "--role", "approver", "--role", "editor", "--password-stdin",
                  stdin="a long enough password\n")
    assert result.exit_code == 0, result.output
    assert "Added Clare Platt with roles: approver, editor." in result.output
    engine = open_app_db(url)
    account = accounts.authenticate(engine, "Clare Platt", "a long enough password", "127.0.0.1")
    assert account.roles == {"approver", "editor"}
    assert _run(url, "set-role", "Clare Platt", "--role", "viewer").exit_code == 0
    listed = _run(url, "list", "--json").output
    assert '"viewer"' in listed and '"approver"' not in listed
    assert _run(url, "remove", "Clare Platt").exit_code == 0
    assert accounts.list_users(engine) == []
    actions = [e["action"] for e in audit.entries(engine)]
    assert actions == ["user_removed", "user_roles_set", "user_added"]


def test_errors_exit_with_code_2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    url = f"sqlite:///{tmp_path / 'app.sqlite'}"
    argv = ["safer", "--app-db", url, "users", "set-role", "nobody", "--role", "viewer"]
    monkeypatch.setattr("sys.argv", argv)
    with pytest.raises(SystemExit) as exit_info:
        main()
    assert exit_info.value.code == 2
    assert "There is no user 'nobody'." in capsys.readouterr().err


def test_short_passwords_and_unknown_roles_are_refused(tmp_path: Path) -> None:
    engine = open_app_db(f"sqlite:///{tmp_path / 'app.sqlite'}")
    with pytest.raises(InputError, match="too short"):
        accounts.add_user(engine, "x", roles=["viewer"], password="short", by="t")
    with pytest.raises(InputError, match="Unknown role"):
        accounts.add_user(engine, "x", roles=["superuser"], password="a long enough password", by="t")
    assert accounts.list_users(engine) == []


def test_token_is_printed_once_and_works(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'app.sqlite'}"
    _run(url, "add", "partner", "--role", "viewer", "--no-password")
    token = _run(url, "token", "partner", "--label", "fire service").output.strip()
    assert token.startswith("sc_") and len(token) > 40
    assert accounts.token_account(open_app_db(url), token).name == "partner"


def test_serve_has_help() -> None:
    result = CliRunner().invoke(app, ["serve", "--help"])
    assert result.exit_code == 0 and "--workers" in result.output and "--port" in result.output


@settings(max_examples=40, deadline=None)
@given(name=st.text(max_size=40), password=st.text(max_size=40))
def test_authenticate_never_fails_unexpectedly(name: str, password: str, tmp_path_factory) -> None:
    """Whatever is typed into the sign-in form, the answer is an account or a tidy refusal."""
    engine = _hypothesis_engine(tmp_path_factory)
    try:
        accounts.authenticate(engine, name, password, "203.0.113.5")
    except accounts.PermissionDeniedError as exc:
        assert exc.what


_ENGINES: dict[str, object] = {}


def _hypothesis_engine(factory: pytest.TempPathFactory) -> object:
    if "e" not in _ENGINES:
        engine = open_app_db(f"sqlite:///{factory.mktemp('hyp') / 'app.sqlite'}")
        accounts.add_user(engine, "known", roles=["viewer"], password="a long enough password", by="t")
        _ENGINES["e"] = engine
    return _ENGINES["e"]


def test_safer_serve_starts_workers_that_answer(demo_store: Path, tmp_path: Path) -> None:
    import os
    import signal
    import socket
    import subprocess
    import sys
    import time

    import httpx

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    safer = Path(sys.executable).with_name("safer")
    env = {**os.environ, "SAFER_SECRET_KEY": "k" * 40}
    command = [str(safer), "--db", str(demo_store), "--app-db", f"sqlite:///{tmp_path / 'a.sqlite'}",
               "serve", "--port", str(port), "--workers", "2"]
    proc = subprocess.Popen(command, env=env, start_new_session=True, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        deadline, response = time.monotonic() + 60, None
        while time.monotonic() < deadline and response is None:
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/api/v1/areas", timeout=2)
            except httpx.HTTPError:
                time.sleep(0.3)
        assert response is not None and response.status_code == 401  # up, and asking for sign-in
        assert response.json()["error"] == "not_authenticated"
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
