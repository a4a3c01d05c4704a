"""Issue 10 on the web: a period with no data is a 404 in the one error shape (API) and "no data for this
period" (dashboard), periods in words on pages, counts as integers in the tracker."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient


@pytest.fixture
def viewer(login_as) -> TestClient:
    return login_as("viewer")


def test_api_refuses_a_period_with_no_data(viewer: TestClient) -> None:
    response = viewer.get("/api/v1/evidence/rates", params={"issue": "violence", "period": "2019"})
    assert response.status_code == 404  # before: 200 with a count of 0
    body = response.json()
    assert set(body) == {"error", "what", "found", "hint"} and body["error"] == "no_data"
    assert body["what"].startswith("No data for this period")
    assert "2021-04..2022-03" in body["found"]


def test_dashboard_says_no_data_for_this_period(viewer: TestClient) -> None:
    response = viewer.get("/", params={"issue": "violence", "period": "2019"})
    assert response.status_code == 404
    assert "No data for this period" in response.text and 'data-testid="headline-count"' not in response.text


def test_dashboard_periods_in_words(viewer: TestClient) -> None:
    page = viewer.get("/", params={"issue": "violence", "period": "2021-04..2022-03"})
    assert page.status_code == 200
    assert "Headline, April 2021 to March 2022" in page.text
    assert "<td>October 2021</td>" in page.text
    assert "had no location" in page.text  # the districts' figures say how many could not be placed


def test_tracker_counts_are_integers_and_unlike_periods_are_not_rated(viewer: TestClient) -> None:
    page = viewer.get("/strategy")
    assert page.status_code == 200
    assert "906.0" not in page.text and "21,566.0" not in page.text
    assert "not enough data to rate" in page.text
    assert "(April 2021 to June 2021)" in page.text
