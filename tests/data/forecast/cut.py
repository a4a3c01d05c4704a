"""Cut the forecast test slice from the shared real data: python tests/data/forecast/cut.py /work/shared/data

Preston (E07000123): every police.uk 'Violence and sexual offences' and 'Anti-social behaviour' record of
the 25 months 2020-10..2022-10 located in a Preston LSOA, with coordinates in British National Grid
(EPSG:27700, pyproj, no OSTN15 grid: about 2 m off, far below police.uk's map-point snapping), and the
street text police.uk gives ("On or near ...") for the repeat-places tests; and the ONS mid-2020 population
of those LSOAs for the smoothed-rate tests. The Preston LSOA boundaries
are those of tests/data/hotspots/preston_lsoa11.json.gz.
"""

from __future__ import annotations

import sys
from pathlib import Path

import duckdb
import geopandas as gpd
import pyproj

HERE = Path(__file__).resolve().parent


def main(shared: Path) -> None:
    lsoa_file = shared / "geography" / "lsoa_by_lad" / "E07000123.json"
    codes = sorted(gpd.read_file(lsoa_file)["LSOA11CD"])
    pattern = str(shared / "police-uk" / "lancashire-2020-10_2022-10" / "*" / "*-street.csv")
    frame = duckdb.sql(
        f"""SELECT Month AS month, "Crime type" AS crime_type, Longitude AS longitude, Latitude AS latitude,
               Location AS location, "LSOA code" AS lsoa_code
        FROM read_csv('{pattern}', header=true)
        WHERE "Crime type" IN ('Violence and sexual offences', 'Anti-social behaviour')
          AND Longitude IS NOT NULL AND "LSOA code" IN (SELECT unnest(?::VARCHAR[]))
        ORDER BY month, crime_type, longitude, latitude""",
        params=[codes],
    ).df()
    transformer = pyproj.Transformer.from_crs(4326, 27700, always_xy=True)
    frame["easting"], frame["northing"] = transformer.transform(frame["longitude"], frame["latitude"])
    frame["easting"] = frame["easting"].round(1)
    frame["northing"] = frame["northing"].round(1)
    frame.drop(columns=["longitude", "latitude"]).to_csv(HERE / "preston_2020-10_2022-10.csv.gz", index=False)
    population = duckdb.sql(
        f"""SELECT "LSOA Code" AS lsoa_code, Population AS population
        FROM read_csv('{shared / "population" / "lancashire_population_2014_2020.csv"}', header=true)
        WHERE Year = 2020 AND "LSOA Code" IN (SELECT unnest(?::VARCHAR[])) ORDER BY 1""",
        params=[codes],
    ).df()
    population.to_csv(HERE / "preston_population_2020.csv", index=False)
    print(f"{len(frame)} records, {len(codes)} LSOAs, {len(population)} populations")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "/work/shared/data"))
