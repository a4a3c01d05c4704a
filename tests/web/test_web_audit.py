"""The audit log: every login, write and export; append-only in the database; exportable as CSV."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from web_helpers import csrf_from, login

from safer_communities.framework import amendments as fa
from safer_communities.web import audit
from safer_communities.web.models import AuditEntry


def _actions(app) -> list[tuple[str, str, str]]:
    return [(e["actor"], e["action"], e["object"]) for e in reversed(audit.entries(app.state.engine))]


def test_propose_then_approve_through_the_pages_is_audited(app, login_as) -> None:
    editor = login_as("editor")
    form = {"kind": "issues", "entry_id": "violence", "op": "update", "reason": "Clearer for residents.",
            "data": "description: Violence against the person recorded by Lancashire Constabulary."}
    form["csrf_token"] = csrf_from(editor.get("/amendments").text)
    response = editor.post("/amendments", data=form, follow_redirects=False)
    assert response.status_code == 303
    number = fa.history(app.state.engine)[-1].id
    approver = login_as("approver")
    page = approver.get("/amendments").text
    assert f"Approve amendment {number}" in page
    response = approver.post(f"/amendments/{number}/approve", data={
        "consulted": "Cabinet Member for Community and Cultural Services", "csrf_token": csrf_from(page),
        "consulted_on": date.today().isoformat(), "outcome": "Agreed by e-mail."},
        follow_redirects=False)
    assert response.status_code == 303
    view = fa.history(app.state.engine)[-1]
    assert view.status == "approved" and view.published_version == 2 and view.decided_by == "approver"
    assert "Lancashire Constabulary" in approver.get("/amendments").text  # the diff is shown
    actions = _actions(app)
    assert ("editor", "login", "") in actions and ("approver", "login", "") in actions
    assert ("editor", "amendment_proposed", f"amendment {number}") in actions
    assert ("approver", "amendment_approved", f"amendment {number}") in actions
    entry = audit.entries(app.state.engine, action="amendment_approved")[0]
    assert entry["ip"] == "testclient" and "version 2" in entry["detail"]


def test_a_bad_proposal_is_explained_on_the_page(login_as) -> None:
    editor = login_as("editor")
    token = csrf_from(editor.get("/amendments").text)
    response = editor.post("/amendments", data={"kind": "issues", "entry_id": "no-such-issue", "op": "update",
                                                "data": "name: X", "reason": "r", "csrf_token": token})
    assert response.status_code == 422 and 'role="alert"' in response.text


def test_rejecting_needs_a_reason_and_is_audited(app, login_as) -> None:
    number = fa.propose(app.state.engine, by="editor", reason="r",
                        changes=[fa.Change("issues", "asb", "update", {"description": "ASB."})])
    approver = login_as("approver")
    token = csrf_from(approver.get("/amendments").text)
    refused = approver.post(f"/amendments/{number}/reject", data={"note": "", "csrf_token": token})
    assert refused.status_code == 422
    ok = approver.post(f"/amendments/{number}/reject", data={"note": "Wording agreed elsewhere.",
                                                             "csrf_token": token}, follow_redirects=False)
    assert ok.status_code == 303
    assert ("approver", "amendment_rejected", f"amendment {number}") in _actions(app)


def test_failed_logins_are_audited_with_the_address(app) -> None:
    login(TestClient(app, client=("192.0.2.10", 4000)), "viewer", "wrong password, long")
    entry = audit.entries(app.state.engine, action="login_failed")[0]
    assert entry["actor"] == "viewer" and entry["ip"] == "192.0.2.10"


def test_the_database_refuses_to_change_or_delete_entries(app) -> None:
    audit.record(app.state.engine, actor="x", action="test", obj="o", ip="1.2.3.4")
    for statement in (sa.update(AuditEntry).values(actor="someone else"), sa.delete(AuditEntry)):
        with pytest.raises(sa.exc.DatabaseError, match="append-only"), app.state.engine.begin() as con:
            con.execute(statement)
    assert audit.entries(app.state.engine)[0]["actor"] == "x"


def test_admin_sees_and_exports_the_log(app, login_as) -> None:
    audit.record(app.state.engine, actor="=cmd|' /C calc'!A0", action="login_failed", ip="198.51.100.1")
    admin = login_as("admin")
    page = admin.get("/admin/audit")
    assert page.status_code == 200 and "login_failed" in page.text
    response = admin.get("/admin/audit.csv")
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.text)))
    planted = next(r for r in rows if r["ip"] == "198.51.100.1")
    assert planted["actor"].startswith("'=")  # neutralised for spreadsheets
    assert {r["action"] for r in rows} >= {"login", "login_failed"}
    assert audit.entries(app.state.engine, action="export_audit")[0]["actor"] == "admin"


@pytest.mark.slow
def test_an_analyst_builds_and_downloads_a_needs_assessment(app, login_as) -> None:
    """The real builder, in the background: the request returns at once, then the job finishes."""
    import time
    import zipfile

    analyst = login_as("analyst")
    token = csrf_from(analyst.get("/reports").text)
    form = {"area": "E07000117", "fmt": "html", "period": "latest-12-months", "csrf_token": token}
    started = time.monotonic()
    response = analyst.post("/reports", data=form, follow_redirects=False)
    assert response.status_code == 303, response.text[:500]
    assert time.monotonic() - started < 5
    status_url = response.headers["location"] + "/status"
    deadline = time.monotonic() + 300
    while (status := analyst.get(status_url).json())["status"] not in ("done", "failed"):
        assert time.monotonic() < deadline, status
        time.sleep(1)
    assert status["status"] == "done", status["error"]
    response = analyst.get(status["download"])
    assert response.headers["content-type"] == "application/zip"
    names = zipfile.ZipFile(io.BytesIO(response.content)).namelist()
    assert "index.html" in names and "manifest.json" in names
    assert audit.entries(app.state.engine, action="report_built")[0]["actor"] == "analyst"
    assert audit.entries(app.state.engine, action="export_report")[0]["actor"] == "analyst"
