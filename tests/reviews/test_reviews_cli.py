"""`safer reviews ...` against every role: who may register, record, sign off and recommend; refusals
exit 2 and are in the audit log; list and report are for everyone (they carry no personal data)."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from safer_communities.cli import app
from safer_communities.errors import NotFoundError, PermissionDeniedError
from safer_communities.reviews import register as reviews
from safer_communities.store.app_db import open_app_db
from safer_communities.web import accounts, audit

ROLES = ("viewer", "analyst", "editor", "approver", "admin")
WRITERS = {"editor", "approver"}
SIGNERS = {"approver"}


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory, force_area_store: Path) -> list[str]:
    import shutil

    folder = tmp_path_factory.mktemp("reviews-cli")
    url = f"sqlite:///{folder / 'app.sqlite'}"
    runner = CliRunner()
    shutil.copy(force_area_store, folder / "s.duckdb")  # strategy baselines are computed from evidence
    args = ["--db", str(folder / "s.duckdb"), "--app-db", url]
    assert runner.invoke(app, [*args, "framework", "load", "--by", "tester"]).exit_code == 0
    strategy = (Path(__file__).resolve().parents[2] / "src" / "safer_communities" / "strategy" / "data"
                / "lancashire-example.yaml")
    loaded = runner.invoke(app, [*args, "strategy", "load", str(strategy), "--by", "tester"])
    assert loaded.exit_code == 0, loaded.output
    engine = open_app_db(url)
    for role in ROLES:
        accounts.add_user(engine, f"the-{role}", roles=[role], password=None, by="tests")
    reviews.add(engine, kind="dardr", reference="DARDR-CLI-SHARED", area_code="E07000117",
                notified_on=date.today() - timedelta(days=20), by="the-editor")
    engine.dispose()
    return args


def _refused(result, message: str) -> bool:
    """The command raised the permission error (the CLI's main() prints it and exits 2)."""
    return isinstance(result.exception, PermissionDeniedError) and message in result.exception.what


def _audit(base: list[str], action: str) -> list[dict]:
    engine = open_app_db(base[3])
    try:
        return audit.entries(engine, action=action)
    finally:
        engine.dispose()


@pytest.mark.parametrize("role", ROLES)
def test_each_command_by_role(base: list[str], role: str) -> None:
    runner = CliRunner()
    user = f"the-{role}"
    ref = f"DARDR-CLI-{role.upper()}"
    notified = date.today() - timedelta(days=20)
    added = runner.invoke(app, [*base, "reviews", "add", ref, "--kind", "dardr", "--area", "E07000117",
                                "--notified-on", notified.isoformat(), "--as", user])
    if role not in WRITERS:
        assert _refused(added, "needs the editor or approver role")
        assert any(e["actor"] == user for e in _audit(base, "case_review_added_refused"))
        ref = "DARDR-CLI-SHARED"  # registered by an editor in the fixture
    else:
        assert added.exit_code == 0, added.output
        assert any(e["actor"] == user and e["object"] == ref for e in _audit(base, "case_review_added"))
    decided = runner.invoke(app, [*base, "reviews", "update", ref, "--decision", "review", "--decided-on",
                                  (notified + timedelta(days=5)).isoformat(), "--as", user])
    if role in SIGNERS:
        assert decided.exit_code == 0, decided.output
    else:
        assert _refused(decided, "needs the approver role" if role in WRITERS
                        else "needs the editor or approver role")
        assert any(e["actor"] == user for e in _audit(base, "case_review_updated_refused"))
    due = (date.today() + timedelta(days=30)).isoformat()
    recommended = runner.invoke(app, [*base, "reviews", "recommend", ref, "--title", "Review referral routes",
                                      "--strategy", "example-community-safety-agreement",
                                      "--objective", "domestic-abuse", "--owner", "community-safety",
                                      "--due", due, "--as", user])
    if role in WRITERS:
        assert recommended.exit_code == 0, recommended.output
    else:
        assert _refused(recommended, "needs the editor or approver role")
    listed = runner.invoke(app, [*base, "reviews", "list", "--json"])
    assert listed.exit_code in (0, 1) and ref in listed.output  # 1 means an overdue review: none here
    none = runner.invoke(app, [*base, "reviews", "report", "--year", "2019-20"])
    assert isinstance(none.exception, NotFoundError)  # no ASB case review then: a clear error, not zeros
