"""The information-sharing register: validation, refusal of feeds, findings, audit entries."""

from __future__ import annotations

from datetime import date

import pytest
from typer.testing import CliRunner

from safer_communities import sharing
from safer_communities.cli import app
from safer_communities.errors import InputError, NotFoundError, PermissionDeniedError
from safer_communities.store.app_db import open_app_db
from safer_communities.web import audit

GATEWAY = "PCSC Act 2022 s16; Crime and Disorder Act 1998 s115"


def _add(engine, agreement_id: str = "lancs-svd", **changes):
    values = dict(
        agreement_id=agreement_id,
        title="Serious violence data",
        parties=["lancashire-constabulary", "lsc-icb"],
        legal_gateway=GATEWAY,
        purposes="SVD needs assessment",
        schemas=["istv", "force-crimes"],
        retention_days=365,
        start_date=date(2025, 1, 1),
        review_date=date(2026, 1, 1),
        end_date=date(2026, 12, 31),
        dpia_date=date(2024, 12, 1),
        by="tester",
        known_parties=["lancashire-constabulary", "lsc-icb", "probation-service"],
    )
    values.update(changes)
    return sharing.add_agreement(engine, **values)


def test_an_agreement_is_registered_and_audited(app_db_url: str) -> None:
    engine = open_app_db(app_db_url)
    record = _add(engine)
    assert record["schemas"] == ["force-crimes", "istv"] and record["retention_days"] == 365
    assert sharing.get_agreement(engine, "lancs-svd")["parties"] == ["lancashire-constabulary", "lsc-icb"]
    entries = audit.entries(engine, action="sharing_agreement_added")
    assert [(e["actor"], e["object"]) for e in entries] == [("tester", "lancs-svd")]
    with pytest.raises(InputError, match="already exists"):
        _add(engine)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"parties": ["nobody-we-know"]}, "not partners in the framework"),
        ({"schemas": ["hospital-notes"]}, "record-level feed schemas"),
        ({"retention_days": 0}, "positive number of days"),
        ({"legal_gateway": " "}, "legal gateway"),
        ({"end_date": date(2024, 1, 1)}, "ends before it starts"),
        ({"agreement_id": "Bad Id"}, "lower-case"),
    ],
)
def test_invalid_agreements_are_refused(app_db_url: str, changes: dict, message: str) -> None:
    engine = open_app_db(app_db_url)
    with pytest.raises(InputError, match=message):
        _add(engine, **changes)
    assert sharing.list_agreements(engine) == []


def test_a_feed_is_refused_without_a_valid_agreement_and_the_refusal_is_audited(app_db_url: str) -> None:
    engine = open_app_db(app_db_url)
    _add(engine)
    assert (
        sharing.require_agreement(engine, "lancs-svd", "istv", on=date(2025, 6, 1), actor="t")["id"]
        == "lancs-svd"
    )
    cases = [
        ("missing", "istv", date(2025, 6, 1), "no agreement"),
        ("lancs-svd", "council-asb", date(2025, 6, 1), "not council-asb"),
        ("lancs-svd", "istv", date(2027, 1, 1), "expired on 2026-12-31"),
        ("lancs-svd", "istv", date(2024, 6, 1), "starts on 2025-01-01"),
    ]
    for agreement, schema, day, reason in cases:
        with pytest.raises(PermissionDeniedError, match="refused") as caught:
            sharing.require_agreement(engine, agreement, schema, on=day, actor="t")
        assert reason in (caught.value.found or "")
    refused = audit.entries(engine, action="partner_feed_refused")
    assert len(refused) == len(cases)
    _add(engine, "suspended-one", status="suspended")
    with pytest.raises(PermissionDeniedError, match="refused"):
        sharing.require_agreement(engine, "suspended-one", "istv", on=date(2025, 6, 1), actor="t")


def test_register_findings(app_db_url: str) -> None:
    engine = open_app_db(app_db_url)
    _add(engine, dpia_date=None)
    findings = sharing.check_register(
        engine, on=date(2026, 3, 1), specified_authorities=["lancashire-constabulary", "probation-service"]
    )
    assert {(f["agreement"], f["finding"]) for f in findings} == {
        ("lancs-svd", "past review"),
        ("lancs-svd", "no DPIA"),
        ("", "specified authority with no agreement"),
    }
    assert [f["detail"] for f in findings if not f["agreement"]] == [
        "probation-service is party to no active agreement"
    ]
    later = sharing.check_register(engine, on=date(2027, 3, 1), specified_authorities=[])
    assert ("lancs-svd", "expired") in {(f["agreement"], f["finding"]) for f in later}


def test_cli_add_show_check(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'app.sqlite'}"
    runner = CliRunner()
    added = runner.invoke(
        app,
        [
            "--app-db",
            url,
            "sharing",
            "add",
            "demo-svd",
            "--title",
            "Demo",
            "--party",
            "lancashire-constabulary",
            "--party",
            "lsc-icb",
            "--gateway",
            GATEWAY,
            "--purpose",
            "SVD",
            "--schema",
            "istv",
            "--retention-days",
            "730",
            "--review",
            "2030-01-01",
            "--start",
            "2025-01-01",
            "--dpia",
            "2025-01-01",
        ],
    )
    assert added.exit_code == 0, added.output
    shown = runner.invoke(app, ["--app-db", url, "sharing", "show", "demo-svd", "--json"])
    assert '"retention_days": 730' in shown.output
    ok = runner.invoke(
        app, ["--app-db", url, "sharing", "check", "demo-svd", "--schema", "istv", "--on", "2026-01-01"]
    )
    assert ok.exit_code == 0 and "allows a istv feed" in ok.output
    with pytest.raises(NotFoundError):
        sharing.get_agreement(open_app_db(url), "nope")
