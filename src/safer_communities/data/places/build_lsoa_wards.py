"""Rebuild ``lsoa_wards.csv``: the electoral ward each 2011 LSOA of the 14 Lancashire districts lies in,
so pages can name an LSOA beside its code ("Preston 007A, Brookfield ward").

Source: ONS Open Geography ward boundaries (2013 set, ``WD13CD``/``WD13NM``; wards have been redrawn
since, so a name can be out of date) and LSOA 2011 boundaries, as copied to ``/work/shared/data`` (see
its README). Contains public sector information licensed under the Open Government Licence v3.0; Crown
copyright and database right.

Method: each LSOA's representative point (always inside it) is joined to the ward polygon that contains
it, within the LSOA's own district. Run::

    python src/safer_communities/data/places/build_lsoa_wards.py /work/shared/data
"""

from __future__ import annotations

import sys
from pathlib import Path

import geopandas as gpd
import pandas as pd


def build(shared: Path) -> pd.DataFrame:
    geography = shared / "geography"
    rows = []
    for path in sorted((geography / "lsoa_by_lad").glob("E0*.json")):
        lsoas = gpd.read_file(path).to_crs(27700)
        wards = gpd.read_file(geography / "wards_by_lad" / path.name).to_crs(27700)
        code = next(c for c in lsoas.columns if c.upper().startswith("LSOA11CD"))
        points = lsoas[[code]].set_geometry(lsoas.geometry.representative_point())
        joined = gpd.sjoin(points, wards[["WD13CD", "WD13NM", "geometry"]], predicate="within", how="left")
        missing = joined["WD13NM"].isna()
        if missing.any():  # a point on a ward edge: the nearest ward
            nearest = gpd.sjoin_nearest(points[missing.to_numpy()], wards[["WD13CD", "WD13NM", "geometry"]])
            joined.loc[missing, ["WD13CD", "WD13NM"]] = nearest[["WD13CD", "WD13NM"]].to_numpy()
        rows.append(pd.DataFrame({"lsoa11_code": joined[code].to_numpy(), "district_code": path.stem,
                                  "ward_code": joined["WD13CD"].to_numpy(),
                                  "ward_name": joined["WD13NM"].to_numpy()}))
    out = pd.concat(rows).drop_duplicates("lsoa11_code").sort_values("lsoa11_code")
    return out.reset_index(drop=True)


if __name__ == "__main__":
    table = build(Path(sys.argv[1]))
    target = Path(__file__).with_name("lsoa_wards.csv")
    table.to_csv(target, index=False)
    print(f"{len(table):,} LSOAs -> {target}")
