"""Updating strategy actions: the function's rules, the tracker form (editors only, CSRF, audit) and the
``PATCH`` API with an editor's token."""

from __future__ import annotations

from datetime import date

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from web_helpers import csrf_from

from safer_communities.errors import InputError, NotFoundError
from safer_communities.strategy.updates import STATUSES, update_action
from safer_communities.web import accounts, audit

SID = "example-community-safety-agreement"
AID = "family-hubs-outreach"  # in-progress, 2021-09-01 to 2022-09-30 in the example strategy
PATH = f"/strategy/actions/{SID}/{AID}"


def test_update_action_changes_status_and_due(app) -> None:
    change = update_action(app.state.engine, SID, AID, status="complete", due=date(2022, 12, 31))
    assert (change.status_before, change.status_after) == ("in-progress", "complete")
    assert (change.due_before, change.due_after) == (date(2022, 9, 30), date(2022, 12, 31))
    assert change.describe() == "status in-progress -> complete; due 2022-09-30 -> 2022-12-31"
    again = update_action(app.state.engine, SID, AID, status="complete")
    assert again.status_before == "complete" and again.due_after == date(2022, 12, 31)
    assert not again.changed


def test_update_action_refuses_bad_input(app) -> None:
    engine = app.state.engine
    with pytest.raises(NotFoundError) as missing:
        update_action(engine, SID, "no-such-action", status="complete")
    assert "no-such-action" in (missing.value.found or "")
    with pytest.raises(NotFoundError) as no_strategy:
        update_action(engine, "no-such-strategy", AID, status="complete")
    assert no_strategy.value.found == "strategy 'no-such-strategy'"
    with pytest.raises(InputError) as status:
        update_action(engine, SID, AID, status="finished")
    assert all(s in (status.value.hint or "") for s in STATUSES)
    with pytest.raises(InputError) as early:
        update_action(engine, SID, AID, status="complete", due=date(2021, 8, 31))
    assert "start 2021-09-01" in (early.value.found or "")
    # Nothing was written by the refused updates.
    assert update_action(engine, SID, AID, status="in-progress").status_before == "in-progress"


def _row(html: str) -> str:
    start = html.index(f'id="action-{SID}-{AID}"')
    return html[start:html.index("</tr>", start)]


def test_editor_updates_from_tracker_and_it_is_audited(app, login_as) -> None:
    c = login_as("editor")
    page = c.get("/strategy").text
    assert f'action="{PATH}"' in page and "in-progress" in _row(page)
    response = c.post(PATH, data={"status": "delayed", "due": "2023-03-31", "note": "Staff vacancy.",
                                  "csrf_token": csrf_from(page)}, follow_redirects=False)
    assert response.status_code == 303
    row = _row(c.get("/strategy").text)
    assert '<td class="action-status">delayed</td>' in row and "2023-03-31" in row
    entry = audit.entries(app.state.engine, action="action_updated")[0]
    assert entry["actor"] == "editor" and entry["object"] == f"action {SID}/{AID}"
    assert entry["detail"] == ("status in-progress -> delayed; due 2022-09-30 -> 2023-03-31; "
                               "note: Staff vacancy.")
    assert entry["ip"] == "testclient"


def test_tracker_form_needs_csrf_and_editor(app, login_as) -> None:
    c = login_as("editor")
    assert c.post(PATH, data={"status": "complete"}, follow_redirects=False).status_code == 403
    viewer = login_as("viewer")
    page = viewer.get("/strategy").text
    assert f'action="{PATH}"' not in page
    refused = viewer.post(PATH, data={"status": "complete", "csrf_token": csrf_from(page)})
    assert refused.status_code == 403
    assert audit.entries(app.state.engine, action="action_updated") == []


def test_tracker_form_shows_the_problem(app, login_as) -> None:
    c = login_as("editor")
    token = csrf_from(c.get("/strategy").text)
    bad = c.post(PATH, data={"status": "finished", "csrf_token": token})
    assert bad.status_code == 422 and "not-started" in bad.text
    early = c.post(PATH, data={"status": "complete", "due": "2020-01-01", "csrf_token": token})
    assert early.status_code == 422 and "before the action starts" in early.text


def test_api_patch_with_editor_token(app) -> None:
    engine = app.state.engine
    c = TestClient(app)
    editor = {"Authorization": f"Bearer {accounts.create_token(engine, 'editor', 'partner')}"}
    viewer = {"Authorization": f"Bearer {accounts.create_token(engine, 'viewer', 'partner')}"}
    url = f"/api/v1{PATH}"
    ok = c.patch(url, json={"status": "complete", "note": "Done."}, headers=editor)
    assert ok.status_code == 200
    assert ok.json() == {"strategy_id": SID, "action_id": AID, "title": ok.json()["title"],
                         "status_before": "in-progress", "status": "complete", "due_before": "2022-09-30",
                         "due": "2022-09-30", "changed": True}
    status = c.get("/api/v1/strategy/status", headers=viewer).json()
    action = next(a for s in status["strategies"] for a in s["actions"] if a["action_id"] == AID)
    assert action["status"] == "complete"
    assert audit.entries(engine, action="action_updated")[0]["detail"] == \
        "status in-progress -> complete; note: Done."

    refused = c.patch(url, json={"status": "complete"}, headers=viewer)
    assert refused.status_code == 403 and refused.json()["error"] == "permission_denied"
    assert c.patch(url, json={"status": "complete"}).status_code == 401
    for body, code, error in (({"status": "finished"}, 422, "input_error"),
                              ({"status": "complete", "due": "2021-01-01"}, 422, "input_error"),
                              ({"status": "complete", "extra": 1}, 422, "input_error")):
        response = c.patch(url, json=body, headers=editor)
        assert response.status_code == code and response.json()["error"] == error, response.text
        assert set(response.json()) == {"error", "what", "found", "hint"}
    missing = c.patch(f"/api/v1/strategy/actions/{SID}/no-such-action", json={"status": "complete"},
                      headers=editor)
    assert missing.status_code == 404 and missing.json()["error"] == "not_found"


def test_api_patch_with_session_needs_csrf_header(app, login_as) -> None:
    c = login_as("editor")
    token = csrf_from(c.get("/strategy").text)
    url = f"/api/v1{PATH}"
    assert c.patch(url, json={"status": "delayed"}).status_code == 403
    ok = c.patch(url, json={"status": "delayed"}, headers={"X-CSRF-Token": token})
    assert ok.status_code == 200 and ok.json()["status"] == "delayed"


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(status=st.one_of(st.sampled_from(STATUSES), st.text(max_size=25)),
       due=st.one_of(st.none(), st.dates(min_value=date(2000, 1, 1), max_value=date(2040, 12, 31))))
def test_update_action_accepts_exactly_the_valid_input(app, status: str, due: date | None) -> None:
    """Any status text and any due date: applied when valid, otherwise refused with nothing written."""
    engine = app.state.engine
    before = update_action(engine, SID, AID, status="in-progress")
    valid = status in STATUSES and (due is None or due >= date(2021, 9, 1))
    if valid:
        change = update_action(engine, SID, AID, status=status, due=due)
        assert change.status_after == status and change.due_after == (due or before.due_after)
    else:
        with pytest.raises(InputError):
            update_action(engine, SID, AID, status=status, due=due)
        after = update_action(engine, SID, AID, status="in-progress")
        assert (after.status_before, after.due_before) == ("in-progress", before.due_after)


def test_patch_never_errors_on_the_server(app) -> None:
    """Schemathesis on the one write of the API, with an editor's token (the general run uses a viewer)."""
    import schemathesis
    from schemathesis.checks import not_a_server_error

    token = accounts.create_token(app.state.engine, "editor", "schemathesis")
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", app)
    operation = next(r.ok() for r in schema.get_all_operations() if r.ok().method.upper() == "PATCH")
    codes: set[int] = set()

    @given(case=operation.as_strategy())
    @settings(max_examples=40, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
    def check(case) -> None:
        response = case.call(headers={"Authorization": f"Bearer {token}"})
        case.validate_response(response, checks=[not_a_server_error])
        codes.add(response.status_code)
        if response.status_code >= 400:
            assert set(response.json()) == {"error", "what", "found", "hint"}, response.text

    check()
    assert codes and all(c < 500 for c in codes)
