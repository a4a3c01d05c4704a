"""Synthesise a national-scale police.uk archive by resampling real rows (for benchmarks/ingest.py).

Every row is a real Lancashire street-level row. What identifies the file changes: the force (slug
in the file name, 'Reported by' and 'Falls within') and the month (folder, file name and 'Month').
Crime IDs are re-derived (sha256 of the real ID, force and month) so they stay unique across forces and
months the way real IDs are, while the repeats inside one month in the source stay repeats.

Each force has LSOAs of its own, as real forces do: Lancashire keeps its real codes and names, and every
other force's rows have their LSOA moved to a block of well-formed codes of its own (``E01`` or, for the
four Welsh forces, ``W01``, numbered from 100000 upwards, beyond every real code; names "<force> 0001"
...), one per source LSOA. So a national store has about as many LSOA x month x crime-type groups as
records spread over 43 forces' areas would give, not 43 forces piled on Lancashire's 941 LSOAs. Nothing
else is altered: coordinates, crime types and outcomes are exactly as published (other forces' points
therefore lie in Lancashire; only their LSOA codes place them elsewhere). Lancashire comes first, so a
scaled-down run (``--forces 8``) still holds the force the demo study area covers.

Run on its own: ``python benchmarks/synth_archive.py --forces 2 --months 3 /tmp/synth``.
"""

from __future__ import annotations

import argparse
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb

# The 43 territorial police forces of England and Wales, as police.uk names their files.
_ALL_FORCES = (
    "avon-and-somerset", "bedfordshire", "cambridgeshire", "cheshire", "city-of-london", "cleveland",
    "cumbria", "derbyshire", "devon-and-cornwall", "dorset", "durham", "dyfed-powys", "essex",
    "gloucestershire", "greater-manchester", "gwent", "hampshire", "hertfordshire", "humberside", "kent",
    "lancashire", "leicestershire", "lincolnshire", "merseyside", "metropolitan", "norfolk",
    "north-wales", "north-yorkshire", "northamptonshire", "northumbria", "nottinghamshire",
    "south-wales", "south-yorkshire", "staffordshire", "suffolk", "surrey", "sussex", "thames-valley",
    "warwickshire", "west-mercia", "west-midlands", "west-yorkshire", "wiltshire",
)
FORCES = ("lancashire", *(f for f in _ALL_FORCES if f != "lancashire"))
"""Lancashire first (the source of every row, and the demo study area), then the others."""
WELSH = frozenset({"dyfed-powys", "gwent", "north-wales", "south-wales"})
SYNTHETIC_LSOA_BASE = 100_000
"""Synthetic LSOA numbers start here: real E01/W01 codes stop below 40000."""
NATIONAL_ROWS = 70_000_000
"""About ten years of England and Wales street-level records (issue 2)."""

COLUMNS = (
    "Crime ID", "Month", "Reported by", "Falls within", "Longitude", "Latitude", "Location",
    "LSOA code", "LSOA name", "Crime type", "Last outcome category", "Context",
)


@dataclass
class SynthResult:
    root: Path
    files: int
    rows: int
    seconds: float
    bytes: int


def force_name(slug: str) -> str:
    """'avon-and-somerset' -> 'Avon and Somerset Police' (the label in 'Reported by')."""
    words = [w if w == "and" else w.capitalize() for w in slug.split("-")]
    return " ".join(words) + " Police"


def synthesise_archive(
    source: Path, target: Path, *, forces: int = 43, months: int = 120,
    rows_per_file: int | None = None, first_month: str = "2015-01",
) -> SynthResult:
    """Write ``forces x months`` street files in archive layout under target, resampled from source.

    rows_per_file defaults to the national total divided over 43 x 120 force-months (about 13,600),
    so a scaled-down run (fewer forces) has national-sized files.
    """
    start = time.perf_counter()
    files = sorted(source.glob("*/*-street.csv"))
    if not files:
        raise SystemExit(f"No police.uk street files under {source}")
    rows_per_file = rows_per_file or NATIONAL_ROWS // (len(FORCES) * 120)
    target.mkdir(parents=True, exist_ok=True)
    staging = target / "_staging"
    con = duckdb.connect()
    con.execute("SET preserve_insertion_order = false")
    con.execute("SET memory_limit = '2GB'")
    file_list = ", ".join(f"'{f}'" for f in files)
    con.execute(f"""
        CREATE TEMP TABLE src AS
        SELECT row_number() OVER () AS rn,
               dense_rank() OVER (ORDER BY "Month") - 1 AS src_idx,
               count(*) OVER (PARTITION BY "Month") AS src_n, *
        FROM read_csv([{file_list}], all_varchar = true, header = true)""")
    n_source_months = int(con.execute("SELECT max(src_idx) + 1 FROM src").fetchall()[0][0])
    con.execute("CREATE TEMP TABLE force_list (i INTEGER, slug VARCHAR, name VARCHAR, prefix VARCHAR, "
                "place VARCHAR)")
    con.executemany("INSERT INTO force_list VALUES (?, ?, ?, ?, ?)",
                    [(i, slug, force_name(slug), "W01" if slug in WELSH else "E01",
                      force_name(slug).removesuffix(" Police"))
                     for i, slug in enumerate(FORCES[:forces])])
    # Each source LSOA code's rank k: force i's own LSOA is number BASE + i * n_codes + k.
    con.execute("""CREATE TEMP TABLE lsoa_rank AS SELECT code, (row_number() OVER (ORDER BY code)) - 1 AS k,
                   count(*) OVER () AS n_codes
                   FROM (SELECT DISTINCT "LSOA code" AS code FROM src WHERE "LSOA code" IS NOT NULL)""")
    con.execute(f"""
        CREATE TEMP TABLE combos AS
        SELECT f.i, f.slug, f.name, f.prefix, f.place, m.j,
               strftime(DATE '{first_month}-01' + to_months(CAST(m.j AS INTEGER)), '%Y-%m') AS month,
               (f.i * 7 + m.j) % {n_source_months} AS src_idx
        FROM force_list AS f CROSS JOIN range({months}) AS m(j)""")
    select_columns = ", ".join(
        {
            "Crime ID": 'CASE WHEN s."Crime ID" IS NULL THEN NULL '
                        'ELSE sha256(s."Crime ID" || c.slug || c.month) END AS "Crime ID"',
            "Month": 'c.month AS "Month"',
            "Reported by": 'c.name AS "Reported by"',
            "Falls within": 'c.name AS "Falls within"',
            "LSOA code": "CASE WHEN c.slug = 'lancashire' OR l.code IS NULL THEN s.\"LSOA code\" ELSE "
                         f"c.prefix || lpad(CAST({SYNTHETIC_LSOA_BASE} + c.i * l.n_codes + l.k AS VARCHAR), "
                         "6, '0') END AS \"LSOA code\"",
            "LSOA name": "CASE WHEN c.slug = 'lancashire' OR l.code IS NULL THEN s.\"LSOA name\" ELSE "
                         "c.place || ' ' || lpad(CAST(l.k + 1 AS VARCHAR), 4, '0') END AS \"LSOA name\"",
        }.get(col, f's."{col}"')
        for col in COLUMNS
    )
    # One COPY per month (partitioned by force): a single COPY over all 5,160 force-months keeps a
    # buffer open per partition and needs tens of GB of memory.
    n_rows = 0
    for j in range(months):
        n_rows += int(con.execute(f"""
            COPY (
                SELECT {select_columns}, c.month AS p_month, c.slug AS p_force
                FROM combos AS c JOIN src AS s USING (src_idx)
                LEFT JOIN lsoa_rank AS l ON l.code = s."LSOA code"
                WHERE c.j = {j} AND hash(s.rn, c.i, c.j) % s.src_n < {rows_per_file}
            ) TO '{staging}' (FORMAT csv, HEADER true, PARTITION_BY (p_month, p_force),
                              OVERWRITE_OR_IGNORE, FILENAME_PATTERN 'part_{{i}}')""").fetchall()[0][0])
    con.close()
    n_files, n_bytes = _to_archive_layout(staging, target)
    shutil.rmtree(staging)
    return SynthResult(target, n_files, n_rows, time.perf_counter() - start, n_bytes)


def _to_archive_layout(staging: Path, target: Path) -> tuple[int, int]:
    """p_month=M/p_force=F/part_*.csv -> M/M-F-street.csv (one file per force-month)."""
    n_files = n_bytes = 0
    for part in sorted(staging.glob("p_month=*/p_force=*")):
        month = part.parent.name.split("=", 1)[1]
        force = part.name.split("=", 1)[1]
        out = target / month / f"{month}-{force}-street.csv"
        out.parent.mkdir(parents=True, exist_ok=True)
        pieces = sorted(part.glob("*.csv"))
        if len(pieces) == 1:
            pieces[0].rename(out)
        else:
            with out.open("wb") as handle:
                for k, piece in enumerate(pieces):
                    with piece.open("rb") as src:
                        if k:
                            src.readline()
                        shutil.copyfileobj(src, handle)
        n_files += 1
        n_bytes += out.stat().st_size
    return n_files, n_bytes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("target", type=Path)
    parser.add_argument("--data", type=Path,
                        default=Path("/work/shared/data/police-uk/lancashire-2020-10_2022-10"))
    parser.add_argument("--forces", type=int, default=43)
    parser.add_argument("--months", type=int, default=120)
    args = parser.parse_args()
    result = synthesise_archive(args.data, args.target, forces=args.forces, months=args.months)
    print(f"{result.files:,} files, {result.rows:,} rows, {result.bytes / 1e9:.2f} GB "
          f"in {result.seconds:.1f} s under {result.root}")


if __name__ == "__main__":
    main()
