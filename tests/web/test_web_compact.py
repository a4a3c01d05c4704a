"""Compact map layers: quantised coordinates with no new sliver holes, the same features and properties,
and stored gzip that decompresses to the same answer."""

from __future__ import annotations

import gzip
import json
from typing import Any

import geopandas as gpd
import numpy as np
import pytest
import shapely
from fastapi.testclient import TestClient

from safer_communities.store.geometry import interior_rings_under
from safer_communities.web import cache, compact

BURNLEY = "E07000117"
LAYERS = [("/api/v1/evidence/hotspots", {"issue": "violence"}),
          ("/api/v1/evidence/map", {"issue": "violence"}),
          ("/api/v1/evidence/map", {"issue": "asb", "area": BURNLEY})]


@pytest.fixture
def viewer(login_as) -> TestClient:
    return login_as("viewer")


def _previous(geometries: Any, digits: int = compact.DIGITS) -> Any:
    """What the layers were before: GEOS precision snapping to 1e-6 degrees."""
    return shapely.set_precision(np.asarray(geometries), 1e-6)


def _bng(body: dict[str, Any]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame.from_features(body["features"], crs=4326).to_crs(27700)


@pytest.mark.parametrize(("path", "params"), LAYERS)
def test_compact_layers_keep_features_properties_and_shape(viewer: TestClient,
                                                           monkeypatch: pytest.MonkeyPatch, path: str,
                                                           params: dict[str, str]) -> None:
    now = viewer.get(path, params=params).json()
    with cache.bypassed():
        monkeypatch.setattr(compact, "quantise", _previous)
        before = viewer.get(path, params=params).json()
    assert len(now["features"]) == len(before["features"]) > 0
    assert [f["properties"] for f in now["features"]] == [f["properties"] for f in before["features"]]
    assert now["meta"] == before["meta"]
    new, old = _bng(now), _bng(before)
    assert sum(interior_rings_under(g, 1.0) for g in new.geometry) == 0  # no sliver hole under 1 m2
    holes = [sum(len(p.interiors) for p in getattr(g, "geoms", [g])) for g in new.geometry]
    assert holes == [sum(len(p.interiors) for p in getattr(g, "geoms", [g])) for g in old.geometry]
    assert new.geometry.is_valid.all()
    # Every vertex within about a metre of where it was (1e-5 degree is 1.1 m north-south).
    moved = [shapely.hausdorff_distance(a, b) for a, b in zip(new.geometry, old.geometry, strict=True)]
    assert max(moved) < 1.2
    fallback = 0
    for feature in now["features"]:
        shape = shapely.geometry.shape(feature["geometry"])
        places = max(len(repr(float(x)).split(".")[1]) for x in np.ravel(shapely.get_coordinates(shape)))
        if places > compact.DIGITS:  # only where rounding to 5 places would have broken the polygon
            assert places == compact.FALLBACK_DIGITS
            assert not shapely.transform(shape, lambda xy: np.round(xy, compact.DIGITS)).is_valid
            fallback += 1
    assert fallback <= len(now["features"]) // 10


def test_layers_are_sent_gzipped_once_compressed(viewer: TestClient) -> None:
    params = {"issue": "violence"}
    raw = viewer.get("/api/v1/evidence/hotspots", params=params, headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in raw.headers
    packed = viewer.get("/api/v1/evidence/hotspots", params=params, headers={"Accept-Encoding": "gzip"})
    assert packed.headers["content-encoding"] == "gzip" and "Accept-Encoding" in packed.headers["vary"]
    assert packed.json() == raw.json()  # httpx decompressed it
    on_wire = int(packed.headers["content-length"])
    assert on_wire * 3 < len(raw.content)  # coordinates compress well
    assert json.loads(gzip.decompress(_wire_bytes(viewer, params))) == raw.json()


def _wire_bytes(client: TestClient, params: dict[str, str]) -> bytes:
    """The response body as sent, before any decoding."""
    request = client.build_request("GET", "/api/v1/evidence/hotspots", params=params,
                                   headers={"Accept-Encoding": "gzip"})
    response = client.send(request, stream=True)
    try:
        return b"".join(response.iter_raw())
    finally:
        response.close()


def test_pages_are_not_compressed(viewer: TestClient) -> None:
    """Pages carry the CSRF token beside reflected filters: compressing them would open BREACH."""
    page = viewer.get("/strategy", headers={"Accept-Encoding": "gzip"})
    assert page.status_code == 200 and "content-encoding" not in page.headers
    status = viewer.get("/api/v1/strategy/status", headers={"Accept-Encoding": "gzip"})
    assert status.headers.get("content-encoding") == "gzip" and status.json()["strategies"]


def test_quantise_falls_back_where_rounding_would_break_a_polygon() -> None:
    # Two banks of an inlet 0.3 m apart (in degrees): rounded to 1e-5 they fall on one line.
    inlet = shapely.Polygon([(0, 0), (0.001, 0), (0.001, 0.000012), (0.0001, 0.000012), (0.0001, 0.0000145),
                             (0.001, 0.0000145), (0.001, 0.001), (0, 0.001)])
    assert inlet.is_valid and not shapely.transform(inlet, lambda xy: np.round(xy, 5)).is_valid
    out = compact.quantise([inlet, shapely.box(0.123456789, 0, 1, 1)])
    assert out[0].is_valid and len(out[0].interiors) == 0 and out[0].equals_exact(
        shapely.transform(inlet, lambda xy: np.round(xy, 6)), 0)
    assert shapely.get_coordinates(out[1])[:, 0].min() == 0.12346
