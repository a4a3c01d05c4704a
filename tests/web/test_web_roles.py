"""Every route x every role: allowed or refused as designed (table-driven)."""

from __future__ import annotations

from datetime import date

import pytest
from fastapi.testclient import TestClient
from web_helpers import ROLES, csrf_from

from safer_communities.framework import amendments as fa

ANON = "anonymous"
EVERYONE = set(ROLES)
READ_PAGES = ["/", "/?issue=asb&area=E07000117&period=2021", "/framework", "/amendments", "/strategy",
              "/quality", "/issues/violence", "/issues/domestic-abuse", "/areas/E07000117"]
READ_API = ["/api/v1/areas", "/api/v1/issues", "/api/v1/evidence/rates", "/api/v1/evidence/trend",
            "/api/v1/evidence/map?area=E07000117", "/api/v1/framework", "/api/v1/framework/versions",
            "/api/v1/framework/issues/violence", "/api/v1/strategy/status", "/api/v1/me"]
ACTION = "/strategy/actions/example-community-safety-agreement/family-hubs-outreach"
# (method, path, roles allowed, status when allowed, status for anonymous)
MATRIX: list[tuple[str, str, set[str], int, int]] = [
    *[("GET", p, EVERYONE, 200, 303) for p in READ_PAGES],
    *[("GET", p, EVERYONE, 200, 401) for p in READ_API],
    ("GET", "/reports", {"analyst"}, 200, 303),
    ("GET", "/admin/audit", {"admin"}, 200, 303),
    ("GET", "/admin/audit.csv", {"admin"}, 200, 303),
    ("GET", "/admin/users", {"admin"}, 200, 303),
    ("POST", "/amendments", {"editor"}, 303, 303),
    ("POST", "/amendments/{id}/approve", {"approver"}, 303, 303),
    ("POST", "/amendments/{id}/reject", {"approver"}, 303, 303),
    ("POST", "/reports#refused-only", set(), 200, 303),
    ("POST", ACTION, {"editor"}, 303, 303),
    ("PATCH", "/api/v1" + ACTION, {"editor"}, 200, 401),
]
FORMS = {
    "/amendments": {"kind": "issues", "entry_id": "violence", "op": "update",
                    "data": "description: Violence against the person, as recorded by the police.",
                    "reason": "Clearer wording for residents."},
    "/amendments/{id}/approve": {"consulted": "Cabinet Member for Community and Cultural Services",
                                 "consulted_on": date.today().isoformat(), "outcome": "Agreed."},
    "/amendments/{id}/reject": {"note": "Not needed."},
    "/reports#refused-only": {"area": "E07000117", "fmt": "html"},
    ACTION: {"status": "complete", "note": "Outreach finished in all districts."},
}


def _client(app, login_as, role: str) -> TestClient:
    return TestClient(app) if role == ANON else login_as(role)


@pytest.mark.parametrize("role", [ANON, *ROLES])
@pytest.mark.parametrize(("method", "path", "allowed", "ok", "anon"), MATRIX,
                         ids=[f"{m} {p}" for m, p, *_ in MATRIX])
def test_route_by_role(app, login_as, role: str, method: str, path: str, allowed: set[str], ok: int,
                       anon: int) -> None:
    c = _client(app, login_as, role)
    if method == "GET":
        response = c.get(path, follow_redirects=False)
    elif method == "PATCH":
        token = csrf_from(c.get("/login").text) if role == ANON else csrf_from(c.get("/").text)
        response = c.patch(path, json={"status": "complete"}, headers={"X-CSRF-Token": token})
    else:
        if path == "/reports#refused-only" and role == "analyst":
            pytest.skip("building a report is tested on its own (it takes about 40 s)")
        change = fa.Change("issues", "asb", "update", {"description": "Anti-social behaviour."})
        number = fa.propose(app.state.engine, by="editor", reason="A test amendment.", changes=[change])
        token = csrf_from(c.get("/login").text) if role == ANON else csrf_from(c.get("/").text)
        target = path.replace("{id}", str(number)).split("#")[0]
        response = c.post(target, data={**FORMS[path], "csrf_token": token}, follow_redirects=False)
    expected = anon if role == ANON else (ok if role in allowed else 403)
    assert response.status_code == expected, response.text[:300]
    if role == ANON and expected == 303:
        assert response.headers["location"].startswith("/login?next=")
    if role != ANON and expected == 403 and path.startswith("/api/"):
        assert response.json()["error"] == "permission_denied"


def test_public_mode_opens_aggregates_only(app_factory) -> None:
    c = TestClient(app_factory(public_mode=True))
    for path in ("/", "/api/v1/areas", "/api/v1/issues", "/api/v1/evidence/rates", "/api/v1/evidence/map"):
        assert c.get(path, follow_redirects=False).status_code == 200, path
    assert c.get("/framework", follow_redirects=False).status_code == 303
    assert c.get("/api/v1/framework").status_code == 401
    assert c.get("/api/v1/strategy/status").status_code == 401
    assert c.get("/admin/audit", follow_redirects=False).status_code == 303
    page = c.get("/").text
    assert "Public view" in page and 'href="/framework"' not in page
