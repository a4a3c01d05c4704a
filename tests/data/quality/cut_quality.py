"""Cut the small real slices used by tests/analysis/test_quality.py from /work/shared/data.

Run from the repository root: ``.venv/bin/python tests/data/quality/cut_quality.py``. It overwrites the
slices and prints the figures the tests assert, counted here with the csv module (independently of
the SQL under test).

Contains public sector information licensed under the Open Government Licence v3.0
(source: data.police.uk archive; ONS Open Geography LSOA 2011 -> 2021 best-fit lookup).
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from pathlib import Path

SHARED = Path("/work/shared/data")
POLICE = SHARED / "police-uk"
HERE = Path(__file__).resolve().parent
LANCASHIRE_14 = {f"E07000{n}" for n in range(117, 129)} | {"E06000008", "E06000009"}


def _lines(path: Path) -> tuple[bytes, list[bytes]]:
    """Header and data lines, with their line endings, exactly as published."""
    lines = path.read_bytes().splitlines(keepends=True)
    return lines[0], [line for line in lines[1:] if line.strip()]


def _pick(data: list[bytes], *, head: int, middle: int, no_location: int) -> list[bytes]:
    """First rows (outside-area rows sort first in Lancashire files), some middle rows, some 'No Location'."""
    chosen = list(range(min(head, len(data))))
    mid = len(data) // 2
    chosen += range(mid, min(mid + middle, len(data)))
    unlocated = [i for i, line in enumerate(data) if b",No Location," in line][:no_location]
    chosen += unlocated
    return [data[i] for i in sorted(set(chosen))]


def _write(source: Path, target: Path, rows: list[bytes], header: bytes) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(header + b"".join(rows))


def cut_multi_force() -> None:
    base = POLICE / "multi-force-2024-01_2024-04"
    for path in sorted(base.glob("*/*.csv")):
        header, data = _lines(path)
        _write(path, HERE / "multi-force" / path.parent.name / path.name,
               _pick(data, head=15, middle=10, no_location=5), header)


def cut_partial() -> None:
    """Lancashire 2019-12 .. 2020-07 with 2020-06 missing, plus real repeated Crime IDs and Welsh LSOAs."""
    base = POLICE / "lancashire-2019-12_2020-07-partial"
    files = sorted(base.glob("*/*.csv"))
    parsed = {p: _lines(p) for p in files}
    ids = {p: [line.split(b",", 1)[0] for line in data] for p, (_, data) in parsed.items()}
    march = next(p for p in files if p.parent.name == "2020-03")
    feb = next(p for p in files if p.parent.name == "2020-02")
    counts = Counter(i for i in ids[march] if i)
    within = sorted(i for i, n in counts.items() if n > 1)[:3]
    across = sorted(i for i in set(ids[feb]) & set(ids[march]) if i and counts[i] == 1)[:2]
    keep = set(within) | set(across)
    for path in files:
        header, data = parsed[path]
        rows = _pick(data, head=10, middle=5, no_location=3)
        extra = [line for line, i in zip(data, ids[path], strict=True)
                 if (i in keep or b",W01" in line) and line not in rows]
        _write(path, HERE / "partial" / path.parent.name / path.name, rows + extra, header)


def cut_other_kinds() -> None:
    for month in ("2021-03", "2021-04"):
        path = POLICE / "lancashire-outcomes-release-2022-03" / month / f"{month}-lancashire-outcomes.csv"
        header, data = _lines(path)
        _write(path, HERE / "outcomes" / month / path.name, data[:8], header)
    for path in sorted((POLICE / "stop-and-search").glob("durham-*/*/*.csv")):
        header, data = _lines(path)
        _write(path, HERE / "stop-and-search" / path.parent.name / path.name, data[:5], header)


def cut_areas() -> None:
    """The study area: the LSOA 2011 -> 2021 best-fit rows of Lancashire's 14 districts."""
    source = SHARED / "geography" / "lsoa11_to_lsoa21_best_fit_lookup_england_wales_v2.csv"
    with source.open(encoding="utf-8-sig", newline="") as handle:
        rows = [r for r in csv.DictReader(handle) if r["LAD22CD"] in LANCASHIRE_14]
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=["LSOA11CD", "LSOA11NM", "LSOA21CD", "LSOA21NM", "LAD22CD",
                                             "LAD22NM"], extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    (HERE / "lancashire_lsoa11_lsoa21.csv").write_text(out.getvalue(), encoding="utf-8")


def expected() -> None:
    """Print the figures the tests assert, counted with the csv module."""
    area_codes: set[str] = set()
    with (HERE / "lancashire_lsoa11_lsoa21.csv").open(newline="") as handle:
        for r in csv.DictReader(handle):
            area_codes |= {r["LSOA11CD"], r["LSOA21CD"]}
    for folder in ("multi-force", "partial"):
        rows = []
        for path in sorted((HERE / folder).glob("*/*.csv")):
            with path.open(newline="", encoding="utf-8") as handle:
                rows += list(csv.DictReader(handle))
        unlocated = Counter(r["Month"] for r in rows if not r["Longitude"])
        no_lsoa = sum(1 for r in rows if not r["LSOA code"])
        outside = [r["LSOA code"] for r in rows if r["LSOA code"] and r["LSOA code"] not in area_codes]
        ids = Counter((r["Crime ID"], r["Month"]) for r in rows if r["Crime ID"])
        by_id = Counter(r["Crime ID"] for r in rows if r["Crime ID"])
        months_of: dict[str, set[str]] = {}
        for r in rows:
            if r["Crime ID"]:
                months_of.setdefault(r["Crime ID"], set()).add(r["Month"])
        print(folder, "rows", len(rows), "unlocated", dict(sorted(unlocated.items())), "no_lsoa", no_lsoa)
        print("  outside", len(outside), "wales", sum(c.startswith("W") for c in outside),
              "distinct", len(set(outside)))
        print("  repeated ids", sum(n > 1 for n in by_id.values()),
              "within month ids", sum(n > 1 for n in ids.values()),
              "across months ids", sum(len(m) > 1 for m in months_of.values()),
              "extra rows", sum(n - 1 for n in by_id.values()))


if __name__ == "__main__":
    cut_multi_force()
    cut_partial()
    cut_other_kinds()
    cut_areas()
    expected()
