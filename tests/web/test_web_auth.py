"""Sign-in: argon2 passwords, signed expiring sessions, cookie flags, CSRF, lockout, safe redirects."""

from __future__ import annotations

import time
from datetime import timedelta

import sqlalchemy as sa
from fastapi.testclient import TestClient
from web_helpers import PASSWORD, csrf_from, login

from safer_communities.web import accounts
from safer_communities.web.models import Credential, LoginFailure


def test_passwords_are_stored_as_argon2id_hashes(app) -> None:
    with app.state.engine.connect() as con:
        hashes = con.execute(sa.select(Credential.password_hash)).scalars().all()
    assert len(hashes) == 5
    assert all(h.startswith("$argon2id$") and PASSWORD not in h for h in hashes)


def test_sign_in_sets_a_signed_httponly_lax_cookie(client: TestClient) -> None:
    response = login(client, "viewer")
    assert response.status_code == 303 and response.headers["location"] == "/"
    cookie = next(c for c in response.headers.get_list("set-cookie") if c.startswith("safer_session="))
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Max-Age=28800" in cookie
    assert "Secure" not in cookie  # plain http on loopback
    assert client.get("/").status_code == 200


def test_the_cookie_is_secure_over_https(app) -> None:
    c = TestClient(app, base_url="https://testserver")
    cookies = login(c, "viewer").headers.get_list("set-cookie")
    cookie = next(x for x in cookies if x.startswith("safer_session="))
    assert "Secure" in cookie


def test_a_wrong_password_is_refused_without_saying_which_part(client: TestClient) -> None:
    wrong = login(client, "viewer", "not the password at all")
    unknown = login(client, "nosuchuser", "not the password at all")
    assert wrong.status_code == unknown.status_code == 403
    assert "The user name or password is not right." in wrong.text
    assert "The user name or password is not right." in unknown.text
    assert client.get("/", follow_redirects=False).status_code == 303


def test_a_user_without_a_password_cannot_sign_in(client: TestClient) -> None:
    assert login(client, "nobody", "").status_code in (403, 422)
    assert login(client, "nobody", PASSWORD).status_code == 403


def test_pages_redirect_to_sign_in_and_back(client: TestClient) -> None:
    response = client.get("/framework?x=1", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Fframework%3Fx%3D1"


def test_sign_in_never_redirects_off_site(client: TestClient) -> None:
    token = csrf_from(client.get("/login").text)
    for target in ("//evil.example/", "https://evil.example/", "/\\evil.example"):
        form = {"username": "viewer", "password": PASSWORD, "csrf_token": token, "next": target}
        response = client.post("/login", data=form, follow_redirects=False)
        assert response.headers["location"] == "/"
        token = csrf_from(client.get("/login").text)


def test_a_session_expires(app_factory) -> None:
    c = TestClient(app_factory(session_max_age_s=1))
    assert login(c, "viewer").status_code == 303
    assert c.get("/", follow_redirects=False).status_code == 200
    time.sleep(2.2)
    response = c.get("/", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/login")


def test_a_tampered_session_cookie_is_ignored(client: TestClient) -> None:
    login(client, "viewer")
    value = client.cookies.get("safer_session")
    client.cookies.set("safer_session", value[:-2] + ("AA" if value[-2:] != "AA" else "BB"))
    assert client.get("/", follow_redirects=False).status_code == 303


def test_a_cookie_signed_with_another_key_is_ignored(app_factory) -> None:
    other = TestClient(app_factory(secret_key="another-secret-" + "y" * 40))
    login(other, "viewer")
    c = TestClient(app_factory())
    c.cookies.set("safer_session", other.cookies.get("safer_session"))
    assert c.get("/", follow_redirects=False).status_code == 303


def test_changing_the_password_ends_sessions(app, login_as) -> None:
    c = login_as("viewer")
    assert c.get("/", follow_redirects=False).status_code == 200
    accounts.set_password(app.state.engine, "viewer", "a brand new long password")
    assert c.get("/", follow_redirects=False).status_code == 303


def test_removing_a_user_ends_their_session(app, login_as) -> None:
    c = login_as("editor")
    accounts.remove_user(app.state.engine, "editor")
    assert c.get("/framework", follow_redirects=False).status_code == 303


def test_sign_out_ends_the_session(login_as) -> None:
    c = login_as("viewer")
    token = csrf_from(c.get("/").text)
    assert c.post("/logout", data={"csrf_token": token}, follow_redirects=False).status_code == 303
    assert c.get("/", follow_redirects=False).status_code == 303


def test_forms_without_the_csrf_token_are_refused(login_as) -> None:
    c = login_as("editor")
    data = {"kind": "issues", "entry_id": "violence", "op": "update", "data": "name: Violence",
            "reason": "test"}
    for token in (None, "forged-token"):
        sent = data if token is None else {**data, "csrf_token": token}
        response = c.post("/amendments", data=sent)
        assert response.status_code == 403
        assert "did not come from this site" in response.text


def test_sign_in_itself_needs_the_csrf_token(client: TestClient) -> None:
    client.get("/login")
    response = client.post("/login", data={"username": "viewer", "password": PASSWORD})
    assert response.status_code == 403
    assert client.cookies.get("safer_session") is None


def test_a_token_from_another_browser_is_refused(app) -> None:
    attacker, victim = TestClient(app), TestClient(app)
    token = csrf_from(attacker.get("/login").text)
    victim.get("/login")
    response = victim.post("/login", data={"username": "viewer", "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 403


def test_five_failures_lock_the_user_even_with_the_right_password(app) -> None:
    c = TestClient(app)
    for _ in range(5):
        assert login(c, "analyst", "wrong password, long").status_code == 403
    locked = login(c, "analyst")
    assert locked.status_code == 403 and "locked" in locked.text
    # another address is locked out of that user too (per user), but may sign in as someone else
    other = TestClient(app, client=("10.0.0.9", 50000))
    assert "locked" in login(other, "analyst").text
    assert login(other, "viewer").status_code == 303


def test_the_lock_lifts_after_fifteen_minutes(app) -> None:
    c = TestClient(app)
    for _ in range(5):
        login(c, "analyst", "wrong password, long")
    with app.state.engine.begin() as con:  # move the failures 16 minutes into the past
        rows = con.execute(sa.select(LoginFailure.id, LoginFailure.at)).all()
        for row_id, at in rows:
            con.execute(sa.update(LoginFailure).where(LoginFailure.id == row_id)
                        .values(at=at - accounts.LOCK_WINDOW - timedelta(minutes=1)))
    assert login(c, "analyst").status_code == 303


def test_one_address_guessing_many_names_is_locked(app) -> None:
    c = TestClient(app, client=("10.0.0.7", 50000))
    for name in ("a1", "a2", "a3", "a4", "a5"):
        login(c, name, "wrong password, long")
    assert "locked" in login(c, "viewer").text
    assert login(TestClient(app, client=("10.0.0.8", 50000)), "viewer").status_code == 303


def test_success_clears_the_users_failures(app) -> None:
    c = TestClient(app)
    for _ in range(4):
        login(c, "approver", "wrong password, long")
    assert login(c, "approver").status_code == 303
    with app.state.engine.connect() as con:
        left = con.execute(sa.select(sa.func.count()).select_from(LoginFailure)
                           .where(LoginFailure.username == "approver")).scalar()
    assert left == 0


def test_security_headers(client: TestClient) -> None:
    response = client.get("/login")
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
    assert response.headers["x-content-type-options"] == "nosniff"


def test_tiles_are_allowed_only_from_the_configured_host(app_factory) -> None:
    c = TestClient(app_factory(tile_url="https://{s}.tile.example.org/{z}/{x}/{y}.png"))
    csp = c.get("/login").headers["content-security-policy"]
    assert "img-src 'self' data: https://*.tile.example.org;" in csp
    plain = TestClient(app_factory()).get("/login").headers["content-security-policy"]
    assert "tile.example.org" not in plain
