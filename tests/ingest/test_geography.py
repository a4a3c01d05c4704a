"""Geography ingest on real extracts: Chorley (tests/data/reference) and the demo's 14 districts."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import duckdb
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from safer_communities.errors import InputError, SaferError
from safer_communities.ingest.common import IngestReport
from safer_communities.ingest.geography import county_table, ingest_geography, read_county_table
from safer_communities.ingest.geography_read import Lookups, read_boundaries, read_lookup
from safer_communities.store.evidence import connect, transaction
from safer_communities.store.geometry import interior_rings_under

REF = Path(__file__).resolve().parents[1] / "data" / "reference"
DEMO = Path(__file__).resolve().parents[2] / "demo" / "data" / "geography"
CHORLEY = REF / "E07000118.json.gz"
BEST_FIT = REF / "best_fit_chorley.csv.gz"
POP_LOOKUP = REF / "pop_lookup_chorley.csv.gz"
OA_LOOKUP = REF / "oa_lookup_chorley.csv.gz"


def ingest(store: Path, *paths: Path, county_lookup: Path | None = None) -> IngestReport:
    con = connect(store)
    try:
        with transaction(con):
            return ingest_geography(con, list(paths), county_lookup=county_lookup)
    finally:
        con.close()


def query(store: Path, sql: str, params: list[object] | None = None) -> list[tuple]:
    con = duckdb.connect(str(store), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def test_chorley_areas_resolve_2011_and_2021_codes(store_path: Path) -> None:
    report = ingest(store_path, CHORLEY, BEST_FIT, POP_LOOKUP)
    assert query(store_path, "SELECT lsoa_vintage, count(*) FROM areas GROUP BY 1 ORDER BY 1") == [
        (2011, 66), (2021, 9)]
    # A 2011 LSOA split in four: only E01034342 is in the best-fit lookup, the rest via the population lookup.
    assert query(store_path, "SELECT lsoa_code FROM areas WHERE lsoa11_code = 'E01024919' ORDER BY 1") == [
        ("E01024919",), ("E01034340",), ("E01034341",), ("E01034342",), ("E01034343",)]
    # Two 2011 LSOAs merged: counts under the one holding most of its population (1,326 of 2,283).
    assert query(store_path, "SELECT lsoa11_code, lsoa_name FROM areas WHERE lsoa_code = 'E01034339'") == [
        ("E01024929", "Chorley 006G")]
    assert query(store_path, "SELECT DISTINCT district_code, district_name, upper_tier_code, "
                 "upper_tier_name, county_code, county_name FROM areas") == [
        ("E07000118", "Chorley", "E10000017", "Lancashire County Council", "E23000003", "Lancashire")]
    assert query(store_path, "SELECT lsoa_name FROM areas WHERE lsoa_code = 'E01024919'") == [
        ("Chorley 008A",)]
    assert report.rows_loaded == 66 + 66 + 71
    note = "5 LSOA 2021 code(s) resolved through the population lookup only"
    assert any(note in w for w in report.warnings)


def test_split_lsoas_do_not_resolve_without_the_population_lookup(store_path: Path) -> None:
    report = ingest(store_path, CHORLEY, BEST_FIT)
    codes = {r[0] for r in query(store_path, "SELECT lsoa_code FROM areas WHERE lsoa_vintage = 2021")}
    assert codes == {"E01034337", "E01034339", "E01034342", "E01034344"}
    assert "E01034340" not in codes
    assert any("LSOA11_LSOA21PopLookups.csv" in w for w in report.warnings)


def test_boundaries_are_british_national_grid_and_dissolve_to_district_and_county(store_path: Path) -> None:
    ingest(store_path, CHORLEY, BEST_FIT, POP_LOOKUP)
    levels = query(store_path, "SELECT area_level, count(*), sum(area_m2) FROM area_boundaries GROUP BY 1")
    by_level = {level: (n, m2) for level, n, m2 in levels}
    assert by_level["lsoa"][0] == 66
    assert by_level["district"][0] == 1 and by_level["county"][0] == 1
    # Chorley is about 203 km2; the dissolved district has the area of its LSOAs.
    assert by_level["district"][1] == pytest.approx(202.78e6, rel=1e-3)
    assert by_level["lsoa"][1] == pytest.approx(by_level["district"][1], rel=1e-6)
    wkb, m2 = query(store_path, "SELECT geometry, area_m2 FROM area_boundaries "
                    "WHERE area_code = 'E01024919'")[0]
    polygon = shapely.from_wkb(wkb)
    assert polygon.area == pytest.approx(m2)
    minx, miny, maxx, maxy = polygon.bounds
    assert 340_000 < minx < maxx < 370_000 and 405_000 < miny < maxy < 430_000  # metres east/north


def test_district_names_from_the_oa_lookup(store_path: Path) -> None:
    ingest(store_path, CHORLEY, OA_LOOKUP)
    assert query(store_path, "SELECT DISTINCT district_code, district_name FROM areas") == [
        ("E07000118", "Chorley")]


def test_identical_files_are_unchanged_and_changed_files_replace(store_path: Path, tmp_path: Path) -> None:
    ingest(store_path, CHORLEY, BEST_FIT, POP_LOOKUP)
    again = ingest(store_path, CHORLEY, BEST_FIT, POP_LOOKUP)
    assert {f.status for f in again.files} == {"unchanged"} and again.rows_loaded == 0
    plain = tmp_path / "E07000118.json"
    plain.write_bytes(gzip.decompress(CHORLEY.read_bytes()))  # same content, different bytes
    replaced = ingest(store_path, plain, BEST_FIT, POP_LOOKUP)
    assert replaced.files[0].rows_replaced == 66
    assert replaced.rows_replaced == 66 + 9
    assert query(store_path, "SELECT count(*) FROM areas") == [(75,)]
    assert query(store_path, "SELECT area_level, count(*) FROM area_boundaries GROUP BY 1 ORDER BY 1") == [
        ("county", 1), ("district", 1), ("lsoa", 66)]


def test_a_district_given_twice_loads_once(store_path: Path, tmp_path: Path) -> None:
    plain = tmp_path / "E07000118.json"
    plain.write_bytes(gzip.decompress(CHORLEY.read_bytes()))
    report = ingest(store_path, CHORLEY, plain, BEST_FIT)
    assert query(store_path, "SELECT count(*) FROM area_boundaries WHERE area_level = 'lsoa'") == [(66,)]
    assert any("66 LSOA(s) appear in more than one boundary file" in w for w in report.warnings)


def _one_lsoa_district(tmp_path: Path) -> tuple[Path, Path]:
    """A real Chorley polygon relabelled as a Hartlepool LSOA: a district outside the shipped table."""
    document = json.loads(gzip.decompress(CHORLEY.read_bytes()))
    feature = document["features"][0]
    feature["properties"] = {"LSOA11CD": "E01011949", "LSOA11NM": "Hartlepool 009A"}
    document["features"] = [feature]
    boundary = tmp_path / "E06000001.json"
    boundary.write_text(json.dumps(document))
    lookup = tmp_path / "best_fit.csv"
    lookup.write_text("ObjectId,LSOA11CD,LSOA11NM,LSOA21CD,LSOA21NM,LAD22CD,LAD22NM,LAD22NMW\n"
                      "1,E01011949,Hartlepool 009A,E01011949,Hartlepool 009A,E06000001,Hartlepool,\n")
    return boundary, lookup


def test_district_without_county_is_refused_until_a_county_lookup_is_given(store_path: Path,
                                                                           tmp_path: Path) -> None:
    boundary, lookup = _one_lsoa_district(tmp_path)
    with pytest.raises(InputError) as caught:
        ingest(store_path, boundary, lookup)
    assert "E06000001 Hartlepool" in str(caught.value)
    assert query(store_path, "SELECT count(*) FROM areas") == [(0,)]
    counties = tmp_path / "counties.csv"
    counties.write_text("district_code,upper_tier_code,upper_tier_name,county_code,county_name\r\n"
                        "E06000001,E06000001,Hartlepool,E23000013,Cleveland\r\n")
    ingest(store_path, boundary, lookup, county_lookup=counties)
    assert query(store_path, "SELECT county_code, county_name, upper_tier_code FROM areas") == [
        ("E23000013", "Cleveland", "E06000001")]


def test_feature_without_lsoa_code_refuses_the_file(store_path: Path, tmp_path: Path) -> None:
    document = json.loads(gzip.decompress(CHORLEY.read_bytes()))
    document["features"][3]["properties"] = {"name": "somewhere"}
    bad = tmp_path / "E07000118.json"
    bad.write_text(json.dumps(document))
    with pytest.raises(InputError, match="LSOA 2011 code") as caught:
        ingest(store_path, bad, BEST_FIT)
    assert "feature 4" in (caught.value.found or "")
    assert query(store_path, "SELECT count(*) FROM area_boundaries") == [(0,)]


def test_unrecognised_csv_is_refused_by_its_columns(store_path: Path, tmp_path: Path) -> None:
    other = tmp_path / "lookup.csv"
    other.write_text("code,name\nE01024919,Chorley 008A\n")
    with pytest.raises(InputError, match="not a geography lookup"):
        ingest(store_path, CHORLEY, other)


def test_shipped_code_table_holds_the_lancashire_14() -> None:
    table = county_table(None)
    assert len(table) == 14
    assert {row["county_code"] for row in table.values()} == {"E23000003"}
    assert table["E06000009"]["upper_tier_code"] == "E06000009"
    assert table["E07000128"]["upper_tier_code"] == "E10000017"


def test_demo_geography_end_to_end(store_path: Path) -> None:
    report = ingest(store_path, DEMO)
    assert len(report.files) == 16
    assert query(store_path, "SELECT count(*), count(DISTINCT district_code) FROM areas "
                 "WHERE lsoa_vintage = 2011") == [(941, 14)]
    assert query(store_path, "SELECT count(*) FROM areas WHERE lsoa_vintage = 2021") == [(21,)]
    assert query(store_path, "SELECT area_level, count(*) FROM area_boundaries GROUP BY 1 ORDER BY 1") == [
        ("county", 1), ("district", 14), ("lsoa", 941)]
    upper = query(store_path, "SELECT upper_tier_code, count(DISTINCT district_code) FROM areas GROUP BY 1 "
                  "ORDER BY 1")
    assert upper == [("E06000008", 1), ("E06000009", 1), ("E10000017", 12)]
    # Dissolved outlines carry no sliver holes (a plain union leaves 9,008 across the 14 districts),
    # keep the area of their LSOAs and are valid.
    lsoa_m2 = dict(query(store_path, "SELECT a.district_code, sum(b.area_m2) FROM area_boundaries b "
                         "JOIN areas a ON a.lsoa_code = b.area_code WHERE b.area_level = 'lsoa' GROUP BY 1"))
    for code, level, wkb, m2 in query(store_path, "SELECT area_code, area_level, geometry, area_m2 FROM "
                                      "area_boundaries WHERE area_level IN ('district', 'county')"):
        geometry = shapely.from_wkb(wkb)
        assert geometry.is_valid and interior_rings_under(geometry, 1.0) == 0, code
        expected = sum(lsoa_m2.values()) if level == "county" else lsoa_m2[code]
        assert m2 == pytest.approx(expected, rel=1e-6)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=20,
)
features = st.fixed_dictionaries({
    "type": st.just("Feature"),
    "properties": st.dictionaries(st.sampled_from(["LSOA11CD", "LSOA11NM", "lsoa11cd", "x"]),
                                  st.sampled_from(["E01024919", "E0102491", "", "Chorley 008A"])
                                  | json_values),
    "geometry": json_values | st.just({"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]]}),
})


@settings(max_examples=60, deadline=None)
@given(document=json_values | st.fixed_dictionaries(
    {"type": st.just("FeatureCollection"), "features": st.lists(features, max_size=3)}))
def test_boundary_reader_never_crashes(document: object) -> None:
    try:
        result = read_boundaries(Path("E07000118.json"), json.dumps(document).encode())
    except SaferError:
        return
    assert result.features
    assert all(f.geometry.geom_type in {"Polygon", "MultiPolygon"} for f in result.features)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.text(max_size=300), header=st.sampled_from([
    "LSOA11CD,LSOA21CD,TotPersons", "ObjectId,LSOA11CD,LSOA11NM,LSOA21CD,LSOA21NM,LAD22CD,LAD22NM", "a,b"]))
def test_lookup_reader_never_crashes(body: str, header: str) -> None:
    lookups = Lookups()
    try:
        _, rows_read, rejects = read_lookup(Path("lookup.csv"), lookups, f"{header}\n{body}".encode())
    except SaferError:
        return
    kept = len(lookups.best_fit) + sum(len(v) for v in lookups.links.values())
    assert kept + len(rejects) <= rows_read


@settings(max_examples=80, deadline=None)
@given(rows=st.lists(st.lists(st.sampled_from(["E06000001", "E0600000", "", "Hartlepool", "E23000013", "a,b",
                                               "\"", "x"]), max_size=6), max_size=5),
       header=st.sampled_from(["district_code,upper_tier_code,upper_tier_name,county_code,county_name",
                               "district_code,county_code", ""]))
def test_county_lookup_reader_never_crashes(rows: list[list[str]], header: str) -> None:
    text = "\n".join([header, *(",".join(r) for r in rows)])
    try:
        table = read_county_table(text, "counties.csv")
    except SaferError:
        return
    for code, row in table.items():
        assert code == row["district_code"] and all(row[c] for c in ("county_code", "upper_tier_code"))
