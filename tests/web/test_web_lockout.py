"""The sign-in lockout holds against concurrent guesses (issue 11, item 5), on SQLite and PostgreSQL.

Before, each attempt counted the failures and only then checked the password, so 40 wrong passwords
sent at once were all checked against a limit of 5. Now every attempt books itself as a failure
behind one lock before any password is checked.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from web_helpers import PASSWORD, csrf_from

from safer_communities.errors import PermissionDeniedError
from safer_communities.store.app_db import open_app_db
from safer_communities.web import accounts
from safer_communities.web.models import LoginFailure

ATTEMPTS = 40


def _in_threads(n: int, attempt: Callable[[int], object]) -> list[object]:
    """Run ``attempt(i)`` in ``n`` threads released together; their results (or exceptions)."""
    barrier, results = threading.Barrier(n), [None] * n

    def run(i: int) -> None:
        barrier.wait()
        try:
            results[i] = attempt(i)
        except Exception as exc:  # the test inspects what each thread got
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    return results


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many times a password was actually checked (argon2), across every thread."""
    calls: list[int] = []
    real = accounts._verify
    lock = threading.Lock()

    def verify(password_hash: str, password: str) -> bool:
        with lock:
            calls.append(1)
        return real(password_hash, password)

    monkeypatch.setattr(accounts, "_verify", verify)
    return calls


def test_forty_concurrent_wrong_passwords_check_at_most_five(app_db_url: str, counted: list[int]) -> None:
    engine = open_app_db(app_db_url)
    try:
        accounts.add_user(engine, "target", roles=["approver"], password=PASSWORD, by="tests")
        results = _in_threads(ATTEMPTS, lambda i: accounts.authenticate(
            engine, "target", f"wrong guess number {i:02d}", f"10.1.{i}.1"))
        assert all(isinstance(r, PermissionDeniedError) for r in results), results
        locked = [r for r in results if "locked" in r.what]
        assert len(counted) == accounts.MAX_FAILURES  # exactly the limit evaluated, not 40
        assert len(locked) == ATTEMPTS - accounts.MAX_FAILURES
        with engine.connect() as con:
            booked = con.execute(sa.select(sa.func.count()).select_from(LoginFailure)).scalar()
        assert booked == accounts.MAX_FAILURES
        # and the right password is refused too while the lock lasts
        with pytest.raises(PermissionDeniedError, match="locked"):
            accounts.authenticate(engine, "target", PASSWORD, "10.9.9.9")
        assert len(counted) == accounts.MAX_FAILURES
    finally:
        engine.dispose()


def test_concurrent_guesses_from_one_address_at_many_names(app_db_url: str, counted: list[int]) -> None:
    engine = open_app_db(app_db_url)
    try:
        results = _in_threads(ATTEMPTS, lambda i: accounts.authenticate(
            engine, f"guess{i}", "wrong password, long", "10.2.0.1"))
        assert all(isinstance(r, PermissionDeniedError) for r in results)
        assert len(counted) == accounts.MAX_FAILURES
    finally:
        engine.dispose()


def test_concurrent_sign_in_requests_through_the_page(app, counted: list[int]) -> None:
    """The same through POST /login: 40 browsers at once, each with its own CSRF token."""
    clients = [TestClient(app) for _ in range(ATTEMPTS)]
    tokens = [csrf_from(c.get("/login").text) for c in clients]

    def attempt(i: int) -> int:
        form = {"username": "editor", "password": f"wrong guess number {i:02d}", "csrf_token": tokens[i]}
        return clients[i].post("/login", data=form, follow_redirects=False).status_code

    statuses = _in_threads(ATTEMPTS, attempt)
    assert statuses == [403] * ATTEMPTS
    assert len(counted) == accounts.MAX_FAILURES


def test_a_correct_password_after_a_few_failures_still_signs_in(app_db_url: str, counted: list[int]) -> None:
    engine = open_app_db(app_db_url)
    try:
        accounts.add_user(engine, "target", roles=["viewer"], password=PASSWORD, by="tests")
        for _ in range(accounts.MAX_FAILURES - 1):
            with pytest.raises(PermissionDeniedError):
                accounts.authenticate(engine, "target", "wrong password, long", "10.3.0.1")
        assert accounts.authenticate(engine, "target", PASSWORD, "10.3.0.1").name == "target"
        with engine.connect() as con:
            assert con.execute(sa.select(sa.func.count()).select_from(LoginFailure)).scalar() == 0
        assert len(counted) == accounts.MAX_FAILURES
    finally:
        engine.dispose()
