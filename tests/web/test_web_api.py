"""The REST API on the demo store: real values, disclosure control, GeoJSON in WGS84, API tokens."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from safer_communities.analysis import rates
from safer_communities.store.evidence import connect
from safer_communities.web import accounts

BURNLEY, WYRE, COUNTY = "E07000117", "E07000128", "E23000003"


@pytest.fixture
def viewer(login_as) -> TestClient:
    return login_as("viewer")


def test_areas_are_the_county_and_its_fourteen_districts(viewer: TestClient) -> None:
    areas = viewer.get("/api/v1/areas").json()["areas"]
    assert areas[0] == {"code": COUNTY, "name": "Lancashire", "level": "county"}
    assert len([a for a in areas if a["level"] == "district"]) == 14
    assert {"code": BURNLEY, "name": "Burnley", "level": "district"} in areas


def test_issues_say_which_can_be_measured(viewer: TestClient) -> None:
    body = viewer.get("/api/v1/issues").json()
    issues = {i["id"]: i for i in body["issues"]}
    assert issues["violence"]["measurable"] and not issues["domestic-abuse"]["measurable"]
    assert body["definitions_version"] == "2025.1"


def test_county_headline_matches_the_analysis(viewer: TestClient, demo_store) -> None:
    body = viewer.get("/api/v1/evidence/rates", params={"issue": "violence"}).json()
    con = connect(demo_store, read_only=True)
    try:
        expected = rates.issue_rates(con, "violence", area_level="county")
    finally:
        con.close()
    head = body["headline"]
    # the force area's headline counts the 8,142 records published without a location (issue 10)
    assert head["count"] == 61355 + 8142 == expected["count"].iloc[0]
    assert head["count_published"] == "69,497"
    assert head["rate_per_1000"] == pytest.approx(expected["rate_per_1000"].iloc[0])
    assert head["ci_low"] < head["rate_per_1000"] < head["ci_high"]
    assert body["meta"]["period_label"] == "2021-04..2022-03"
    assert len(body["units"]) == 14
    assert sum(u["count"] for u in body["units"]) == 61355  # districts: only the records they can place
    assert any("8,142 of 69,869 records (11.7%) had no location" in c for c in body["meta"]["caveats"])


def test_small_counts_are_withheld_with_a_secondary_cell(viewer: TestClient) -> None:
    body = viewer.get("/api/v1/evidence/rates", params={"issue": "violence", "area": WYRE}).json()
    units = body["units"]
    primary = [u for u in units if u["count_published"] == "<5"]
    secondary = [u for u in units if u["count_published"] == "[c]"]
    assert len(primary) == 1 and len(secondary) == 1
    assert all(u["count"] is None and u["rate_per_1000"] is None for u in primary + secondary)
    shown = sum(u["count"] for u in units if u["count"] is not None)
    # what is hidden is at least 1 + 5, so no withheld cell can be worked out from the district total
    assert body["headline"]["count"] - shown >= 6
    assert any(n.startswith("<5") for n in body["meta"]["disclosure_notes"])


def test_rates_on_fewer_than_ten_records_are_not_shown(viewer: TestClient) -> None:
    units = viewer.get("/api/v1/evidence/rates", params={"issue": "asb", "area": BURNLEY}).json()["units"]
    unreliable = [u for u in units if u["rate_per_1000_published"] == "[u]"]
    assert len(unreliable) == 1
    assert unreliable[0]["rate_per_1000"] is None and unreliable[0]["count"] < 10


def test_trend_has_twelve_months_adding_to_the_total(viewer: TestClient) -> None:
    body = viewer.get("/api/v1/evidence/trend", params={"issue": "violence", "area": BURNLEY}).json()
    months = body["months"]
    assert [m["month"] for m in months][:2] == ["2021-04", "2021-05"] and len(months) == 12
    assert sum(m["count"] for m in months) == body["total"]["count"] == 5125


def test_map_is_geojson_in_wgs84_over_lancashire(viewer: TestClient) -> None:
    body = viewer.get("/api/v1/evidence/map", params={"issue": "violence", "area": BURNLEY}).json()
    assert body["type"] == "FeatureCollection" and body["meta"]["crs"] == "EPSG:4326"
    assert len(body["features"]) == 60
    geometry = body["features"][0]["geometry"]
    ring = geometry["coordinates"][0] if geometry["type"] == "Polygon" else geometry["coordinates"][0][0]
    lon, lat = ring[0][:2]
    assert -2.4 < lon < -2.0 and 53.7 < lat < 53.9  # Burnley
    assert body["features"][0]["properties"]["area_code"].startswith("E01")
    # The report's classes and colours: viridis quantiles of smoothed rates, band 0 only where withheld.
    from safer_communities.publish.map_classes import palette

    classes = body["meta"]["classes"]
    assert "empirical-Bayes" in body["meta"]["classes_method"]
    assert {c["colour"] for c in classes} <= set(palette(5))
    for feature in body["features"]:
        p = feature["properties"]
        assert (p["band"] == 0) == (p["rate_per_1000"] is None)
        assert 0 <= p["band"] <= len(classes)


def test_hotspots_classify_lsoas(viewer: TestClient) -> None:
    body = viewer.get("/api/v1/evidence/hotspots", params={"issue": "violence", "area": BURNLEY}).json()
    assert len(body["features"]) == 60
    classes = {f["properties"]["class"] for f in body["features"]}
    assert 0 in classes and classes <= {-3, -2, -1, 0, 1, 2, 3}
    assert "Gi*" in body["meta"]["method"]


def test_framework_and_strategy(viewer: TestClient) -> None:
    body = viewer.get("/api/v1/framework").json()
    assert body["version"] == 1
    assert "violence" in {i["id"] for i in body["register"]["issues"]}
    assert body["services_by_issues"] and body["duty_status"]
    entry = viewer.get("/api/v1/framework/issues/violence").json()
    assert entry["entry"]["id"] == "violence"
    strategies = viewer.get("/api/v1/strategy/status").json()["strategies"]
    indicators = [i for s in strategies for i in s["indicators"]]
    assert indicators and all("current_value_published" in i for i in indicators)
    missing = [i for i in indicators if i["current_records"] is None]
    assert missing and all(i["current_value_published"] == "[x]" for i in missing)  # never a zero


def test_bearer_tokens_for_partner_systems(app, monkeypatch: pytest.MonkeyPatch) -> None:
    from safer_communities.web import deps

    monkeypatch.setattr(deps, "TOKEN_CACHE_S", 0.0)  # as if the 10 s a worker remembers a token had passed
    token = accounts.create_token(app.state.engine, "analyst", "police analysts' system")
    c = TestClient(app)
    ok = c.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert ok.status_code == 200 and ok.json() == {"name": "analyst", "roles": ["analyst"]}
    assert c.get("/api/v1/framework", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    bad = c.get("/api/v1/me", headers={"Authorization": "Bearer sc_not-a-token"})
    assert bad.status_code == 401 and bad.json()["error"] == "not_authenticated"
    assert accounts.revoke_tokens(app.state.engine, "analyst") == 1
    assert c.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_tokens_are_stored_hashed(app) -> None:
    import sqlalchemy as sa

    from safer_communities.web.models import ApiToken

    token = accounts.create_token(app.state.engine, "viewer", "x")
    with app.state.engine.connect() as con:
        stored = con.execute(sa.select(ApiToken.token_hash)).scalars().all()
    assert stored == [accounts.token_hash(token)] and token not in stored


def test_openapi_document_lists_the_api(client: TestClient) -> None:
    doc = client.get("/api/v1/openapi.json").json()
    for path in ("/api/v1/areas", "/api/v1/evidence/rates", "/api/v1/evidence/map", "/api/v1/framework",
                 "/api/v1/strategy/status"):
        assert path in doc["paths"]
    assert not any(p.startswith("/login") or p.startswith("/admin") for p in doc["paths"])


def test_issue_page_links_evidence_register_and_strategy(viewer: TestClient) -> None:
    page = viewer.get("/issues/violence").text
    assert "<strong>69,497</strong> records in Lancashire" in page
    assert "Strategy actions" in page and "Early help for families where violence is a risk" in page
    assert "No open data source measures this issue." in viewer.get("/issues/domestic-abuse").text
    assert viewer.get("/issues/no-such-issue").status_code == 404


def test_area_page_lists_every_measured_issue(viewer: TestClient) -> None:
    page = viewer.get(f"/areas/{BURNLEY}").text
    assert "<h1>Burnley</h1>" in page
    assert page.count('<th scope="row"><a href="/?issue=') == 5  # four police.uk issues and road safety
    assert "5,125" in page and "5,563" in page  # violence and ASB, as on the dashboard


def test_county_map_districts_have_no_sliver_holes(viewer: TestClient) -> None:
    import geopandas as gpd

    from safer_communities.store.geometry import interior_rings_under

    body = viewer.get("/api/v1/evidence/map", params={"issue": "violence"}).json()
    districts = gpd.GeoDataFrame.from_features(body["features"], crs=4326).to_crs(27700)
    assert len(districts) == 14
    # Dissolved from LSOAs that do not share vertices exactly, a plain union left 62-139 pin-holes each,
    # which simplification grew to 1,509 rings of 4 m2 and more. No Lancashire district has a real hole.
    assert sum(interior_rings_under(g, 1e12) for g in districts.geometry) == 0
    assert all(g.is_valid for g in districts.geometry)


def test_framework_page_footer_names_the_software_not_the_register_version(viewer: TestClient) -> None:
    from safer_communities import __version__

    html = viewer.get("/framework").text
    assert "<h1>Framework register, version 1</h1>" in html
    assert f"safer-communities {__version__}." in html and "safer-communities 1." not in html


def test_api_docs_are_served_from_the_package_within_the_sites_own_policy(viewer: TestClient) -> None:
    import re

    page = viewer.get("/api/v1/docs")
    assert page.status_code == 200
    sources = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert sources and all(s.startswith("/api/v1/") for s in sources)  # nothing from a CDN
    assert "<script>" not in page.text  # no inline script for script-src 'self' to block
    assert "script-src 'self'" in page.headers["content-security-policy"]
    for source in sources:
        asset = viewer.get(source)
        assert asset.status_code == 200 and len(asset.content) > 100, source
    assert "SwaggerUIBundle" in viewer.get("/api/v1/docs/assets/swagger-ui-bundle.js").text
    assert "isOAS31" in viewer.get("/api/v1/docs/assets/swagger-ui-bundle.js").text  # reads OpenAPI 3.1


def test_lsoas_are_named_beside_their_ward(viewer: TestClient) -> None:
    """'Preston 007A' alone places nothing: the ward it lies in comes with it (shipped 2013 lookup),
    checked against the ward polygon that holds the LSOA's representative point, by hand: E01025234
    (Preston 007A) and E01025236 (Preston 009A) lie in Brookfield, E01025233 (Preston 008A) in Ashton."""
    from safer_communities.publish.place_names import lsoa_place, lsoa_wards

    assert lsoa_place("E01025234") == "Brookfield ward"
    assert lsoa_place("E01025236") == "Brookfield ward"
    assert lsoa_place("E01025233") == "Ashton ward"
    assert lsoa_place("E01999999") is None
    assert len(lsoa_wards()) == 941  # every LSOA of the 14 districts
    body = viewer.get("/api/v1/evidence/map", params={"issue": "violence", "area": BURNLEY}).json()
    assert all(f["properties"]["place"].endswith(" ward") for f in body["features"])
    page = viewer.get("/", params={"issue": "violence", "area": BURNLEY}).text
    assert "Burnley 001A, " in page and " ward</th>" in page
