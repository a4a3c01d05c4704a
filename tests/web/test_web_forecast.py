"""The dashboard's forecast layer: cells without counts, the skill that chose them, errors in one shape."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import shapely
from fastapi.testclient import TestClient


@pytest.fixture
def client(login_as: Callable[[str], TestClient]) -> TestClient:
    return login_as("viewer")


def test_forecast_layer_has_cells_and_skill_but_no_counts(client: TestClient) -> None:
    response = client.get("/api/v1/evidence/forecast", params={"issue": "violence"})
    assert response.status_code == 200
    data = response.json()
    meta = data["meta"]
    # The demo store holds 12 months (2021-04..2022-03): the forecast is for 2022-04.
    assert meta["forecast_months"] == ["2022-04"] and meta["data_months"] == ["2021-04", "2022-03"]
    assert meta["area"]["level"] == "county" and meta["cell_size_m"] == 250
    skill = meta["skill"]
    assert skill["origins"] == 6
    assert 0 < skill["hit_rate_min"] <= skill["expected_hit_rate"] <= skill["hit_rate_max"]
    assert skill["pai"] > 10  # 1% of Lancashire's area holds far more than 1% of its violence
    features = data["features"]
    assert features and all(set(f["properties"]) == {"cell_id", "rank", "top_1pct", "top_2pct", "top_5pct"}
                            for f in features)
    ranks = [f["properties"]["rank"] for f in features]
    assert ranks == sorted(ranks) and ranks[0] == 1 and ranks[-1] == len(ranks)
    # Cells are 250 m squares in WGS84 inside the north-west of England.
    first = shapely.geometry.shape(features[0]["geometry"])
    assert -3.2 < first.centroid.x < -2.0 and 53.4 < first.centroid.y < 54.3
    assert any("snapped" in c for c in meta["caveats"])


def test_forecast_layer_for_a_district_is_its_part_of_the_county_map(client: TestClient) -> None:
    county = client.get("/api/v1/evidence/forecast", params={"issue": "violence", "share": 0.05}).json()
    preston = client.get("/api/v1/evidence/forecast",
                         params={"issue": "violence", "area": "E07000123", "share": 0.05}).json()
    ids = {f["properties"]["cell_id"] for f in preston["features"]}
    assert ids and ids < {f["properties"]["cell_id"] for f in county["features"]}
    assert preston["meta"]["skill"] == county["meta"]["skill"]


def test_forecast_layer_refuses_bad_input_in_one_shape(client: TestClient) -> None:
    bad = client.get("/api/v1/evidence/forecast", params={"issue": "violence", "share": 0.03})
    assert bad.status_code == 422 and set(bad.json()) == {"error", "what", "found", "hint"}
    unknown = client.get("/api/v1/evidence/forecast", params={"issue": "no-such-issue"})
    assert unknown.status_code == 404


def test_dashboard_has_the_forecast_section(client: TestClient) -> None:
    page = client.get("/", params={"issue": "violence"})
    assert page.status_code == 200 and 'id="map"' in page.text
    assert 'id="forecast-map"' in page.text and "/static/forecast.js" in page.text
    assert "/api/v1/evidence/forecast?issue=violence" in page.text
