"""Framework checks that need the information-sharing register and the evidence store (issue 12):
a specified authority with no agreement, an agreement past review, expired or without a DPIA, and
record-level partner data held past its agreement's retention."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

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
