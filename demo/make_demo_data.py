"""Cut the demo data set shipped in demo/data from the real open data in ../shared/data.

Run from the repository root: ``python demo/make_demo_data.py [--source ../shared/data]``.
Rows are copied byte for byte (BOM, CRLF, quoting and thousands separators kept) so the demo
exercises the same quirks as the published files; only whole rows outside the Lancashire-14
districts are left out. Outputs are reproducible: gzip and zip timestamps are fixed.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import io
import zipfile
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "demo" / "data"
LANCASHIRE_14 = (
    "E06000008", "E06000009",  # Blackburn with Darwen, Blackpool (unitary)
    "E07000117", "E07000118", "E07000119", "E07000120", "E07000121", "E07000122",
    "E07000123", "E07000124", "E07000125", "E07000126", "E07000127", "E07000128",
)
MONTHS = [f"2021-{m:02d}" for m in range(4, 13)] + [f"2022-{m:02d}" for m in range(1, 4)]
FIXED_TIME = (2024, 1, 1, 0, 0, 0)


def _gzip_bytes(data: bytes, target: Path) -> None:
    """Write gzip with a fixed mtime and no file name so re-running gives identical bytes."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0,
                                                 compresslevel=9) as handle:
        handle.write(data)


def _read(path: Path) -> bytes:
    return gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()


def _filter_lines(data: bytes, keep: Callable[[list[str]], bool]) -> bytes:
    """Keep the header and every data line whose parsed fields pass ``keep`` (lines copied as is)."""
    lines = data.splitlines(keepends=True)
    out = [lines[0]]
    for line in lines[1:]:
        text = line.decode("utf-8").strip("\r\n")
        if text and keep(next(csv.reader([text]))):
            out.append(line)
    return b"".join(out)


def cut_geography(src: Path) -> set[str]:
    """The 14 LSOA GeoJSONs and both LSOA lookups; returns the 941 LSOA 2011 codes."""
    lsoas: set[str] = set()
    for code in LANCASHIRE_14:
        data = (src / "geography" / "lsoa_by_lad" / f"{code}.json").read_bytes()
        lsoas.update(
            line.split(b'"LSOA11CD": "')[1][:9].decode()
            for line in data.splitlines() if b'"LSOA11CD": "' in line
        )
        _gzip_bytes(data, OUT / "geography" / f"{code}.json.gz")
    best_fit = _filter_lines(
        (src / "geography" / "lsoa11_to_lsoa21_best_fit_lookup_england_wales_v2.csv").read_bytes(),
        lambda row: row[1] in lsoas or row[5] in LANCASHIRE_14,
    )
    _gzip_bytes(best_fit, OUT / "geography" / "lsoa11_to_lsoa21_best_fit_lookup_england_wales_v2.csv.gz")
    _gzip_bytes(
        _filter_lines((src / "geography" / "LSOA11_LSOA21PopLookups.csv").read_bytes(),
                      lambda row: row[0] in lsoas),
        OUT / "geography" / "LSOA11_LSOA21PopLookups.csv.gz",
    )
    return lsoas


def cut_reference(src: Path, lsoas: set[str]) -> None:
    """Population 2014-2020, IMD 2019 files 1 and 2 (Lancashire-14 rows), STATS19 2023."""
    _gzip_bytes((src / "population" / "lancashire_population_2014_2020.csv").read_bytes(),
                OUT / "population" / "lancashire_population_2014_2020.csv.gz")
    for name in ("File_1_-_IMD2019_Index_of_Multiple_Deprivation.csv.gz",
                 "File_2_-_IoD2019_Domains_of_Deprivation.csv.gz"):
        data = _filter_lines(_read(src / "deprivation" / name), lambda row: row[0].lstrip("\ufeff") in lsoas)
        _gzip_bytes(data, OUT / "deprivation" / name)
    name = "dft-road-casualty-statistics-collision-2023-lancashire.csv"
    _gzip_bytes((src / "road-safety" / name).read_bytes(), OUT / "road-safety" / f"{name}.gz")


def cut_police_uk(src: Path) -> None:
    """12 months of street (2020-10..2022-10 download) and outcomes (March 2022 release), archive layout."""
    target = OUT / "police-uk" / "police-uk-lancashire-2021-04_2022-03.zip"
    target.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for month in MONTHS:
            for folder, kind in (("lancashire-2020-10_2022-10", "street"),
                                 ("lancashire-outcomes-release-2022-03", "outcomes")):
                name = f"{month}/{month}-lancashire-{kind}.csv"
                info = zipfile.ZipInfo(name, date_time=FIXED_TIME)
                info.compress_type = zipfile.ZIP_DEFLATED
                archive.writestr(info, (src / "police-uk" / folder / name).read_bytes(), compresslevel=9)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=REPO.parent / "shared" / "data")
    src = parser.parse_args().source
    lsoas = cut_geography(src)
    cut_reference(src, lsoas)
    cut_police_uk(src)
    sizes = io.StringIO()
    for path in sorted(OUT.rglob("*")):
        if path.is_file() and path.name != "README.md":
            sizes.write(f"{path.relative_to(OUT)}  {path.stat().st_size:,} bytes\n")
    print(f"{len(lsoas)} LSOAs in the Lancashire-14 districts\n{sizes.getvalue()}", end="")


if __name__ == "__main__":
    main()
