"""A table for every chart and map: the built county report's tidy CSVs hold the numbers each one draws."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pandas as pd

from safer_communities.publish import map_labels

EVIDENCE_DATA = Path(__file__).resolve().parents[1] / "data" / "evidence"


def test_every_chart_and_map_has_its_table(built_reports: dict[str, Path], fy_county_tables: Path) -> None:
    tables = built_reports["county"] / "tables"
    for key in ("violence-trend", "violence-funnel", "violence-outcomes", "road-safety-rates",
                "road-safety-times", "road-safety-collisions-map"):
        assert (tables / f"{key}.csv").exists(), key
        meta = json.loads((tables / f"{key}.csv-metadata.json").read_text(encoding="utf-8"))
        assert meta["dc:title"].startswith("Data for the"), key
    # LSOA and grid-cell figures are published for financial years only (issue 11): their charts and
    # tables too
    assert not (tables / "violence-lsoa-rates.csv").exists()
    assert not (tables / "violence-hotspots.csv").exists()
    assert (fy_county_tables / "violence-concentration.csv").exists()  # a report table beside the map
    for key in ("violence-deprivation", "violence-lsoa-rates", "violence-hotspots"):
        meta = json.loads((fy_county_tables / f"{key}.csv-metadata.json").read_text(encoding="utf-8"))
        assert meta["dc:title"].startswith("Data for the"), key


def test_collision_grid_table_adds_up_to_the_stats19_file(built_reports: dict[str, Path]) -> None:
    """The hour x day table of the county report sums to the collisions with a time in the raw file."""
    grid = pd.read_csv(built_reports["county"] / "tables" / "road-safety-times.csv")
    assert len(grid) == 7 * 24
    with (EVIDENCE_DATA / "boundaries").parent.joinpath("collisions-2023.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    districts = {p.stem for p in (EVIDENCE_DATA / "boundaries").glob("E0*.json")}
    expected = sum(1 for r in rows if r["local_authority_ons_district"] in districts and r["time"])
    assert int(grid["Number"].sum()) == expected


def test_lsoa_map_table_says_how_classes_were_chosen(fy_county_tables: Path) -> None:
    table = pd.read_csv(fy_county_tables / "violence-lsoa-rates.csv")
    meta = json.loads((fy_county_tables / "violence-lsoa-rates.csv-metadata.json")
                      .read_text(encoding="utf-8"))
    assert any("quantile classes of empirical-Bayes smoothed rates" in n for n in meta["notes"])
    withheld = table["Map class"].eq("Withheld (small numbers)")
    assert table.loc[withheld, "Per 1,000 residents"].isna().all()
    assert any(f"{int(withheld.sum()):,} LSOA" in n for n in meta["notes"])
    shown = table.dropna(subset=["Per 1,000 residents"])
    # smoothing pulls every rate towards the area's rate: the spread narrows
    assert shown["Per 1,000 residents, smoothed (empirical Bayes)"].std() < shown["Per 1,000 residents"].std()


def test_gazetteer_places_are_named_once_per_district_inside_lancashire() -> None:
    places = map_labels.places()
    assert not places.duplicated(["district_code", "name"]).any()
    assert places["easting"].between(320_000, 400_000).all()
    assert places["northing"].between(390_000, 480_000).all()
    assert not places["name"].isin(["Central", "Castle", "University"]).any()
    assert places.groupby("district_code").size().min() >= 5
