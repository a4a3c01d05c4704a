"""Helpers shared by the web tests: the test users' password, CSRF and sign-in."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

PASSWORD = "correct horse battery staple"
ROLES = ("viewer", "analyst", "editor", "approver", "admin")
SECRET = "test-secret-" + "x" * 40


def csrf_from(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "the page has no CSRF token"
    return match.group(1)


def login(client: TestClient, name: str, password: str = PASSWORD) -> object:
    token = csrf_from(client.get("/login").text)
    return client.post("/login", data={"username": name, "password": password, "csrf_token": token,
                                       "next": "/"}, follow_redirects=False)
