"""Cut the small real police.uk slices in tests/data/police-uk/ from ../shared/data/police-uk.

Contains public sector information licensed under the Open Government Licence v3.0
(source: data.police.uk, street-level crime, outcomes and stop-and-search archives).

Run from the repository root: ``python tests/data/cut_police_uk.py [SHARED_DATA_DIR]``.
Lines are copied byte for byte (CRLF or LF kept) and in their original order; only the choice of
lines is ours. The one exception is ``release-b``, said below.
"""

from __future__ import annotations

import sys
import zipfile
from pathlib import Path

SHARED = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parents[3] / "shared/data"
SRC = SHARED / "police-uk"
OUT = Path(__file__).resolve().parent / "police-uk"


def lines_of(path: Path) -> list[bytes]:
    return path.read_bytes().splitlines(keepends=True)


def write(target: Path, lines: list[bytes]) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(b"".join(lines))
    print(f"{target.relative_to(OUT)}: {len(lines) - 1} rows")


def pick(lines: list[bytes], first: int, extra: set[int]) -> list[bytes]:
    """Header, the first ``first`` data lines and the extra line indexes, in file order."""
    keep = sorted(set(range(1, first + 1)) | extra)
    return [lines[0]] + [lines[i] for i in keep]


def street_slice(month: str, others: list[list[bytes]]) -> list[bytes]:
    """First 150 rows, 15 'No Location' rows, in-file repeated Crime IDs, Welsh LSOAs, and rows
    whose Crime ID also appears in another month's file (repeats across months)."""
    lines = lines_of(SRC / f"lancashire-2020-10_2022-10/{month}/{month}-lancashire-street.csv")
    ids = [line.split(b",", 1)[0] for line in lines]
    no_location = [i for i, line in enumerate(lines) if b",No Location," in line][:15]
    seen: dict[bytes, list[int]] = {}
    for i, crime_id in enumerate(ids[1:], start=1):
        if crime_id:
            seen.setdefault(crime_id, []).append(i)
    repeats = {i for rows in seen.values() if len(rows) > 1 for i in rows}
    welsh = {i for i, line in enumerate(lines) if b",W01" in line}
    other_ids = {line.split(b",", 1)[0] for other in others for line in other[1:]} - {b""}
    across = {i for i, crime_id in enumerate(ids) if i and crime_id in other_ids}
    return pick(lines, 150, set(no_location) | repeats | welsh | set(sorted(across)[:5]))


def main() -> None:
    jan_full = lines_of(SRC / "lancashire-2020-10_2022-10/2021-01/2021-01-lancashire-street.csv")
    feb = street_slice("2021-02", [jan_full])
    jan = street_slice("2021-01", [feb])
    write(OUT / "archive/2021-01/2021-01-lancashire-street.csv", jan)
    write(OUT / "archive/2021-02/2021-02-lancashire-street.csv", feb)
    outcomes = lines_of(SRC / "lancashire-outcomes-release-2022-03/2021-03/2021-03-lancashire-outcomes.csv")
    write(OUT / "archive/2021-03/2021-03-lancashire-outcomes.csv", outcomes[:101])
    # The same archive as a zip, as data.police.uk ships it (fixed timestamps: reproducible bytes).
    archive = OUT / "archive.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted((OUT / "archive").rglob("*.csv")):
            info = zipfile.ZipInfo(str(path.relative_to(OUT / "archive")), date_time=(2022, 3, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, path.read_bytes())
    print(f"archive.zip: {len(zipfile.ZipFile(archive).namelist())} members")

    # Several forces per month folder; Cumbria absent from 2024-03 and 2024-04 (a gap).
    for month in ("2024-01", "2024-02", "2024-03", "2024-04"):
        for path in sorted((SRC / f"multi-force-2024-01_2024-04/{month}").glob("*.csv")):
            write(OUT / f"multi-force/{month}/{path.name}", lines_of(path)[:41])

    # LSOA 2021 codes, LF line endings.
    lsoa21 = lines_of(SRC / "lancashire-2025-01_2025-12-lsoa21/2025-01/2025-01-lancashire-street.csv")
    write(OUT / "lsoa21/2025-01/2025-01-lancashire-street.csv", lsoa21[:121])

    # Stop and search: Cheshire files by UK month (June starts 2025-05-31T23:45Z); Merseyside by
    # UTC month (June ends with rows at 2025-06-30T23:xxZ, already July in UK time); Durham 2019.
    s_s = SRC / "stop-and-search"
    cheshire = lines_of(s_s / "cheshire-2025-06_2025-09/2025-06/2025-06-cheshire-stop-and-search.csv")
    write(OUT / "stop-search/2025-06/2025-06-cheshire-stop-and-search.csv", cheshire[:61])
    mersey = lines_of(s_s / "merseyside-2025-06_2025-09/2025-06/2025-06-merseyside-stop-and-search.csv")
    write(OUT / "stop-search/2025-06/2025-06-merseyside-stop-and-search.csv", mersey[:31] + mersey[-10:])
    durham = lines_of(s_s / "durham-2019-12_2020-02/2019-12/2019-12-durham-stop-and-search.csv")
    write(OUT / "stop-search/2019-12/2019-12-durham-stop-and-search.csv", durham[:41])

    # Two releases of the same month. The shared data holds one release of each street month, so
    # release-b is release-a with what a later archive changes: 'Last outcome category' updated on
    # the 13 crimes at 'Status update unavailable' (to 'Unable to prosecute suspect') and the last
    # 10 rows dropped. Every other byte is as published.
    release_a = jan
    write(OUT / "release-a/2021-01/2021-01-lancashire-street.csv", release_a)
    changed, release_b = 0, [release_a[0]]
    for line in release_a[1:-10]:
        if b",Status update unavailable," in line:
            line = line.replace(b",Status update unavailable,", b",Unable to prosecute suspect,")
            changed += 1
        release_b.append(line)
    write(OUT / "release-b/2021-01/2021-01-lancashire-street.csv", release_b)
    (OUT / "README.md").write_text(
        "# police.uk test slices\n\n"
        "Contains public sector information licensed under the Open Government Licence v3.0 "
        "(source: data.police.uk archive). Cut by `tests/data/cut_police_uk.py`; see its docstring. "
        "`release-b` is a simulated later release (outcome fields changed), said in the script.\n"
    )


if __name__ == "__main__":
    main()
