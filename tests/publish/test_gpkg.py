"""The report's GeoPackage as a GIS analyst opens it: GDAL 3.6's ogrinfo, SQL on the tables, QGIS styles.

Values are recomputed from the raw police.uk and ONS files in tests/data/evidence.
"""

from __future__ import annotations

import csv
import gzip
import re
import shutil
import sqlite3
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import geopandas as gpd
import pyogrio
import pytest
import shapely

from safer_communities.publish import maps
from safer_communities.store.geometry import interior_rings_under

EVIDENCE = Path(__file__).resolve().parents[1] / "data" / "evidence"
OGRINFO = shutil.which("ogrinfo")
OGR2OGR = shutil.which("ogr2ogr")
pytestmark = pytest.mark.slow


def _layers(gpkg: Path) -> list[str]:
    return [name for name, _ in pyogrio.list_layers(gpkg)]


def _sql(gpkg: Path, sql: str) -> list[tuple]:
    con = sqlite3.connect(gpkg)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


@pytest.fixture(scope="module")
def district_gpkg(built_reports: dict[str, Path]) -> Path:
    return built_reports["district"] / "evidence.gpkg"


@pytest.fixture(scope="module")
def fy_gpkg(report_store: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The district's GeoPackage for a financial year (2021-04..2022-03): LSOA figures are on the
    publication grid for financial years only."""
    from safer_communities.config import Settings
    from safer_communities.publish.sna import build_needs_assessment
    from safer_communities.store.evidence import connect

    out = tmp_path_factory.mktemp("fy-report")
    con = connect(report_store, read_only=True)
    try:
        build_needs_assessment(con, Settings(), area_code="E07000125", period="2021-04..2022-03",
                               out_dir=out, formats=("tables",))
    finally:
        con.close()
    return out / "evidence.gpkg"


def test_layers_are_named_for_sql_and_hold_rates_hotspots_and_boundaries(district_gpkg: Path,
                                                                       fy_gpkg: Path) -> None:
    layers = _layers(district_gpkg)
    assert all(re.fullmatch(r"[a-z][a-z0-9_]*", name) for name in layers), layers
    assert {"districts", "study_area", "layer_styles"} <= set(layers)
    # November to October is not a financial year: LSOA figures and grid-cell hot spots are off the
    # publication grid, withheld.
    assert not any(name.endswith(("_lsoa_rates", "_gistar", "_history")) for name in layers)
    assert {"violence_lsoa_rates", "serious_violence_lsoa_rates", "violence_gistar",
            "serious_violence_gistar"} <= set(_layers(fy_gpkg))
    assert _sql(district_gpkg, "PRAGMA user_version") == [(10200,)]  # GeoPackage 1.2


def test_contents_metadata_and_a_style_for_every_layer(fy_gpkg: Path) -> None:
    district_gpkg = fy_gpkg  # a financial year: every kind of layer is in it
    contents = dict(_sql(district_gpkg, "SELECT table_name, description FROM gpkg_contents "
                                        "WHERE data_type = 'features'"))
    assert contents and all(contents.values())
    layer_md = {table: text for table, text in _sql(
        district_gpkg, "SELECT r.table_name, m.metadata FROM gpkg_metadata m JOIN gpkg_metadata_reference r "
                       "ON r.md_file_id = m.id WHERE r.reference_scope = 'table'")}
    assert set(layer_md) == set(contents)
    assert "2021-04..2022-03" in layer_md["violence_gistar"] and "cell_size_m" in layer_md["violence_gistar"]
    assert "1 to 4 records enters as 2.5" in layer_md["violence_gistar"]  # the declared stand-in
    styles = {t: (field, qml) for t, field, qml in _sql(
        district_gpkg,
        "SELECT f_table_name, f_geometry_column, styleQML FROM layer_styles WHERE useAsDefault")}
    assert set(styles) == set(contents)
    for table, (geometry_column, qml) in styles.items():
        assert geometry_column == "geom"
        renderer = ET.fromstring(qml.split("\n", 1)[1]).find("renderer-v2")
        assert renderer is not None, table
        if renderer.get("type") == "categorizedSymbol":
            assert renderer.get("attr") in pyogrio.read_info(district_gpkg, layer=table)["fields"]
    gistar = ET.fromstring(styles["violence_gistar"][1].split("\n", 1)[1])
    colours = {c.get("value"): c.get("label") for c in gistar.iter("category")}
    assert colours["3"] == maps.HOTSPOT_LABELS[3]


def test_fields_are_shapefile_safe_cells_have_easting_northing_and_flags_match_labels(
        district_gpkg: Path, fy_gpkg: Path, tmp_path: Path) -> None:
    for layer in _layers(district_gpkg):
        if layer != "layer_styles":
            fields = list(pyogrio.read_info(district_gpkg, layer=layer)["fields"])
            assert all(len(f) <= 10 for f in fields), (layer, fields)
    cells = gpd.read_file(fy_gpkg, layer="violence_gistar")
    assert not {"count", "p_value", "p_adjusted", "p_adj"} & set(cells.columns)
    assert (cells["gistar_z"].round(1) == cells["gistar_z"]).all()  # one decimal
    assert {"easting", "northing", "conf_pct"} <= set(cells.columns) and not {"x", "y", "significant"} & set(
        cells.columns)
    centre = cells.geometry.centroid
    assert (abs(centre.x - cells["easting"]) < 1e-6).all()
    assert (abs(centre.y - cells["northing"]) < 1e-6).all()
    for conf, label in zip(cells["conf_pct"], cells["label"], strict=True):
        assert f"{conf}% confidence" in label
    if OGR2OGR:
        out = subprocess.run([OGR2OGR, "-f", "ESRI Shapefile", str(tmp_path / "rates.shp"),
                              str(fy_gpkg), "violence_lsoa_rates"],
                             capture_output=True, text=True, check=True)
        assert "laundered" not in out.stderr.lower() and "truncated" not in out.stderr.lower(), out.stderr
        assert set(gpd.read_file(tmp_path / "rates.shp").columns) == set(
            gpd.read_file(fy_gpkg, layer="violence_lsoa_rates").columns)


def _raw_violence_counts(months: set[str]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for path in sorted((EVIDENCE / "street").glob("*.csv.gz")):
        with gzip.open(path, "rt", encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                if row["Month"] in months and row["Crime type"] == "Violence and sexual offences":
                    counts[row["LSOA code"]] = counts.get(row["LSOA code"], 0) + 1
    return counts


def test_lsoa_rates_are_the_raw_counts_over_the_population(fy_gpkg: Path) -> None:
    rates = gpd.read_file(fy_gpkg, layer="violence_lsoa_rates")
    assert len(rates) == len(set(rates["area_code"])) and rates["area_code"].str.startswith("E01").all()
    months = {f"2021-{m:02d}" for m in range(4, 13)} | {f"2022-{m:02d}" for m in range(1, 4)}
    raw = _raw_violence_counts(months)
    with (EVIDENCE / "population.csv").open(encoding="utf-8-sig") as handle:
        population = {r["LSOA Code"]: float(r["Population"].replace(",", "")) for r in csv.DictReader(handle)
                      if r["Year"] == "2020"}
    shown = rates[rates["band"] > 0]
    assert len(shown) > 0.8 * len(rates)
    for row in shown.itertuples():
        assert row.count == raw[row.area_code]
        assert row.rate_1000 == pytest.approx(1000 * raw[row.area_code] / population[row.area_code], abs=0.05)
    withheld = rates[rates["band"] == 0]
    assert withheld["rate_1000"].isna().all() and withheld["rate_eb"].isna().all()
    # smoothing pulls each rate towards the area's: never past it, and less so for big populations
    overall = shown["count"].sum() / sum(population[c] for c in shown["area_code"]) * 1000
    assert ((shown["rate_eb"] - overall) * (shown["rate_1000"] - overall) >= -0.05).all()
    assert ((shown["rate_eb"] - overall).abs() <= (shown["rate_1000"] - overall).abs() + 0.05).all()
    # Each band's label gives its own lowest and highest rate, so no two labels share a value.
    previous_high = -1.0
    for _, group in shown.sort_values("band").groupby("band"):
        label = group["band_label"].iloc[0]
        values = [float(v.replace(",", "")) for v in re.findall(r"[\d,]+\.?\d*", label)]
        low, high = values[0], values[-1]
        assert low > previous_high, label
        assert group["rate_eb"].round(1).between(low, high).all(), label  # classes of the smoothed rate
        previous_high = high


def test_boundaries_have_no_sliver_holes(district_gpkg: Path, built_reports: dict[str, Path]) -> None:
    for gpkg in (district_gpkg, built_reports["county"] / "evidence.gpkg"):
        for layer in ("districts", "study_area"):
            frame = gpd.read_file(gpkg, layer=layer)
            assert not frame.empty
            assert all(g.is_valid and interior_rings_under(g, 1.0) == 0 for g in frame.geometry)
    districts = gpd.read_file(built_reports["county"] / "evidence.gpkg", layer="districts")
    assert sorted(districts["area_name"]) == ["Fylde", "Ribble Valley", "Rossendale"]


@pytest.mark.skipif(OGRINFO is None, reason="GDAL's ogrinfo is not installed (CI installs gdal-bin)")
def test_ogrinfo_opens_every_layer_without_warning_and_finds_no_invalid_geometry(
        built_reports: dict[str, Path]) -> None:
    for gpkg in (built_reports["district"] / "evidence.gpkg", built_reports["county"] / "evidence.gpkg"):
        out = subprocess.run([OGRINFO, "-ro", "-al", "-so", str(gpkg)], capture_output=True, text=True,
                             check=True)
        assert out.stderr == "", out.stderr
        for layer in _layers(gpkg):
            if layer == "layer_styles":
                continue
            check = subprocess.run([OGRINFO, "-ro", str(gpkg), "-dialect", "sqlite", "-sql",
                                    f"SELECT count(*) AS invalid FROM {layer} WHERE NOT ST_IsValid(geom)"],
                                   capture_output=True, text=True, check=True)
            assert check.stderr == "" and "invalid (Integer) = 0" in check.stdout, (layer, check.stdout)


def test_shapely_reads_the_county_outline_as_one_area(built_reports: dict[str, Path]) -> None:
    outline = gpd.read_file(built_reports["county"] / "evidence.gpkg", layer="study_area").geometry.iloc[0]
    districts = gpd.read_file(built_reports["county"] / "evidence.gpkg", layer="districts")
    assert outline.area == pytest.approx(sum(districts.area), rel=1e-6)
    assert shapely.get_num_interior_rings(outline) == 0 or interior_rings_under(outline, 1.0) == 0
