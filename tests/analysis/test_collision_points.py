"""Collision points for the collision map, recomputed from the real 2023 STATS19 slice."""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import duckdb

from safer_communities.analysis.collision_points import collision_points

EVIDENCE_DATA = Path(__file__).resolve().parents[1] / "data" / "evidence"


def _rows(districts: set[str]) -> list[dict[str, str]]:
    with (EVIDENCE_DATA / "collisions-2023.csv").open(encoding="utf-8") as fh:
        return [r for r in csv.DictReader(fh) if r["local_authority_ons_district"] in districts]


def test_every_located_collision_with_its_severity(evidence_con: duckdb.DuckDBPyConnection) -> None:
    districts = {c for (c,) in evidence_con.execute("SELECT DISTINCT district_code FROM areas").fetchall()}
    rows = _rows(districts)
    located = [r for r in rows if r["location_easting_osgr"] not in ("", "NULL")]
    expected = Counter(int(r["accident_severity"]) for r in located)
    out = collision_points(evidence_con)
    assert Counter(out["severity"].tolist()) == expected
    assert out.attrs["unlocated"] == len(rows) - len(located)
    assert int(out["ksi"].sum()) == expected[1] + expected[2]
    eastings = sorted(float(r["location_easting_osgr"]) for r in located)
    assert sorted(out["easting"].astype(float).tolist()) == eastings


def test_one_district_only(evidence_con: duckdb.DuckDBPyConnection) -> None:
    code = evidence_con.execute("SELECT min(district_code) FROM areas").fetchone()[0]
    out = collision_points(evidence_con, area_code=code)
    assert len(out) == len([r for r in _rows({code}) if r["location_easting_osgr"] not in ("", "NULL")])
