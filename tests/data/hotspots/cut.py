"""Cut the hotspot test slice from the shared real data: python tests/data/hotspots/cut.py /work/shared/data

Preston (E07000123): its LSOA 2011 boundaries, and every police.uk 'Violence and sexual offences' record
of 2021 located in a Preston LSOA, with the coordinates converted to British National Grid (EPSG:27700,
pyproj, no OSTN15 grid: about 2 m off, far below police.uk's map-point snapping).
"""

from __future__ import annotations

import gzip
import shutil
import sys
from pathlib import Path

import duckdb
import geopandas as gpd
import pyproj

HERE = Path(__file__).resolve().parent


def main(shared: Path) -> None:
    lsoa_file = shared / "geography" / "lsoa_by_lad" / "E07000123.json"
    with lsoa_file.open("rb") as src, gzip.open(HERE / "preston_lsoa11.json.gz", "wb") as dst:
        shutil.copyfileobj(src, dst)
    codes = sorted(gpd.read_file(lsoa_file)["LSOA11CD"])
    pattern = str(shared / "police-uk" / "lancashire-2020-10_2022-10" / "2021-*" / "*-street.csv")
    frame = duckdb.sql(
        f"""SELECT Month AS month, Longitude AS longitude, Latitude AS latitude, "LSOA code" AS lsoa_code
        FROM read_csv('{pattern}', header=true)
        WHERE "Crime type" = 'Violence and sexual offences' AND Longitude IS NOT NULL
          AND "LSOA code" IN (SELECT unnest(?::VARCHAR[]))
        ORDER BY month, longitude, latitude""",
        params=[codes],
    ).df()
    transformer = pyproj.Transformer.from_crs(4326, 27700, always_xy=True)
    frame["easting"], frame["northing"] = transformer.transform(frame["longitude"], frame["latitude"])
    frame["easting"] = frame["easting"].round(1)
    frame["northing"] = frame["northing"].round(1)
    frame.to_csv(HERE / "preston_violence_2021.csv.gz", index=False)
    print(f"{len(frame)} records, {len(codes)} LSOAs")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "/work/shared/data"))
