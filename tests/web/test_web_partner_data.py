"""Record-level partner data on the web: analysts only (every other role 403, no sign-in 401 or the
sign-in page, a public deployment 404 to everyone, in the one error shape), every view audited with who,
which feed, schema version, agreement and record count; counts checked against the SYNTHETIC sample
files themselves."""

from __future__ import annotations

import csv
import shutil
from collections import Counter
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from web_helpers import ROLES, login

from safer_communities import sharing
from safer_communities.ingest.indicators import ingest_indicators
from safer_communities.ingest.partner_feed import ingest_partner_feed
from safer_communities.store.evidence import connect, transaction
from safer_communities.web import audit

SAMPLES = Path(__file__).resolve().parents[2] / "demo" / "data" / "partner-synthetic"
PARTNER = Path(__file__).resolve().parents[1] / "data" / "partner"
AGREEMENT = "test-svd-2025"
PAGES = ["/partner-data", "/partner-data/istv", "/partner-data/istv?view=area",
         "/partner-data/force-crimes?view=records&page=2&page_size=20"]
API = ["/api/v1/partner-data/feeds", "/api/v1/partner-data/istv/counts?by=month",
       "/api/v1/partner-data/council-asb/counts?by=area", "/api/v1/partner-data/force-crimes/records?page=1"]


def _raw(name: str) -> list[dict[str, str]]:
    with (SAMPLES / name).open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def feed_store(tmp_path_factory: pytest.TempPathFactory, demo_store: Path) -> Path:
    """The web demo store plus the three SYNTHETIC feeds, loaded under AGREEMENT, and the real partner
    statistics slices."""
    path = tmp_path_factory.mktemp("feeds") / "store.duckdb"
    shutil.copy(demo_store, path)
    con = connect(path)
    with transaction(con):
        ingest_indicators(con, [PARTNER])
        for schema in ("istv", "force-crimes", "council-asb"):
            ingest_partner_feed(con, [SAMPLES / f"{schema}-SYNTHETIC.csv"], schema=schema,
                                agreement=AGREEMENT, key="test-key-0123456789abcdef")
    con.close()
    return path


@pytest.fixture
def feed_app(app_factory: Callable[..., FastAPI], feed_store: Path) -> FastAPI:
    app = app_factory(db=feed_store)
    sharing.add_agreement(app.state.engine, agreement_id=AGREEMENT, title="Test SVD sharing",
                          parties=["lancashire-constabulary", "lsc-icb"], legal_gateway="PCSC Act 2022 s16",
                          purposes="Serious Violence Duty", schemas=["istv", "force-crimes", "council-asb"],
                          retention_days=730, start_date=date(2025, 1, 1), review_date=date(2027, 6, 30),
                          dpia_date=date(2025, 1, 10), by="tests")
    return app


def _as(app: FastAPI, role: str) -> TestClient:
    client = TestClient(app)
    if role != "anonymous":
        assert login(client, role).status_code == 303
    return client


def _reads(app: FastAPI) -> list[dict[str, object]]:
    return [e for e in audit.entries(app.state.engine, limit=None)
            if str(e["action"]).startswith("partner_records")]


@pytest.mark.parametrize("role", [*ROLES, "anonymous"])
def test_only_analysts_see_record_level_data(feed_app: FastAPI, role: str) -> None:
    client = _as(feed_app, role)
    for path in PAGES + API:
        response = client.get(path, follow_redirects=False)
        if role == "analyst":
            assert response.status_code == 200, (path, response.text[:300])
        elif role == "anonymous":
            assert response.status_code == (401 if path.startswith("/api") else 303), path
        else:
            assert response.status_code == 403, (role, path)
            if path.startswith("/api"):
                assert set(response.json()) == {"error", "what", "found", "hint"}
                assert response.json()["error"] == "permission_denied"
                assert "analyst" in response.json()["hint"]
            else:
                assert "SYN-" not in response.text and "Records by" not in response.text
    # Refused requests read nothing, so none of them is logged as a read.
    reads = [e for e in _reads(feed_app) if e["action"] == "partner_records_read"]
    assert len(reads) == (len(PAGES + API) if role == "analyst" else 0)
    nav = client.get("/", follow_redirects=False).text
    assert ('href="/partner-data"' in nav) == (role == "analyst")


@pytest.mark.parametrize("role", ["analyst", "viewer", "anonymous"])
def test_a_public_deployment_serves_none_of_it(app_factory: Callable[..., FastAPI], feed_store: Path,
                                               role: str) -> None:
    app = app_factory(db=feed_store, public_mode=True)
    client = TestClient(app)
    if role != "anonymous":
        login(client, role)
    for path in PAGES + API:
        response = client.get(path, follow_redirects=False)
        assert response.status_code == 404, (role, path, response.status_code)
        if path.startswith("/api"):
            assert set(response.json()) == {"error", "what", "found", "hint"}
    assert _reads(app) == []


def test_each_view_is_audited_with_who_what_agreement_and_count(feed_app: FastAPI) -> None:
    client = _as(feed_app, "analyst")
    months = client.get("/api/v1/partner-data/istv/counts?by=month").json()
    raw = _raw("istv-SYNTHETIC.csv")
    expected = Counter(r["assault_at"][:7] for r in raw)
    assert {r["month"]: r["records"] for r in months["records"]} == dict(expected)
    assert months["meta"]["synthetic"] is True and months["meta"]["agreements"] == [AGREEMENT]
    entry = _reads(feed_app)[0]
    assert entry["actor"] == "analyst" and entry["action"] == "partner_records_read"
    assert entry["object"] == "partner feed istv"
    assert entry["detail"] == f"records by month; schema istv v1; agreements {AGREEMENT}; {len(raw)} records"

    page = client.get("/api/v1/partner-data/force-crimes/records?page=3&page_size=25").json()
    assert page["meta"]["total"] == len(_raw("force-crimes-SYNTHETIC.csv")) == 400
    assert page["meta"]["pages"] == 16 and len(page["records"]) == 25
    entry = _reads(feed_app)[0]
    assert entry["detail"] == (f"records page 3 (25 a page); schema force-crimes v1; agreements {AGREEMENT}; "
                               "25 records")
    # Pseudonymised: no reference from the file appears; free text was dropped at ingest.
    refs = {r["crime_ref"] for r in _raw("force-crimes-SYNTHETIC.csv")}
    assert not refs & {r["crime_ref"] for r in page["records"]}
    assert all(len(r["crime_ref"]) == 32 for r in page["records"])
    assert "description" not in page["records"][0]

    feeds = client.get("/partner-data")
    assert feeds.status_code == 200 and "SYNTHETIC" in feeds.text and "730 days" in feeds.text
    overview = _reads(feed_app)[0]["detail"]
    assert overview == f"feed overview; schema all; agreements {AGREEMENT}; 1,200 records"

    areas = client.get("/partner-data/council-asb?view=area")
    assert areas.status_code == 200 and "Burnley" in areas.text
    assert _reads(feed_app)[0]["detail"].endswith(f"; {len(_raw('council-asb-SYNTHETIC.csv'))} records")


def test_a_failed_read_is_logged_as_failed_never_as_a_read(feed_app: FastAPI) -> None:
    client = _as(feed_app, "analyst")
    response = client.get("/api/v1/partner-data/istv/records?page=99&page_size=50")
    assert response.status_code == 422
    assert response.json()["error"] == "input_error" and "page 99 of 8" in response.json()["found"]
    entries = _reads(feed_app)
    assert [e["action"] for e in entries] == ["partner_records_read_failed"]
    assert entries[0]["detail"] == "records page 99 (50 a page): not read (There is no such page.)"


def test_no_feed_loaded_is_a_404_not_an_empty_page(app_factory: Callable[..., FastAPI]) -> None:
    app = app_factory()
    client = _as(app, "analyst")
    response = client.get("/api/v1/partner-data/istv/counts")
    assert response.status_code == 404 and response.json()["error"] == "no_data"
    assert [e["action"] for e in _reads(app)] == ["partner_records_read_failed"]


def test_declared_in_openapi_with_error_responses(feed_app: FastAPI) -> None:
    spec = TestClient(feed_app).get("/api/v1/openapi.json").json()
    for path in ("/api/v1/partner-data/feeds", "/api/v1/partner-data/{schema}/counts",
                 "/api/v1/partner-data/{schema}/records"):
        responses = spec["paths"][path]["get"]["responses"]
        assert {"401", "403", "404", "422"} <= set(responses), path


def _fingertips_latest(area: str) -> tuple[str, float, float]:
    """(period, value, England's value) of indicator 90284, Persons, latest period, read from the file."""
    with (PARTNER / "fingertips_90284_slice.csv").open(newline="", encoding="utf-8-sig") as handle:
        rows = [r for r in csv.DictReader(handle) if r["Sex"] == "Persons" and not r["Category Type"]]
    period = max(r["Time period"] for r in rows if r["Area Code"] == area)
    value = next(float(r["Value"]) for r in rows if r["Area Code"] == area and r["Time period"] == period)
    england = next(float(r["Value"]) for r in rows if r["Area Code"] == "E92000001"
                   and r["Time period"] == period)
    return period, value, england


@pytest.mark.parametrize("path", ["/?issue=violence", "/strategy"])
def test_dashboard_and_tracker_show_partner_evidence_against_england(feed_app: FastAPI, path: str) -> None:
    period, value, england = _fingertips_latest("E06000009")
    page = _as(feed_app, "viewer").get(path)
    assert page.status_code == 200
    section = page.text.split("What partners' data shows")[1]
    row = next(r for r in section.split("<tr>") if "Blackpool" in r and "aged 0 to 14" in r)
    assert f"<td>{period}</td>" in row and f"{value:,.2f}" in row and f"{england:,.2f}" in row
    assert "worse" in row  # 111.35 (95% CI above England's 72.71), lower is better
    assert _reads(feed_app) == []  # published statistics only: no record-level read
