"""Governance in the web app: case review pages and API against every role, the separation of duties
and the Cabinet route on the amendment pages, compliance ratings on the framework page."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from fastapi.testclient import TestClient
from web_helpers import PASSWORD, ROLES, csrf_from

from safer_communities.framework import amendments as fa
from safer_communities.reviews import register as reviews
from safer_communities.web import accounts, audit

ANON = "anonymous"
EVERYONE = set(ROLES)
WRITERS = {"editor", "approver"}
SIGNERS = {"approver"}
REF = "DARDR-2026-09"
# (method, path, roles allowed, status when allowed, status for anonymous)
MATRIX: list[tuple[str, str, set[str], int, int]] = [
    ("GET", "/reviews", EVERYONE, 200, 303),
    ("GET", f"/reviews/{REF}", EVERYONE, 200, 303),
    ("POST", "/reviews", WRITERS, 303, 303),
    ("POST", f"/reviews/{REF}", SIGNERS, 303, 303),  # a decision: an approver's sign-off
    ("POST", f"/reviews/{REF}#process", WRITERS, 303, 303),  # a panel date: any writer
    ("POST", f"/reviews/{REF}/recommendations", WRITERS, 303, 303),
    ("GET", "/api/v1/reviews", EVERYONE, 200, 401),
    ("GET", f"/api/v1/reviews/{REF}", EVERYONE, 200, 401),
    ("GET", "/api/v1/reviews/asb-figures?year=2026-27", EVERYONE, 200, 401),
    ("GET", "/api/v1/framework/compliance", EVERYONE, 200, 401),
]


def _seed(app) -> None:
    engine = app.state.engine
    notified = date.today() - timedelta(days=40)  # the one-month decision clock has run out
    reviews.add(engine, kind="dardr", reference=REF, area_code="E07000117", notified_on=notified, by="editor")
    reviews.add(engine, kind="asb", reference="ASB-2026-01", area_code="E07000117",
                notified_on=max(date(2026, 4, 1), date.today() - timedelta(days=1)), by="editor")


@pytest.mark.parametrize("role", [ANON, *ROLES])
@pytest.mark.parametrize(("method", "path", "allowed", "ok", "anon"), MATRIX,
                         ids=[f"{m} {p}" for m, p, *_ in MATRIX])
def test_review_routes_by_role(app, login_as, role: str, method: str, path: str, allowed: set[str],
                               ok: int, anon: int) -> None:
    _seed(app)
    c = TestClient(app) if role == ANON else login_as(role)
    if method == "GET":
        response = c.get(path, follow_redirects=False)
    else:
        token = csrf_from(c.get("/login").text) if role == ANON else csrf_from(c.get("/").text)
        if path.endswith("#process"):  # sign the decision off first, so the panel date can follow it
            reviews.update(app.state.engine, REF, by="approver", decision="review",
                           decided_on=date.today() - timedelta(days=10))
        form = {"/reviews": {"kind": "asb", "reference": "ASB-2026-77", "area_code": "E07000123",
                             "notified_on": date.today().isoformat()},
                f"/reviews/{REF}": {"decision": "review", "decided_on": date.today().isoformat()},
                f"/reviews/{REF}#process": {"panel_on": date.today().isoformat()},
                f"/reviews/{REF}/recommendations": {
                    "title": "Refresh the training on coercive control", "owner": "services/community-safety",
                    "objective": "example-community-safety-agreement/reduce-violence",
                    "due_on": (date.today() + timedelta(days=90)).isoformat()}}[path]
        response = c.post(path.removesuffix("#process"), data={**form, "csrf_token": token},
                          follow_redirects=False)
    expected = anon if role == ANON else (ok if role in allowed else 403)
    assert response.status_code == expected, response.text[:300]
    if role != ANON and expected == 403 and path.startswith("/api/"):
        assert response.json()["error"] == "permission_denied"
    if method == "POST" and role != ANON and path.startswith(f"/reviews/{REF}"):
        action = "case_review_recommendation" if path.endswith("recommendations") else "case_review_updated"
        if expected == 303:
            assert audit.entries(app.state.engine, action=action)[0]["actor"] == role
        elif role in WRITERS:  # an editor's refused sign-off is on the record
            assert audit.entries(app.state.engine, action=f"{action}_refused")[0]["actor"] == role
    if method == "POST" and expected == 303 and role != ANON and path == "/reviews":
        assert audit.entries(app.state.engine, action="case_review_added")[0]["actor"] == role


def test_review_pages_show_the_clock_and_refuse_a_name(app, login_as) -> None:
    _seed(app)
    editor = login_as("editor")
    page = editor.get("/reviews").text
    assert "Overdue:" in page and "Decision whether to commission a review" in page
    assert "Domestic Homicide Reviews (December" in page  # the source of the clock is shown
    token = csrf_from(page)
    response = editor.post("/reviews", data={"kind": "dardr", "reference": "Jane Smith",
                                             "area_code": "E07000117", "csrf_token": token,
                                             "notified_on": date.today().isoformat()})
    assert response.status_code == 422 and "case reference only" in response.text
    body = editor.get(f"/api/v1/reviews/{REF}").json()
    assert body["overdue"] == 1 and body["deadlines"][0]["state"] == "overdue"
    assert set(body) >= {"reference", "area_code", "dates", "deadlines"} and "name" not in body


def test_recommendation_form_files_a_strategy_action_and_sign_offs_show(app, login_as) -> None:
    _seed(app)
    editor = login_as("editor")
    page = editor.get(f"/reviews/{REF}").text
    assert 'id="recommend"' in page and 'name="decision"' not in page and 'name="closed_on"' not in page
    assert "An approver signs off the decision" in page
    due = date.today() + timedelta(days=60)
    response = editor.post(f"/reviews/{REF}/recommendations", data={
        "title": "Audit referral pathways", "objective": "example-community-safety-agreement/reduce-violence",
        "owner": "services/community-safety", "due_on": due.isoformat(), "csrf_token": csrf_from(page)},
        follow_redirects=False)
    assert response.status_code == 303
    view = reviews.get(app.state.engine, REF)
    [rec] = view.recommendations
    assert rec["title"] == f"Audit referral pathways (recommendation of {REF})"
    assert (rec["owner"], rec["due"], rec["status"]) == ("services/community-safety", due.isoformat(),
                                                         "not-started")
    # a bad due date is refused on the page, nothing is added
    response = editor.post(f"/reviews/{REF}/recommendations", data={
        "title": "Late", "objective": "example-community-safety-agreement/reduce-violence",
        "owner": "services/community-safety", "due_on": "2001-01-01", "csrf_token": csrf_from(page)})
    assert response.status_code == 422 and "The due date has passed" in response.text
    assert len(reviews.get(app.state.engine, REF).recommendations) == 1
    approver = login_as("approver")
    page = approver.get(f"/reviews/{REF}").text
    assert 'name="decision"' in page and 'name="closed_on"' in page
    approver.post(f"/reviews/{REF}", data={"decision": "review", "decided_on": date.today().isoformat(),
                                            "csrf_token": csrf_from(page)})
    assert "decision: approver; publication: not yet" in approver.get(f"/reviews/{REF}").text


def test_compliance_on_the_framework_page_and_dashboard(app, login_as) -> None:
    _seed(app)
    viewer = login_as("viewer")
    page = viewer.get("/framework").text
    summary = re.search(r'id="compliance-summary">(.*?)</p>', page, re.S).group(1)
    assert "green" in summary and "amber" in summary and "red" in summary
    assert '<td class="rag-red">red</td>' in page
    api = viewer.get("/api/v1/framework/compliance").json()
    rating = {d["duty_id"]: d for d in api["duties"]}
    # the overdue review makes its per-case duty red, with the rule saying so
    assert rating["domestic-homicide-reviews"]["rating"] == "red"
    assert "open case review(s) are past" in rating["domestic-homicide-reviews"]["rule"]
    assert sum(api["summary"].values()) == len(api["duties"]) == 14
    dashboard = viewer.get("/").text
    assert "Case reviews</a> with an overdue deadline: 1" in dashboard


def _director(app, login_as) -> TestClient:
    accounts.add_user(app.state.engine, "director", roles=["editor", "approver"], password=PASSWORD,
                      by="tests")
    return login_as("director")


def test_self_approval_is_refused_on_the_web(app, login_as) -> None:
    director = _director(app, login_as)
    number = fa.propose(app.state.engine, by="director", reason="Clearer wording.",
                        changes=[fa.Change("issues", "asb", "update",
                                           {"description": "ASB as residents see it."})])
    page = director.get("/amendments").text
    assert "You proposed this amendment, so another approver decides it." in page
    assert f"Approve amendment {number}" not in page
    response = director.post(f"/amendments/{number}/approve", data={
        "consulted": "Cabinet Member", "consulted_on": date.today().isoformat(), "outcome": "Agreed.",
        "csrf_token": csrf_from(page)})
    assert response.status_code == 422 and "so cannot approve it" in response.text
    assert fa.history(app.state.engine)[-1].status == "proposed"
    assert audit.entries(app.state.engine, action="amendment_approved_refused")[0]["actor"] == "director"


def test_a_non_minor_amendment_goes_to_cabinet_on_the_web(app, login_as) -> None:
    number = fa.propose(app.state.engine, by="editor", reason="ASB is no longer a priority.",
                        changes=[fa.Change("issues", "asb", "update", {"priority": False})])
    approver = login_as("approver")
    page = approver.get("/amendments").text
    assert "Not minor: Cabinet decides." in page and "rule &#39;priority-status-change&#39;" in page
    assert 'name="cabinet_decision"' in page
    response = approver.post(f"/amendments/{number}/approve", data={
        "consulted": "Cabinet Member", "consulted_on": date.today().isoformat(), "outcome": "Agreed.",
        "csrf_token": csrf_from(page)})
    assert response.status_code == 422 and "not a minor amendment" in response.text
    response = approver.post(f"/amendments/{number}/approve", data={
        "cabinet_decision": "Cabinet 1 December 2026, minute 4", "cabinet_date": date.today().isoformat(),
        "csrf_token": csrf_from(page)}, follow_redirects=False)
    assert response.status_code == 303
    view = fa.history(app.state.engine)[-1]
    assert view.status == "approved"
    assert view.authority.startswith("Cabinet decision: Cabinet 1 December 2026")


def test_the_consultation_is_never_pre_filled(app, login_as) -> None:
    fa.propose(app.state.engine, by="editor", reason="Clearer wording.",
               changes=[fa.Change("issues", "asb", "update", {"description": "ASB as residents see it."})])
    page = login_as("approver").get("/amendments").text
    field = re.search(r'<input id="consulted-\d+" name="consulted"[^>]*>', page).group(0)
    assert "value=" not in field and "required" in field
    assert re.search(r'<input id="consulted-on-\d+" name="consulted_on" type="date" required>', page)


def test_the_framework_page_shows_each_partners_information_sharing(app, login_as) -> None:
    from safer_communities import sharing

    sharing.add_agreement(app.state.engine, agreement_id="svd-web", title="SVD sharing (test)",
                          parties=["lancashire-constabulary", "lsc-icb"], legal_gateway="PCSC Act 2022 s16",
                          purposes="SVD needs assessment", schemas=["istv"], retention_days=365,
                          start_date=date(2025, 1, 1), review_date=date(2031, 3, 31), by="tests")
    page = login_as("viewer").get("/framework").text
    rows = {m[0]: m[1] for m in re.findall(r'<th scope="row">([^<]+)</th><td>[^<]*</td><td>[^<]*</td>\s*'
                                           r'<td class="sharing">(.*?)</td></tr>', page, re.S)}
    police = next(v for k, v in rows.items() if "Constabulary" in k)
    assert "<strong>SVD sharing (test)</strong> (in force; review by 31 March 2031): no feed loaded" in police
    probation = next(v for k, v in rows.items() if "Probation" in k)
    assert "No agreement</span> (a Serious Violence Duty specified authority)" in probation
    entry = login_as("viewer").get("/api/v1/framework/partners/lancashire-constabulary").json()
    [agreement] = entry["information_sharing"]["agreements"]
    assert (agreement["id"], agreement["in_force"], agreement["feeds"]) == ("svd-web", True, [])
