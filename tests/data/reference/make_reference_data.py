"""Cut the small real extracts used by tests/ingest/test_{geography,population,imd,stats19}.py.

Contains public sector information licensed under the Open Government Licence v3.0. Sources: ONS Open
Geography portal (LSOA 2011 boundaries via martinjc/UK-GeoJSON; LSOA 2011 to 2021 best-fit lookup;
OA11-LSOA11-LAD17 lookup), ONS-derived LSOA11_LSOA21 population lookup, ONS small-area population
estimates, MHCLG English Indices of Deprivation 2019, DfT STATS19 road collisions 2023.

The slice is Chorley (E07000118, 66 LSOAs): it has a 2011 LSOA split into four 2021 LSOAs (three of
them missing from the best-fit lookup) and two 2011 LSOAs merged into one. Rows are copied byte for
byte (BOM, CRLF, quotes and thousands separators kept). Run from the repository root:
``python tests/data/reference/make_reference_data.py [--source ../shared/data]``.
"""

from __future__ import annotations

import argparse
import csv
import gzip
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]
DISTRICT = "E07000118"  # Chorley


def _gzip(data: bytes, target: Path) -> None:
    with target.open("wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as out:
        out.write(data)


def _read(path: Path) -> bytes:
    return gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()


def _cut(data: bytes, keep: Callable[[list[str]], bool], limit: int | None = None) -> bytes:
    lines = data.splitlines(keepends=True)
    out = [lines[0]]
    for line in lines[1:]:
        text = line.decode("utf-8").strip("\r\n")
        if text and keep(next(csv.reader([text]))):
            out.append(line)
            if limit and len(out) > limit:
                break
    return b"".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=REPO.parent / "shared" / "data")
    src = parser.parse_args().source
    geo = src / "geography"
    boundary = (geo / "lsoa_by_lad" / f"{DISTRICT}.json").read_bytes()
    lsoas = {line.split(b'"LSOA11CD": "')[1][:9].decode() for line in boundary.splitlines()
             if b'"LSOA11CD": "' in line}
    _gzip(boundary, HERE / f"{DISTRICT}.json.gz")
    _gzip(_cut(_read(geo / "lsoa11_to_lsoa21_best_fit_lookup_england_wales_v2.csv"),
               lambda r: r[1] in lsoas), HERE / "best_fit_chorley.csv.gz")
    _gzip(_cut(_read(geo / "LSOA11_LSOA21PopLookups.csv"), lambda r: r[0] in lsoas),
          HERE / "pop_lookup_chorley.csv.gz")
    _gzip(_cut(_read(geo / "fe6c55f0924b4734adf1cf7104a0173e_0.csv.gz"), lambda r: r[3] in lsoas),
          HERE / "oa_lookup_chorley.csv.gz")
    pop = src / "population"
    _gzip(_cut(_read(pop / "lancashire_population_2014_2020.csv"), lambda r: r[1] in lsoas),
          HERE / "population_2014_2020_chorley.csv.gz")
    # The mid-2020 file: the first 20 rows of England and Wales, and Chorley's.
    first = _cut(_read(pop / "population.csv"), lambda r: True, limit=20)
    chorley = _cut(_read(pop / "population.csv"), lambda r: r[0] in lsoas).split(b"\n", 1)[1]
    (HERE / "population.csv").write_bytes(first + chorley)
    _gzip(_cut(_read(pop / "File_6_-_IoD2019_Population_Denominators.csv.gz"), lambda r: r[0] in lsoas),
          HERE / "iod2019_denominators_chorley.csv.gz")
    dep = src / "deprivation"
    for name, target in (
        ("File_1_-_IMD2019_Index_of_Multiple_Deprivation.csv.gz", "imd2019_file_1_chorley.csv"),
        ("File_2_-_IoD2019_Domains_of_Deprivation.csv.gz", "imd2019_file_2_chorley.csv"),
    ):
        (HERE / target).write_bytes(_cut(_read(dep / name), lambda r: r[0] in lsoas))
    collisions = "dft-road-casualty-statistics-collision-2023-lancashire.csv"
    (HERE / "stats19_2023_chorley.csv").write_bytes(
        _cut(_read(src / "road-safety" / collisions), lambda r: r[15] == DISTRICT))


if __name__ == "__main__":
    main()
