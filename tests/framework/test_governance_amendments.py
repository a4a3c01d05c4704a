"""Amendments under separation of duties and the Cabinet delegation; approvals that cannot race.

Every test runs on SQLite and, when SAFER_TEST_POSTGRES_URL is set, on a fresh PostgreSQL database.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from safer_communities.errors import ConflictError, InputError, PermissionDeniedError, SaferError
from safer_communities.framework import amendments, delegation, register, roles
from safer_communities.framework.amendments import CabinetDecision, Change, Consultation
from safer_communities.framework.loader import read_framework, shipped_path
from safer_communities.store.app_db import make_engine, open_app_db, session_scope
from safer_communities.store.app_models import FrameworkAmendment, FrameworkVersion
from safer_communities.web import accounts

EDITOR, DIRECTOR, DEPUTY, ADMIN = "Clare Platt", "Director of Public Health", "Deputy Director", "Admin"
MEMBER = "Cabinet Member for Community and Cultural Services"


def consulted(on: date | None = None) -> Consultation:
    return Consultation(MEMBER, on or date.today(), "Agreed by e-mail.")


@pytest.fixture
def engine(app_db_url: str) -> Iterator[Engine]:
    engine = open_app_db(app_db_url)
    amendments.load(engine, read_framework(shipped_path()), by="Loader", origin="shipped")
    for name, role_list in ((EDITOR, ["editor"]), (DIRECTOR, ["approver", "editor"]),
                            (DEPUTY, ["approver"]), (ADMIN, ["admin"])):
        accounts.add_user(engine, name, roles=role_list, password=None, by="tests")
    yield engine
    engine.dispose()


def _wording(engine: Engine, issue: str = "asb", by: str = EDITOR) -> int:
    return amendments.propose(engine, by=by, reason="Clearer wording.",
                              changes=[Change("issues", issue, "update",
                                              {"description": f"{issue} as residents describe it."})])


def test_the_proposer_can_never_decide_their_own_amendment(engine: Engine) -> None:
    own = _wording(engine, by=DIRECTOR)
    with pytest.raises(PermissionDeniedError, match=r"proposed amendment \d+, so cannot approve it"):
        amendments.approve(engine, own, by=DIRECTOR, consultation=consulted())
    with pytest.raises(PermissionDeniedError, match="so cannot reject it"):
        amendments.reject(engine, own, by=DIRECTOR, note="Changed my mind.")
    assert register.read_version(engine)[0] == 1
    assert amendments.approve(engine, own, by=DEPUTY, consultation=consulted()) == 2


def test_proposing_needs_the_editor_role(engine: Engine) -> None:
    with pytest.raises(PermissionDeniedError, match="'editor' role"):
        _wording(engine, by=DEPUTY)
    with pytest.raises(PermissionDeniedError, match="'editor' role"):
        _wording(engine, by="Someone Without An Account")


def test_rules_class_each_change_and_the_proposal_shows_the_rule(engine: Engine) -> None:
    _, current = register.read_version(engine)
    cases = [
        (Change("issues", "asb", "update", {"priority": False}), "cabinet", "priority-status-change"),
        (Change("issues", "asb", "remove"), "cabinet", "priority-issue-added-or-removed"),
        (Change("duties", "road-safety-duty", "update", {"review_cadence": "quarterly"}), "cabinet",
         "statutory-duty-change"),
        (Change("rules", "minor-amendment", "remove"), "cabinet", "rules-are-for-cabinet"),
        (Change("issues", "asb", "update", {"description": "ASB."}), "delegated", "minor-amendment"),
        (Change("services", "trading-standards", "update", {"directorate": "Environment"}), "delegated",
         "minor-amendment"),
    ]
    for change, decision, rule_id in cases:
        route = delegation.classify(current, [change])
        assert (route.decision, route.classed[0].rule_id) == (decision, rule_id), change
    # one Cabinet change makes the whole amendment a Cabinet one
    mixed = delegation.classify(current, [cases[4][0], cases[0][0]])
    assert mixed.decision == "cabinet" and "Changing whether an issue is a priority" in mixed.reason
    # a register that declares no rules: nothing is minor
    bare = current.model_copy(update={"rules": []})
    assert delegation.classify(bare, [cases[4][0]]).classed[0].rule_id == delegation.NO_RULE

    number = amendments.propose(engine, by=EDITOR, reason="ASB is no longer a priority.",
                                changes=[cases[0][0]])
    [view] = [v for v in amendments.history(engine) if v.id == number]
    assert view.route.decision == "cabinet" and "rule 'priority-status-change'" in view.route.reason


def test_a_non_minor_amendment_is_refused_under_the_delegation_and_needs_cabinet(engine: Engine) -> None:
    number = amendments.propose(engine, by=EDITOR, reason="ASB is no longer a priority.",
                                changes=[Change("issues", "asb", "update", {"priority": False})])
    with pytest.raises(PermissionDeniedError, match="not a minor amendment") as info:
        amendments.approve(engine, number, by=DIRECTOR, consultation=consulted())
    assert "priority-status-change" in info.value.found and "--cabinet-decision" in info.value.hint
    assert register.read_version(engine)[0] == 1
    decision = CabinetDecision("Cabinet 12 March 2026, minute 7", date.today())
    assert amendments.approve(engine, number, by=DIRECTOR, cabinet=decision) == 2
    with session_scope(engine) as session:
        row = session.get(FrameworkAmendment, number)
        assert row.authority.startswith("Cabinet decision: Cabinet 12 March 2026, minute 7")
        assert row.route == "cabinet" and row.consulted is None and row.cabinet_date == date.today()
    assert register.read_version(engine)[1].get("issues", "asb").priority is False


def test_consultation_is_entered_by_the_approver_never_assumed(engine: Engine) -> None:
    number = _wording(engine)
    with pytest.raises(InputError, match="requires consultation"):
        amendments.approve(engine, number, by=DIRECTOR)
    with pytest.raises(InputError, match="between the proposal and today"):
        amendments.approve(engine, number, by=DIRECTOR,
                           consultation=consulted(date.today() + timedelta(days=1)))
    with pytest.raises(InputError, match="between the proposal and today"):
        amendments.approve(engine, number, by=DIRECTOR,
                           consultation=consulted(date.today() - timedelta(days=30)))
    with pytest.raises(InputError, match="who was consulted and its outcome"):
        amendments.approve(engine, number, by=DIRECTOR,
                           consultation=Consultation(MEMBER, date.today(), "  "))
    assert amendments.approve(engine, number, by=DIRECTOR, consultation=consulted()) == 2
    [view] = [v for v in amendments.history(engine) if v.id == number]
    assert (view.consulted, view.consulted_on, view.consultation_outcome) == (
        MEMBER, date.today(), "Agreed by e-mail.")
    assert "recommendation (ii)" in view.authority


def test_granting_a_role_needs_an_admin(engine: Engine) -> None:
    with pytest.raises(PermissionDeniedError, match="'admin' role, so cannot grant roles"):
        roles.grant(engine, "New Approver", "approver", by=DIRECTOR)
    roles.grant(engine, "New Approver", "approver", by=ADMIN)
    assert "New Approver" in roles.holders(engine)
    with pytest.raises(PermissionDeniedError, match="cannot revoke roles"):
        roles.revoke(engine, "New Approver", "approver", by=EDITOR)
    roles.revoke(engine, "New Approver", "approver", by=ADMIN)
    assert "New Approver" not in roles.holders(engine)


def test_roles_match_the_web_application() -> None:
    assert roles.ROLES == accounts.ROLES


def _at_once(url: str, calls: list[Callable[[Engine], object]]) -> list[object]:
    """Run each call in its own thread, on its own engine (as two workers would), released together."""
    barrier = threading.Barrier(len(calls))
    results: list[object] = [None] * len(calls)

    def run(i: int) -> None:
        engine = make_engine(url)
        try:
            barrier.wait()
            results[i] = calls[i](engine)
        except SaferError as exc:
            results[i] = exc
        finally:
            engine.dispose()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return results


def _url(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


@pytest.mark.parametrize("attempt", range(3))
def test_two_approvals_at_once_publish_both_changes_in_order(engine: Engine, attempt: int) -> None:
    first, second = _wording(engine, "asb"), _wording(engine, "violence")
    results = _at_once(_url(engine), [
        lambda e: amendments.approve(e, first, by=DIRECTOR, consultation=consulted()),
        lambda e: amendments.approve(e, second, by=DEPUTY, consultation=consulted())])
    published = [r for r in results if isinstance(r, int)]
    refused = [r for r in results if isinstance(r, ConflictError)]
    assert sorted(published) + [type(r) for r in refused] in ([2, 3], [2, ConflictError]), results
    with session_scope(engine) as session:
        versions = session.execute(sa.select(FrameworkVersion.number, FrameworkVersion.amendment_id)
                                   .order_by(FrameworkVersion.number)).all()
        approved = dict(session.execute(sa.select(FrameworkAmendment.id, FrameworkAmendment.published_version)
                                        .where(FrameworkAmendment.status == "approved")).all())
    assert [n for n, _ in versions] == list(range(1, len(published) + 2))
    # each approved amendment names the version it published, and that version names it back
    assert {a: n for n, a in versions if a} == approved
    latest = register.read_version(engine)[1]
    for amendment_id, issue in ((first, "asb"), (second, "violence")):
        if amendment_id in approved:  # an approved change is in the live register, never lost
            assert latest.get("issues", issue).description == f"{issue} as residents describe it."


@pytest.mark.parametrize("attempt", range(3))
def test_two_approvals_of_the_same_amendment_publish_one_version(engine: Engine, attempt: int) -> None:
    number = _wording(engine)
    results = _at_once(_url(engine), [
        lambda e: amendments.approve(e, number, by=DIRECTOR, consultation=consulted()),
        lambda e: amendments.approve(e, number, by=DEPUTY, consultation=consulted())])
    assert sorted(map(type, results), key=str) == sorted([int, ConflictError], key=str), results
    assert 2 in results
    conflict = next(r for r in results if isinstance(r, ConflictError))
    assert "already been approved" in conflict.what or "same moment" in conflict.what
    assert [v.number for v in register.list_versions(engine)] == [1, 2]


def test_approve_and_reject_at_once_leave_one_decision(engine: Engine) -> None:
    number = _wording(engine)
    results = _at_once(_url(engine), [
        lambda e: amendments.approve(e, number, by=DIRECTOR, consultation=consulted()),
        lambda e: amendments.reject(e, number, by=DEPUTY, note="Not needed.")])
    assert sum(isinstance(r, ConflictError) for r in results) == 1, results
    with session_scope(engine) as session:
        status = session.get(FrameworkAmendment, number).status
    expected_versions = [1, 2] if status == "approved" else [1]
    assert [v.number for v in register.list_versions(engine)] == expected_versions
