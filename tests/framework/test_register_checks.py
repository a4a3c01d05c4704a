"""Compliance checks: the shipped register reports exactly its known gaps; each check can fail."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from framework_helpers import Editor, entry

from safer_communities.framework.checks import check
from safer_communities.framework.loader import read_framework, shipped_path

TODAY = date(2026, 11, 24)

# The shipped register's known findings: evidence the seeds do not give us (Appendix A is unavailable).
SHIPPED_FINDINGS = {
    ("duty-without-evidence", "crime-and-disorder-s17"),
    ("evidence-without-review-date", "community-safety-partnership-strategy"),
    ("duty-without-evidence", "prescribed-information-sharing"),
    ("evidence-without-review-date", "serious-violence-duty"),
    ("duty-without-evidence", "domestic-abuse-safe-accommodation"),
    ("duty-without-evidence", "prevent-duty"),
    ("duty-without-evidence", "modern-slavery-duty-to-notify"),
    ("duty-without-evidence", "road-safety-duty"),
    ("evidence-overdue", "public-sector-equality-duty"),
    ("duty-without-evidence", "safeguarding-children"),
    ("duty-without-evidence", "safeguarding-adults"),
    ("duty-without-evidence", "asb-case-review"),
    ("duty-without-evidence", "domestic-homicide-reviews"),
    ("duty-without-evidence", "offensive-weapons-homicide-reviews"),
}


def _codes(folder: Path, today: date = TODAY) -> set[tuple[str, str]]:
    return {(f.code, f.entry) for f in check(read_framework(folder), today=today).findings}


def test_shipped_register_reports_exactly_its_known_gaps() -> None:
    report = check(read_framework(shipped_path()), today=TODAY)
    assert {(f.code, f.entry) for f in report.findings} == SHIPPED_FINDINGS
    assert [(g.entry, g.message.split(":")[0]) for g in report.known_gaps] == [
        ("domestic-abuse", "No enforcement activity"), ("exploitation", "No enforcement activity"),
        ("road-safety", "No support activity")]
    assert not report.ok


def test_hate_crime_strategy_was_current_before_its_review_date() -> None:
    before = _codes(shipped_path(), today=date(2025, 6, 1))
    assert ("evidence-overdue", "public-sector-equality-duty") not in before
    assert before == SHIPPED_FINDINGS - {("evidence-overdue", "public-sector-equality-duty")}


def test_missing_specified_authority_is_found(register_dir: Path, edit: Editor) -> None:
    edit("duties", lambda es: entry(es, "serious-violence-duty")["partners"].remove("probation-service"))
    new = _codes(register_dir) - SHIPPED_FINDINGS
    assert new == {("specified-authority-missing", "serious-violence-duty")}
    report = check(read_framework(register_dir), today=TODAY)
    [finding] = [f for f in report.findings if f.code == "specified-authority-missing"]
    assert finding.message == "Specified authorities missing as partners: probation."


def test_undeclared_approach_gap_is_a_finding(register_dir: Path, edit: Editor) -> None:
    edit("issues", lambda es: entry(es, "road-safety").pop("gaps"))
    assert _codes(register_dir) - SHIPPED_FINDINGS == {("approach-gap", "road-safety")}


def test_declared_gap_that_an_activity_now_fills_is_a_finding(register_dir: Path, edit: Editor) -> None:
    edit("activities", lambda es: entry(es, "road-safety-education")["approaches"].append("support"))
    assert _codes(register_dir) - SHIPPED_FINDINGS == {("gap-out-of-date", "road-safety")}


def test_duty_without_lead_and_idle_service(register_dir: Path, edit: Editor) -> None:
    edit("duties", lambda es: entry(es, "road-safety-duty").pop("lead_service"))
    edit("activities", lambda es: es.remove(entry(es, "freedom-programme")))
    assert _codes(register_dir) - SHIPPED_FINDINGS == {("duty-without-lead", "road-safety-duty"),
                                                       ("service-without-activity", "freedom-programme")}


def test_current_evidence_clears_the_finding(register_dir: Path, edit: Editor) -> None:
    edit("evidence", lambda es: es.append({
        "id": "road-safety-plan", "name": "Road safety plan", "duty": "road-safety-duty",
        "source": {"type": "proposed", "reason": "test"}, "what": "programme", "document": "plan.pdf",
        "date": "2026-04-01", "next_review": "2027-04-01"}))
    assert _codes(register_dir) == SHIPPED_FINDINGS - {("duty-without-evidence", "road-safety-duty")}
