"""Road safety on the dashboard and in the API: KSI collisions per 100,000 residents by district, from
``analysis.road_safety.collision_rates`` over the demo store's real STATS19 2023 file, through disclosure
control, with the chart and the map."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from safer_communities.analysis.road_safety import collision_rates
from safer_communities.store.evidence import connect

LANCASHIRE = "E23000003"  # the study area as a whole (Lancashire police force area)
BURNLEY, PRESTON = "E07000117", "E07000123"
ROAD = "issue=road-safety&period=2023"


@pytest.fixture
def viewer(login_as) -> TestClient:
    return login_as("viewer")


def test_rates_by_district_match_the_analysis(viewer: TestClient, demo_store) -> None:
    body = viewer.get(f"/api/v1/evidence/rates?{ROAD}").json()
    con = connect(demo_store, read_only=True)
    try:
        expected = collision_rates(con, area_level="district", period="2023", severity="ksi")
    finally:
        con.close()
    assert body["issue"] == "road-safety" and body["unit_level"] == "district"
    assert body["rate_key"] == "rate_per_100000" and body["rate_label"] == "per 100,000 residents"
    assert body["count_noun"] == "KSI collisions"
    head = body["headline"]
    assert (head["count"], head["rate_per_100000_published"]) == (906, "59.8")
    assert (head["ci_low_published"], head["ci_high_published"]) == ("56.0", "63.8")
    units = {u["area_code"]: u for u in body["units"]}
    assert len(units) == 14 and sum(u["count"] for u in units.values()) == 906
    preston = units[PRESTON]
    assert (preston["count"], preston["rate_per_100000_published"]) == (118, "81.9")
    row = expected[expected["area_code"] == PRESTON].iloc[0]
    assert preston["rate_per_100000"] == pytest.approx(row["rate_per_100000"])
    assert preston["population"] == row["population"]
    assert body["meta"]["period_label"] == "2023" and "CRaSH" in body["meta"]["caveats"][0]


def test_small_lsoa_counts_are_published_as_dft_publishes_them(viewer: TestClient) -> None:
    """STATS19 is published collision by collision (issue 10): small counts are not withheld, but rates
    on fewer than 10 collisions are marked unreliable."""
    body = viewer.get(f"/api/v1/evidence/rates?{ROAD}&area={BURNLEY}").json()
    assert body["headline"]["count"] == 45 and body["unit_level"] == "lsoa" and len(body["units"]) == 60
    assert sum(u["count"] for u in body["units"]) == 45
    small = [u for u in body["units"] if 1 <= u["count"] < 5]
    # JSON numbers: the count may come back as 1.0; its published text is the whole number, shown as is
    assert small and all(u["count"] == int(u["count"]) and u["count_published"] == str(int(u["count"]))
                         for u in small)
    assert all(u["rate_per_100000"] is None and u["rate_per_100000_published"] == "[u]" for u in small)


def test_trend_and_map(viewer: TestClient) -> None:
    trend = viewer.get(f"/api/v1/evidence/trend?{ROAD}").json()
    assert [p["month"] for p in trend["months"]][:2] == ["2023-01", "2023-02"] and len(trend["months"]) == 12
    assert trend["months"][5] == {"month": "2023-06", "count": 106, "published": "106"}
    assert sum(p["count"] for p in trend["months"]) == trend["total"]["count"] == 906
    geo = viewer.get(f"/api/v1/evidence/map?{ROAD}").json()
    assert len(geo["features"]) == 14 and geo["meta"]["rate_key"] == "rate_per_100000"
    burnley = next(f["properties"] for f in geo["features"] if f["properties"]["area_code"] == BURNLEY)
    assert burnley["rate_per_100000_published"] == "50.4"
    police = viewer.get("/api/v1/evidence/map?issue=violence").json()
    assert police["meta"]["rate_key"] == "rate_per_1000"


def test_dashboard_shows_road_safety(viewer: TestClient) -> None:
    page = viewer.get(f"/?{ROAD}&area={LANCASHIRE}")
    assert page.status_code == 200, page.text[:300]
    html = page.text
    assert '<option value="road-safety" selected>' in html
    assert "Rate per 100,000 residents</dt><dd data-testid=\"headline-rate\">59.8</dd>" in html
    assert "<dt>KSI collisions</dt><dd data-testid=\"headline-count\">906</dd>" in html
    assert "KSI collisions per month, Lancashire</title>" in html and 'data-points="12"' in html
    assert "issue=road-safety" in html.split('id="map"')[1].split(">")[0]


def test_hotspots_for_road_safety_are_a_clear_error(viewer: TestClient) -> None:
    response = viewer.get(f"/api/v1/evidence/hotspots?{ROAD}")
    assert 400 <= response.status_code < 500
    assert set(response.json()) == {"error", "what", "found", "hint"}


def test_issue_and_area_pages_label_the_rate(viewer: TestClient) -> None:
    issue = viewer.get("/issues/road-safety").text
    assert "KSI collisions in Lancashire" in issue and "per 100,000 residents" in issue
    area = viewer.get(f"/areas/{BURNLEY}").text
    row = area[area.index("Road safety"):]
    row = row[:row.index("</tr>")]
    assert "45 KSI collisions" in row and "50.4 per 100,000" in row
    assert "per 1,000" in area  # the police.uk issues keep their own basis
