"""The information-sharing register: agreements under which record-level partner data may be held.

A record-level feed (ISTV, a force crime extract, council ASB) is loaded only under an agreement that is
active, in force on the day, and covers the feed's schema; otherwise it is refused whole. Agreements past
their review date, without a DPIA, or whose parties have none are reported by ``check_register``.
Every change and every refusal goes to the audit log.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from safer_communities.errors import InputError, NotFoundError, PermissionDeniedError
from safer_communities.store.app_db import as_utc, session_scope
from safer_communities.store.app_models_sharing import AGREEMENT_STATUSES, SharingAgreement
from safer_communities.web import audit

FEED_SCHEMAS = ("istv", "force-crimes", "council-asb")
_ID = re.compile(r"^[a-z0-9][a-z0-9-]{1,78}$")
GATEWAY_EXAMPLES = (
    "PCSC Act 2022 s16; Crime and Disorder Act 1998 s115; UK GDPR Article 6(1)(e) with the "
    "Data Protection Act 2018 Schedule 1 condition for special category and criminal "
    "offence data"
)


def _record(agreement: SharingAgreement) -> dict[str, Any]:
    return {
        "id": agreement.id,
        "title": agreement.title,
        "parties": agreement.parties.split(),
        "legal_gateway": agreement.legal_gateway,
        "purposes": agreement.purposes,
        "schemas": agreement.schemas.split(),
        "retention_days": agreement.retention_days,
        "dpia_date": agreement.dpia_date,
        "start_date": agreement.start_date,
        "end_date": agreement.end_date,
        "review_date": agreement.review_date,
        "status": agreement.status,
        "created_at": as_utc(agreement.created_at).isoformat(timespec="seconds"),
        "created_by": agreement.created_by,
    }


def add_agreement(
    engine: Engine,
    *,
    agreement_id: str,
    title: str,
    parties: Iterable[str],
    legal_gateway: str,
    purposes: str,
    schemas: Iterable[str],
    retention_days: int,
    start_date: date,
    review_date: date,
    end_date: date | None = None,
    dpia_date: date | None = None,
    status: str = "active",
    by: str,
    known_parties: Iterable[str] | None = None,
) -> dict[str, Any]:
    """Register one agreement (validated), audited as ``sharing_agreement_added``."""
    parties, schemas = sorted(set(parties)), sorted(set(schemas))
    if not _ID.match(agreement_id):
        raise InputError(
            "An agreement id is lower-case letters, digits and hyphens.",
            found=agreement_id,
            hint="For example 'lancs-svd-2025'.",
        )
    if not parties:
        raise InputError(
            "An agreement needs its parties.",
            found="no --party",
            hint="Name each party by its framework partner id, e.g. --party lancashire-constabulary.",
        )
    if known_parties is not None:
        unknown = sorted(set(parties) - set(known_parties))
        if unknown:
            raise InputError(
                "These parties are not partners in the framework register.",
                found=", ".join(unknown),
                hint="Use the partner ids of 'safer framework show' (e.g. lsc-icb, lancashire-constabulary).",
            )
    bad = sorted(set(schemas) - set(FEED_SCHEMAS))
    if not schemas or bad:
        raise InputError(
            "An agreement covers one or more record-level feed schemas.",
            found=", ".join(bad) or "no --schema",
            hint=f"Use {', '.join(FEED_SCHEMAS)}.",
        )
    if not legal_gateway.strip():
        raise InputError(
            "An agreement needs its legal gateway.",
            found="empty --gateway",
            hint=f"For example: {GATEWAY_EXAMPLES}.",
        )
    if not purposes.strip():
        raise InputError(
            "An agreement needs its purposes.",
            found="empty --purpose",
            hint="For example: 'Serious Violence Duty strategic needs assessment'.",
        )
    if retention_days <= 0:
        raise InputError(
            "Retention must be a positive number of days.",
            found=str(retention_days),
            hint="For example --retention-days 730 (two years).",
        )
    if status not in AGREEMENT_STATUSES:
        raise InputError(
            "Unknown agreement status.", found=status, hint=f"Use {', '.join(AGREEMENT_STATUSES)}."
        )
    if end_date is not None and end_date < start_date:
        raise InputError(
            "The agreement ends before it starts.",
            found=f"{start_date} .. {end_date}",
            hint="Check --start and --end.",
        )
    with session_scope(engine) as session:
        if session.get(SharingAgreement, agreement_id) is not None:
            raise InputError(
                "An agreement with this id already exists.",
                found=agreement_id,
                hint="Choose another id; agreements are never overwritten.",
            )
        row = SharingAgreement(
            id=agreement_id,
            title=title,
            parties=" ".join(parties),
            legal_gateway=legal_gateway.strip(),
            purposes=purposes.strip(),
            schemas=" ".join(schemas),
            retention_days=retention_days,
            dpia_date=dpia_date,
            start_date=start_date,
            end_date=end_date,
            review_date=review_date,
            status=status,
            created_by=by,
        )
        session.add(row)
        session.flush()
        result = _record(row)
    audit.record(
        engine,
        actor=by,
        action="sharing_agreement_added",
        obj=agreement_id,
        ip="cli",
        detail=f"parties {' '.join(parties)}; schemas {' '.join(schemas)}; retention {retention_days} days",
    )
    return result


def list_agreements(engine: Engine) -> list[dict[str, Any]]:
    with session_scope(engine) as session:
        return [
            _record(a) for a in session.scalars(sa.select(SharingAgreement).order_by(SharingAgreement.id))
        ]


def get_agreement(engine: Engine, agreement_id: str) -> dict[str, Any]:
    with session_scope(engine) as session:
        row = session.get(SharingAgreement, agreement_id)
        if row is None:
            known = session.scalars(sa.select(SharingAgreement.id)).all()
            raise NotFoundError(
                f"There is no information-sharing agreement '{agreement_id}'.",
                found=", ".join(known) or "no agreements registered",
                hint="Register it first: 'safer sharing add ...'.",
            )
        return _record(row)


def refusal(agreement: dict[str, Any] | None, schema: str, on: date) -> str | None:
    """Why a feed of ``schema`` may not be loaded under ``agreement`` on day ``on`` (None: it may)."""
    if agreement is None:
        return "no agreement"
    if agreement["status"] != "active":
        return f"the agreement is {agreement['status']}, not active"
    if agreement["start_date"] > on:
        return f"the agreement starts on {agreement['start_date']}"
    if agreement["end_date"] is not None and agreement["end_date"] < on:
        return f"the agreement expired on {agreement['end_date']}"
    if schema not in agreement["schemas"]:
        return f"the agreement covers {', '.join(agreement['schemas'])}, not {schema}"
    return None


def require_agreement(
    engine: Engine, agreement_id: str, schema: str, *, on: date, actor: str
) -> dict[str, Any]:
    """The agreement a feed is loaded under, or ``PermissionDeniedError`` (audited): the feed is refused."""
    try:
        agreement: dict[str, Any] | None = get_agreement(engine, agreement_id)
    except NotFoundError:
        agreement = None
    reason = refusal(agreement, schema, on)
    if reason is not None:
        audit.record(
            engine,
            actor=actor,
            action="partner_feed_refused",
            obj=agreement_id,
            ip="cli",
            detail=f"schema {schema}: {reason}",
        )
        raise PermissionDeniedError(
            f"The {schema} feed is refused: nothing from it was loaded.",
            found=f"agreement '{agreement_id}': {reason}",
            hint="Register or renew the agreement ('safer sharing add', 'safer sharing list') so that it is "
            f"active today and covers the '{schema}' schema.",
        )
    return agreement  # type: ignore[return-value]


def check_register(
    engine: Engine, *, on: date, specified_authorities: Iterable[str] = ()
) -> list[dict[str, str]]:
    """Findings on the register: agreements past review or expired, without a DPIA, and specified
    authorities that are party to no active agreement."""
    findings: list[dict[str, str]] = []
    agreements = list_agreements(engine)
    for a in agreements:
        if a["status"] == "active" and a["end_date"] is not None and a["end_date"] < on:
            findings.append(
                {
                    "agreement": a["id"],
                    "finding": "expired",
                    "detail": f"ended {a['end_date']} but is still marked active",
                }
            )
        if a["status"] == "active" and a["review_date"] < on:
            findings.append(
                {
                    "agreement": a["id"],
                    "finding": "past review",
                    "detail": f"review was due {a['review_date']}",
                }
            )
        if a["dpia_date"] is None:
            findings.append(
                {
                    "agreement": a["id"],
                    "finding": "no DPIA",
                    "detail": "no data protection impact assessment date recorded",
                }
            )
    covered = {p for a in agreements if refusal(a, a["schemas"][0], on) is None for p in a["parties"]}
    for party in sorted(set(specified_authorities) - covered):
        findings.append(
            {
                "agreement": "",
                "finding": "specified authority with no agreement",
                "detail": f"{party} is party to no active agreement",
            }
        )
    return findings
