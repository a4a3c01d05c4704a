"""Rebuild ``places.csv``, the small gazetteer of place names drawn on district maps.

Source: ONS Open Geography ward boundaries (2013 set, ``WD13NM``) and LSOA 2011 boundaries of the 14
Lancashire districts, and ONS mid-2020 LSOA population estimates, as copied to ``/work/shared/data``
(see its README). Contains public sector information licensed under the Open Government Licence v3.0;
Crown copyright and database right.

Method: wards that share a name but for a compass or "Central" suffix ("Heysham North", "Heysham
South") are merged into one place; names that say nothing on a map ("Central", "Castle", "University",
"East Rural") are dropped. Each place's label point is the representative point of its merged polygon
(always inside it), in British National Grid metres; its population is the sum of the mid-2020
populations of the LSOAs whose representative point lies in it (used to choose which names to draw
when space is short). Run::

    python src/safer_communities/data/places/build_places.py /work/shared/data
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import geopandas as gpd
import pandas as pd

SUFFIX = re.compile(r"\s+(North|South|East|West|Central|North East|North West|South East|South West|"
                    r"Upper|Lower|Town|Rural)$")
GENERIC = {"Central", "Castle", "Church", "University", "Town Centre", "Park", "Harbour", "Hospital",
           "Abbey", "Cathedral", "Brunshaw", "Coal Clough with Deerplay", "Greenhill", "Valley", "Bulk",
           "Peel", "Queen's Park", "St Andrew's", "St Oswald's", "Immanuel", "Spring Hill",
           "Worden", "Moorside", "Riverside", "Town", "Rural"}


def _read(folder: Path, code: str, name: str | None) -> gpd.GeoDataFrame:
    frames = []
    for path in sorted(folder.glob("E0*.json")):
        frame = gpd.read_file(path)
        frame["district_code"] = path.stem
        frames.append(frame)
    out = pd.concat(frames, ignore_index=True)
    out = gpd.GeoDataFrame(out, geometry="geometry", crs="EPSG:4326").to_crs(27700)
    columns = {code: "code"} | ({name: "name"} if name else {})
    return out.rename(columns=columns)


def build(data: Path) -> pd.DataFrame:
    wards = _read(data / "geography" / "wards_by_lad", "WD13CD", "WD13NM")
    wards["place"] = wards["name"].str.replace(SUFFIX, "", regex=True).str.strip()
    wards = wards[~wards["place"].isin(GENERIC) & ~wards["name"].isin(GENERIC)]
    places = wards.dissolve(by=["district_code", "place"], as_index=False)
    lsoa = _read(data / "geography" / "lsoa_by_lad", "LSOA11CD", None)
    pop = pd.read_csv(data / "population" / "lancashire_population_2014_2020.csv")
    pop = pop[pop["Year"] == 2020].rename(columns={"LSOA Code": "code", "Population": "population"})
    points = lsoa.assign(geometry=lsoa.representative_point()).merge(pop[["code", "population"]], on="code")
    joined = gpd.sjoin(points, places[["district_code", "place", "geometry"]], predicate="within",
                       lsuffix="lsoa", rsuffix="place")
    people = joined.groupby(["district_code_place", "place"])["population"].sum()
    label = places.representative_point()
    out = pd.DataFrame({"name": places["place"], "district_code": places["district_code"],
                        "easting": label.x.round(0).astype(int), "northing": label.y.round(0).astype(int)})
    out["population"] = [int(people.get((d, p), 0)) for d, p in zip(out["district_code"], out["name"],
                                                                      strict=True)]
    return out.sort_values(["district_code", "population"], ascending=[True, False]).reset_index(drop=True)


if __name__ == "__main__":
    source = Path(sys.argv[1] if len(sys.argv) > 1 else "/work/shared/data")
    table = build(source)
    target = Path(__file__).with_name("places.csv")
    table.to_csv(target, index=False, lineterminator="\n")
    print(f"{len(table)} places written to {target}")
