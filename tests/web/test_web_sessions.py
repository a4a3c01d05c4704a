"""Sessions and secrets (issue 11, item 3): the attacks of the issue, run against the app.

A forged cookie (signed with the default secret, or even with the real one, for a password-less user
and a guessed sequential id), a cookie replayed after sign-out and malformed cookies must all end as
"not signed in": 401 from the API, the sign-in page for pages, never a 500.
"""

from __future__ import annotations

import hashlib
import json

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from itsdangerous import URLSafeTimedSerializer
from web_helpers import SECRET, csrf_from, login

from safer_communities.config import Settings
from safer_communities.store.app_models import User
from safer_communities.web import accounts, sessions
from safer_communities.web.models_security import WebSession
from safer_communities.web.sessions import InsecureSettingsError

DEFAULT_SECRET = "change-me-in-deployment"


def _user_id(app, name: str) -> int:
    with app.state.engine.connect() as con:
        return int(con.execute(sa.select(User.id).where(User.name == name)).scalar_one())


def _forged_cookies(secret: str, user_id: int) -> list[str]:
    """What an attacker who knows ``secret`` can sign: the old payload (user id + the constant
    fingerprint of a user without a password), under the old and the new salt, and guessed tokens."""
    constant = hashlib.sha256(b"").hexdigest()
    out = []
    for salt in ("safer-session", "safer-session-v2"):
        signer = URLSafeTimedSerializer(secret, salt=salt)
        out += [signer.dumps({"u": user_id, "f": constant[:16]}), signer.dumps({"u": user_id, "f": constant}),
                signer.dumps({"s": "A" * 43}), signer.dumps({"s": str(user_id) * 30}),
                signer.dumps({"s": constant, "u": user_id})]
    return out


@pytest.mark.parametrize("secret", [DEFAULT_SECRET, "", "   ", "short-secret", "change-me"])
def test_a_weak_secret_refuses_to_start_outside_public_mode(app_factory, secret: str) -> None:
    with pytest.raises(InsecureSettingsError) as caught:
        app_factory(secret_key=secret)
    assert "SAFER_SECRET_KEY" in caught.value.hint and "token_hex" in caught.value.hint


def test_safer_serve_refuses_the_default_secret_with_exit_code_2(demo_store, tmp_path, monkeypatch,
                                                                  capsys) -> None:
    from safer_communities.cli import main

    monkeypatch.delenv("SAFER_SECRET_KEY", raising=False)
    monkeypatch.delenv("SAFER_PUBLIC_MODE", raising=False)
    monkeypatch.setattr("sys.argv", ["safer", "--db", str(demo_store), "--app-db",
                                     f"sqlite:///{tmp_path}/a.sqlite", "serve", "--port", "1"])
    with pytest.raises(SystemExit) as exit_info:
        main()
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "secret that signs sessions cannot be used: it is the default" in err
    assert "Traceback" not in err and not (tmp_path / "a.sqlite").exists()


def test_public_mode_with_the_default_secret_serves_aggregates_but_no_sign_in(app_factory) -> None:
    app = app_factory(secret_key=DEFAULT_SECRET, public_mode=True)
    c = TestClient(app)
    assert c.get("/api/v1/areas").status_code == 200
    response = login(c, "approver")
    assert response.status_code == 403 and "Sign-in is switched off" in response.text
    assert c.cookies.get("safer_session") is None
    assert sessions.count(app.state.engine) == 0


def test_a_forged_cookie_for_a_password_less_approver_is_refused(app_factory) -> None:
    """The issue's attack: sign a cookie with the default secret for a user without a password and a
    sequential id. It is tried on a public site running with that secret, and on a properly configured
    site with its real secret (as if the secret had leaked): neither accepts it."""
    for options in ({"secret_key": DEFAULT_SECRET, "public_mode": True}, {"secret_key": SECRET}):
        app = app_factory(**options)
        accounts.add_user(app.state.engine, "cli-approver", roles=["approver", "admin"], password=None,
                          by="tests")
        target = _user_id(app, "cli-approver")
        tried = 0
        for guess in range(max(1, target - 3), target + 4):  # sequential ids around the real one
            for cookie in _forged_cookies(options["secret_key"], guess):
                c = TestClient(app)
                c.cookies.set("safer_session", cookie)
                assert c.get("/api/v1/me").status_code == 401
                assert c.get("/admin/users", follow_redirects=False).status_code == 303
                token = csrf_from(c.get("/login").text)
                approve = c.post("/amendments/1/approve", data={"csrf_token": token, "consulted": "x"},
                                 follow_redirects=False)
                assert approve.status_code == 303 and approve.headers["location"].startswith("/login")
                tried += 1
        assert tried == 70
        assert sessions.count(app.state.engine) == 0


def test_no_session_is_ever_started_for_a_user_without_a_password(app) -> None:
    nobody = _user_id(app, "nobody")
    with pytest.raises(InsecureSettingsError):
        sessions.start(app.state.engine, nobody, max_age_s=60, ip="-")
    # Even a row written straight into the table does not make a session of it.
    token = "t" * 43
    with app.state.engine.begin() as con:
        con.execute(sa.insert(WebSession).values(
            id=hashlib.sha256(token.encode()).hexdigest(), user_id=nobody,
            fingerprint=sessions.fingerprint(""), created_at=sa.func.current_timestamp(),
            expires_at=sa.text("'2999-01-01 00:00:00'"), ip="-"))
    c = TestClient(app)
    signer = URLSafeTimedSerializer(SECRET, salt="safer-session-v2")
    c.cookies.set("safer_session", signer.dumps({"s": token}))
    assert c.get("/api/v1/me").status_code == 401


def test_a_cookie_replayed_after_sign_out_is_refused(app, login_as) -> None:
    c = login_as("editor")
    stolen = c.cookies.get("safer_session")
    assert c.get("/api/v1/me").json()["name"] == "editor"
    assert sessions.count(app.state.engine, _user_id(app, "editor")) == 1
    token = csrf_from(c.get("/").text)
    assert c.post("/logout", data={"csrf_token": token}, follow_redirects=False).status_code == 303
    assert sessions.count(app.state.engine, _user_id(app, "editor")) == 0
    replay = TestClient(app)
    replay.cookies.set("safer_session", stolen)  # well within its 8 hours, signature still valid
    assert replay.get("/api/v1/me").status_code == 401
    assert replay.get("/framework", follow_redirects=False).status_code == 303


def test_signing_out_one_browser_leaves_the_others(app, login_as) -> None:
    first, second = login_as("viewer"), login_as("viewer")
    first.post("/logout", data={"csrf_token": csrf_from(first.get("/").text)})
    assert first.get("/api/v1/me").status_code == 401
    assert second.get("/api/v1/me").json()["name"] == "viewer"


def test_a_new_password_ends_every_session(app, login_as) -> None:
    c = login_as("analyst")
    accounts.set_password(app.state.engine, "analyst", "another long password here")
    assert sessions.count(app.state.engine, _user_id(app, "analyst")) == 0
    assert c.get("/api/v1/me").status_code == 401
    assert login(TestClient(app), "analyst", "another long password here").status_code == 303


def test_a_session_row_past_its_expiry_is_refused(app, login_as) -> None:
    c = login_as("viewer")
    with app.state.engine.begin() as con:
        con.execute(sa.update(WebSession).values(expires_at=sa.text("'2000-01-01 00:00:00'")))
    assert c.get("/api/v1/me").status_code == 401


def test_sign_in_stores_only_a_hash_of_the_token(app, login_as) -> None:
    c = login_as("viewer")
    token = URLSafeTimedSerializer(SECRET, salt="safer-session-v2").loads(c.cookies.get("safer_session"))["s"]
    with app.state.engine.connect() as con:
        ids = con.execute(sa.select(WebSession.id)).scalars().all()
    assert ids == [hashlib.sha256(token.encode()).hexdigest()]
    assert token not in ids


payloads = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=60),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.sampled_from(["u", "f", "s", "x", ""]),
                                                                 inner, max_size=3),
    max_leaves=8,
)


@given(payload=payloads, raw=st.text(max_size=200))
@settings(max_examples=30, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
def test_malformed_cookies_are_401_never_500(app, payload, raw: str) -> None:
    """Any payload signed with the real secret (JSON of any shape), and any raw text, is no session."""
    signed = URLSafeTimedSerializer(SECRET, salt="safer-session-v2").dumps(payload)
    for cookie in (signed, raw, signed[:-3], json.dumps(payload, default=str)):
        c = TestClient(app, raise_server_exceptions=False)
        c.headers["cookie"] = "safer_session=" + "".join(ch for ch in cookie if 32 < ord(ch) < 127
                                                         and ch not in ';,"\\')
        api = c.get("/api/v1/me")
        assert api.status_code == 401 and api.json()["error"] == "not_authenticated"
        assert c.get("/framework", follow_redirects=False).status_code == 303


def test_secret_rules() -> None:
    assert sessions.secret_problem(Settings(secret_key="x" * 32)) is None
    assert sessions.secret_problem(Settings(secret_key="x" * 31)) == "it has 31 characters, fewer than 32"
    assert sessions.secret_problem(Settings(secret_key=DEFAULT_SECRET)) == "it is the default"
    assert sessions.secret_problem(Settings(secret_key="")) == "it is empty"
    assert sessions.check_secret(Settings(secret_key="", public_mode=True)) is False
