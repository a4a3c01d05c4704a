"""Cut the small real slices the evidence tests use from the shared open data (run once, by hand).

Three Lancashire districts with different crime levels (Fylde, Ribble Valley, Rossendale): every police.uk
street row in their LSOAs for the 25 months 2020-10..2022-10, plus every row Lancashire Constabulary
reported in LSOAs outside the 14 Lancashire districts (to test clipping) and the first 20 'No Location'
rows of each month; the matching outcomes, lookup, population, IMD 2019 and 2023 STATS19 rows and LSOA
boundaries. Rows are copied byte for byte (gzip-compressed).

Contains public sector information licensed under the Open Government Licence v3.0.
Sources: data.police.uk archive; ONS Open Geography (OA-LSOA-LAD lookup, LSOA11-LSOA21 best fit,
LSOA boundaries via martinjc/UK-GeoJSON); ONS small-area population estimates; MHCLG English Indices of
Deprivation 2019; DfT road casualty statistics (STATS19).

Usage: python tests/data/evidence/cut.py /work/shared/data
"""

from __future__ import annotations

import csv
import gzip
import shutil
import sys
from pathlib import Path

DISTRICTS = ("E07000119", "E07000124", "E07000125")  # Fylde, Ribble Valley, Rossendale
LANCASHIRE_14 = {"E06000008", "E06000009", *(f"E07000{n}" for n in range(117, 129))}
NO_LOCATION_PER_MONTH = 20
OUT = Path(__file__).resolve().parent


def _lines(path: Path) -> tuple[str, list[tuple[list[str], str]]]:
    """Header line and (parsed row, raw line) pairs, keeping each raw line exactly."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8-sig", newline="") as fh:
        raw = fh.read()
    lines = raw.splitlines(keepends=True)
    rows = [(next(csv.reader([line])), line) for line in lines[1:] if line.strip()]
    return lines[0], rows


def _write_gz(path: Path, header: str, lines: list[str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(path, "wt", encoding="utf-8", newline="") as fh:
        fh.write(header)
        fh.writelines(lines)


def main(shared: Path) -> None:
    geo = shared / "geography"
    # LSOA11 -> district for all of England (the OA lookup, distinct LSOAs).
    lsoa_district: dict[str, tuple[str, str, str]] = {}
    with gzip.open(geo / "fe6c55f0924b4734adf1cf7104a0173e_0.csv.gz", "rt", encoding="utf-8-sig") as fh:
        for row in csv.DictReader(fh):
            lsoa_district[row["LSOA11CD"]] = (row["LSOA11NM"], row["LAD17CD"], row["LAD17NM"])
    ours = {code for code, (_, lad, _) in lsoa_district.items() if lad in DISTRICTS}
    lancs = {code for code, (_, lad, _) in lsoa_district.items() if lad in LANCASHIRE_14}

    with (OUT / "lookup.csv").open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(["LSOA11CD", "LSOA11NM", "LAD17CD", "LAD17NM"])
        for code in sorted(ours):
            writer.writerow([code, *lsoa_district[code]])

    best_fit = geo / "lsoa11_to_lsoa21_best_fit_lookup_england_wales_v2.csv"
    header, rows = _lines(best_fit)
    (OUT / "lsoa11_lsoa21.csv").write_text(
        header + "".join(line for row, line in rows if row[1] in ours), encoding="utf-8"
    )

    street = shared / "police-uk" / "lancashire-2020-10_2022-10"
    for month_dir in sorted(street.iterdir()):
        for path in month_dir.glob("*-street.csv"):
            header, rows = _lines(path)
            kept, no_location = [], 0
            for row, line in rows:
                lsoa = row[7]
                if lsoa in ours or (lsoa and lsoa not in lancs):
                    kept.append(line)
                elif not lsoa and no_location < NO_LOCATION_PER_MONTH:
                    kept.append(line)
                    no_location += 1
            _write_gz(OUT / "street" / f"{path.name}.gz", header, kept)

    outcomes = shared / "police-uk" / "lancashire-outcomes-release-2022-03"
    for month_dir in sorted(outcomes.iterdir()):
        for path in month_dir.glob("*-outcomes.csv"):
            header, rows = _lines(path)
            _write_gz(
                OUT / "outcomes" / f"{path.name}.gz", header, [line for row, line in rows if row[7] in ours]
            )

    header, rows = _lines(shared / "population" / "lancashire_population_2014_2020.csv")
    (OUT / "population.csv").write_text(
        header + "".join(line for row, line in rows if row[1] in ours), encoding="utf-8"
    )

    header, rows = _lines(shared / "deprivation" / "File_2_-_IoD2019_Domains_of_Deprivation.csv.gz")
    (OUT / "imd2019.csv").write_text(
        header + "".join(line for row, line in rows if row[0] in ours), encoding="utf-8"
    )

    stats19 = shared / "road-safety" / "dft-road-casualty-statistics-collision-2023-lancashire.csv"
    header, rows = _lines(stats19)
    district_col = next(csv.reader([header])).index("local_authority_ons_district")
    (OUT / "collisions-2023.csv").write_text(
        header + "".join(line for row, line in rows if row[district_col] in DISTRICTS), encoding="utf-8"
    )

    (OUT / "boundaries").mkdir(exist_ok=True)
    for lad in DISTRICTS:
        shutil.copyfile(geo / "lsoa_by_lad" / f"{lad}.json", OUT / "boundaries" / f"{lad}.json")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("/work/shared/data"))
