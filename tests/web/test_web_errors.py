"""One JSON error shape for every API error, with the documented HTTP status."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from safer_communities.errors import (
    InputError,
    NoDataError,
    NotFoundError,
    PermissionDeniedError,
    SaferError,
    StoreError,
)
from safer_communities.web.errors import status_for

KEYS = {"error", "what", "found", "hint"}


@pytest.fixture
def viewer(login_as) -> TestClient:
    return login_as("viewer")


@pytest.mark.parametrize(("exc", "status"), [
    (NotFoundError("x"), 404), (NoDataError("x"), 404), (InputError("x"), 422),
    (PermissionDeniedError("x"), 403), (StoreError("x"), 503), (SaferError("x"), 400),
])
def test_status_of_each_error_kind(exc: SaferError, status: int) -> None:
    assert status_for(exc) == status


def _shape(response: object, status: int, code: str) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == KEYS
    assert body["error"] == code
    assert body["what"]
    return body


def test_unknown_route_is_404_in_the_shape(client: TestClient) -> None:
    body = _shape(client.get("/api/v1/no-such-thing"), 404, "not_found")
    assert body["found"] == "/api/v1/no-such-thing"


def test_unknown_issue_is_404_naming_the_issues(viewer: TestClient) -> None:
    body = _shape(viewer.get("/api/v1/evidence/rates", params={"issue": "burglary"}), 404, "not_found")
    assert "'burglary'" in body["found"] and "violence" in body["hint"]


def test_an_invalid_parameter_is_422(viewer: TestClient) -> None:
    body = _shape(viewer.get("/api/v1/evidence/rates", params={"area": "Lancashire"}), 422, "input_error")
    assert "area" in body["found"]


def test_a_period_that_cannot_be_read_is_422(viewer: TestClient) -> None:
    body = _shape(viewer.get("/api/v1/evidence/rates", params={"period": "last summer"}), 422, "input_error")
    assert "last summer" in body["found"]


def test_an_area_outside_the_study_area_is_404(viewer: TestClient) -> None:
    _shape(viewer.get("/api/v1/evidence/trend", params={"area": "E07000001"}), 404, "not_found")


def test_an_issue_without_open_data_is_404_no_data(viewer: TestClient) -> None:
    body = _shape(viewer.get("/api/v1/evidence/rates", params={"issue": "domestic-abuse"}), 404, "no_data")
    assert "domestic" in body["what"].lower()


def test_not_signed_in_is_401_with_bearer_challenge(client: TestClient) -> None:
    response = client.get("/api/v1/framework")
    _shape(response, 401, "not_authenticated")
    assert response.headers["www-authenticate"] == "Bearer"


def test_no_register_loaded_is_404_no_data(app_factory, tmp_path) -> None:
    from web_helpers import PASSWORD

    from safer_communities.store.app_db import open_app_db
    from safer_communities.web import accounts

    url = f"sqlite:///{tmp_path / 'empty.sqlite'}"
    accounts.add_user(open_app_db(url), "viewer", roles=["viewer"], password=PASSWORD, by="test")
    c = TestClient(app_factory(app_db_url=url))
    from web_helpers import login

    assert login(c, "viewer").status_code == 303
    body = _shape(c.get("/api/v1/framework"), 404, "no_data")
    assert "safer framework load" in body["hint"]


def test_an_unexpected_failure_is_500_in_the_same_shape(app: FastAPI) -> None:
    def broken() -> None:
        raise RuntimeError("boom: secret detail")

    app.add_api_route("/api/v1/broken", broken)
    response = TestClient(app, raise_server_exceptions=False).get("/api/v1/broken")
    body = _shape(response, 500, "internal_error")
    assert "secret detail" not in response.text  # the server log has it, the client does not
    assert body["found"] == "RuntimeError"


def test_pages_show_errors_as_html(client: TestClient) -> None:
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "<h1>Not found</h1>" in response.text
