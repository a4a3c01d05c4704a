"""Request limits (issue 11, item 5): period length, request body size, and the road-safety trend in
one query. The trend is checked against KSI collisions counted straight from the raw STATS19 file."""

from __future__ import annotations

import csv
import gzip
from collections import Counter
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from web_helpers import csrf_from

from safer_communities.analysis import road_safety
from safer_communities.web import accounts
from safer_communities.web.limits import MAX_FORM_BYTES, MAX_JSON_BYTES, MAX_PERIOD_MONTHS

ROAD_FILE = (Path(__file__).resolve().parents[2] / "demo" / "data" / "road-safety"
             / "dft-road-casualty-statistics-collision-2023-lancashire.csv.gz")
BURNLEY = "E07000117"
ERROR_KEYS = {"error", "what", "found", "hint"}
PATCH = "/api/v1/strategy/actions/example-community-safety-agreement/cfws-early-help-violence"


@pytest.fixture
def viewer(login_as) -> TestClient:
    return login_as("viewer")


@pytest.mark.parametrize("endpoint", ["rates", "trend", "map", "hotspots"])
@pytest.mark.parametrize("issue", ["violence", "road-safety"])
def test_every_period_endpoint_refuses_more_than_the_maximum(viewer: TestClient, endpoint: str,
                                                             issue: str) -> None:
    for period in ("2000-01..2023-12", "1900-01..2999-12", "latest-121-months", "latest-999-months"):
        response = viewer.get(f"/api/v1/evidence/{endpoint}?issue={issue}&period={period}")
        assert response.status_code == 422, (endpoint, period, response.text)
        body = response.json()
        assert set(body) == ERROR_KEYS and "too long" in body["what"] and "120 months" in body["what"]


def test_the_maximum_itself_is_answered(viewer: TestClient) -> None:
    assert MAX_PERIOD_MONTHS == 120
    response = viewer.get("/api/v1/evidence/trend?issue=road-safety&period=2014-01..2023-12")
    assert response.status_code == 200
    months = response.json()["months"]
    assert len(months) == 120
    assert sum(p["published"] == "[x]" for p in months) == 108  # only 2023 is loaded: gaps, not zeros


def test_the_dashboard_and_the_report_form_refuse_long_periods(viewer: TestClient, login_as) -> None:
    page = viewer.get("/?issue=violence&period=1900-01..2999-12")
    assert page.status_code == 422 and "too long" in page.text
    analyst = login_as("analyst")
    token = csrf_from(analyst.get("/reports").text)
    form = {"area": "E07000117", "period": "2000-01..2023-12", "fmt": "html", "csrf_token": token}
    response = analyst.post("/reports", data=form, follow_redirects=False)
    assert response.status_code == 422 and "too long" in response.text


def test_the_road_safety_trend_is_one_query_and_matches_the_raw_file(viewer: TestClient, demo_store,
                                                                     monkeypatch) -> None:
    calls = []
    monkeypatch.setattr(road_safety, "collision_rates", lambda *a, **k: calls.append(1))  # the old way
    body = viewer.get(f"/api/v1/evidence/trend?issue=road-safety&area={BURNLEY}&period=2023").json()
    assert calls == []
    expected: Counter[str] = Counter()
    with gzip.open(ROAD_FILE, "rt", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if row["local_authority_ons_district"] == BURNLEY and row["accident_severity"] in ("1", "2"):
                _day, month, year = row["date"].split("/")
                expected[f"{year}-{month}"] += 1
    assert [p["month"] for p in body["months"]] == [f"2023-{m:02d}" for m in range(1, 13)]
    for point in body["months"]:
        if point["count"] is not None:
            assert point["count"] == expected[point["month"]], point
        elif point["published"] == "<5":
            assert 1 <= expected[point["month"]] <= 4, point
        else:
            assert point["published"] == "[c]", point
    assert sum(expected.values()) == 45
    assert body["total"] == {"count": 45.0, "published": "45"}


def test_monthly_collisions_mark_months_not_loaded_as_gaps(demo_store) -> None:
    from safer_communities.store.evidence import connect

    con = connect(demo_store, read_only=True)
    try:
        frame = road_safety.monthly_collisions(con, BURNLEY, area_level="district", period="2022-11..2023-02")
    finally:
        con.close()
    values = frame["collisions"].tolist()
    assert values[:2] == [pd_na(), pd_na()] and all(isinstance(v, int) for v in values[2:])
    assert frame.attrs["missing_months"] == ["2022-11-01", "2022-12-01"]


def pd_na() -> object:
    import pandas as pd

    return pd.NA


def test_a_json_body_over_the_limit_is_413_in_the_one_shape(app) -> None:
    token = accounts.create_token(app.state.engine, "editor", "limits")
    c = TestClient(app)
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    big = b'{"status": "complete", "note": "' + b"x" * (MAX_JSON_BYTES + 10) + b'"}'
    response = c.patch(PATCH, content=big, headers=headers)
    assert response.status_code == 413
    assert set(response.json()) == ERROR_KEYS and response.json()["error"] == "payload_too_large"
    assert response.headers["content-security-policy"]  # still through the security headers
    # a declared 100 MB body is refused from its header alone, before anything is read
    response = c.patch(PATCH, content=b"{}", headers={**headers, "Content-Length": str(100 * 2**20)})
    assert response.status_code == 413 and "Content-Length" in response.json()["found"]


def test_a_streamed_body_without_a_length_is_cut_off_at_the_limit(app) -> None:
    """Straight through ASGI (the test client reads a stream whole before sending it): a chunked body
    of 64 MB is refused after little more than the limit has been read."""
    import asyncio

    token = accounts.create_token(app.state.engine, "editor", "limits")
    read, sent = [], []

    async def receive() -> dict:
        read.append(1)
        return {"type": "http.request", "body": b"x" * 65536, "more_body": len(read) < 1000}

    async def send(message: dict) -> None:
        sent.append(message)

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "PATCH",
             "scheme": "http", "path": PATCH, "raw_path": PATCH.encode(), "query_string": b"",
             "root_path": "", "headers": [(b"host", b"testserver"), (b"transfer-encoding", b"chunked"),
                                          (b"content-type", b"application/json"),
                                          (b"authorization", f"Bearer {token}".encode())],
             "client": ("127.0.0.1", 5000), "server": ("testserver", 80)}
    asyncio.run(app(scope, receive, send))
    assert sent[0]["type"] == "http.response.start" and sent[0]["status"] == 413
    assert len(read) == MAX_JSON_BYTES // 65536 + 1  # stopped as soon as the limit was passed


def test_a_small_json_body_still_works(app) -> None:
    token = accounts.create_token(app.state.engine, "editor", "limits")
    response = TestClient(app).patch(PATCH, json={"status": "in-progress", "note": "x" * 1000},
                                     headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "in-progress"


def test_a_form_over_the_limit_is_413(login_as) -> None:
    editor = login_as("editor")
    token = csrf_from(editor.get("/amendments").text)
    response = editor.post("/amendments", data={"kind": "issues", "entry_id": "violence", "op": "update",
                                                "reason": "r" * (MAX_FORM_BYTES + 1), "csrf_token": token})
    assert response.status_code == 413 and "too large" in response.text
