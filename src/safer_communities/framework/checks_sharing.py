"""The framework's link with the information-sharing register and the evidence store (issue 12): what
each partner shares under which agreement and which feeds are held under it, and the checks: a
specified authority with no agreement, an agreement past review, expired or without a DPIA, and
record-level partner data held past its agreement's retention."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine

from safer_communities.framework.checks import CheckReport, Finding
from safer_communities.framework.model import Framework

_CODES = {"expired": "sharing-agreement-expired", "past review": "sharing-agreement-past-review",
          "no DPIA": "sharing-agreement-no-dpia",
          "specified authority with no agreement": "specified-authority-no-agreement"}


def specified_authorities(framework: Framework) -> list[str]:
    """Partners the register describes as specified authorities (Serious Violence Duty)."""
    return [p.id for p in framework.partners if "specified authority" in (p.description or "").lower()]


def past_retention(db: Path, retention: dict[str, int], today: date) -> list[tuple[str, str, int]]:
    """(table, agreement, rows) of record-level partner data older than its agreement's retention."""
    if not Path(db).exists():
        return []
    from safer_communities.ingest.partner_feed import feed_schemas
    from safer_communities.store.evidence import connect

    con = connect(db, read_only=True)
    out = []
    try:
        tables = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
        for spec in feed_schemas()["schemas"].values():
            if spec["table"] not in tables:
                continue
            for agreement, days in retention.items():
                cutoff = today - timedelta(days=days)
                rows = con.execute(f"SELECT count(*) FROM {spec['table']} WHERE agreement_id = ? "
                                   "AND record_date < ?", [agreement, cutoff]).fetchall()[0][0]
                if rows:
                    out.append((spec["table"], agreement, int(rows)))
    finally:
        con.close()
    return out


def feed_holdings(db: Path) -> list[dict[str, Any]]:
    """Per agreement and feed schema: the rows held, the first and last record dates, and whether they
    are SYNTHETIC. Counts only: nothing record-level is read, so nothing here needs auditing."""
    if not Path(db).exists():
        return []
    from safer_communities.ingest.partner_feed import feed_schemas
    from safer_communities.store.evidence import connect

    con = connect(db, read_only=True)
    out: list[dict[str, Any]] = []
    try:
        tables = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
        for schema, spec in feed_schemas()["schemas"].items():
            if spec["table"] not in tables:
                continue
            for agreement, rows, first, last, synthetic in con.execute(
                    f"SELECT agreement_id, count(*), min(record_date), max(record_date), bool_or(synthetic) "
                    f"FROM {spec['table']} GROUP BY agreement_id ORDER BY agreement_id").fetchall():
                out.append({"agreement": agreement, "schema": schema, "table": spec["table"],
                            "rows": int(rows), "first": first, "last": last, "synthetic": bool(synthetic)})
    finally:
        con.close()
    return out


def sharing_by_partner(framework: Framework, engine: Engine, db: Path, today: date) -> dict[str, Any]:
    """For every partner of the register: whether it is a specified authority, the agreements it is party
    to (with whether each is in force today and why not) and the feeds held under each."""
    from safer_communities import sharing

    held = feed_holdings(db)
    authorities = set(specified_authorities(framework))
    agreements = []
    for a in sharing.list_agreements(engine):
        refusal = sharing.refusal(a, a["schemas"][0], today)
        agreements.append({"id": a["id"], "title": a["title"], "status": a["status"],
                           "in_force": refusal is None, "why_not": refusal,
                           "legal_gateway": a["legal_gateway"], "schemas": a["schemas"],
                           "review_date": a["review_date"], "retention_days": a["retention_days"],
                           "parties": a["parties"], "feeds": [f for f in held if f["agreement"] == a["id"]]})
    return {p.id: {"specified_authority": p.id in authorities,
                   "agreements": [{k: v for k, v in a.items() if k != "parties"} for a in agreements
                                  if p.id in a["parties"]]}
            for p in framework.partners}


def partner_sharing(framework: Framework, engine: Engine, db: Path, partner_id: str,
                    today: date) -> dict[str, Any]:
    """One partner's information sharing (see ``sharing_by_partner``)."""
    return sharing_by_partner(framework, engine, db, today)[partner_id]


def extend(report: CheckReport, framework: Framework, engine: Engine, db: Path) -> CheckReport:
    """The report with the sharing-register findings added."""
    from safer_communities import sharing

    findings = list(report.findings)
    for f in sharing.check_register(engine, on=report.today,
                                    specified_authorities=specified_authorities(framework)):
        entry = f["agreement"] or f["detail"].split(" ")[0]
        kind = "sharing" if f["agreement"] else "partners"
        findings.append(Finding(_CODES[f["finding"]], kind, entry, f["detail"] + "."))
    retention = {a["id"]: a["retention_days"] for a in sharing.list_agreements(engine)}
    for table, agreement, rows in past_retention(db, retention, report.today):
        findings.append(Finding("partner-data-past-retention", "sharing", agreement,
                                f"{rows:,} record(s) in {table} are past the agreement's retention; run "
                                "'safer sharing purge'."))
    return replace(report, findings=findings)
