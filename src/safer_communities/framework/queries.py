"""Questions an officer asks of the register: everything linked to one entry, and the matrices."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from safer_communities.errors import NotFoundError
from safer_communities.framework import compliance
from safer_communities.framework.loader import entry_data
from safer_communities.framework.model import APPROACHES, SINGULAR, Framework


def _brief(entry: Any) -> dict[str, str]:
    return {"id": entry.id, "name": entry.name, "source": entry.source.type}


def _get(framework: Framework, kind: str, entry_id: str) -> Any:
    entry = framework.get(kind, entry_id)
    if entry is None:
        known = ", ".join(sorted(framework.index(kind)))
        singular = {v: k for k, v in SINGULAR.items()}[kind]
        raise NotFoundError(f"There is no {singular} '{entry_id}' in the register.",
                            found=f"known ids: {known}",
                            hint="Ids are lower case with hyphens, as in the YAML files.")
    return entry


def show(framework: Framework, what: str, entry_id: str) -> dict[str, Any]:
    """The entry and everything linked to it, ready to print or to return as JSON."""
    kind = SINGULAR.get(what, what)
    entry = _get(framework, kind, entry_id)
    out: dict[str, Any] = {"kind": kind, "entry": entry_data(entry)}
    acts = framework.activities
    if kind == "issues":
        linked = [a for a in acts if entry_id in a.issues]
        out["duties"] = [_brief(d) for d in framework.duties if entry_id in d.issues]
        out["activities_by_approach"] = {
            approach: [_brief(a) for a in linked if approach in a.approaches] for approach in APPROACHES}
        out["services"] = _linked(framework, "services", {s for a in linked for s in a.services})
        out["partners"] = _linked(framework, "partners", {p for a in linked for p in a.partners})
    elif kind == "duties":
        linked = [a for a in acts if entry_id in a.duties]
        lead = framework.get("services", entry.lead_service) if entry.lead_service else None
        out["lead_service"] = _brief(lead) if lead else None
        out["partners"] = _linked(framework, "partners", set(entry.partners))
        out["issues"] = _linked(framework, "issues", set(entry.issues))
        out["activities"] = [_brief(a) for a in linked]
        out["evidence"] = [{**_brief(e), "date": e.date, "next_review": e.next_review}
                           for e in framework.evidence if e.duty == entry_id]
    elif kind in ("services", "partners"):
        linked = [a for a in acts if entry_id in getattr(a, kind)]
        out["activities"] = [{**_brief(a), "approaches": list(a.approaches)} for a in linked]
        out["issues"] = _linked(framework, "issues", {i for a in linked for i in a.issues})
        if kind == "services":
            out["duties_led"] = [_brief(d) for d in framework.duties if d.lead_service == entry_id]
        else:
            out["duties"] = [_brief(d) for d in framework.duties if entry_id in d.partners]
        out["duties_through_activities"] = _linked(framework, "duties", {d for a in linked for d in a.duties})
    elif kind == "activities":
        for ref in ("services", "partners", "issues", "duties"):
            out[ref] = _linked(framework, ref, set(getattr(entry, ref)))
    return out


def _linked(framework: Framework, kind: str, ids: set[str]) -> list[dict[str, str]]:
    """Linked entries in register order (so output is stable)."""
    return [_brief(e) for e in framework.entries(kind) if e.id in ids]


ABBREVIATION = {"prevention": "P", "early-intervention": "EI", "support": "S", "enforcement": "E"}


def services_by_issues(framework: Framework) -> tuple[list[str], list[list[str]]]:
    """Services x issues: each cell lists the approaches (P, EI, S, E) of the service's activities."""
    header = ["service", "directorate"] + [i.id for i in framework.issues]
    rows = []
    for service in framework.services:
        row = [service.name, service.directorate]
        for issue in framework.issues:
            tiers = {a for act in framework.activities
                     if service.id in act.services and issue.id in act.issues for a in act.approaches}
            row.append(", ".join(ABBREVIATION[a] for a in APPROACHES if a in tiers))
        rows.append(row)
    return header, rows


def evidence_status(framework: Framework, today: date | None = None, *,
                    amber_days: int = compliance.DEFAULT_AMBER_DAYS,
                    cases: Mapping[str, compliance.CaseClocks] | None = None
                    ) -> tuple[list[str], list[list[str]]]:
    """Duties x evidence status: lead, how much evidence, latest date, next review and status, then the
    compliance rating (``framework.compliance``): the date due, green / amber / red and the rule."""
    today = today or date.today()
    services = framework.index("services")
    header = ["duty", "legislation", "lead_service", "review_cadence", "evidence_items", "latest_evidence",
              "next_review", "status", "due", "rating", "rule"]
    ratings = {r.duty_id: r for r in compliance.rate(framework, today, amber_days=amber_days, cases=cases)}
    rows = []
    for duty in framework.duties:
        evidence = [e for e in framework.evidence if e.duty == duty.id]
        dates = [e.date for e in evidence if e.date]
        reviews = [e.next_review for e in evidence if e.next_review]
        if not evidence:
            status = "no evidence recorded"
        elif duty.review_cadence == "per-case":
            status = "recorded (per case)"
        elif not reviews:
            status = "no review date"
        elif max(reviews) < today:
            status = "overdue"
        else:
            status = "current"
        lead = services[duty.lead_service].name if duty.lead_service in services else ""
        rows.append([duty.name, f"{duty.legislation} {duty.section}", lead, duty.review_cadence,
                     str(len(evidence)), max(dates).isoformat() if dates else "",
                     max(reviews).isoformat() if reviews else "", status,
                     ratings[duty.id].due.isoformat() if ratings[duty.id].due else "",
                     ratings[duty.id].rating, ratings[duty.id].rule])
    return header, rows
