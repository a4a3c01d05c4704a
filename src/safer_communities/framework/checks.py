"""Compliance checks on a register: what an officer must fix or explain before publishing.

A finding is something wrong or missing. A gap an issue declares (``gaps``) is reported as a known
gap, not a finding: the framework says openly where the council has no activity and why.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date

from safer_communities.framework.model import APPROACHES, REFERENCES, Framework


@dataclass(frozen=True)
class Finding:
    """One problem: a stable code, the entry it concerns, and what to do."""

    code: str
    kind: str
    entry: str
    message: str

    def to_dict(self) -> dict[str, str]:
        return asdict(self)


@dataclass(frozen=True)
class CheckReport:
    findings: list[Finding]
    known_gaps: list[Finding]
    today: date

    @property
    def ok(self) -> bool:
        return not self.findings

    def to_dict(self) -> dict[str, object]:
        return {"today": self.today.isoformat(), "ok": self.ok,
                "findings": [f.to_dict() for f in self.findings],
                "known_gaps": [g.to_dict() for g in self.known_gaps]}


def check(framework: Framework, *, today: date | None = None) -> CheckReport:
    """Run every check; ``today`` decides which evidence is past its review date."""
    today = today or date.today()
    findings: list[Finding] = []
    gaps: list[Finding] = []
    findings += _references(framework)
    approach_findings, gaps = _approach_tiers(framework)
    findings += approach_findings
    findings += _duties(framework, today)
    findings += _services(framework)
    findings += _specified_authorities(framework)
    return CheckReport(findings, gaps, today)


def _references(framework: Framework) -> list[Finding]:
    ids = {kind: set(framework.index(kind)) for kind in ("issues", "services", "partners", "duties")}
    out = []
    for (kind, field), target in REFERENCES.items():
        for entry in framework.entries(kind):
            value = getattr(entry, field)
            for ref in value if isinstance(value, list) else [value] if value else []:
                if ref not in ids[target]:
                    out.append(Finding("unresolved-reference", kind, entry.id,
                                       f"{field} names '{ref}', which is not in {target}."))
    return out


def _approach_tiers(framework: Framework) -> tuple[list[Finding], list[Finding]]:
    findings, gaps = [], []
    for issue in framework.issues:
        tiers = {a for act in framework.activities if issue.id in act.issues for a in act.approaches}
        declared = {g.approach: g.reason for g in issue.gaps}
        if not tiers:
            findings.append(Finding("issue-without-activity", "issues", issue.id,
                                    "No activity acts on this issue."))
        if not issue.priority:
            continue
        for approach in APPROACHES:
            if approach in tiers:
                if approach in declared:
                    findings.append(Finding("gap-out-of-date", "issues", issue.id,
                                            f"A gap is declared for '{approach}' but an activity now "
                                            "covers it: remove the gap."))
            elif approach in declared:
                gaps.append(Finding("declared-gap", "issues", issue.id,
                                    f"No {approach} activity: {declared[approach]}"))
            else:
                findings.append(Finding("approach-gap", "issues", issue.id,
                                        f"No {approach} activity and no gap declared: add an activity or "
                                        "declare the gap with its reason."))
    return findings, gaps


def _duties(framework: Framework, today: date) -> list[Finding]:
    out = []
    for duty in framework.duties:
        if not duty.lead_service:
            out.append(Finding("duty-without-lead", "duties", duty.id, "No lead service is named."))
        evidence = [e for e in framework.evidence if e.duty == duty.id]
        if not evidence:
            out.append(Finding("duty-without-evidence", "duties", duty.id,
                               "No evidence of compliance is recorded (needed: "
                               + "; ".join(duty.evidence_required) + ")."))
            continue
        if duty.review_cadence == "per-case":
            continue
        dated = [e for e in evidence if e.next_review is not None]
        if not dated:
            out.append(Finding("evidence-without-review-date", "duties", duty.id,
                               "Evidence is recorded but none has a next review date: "
                               + ", ".join(e.id for e in evidence) + "."))
        elif max(e.next_review for e in dated) < today:  # type: ignore[type-var]
            latest = max(dated, key=lambda e: e.next_review)  # type: ignore[arg-type, return-value]
            out.append(Finding("evidence-overdue", "duties", duty.id,
                               f"All evidence is past its review date (latest: {latest.id}, due "
                               f"{latest.next_review:%d %B %Y})."))
    return out


def _services(framework: Framework) -> list[Finding]:
    acting = {s for act in framework.activities for s in act.services}
    return [Finding("service-without-activity", "services", s.id,
                    "The service acts on nothing: no activity names it.")
            for s in framework.services if s.id not in acting]


def _specified_authorities(framework: Framework) -> list[Finding]:
    partners = framework.index("partners")
    out = []
    for duty in framework.duties:
        present = {partners[p].category for p in duty.partners if p in partners}  # type: ignore[attr-defined]
        missing = [c for c in duty.specified_authorities if c not in present]
        if missing:
            out.append(Finding("specified-authority-missing", "duties", duty.id,
                               "Specified authorities missing as partners: " + ", ".join(missing) + "."))
    return out
