"""Do two builds of the police.uk ingest write the same store? (issue 16, item 3; a benchmark check).

Runs the same sequence of ``safer ingest police-uk`` commands with each source tree (``--a``, ``--b``)
into a fresh store each, then compares every table the ingest writes, row for row as multisets:
``crimes``, ``outcomes``, ``stop_search``, the four roll-ups, ``repeated_crime_ids``, ``rejects``
(file, line, field, reason, raw line) and ``ingests`` (without the clock, the command id and the
version); and how many months each row group of ``crimes`` spans (zone maps), for information.
A command that fails must fail the same way in both. Exits 1 on any difference.

The sequence exercises the fast path, the exact path (a copy of a real month with damaged rows, in one
batch with two clean months: bad month, coordinates, an empty crime type of no-break spaces, a short
row; and a month with a bare CR in a line), a replacement
(a later release over held months), identical bytes skipped, stop-and-search and other forces:

    .venv/bin/python benchmarks/compare_stores.py --a /work/wt/base-ing2/src --b src
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import duckdb

DATA = Path("/work/shared/data/police-uk")

# Rows carry their file's path instead of their ingest id: ids follow file order within a batch, and when
# a batch holds a bad file they differ from older builds' (which numbered the clean files first); which
# file every row came from is what must not change.
_BY_PATH = "SELECT t.* EXCLUDE (ingest_id), i.path FROM {t} AS t JOIN ingests AS i USING (ingest_id)"
TABLES = {
    "crimes": _BY_PATH.format(t="crimes"),
    "outcomes": _BY_PATH.format(t="outcomes"),
    "stop_search": _BY_PATH.format(t="stop_search"),
    "crime_monthly_counts": "SELECT * FROM crime_monthly_counts",
    "crime_force_months": "SELECT * FROM crime_force_months",
    "crime_lsoa_months": "SELECT * FROM crime_lsoa_months",
    "crime_type_months": "SELECT * FROM crime_type_months",
    "repeated_crime_ids": "SELECT * FROM repeated_crime_ids",
    # schema 6 (compared when both builds write them)
    "crime_lsoa_totals": "SELECT * FROM crime_lsoa_totals",
    "police_force_months": "SELECT * FROM police_force_months",
    "repeated_crime_id_totals": "SELECT * FROM repeated_crime_id_totals",
    "rejects": "SELECT * EXCLUDE (ingest_id) FROM rejects",
    "ingests": "SELECT * EXCLUDE (ingest_id, command_id, loaded_at, software_version) FROM ingests",
}


def damaged_month(work: Path) -> Path:
    """A real street month with damaged rows, in its own folder (the exact path's rejects)."""
    source = DATA / "lancashire-2020-10_2022-10" / "2021-01" / "2021-01-lancashire-street.csv"
    lines = source.read_bytes().split(b"\r\n")
    cells = [line.split(b",") for line in lines[:12]]
    lines[3] = b",".join([*cells[3][:1], b"2021-13", *cells[3][2:]])         # unparseable month
    lines[5] = b",".join([*cells[5][:4], b"west", *cells[5][5:]])            # longitude not a number
    lines[7] = b",".join([*cells[7][:9], "\u00a0 ".encode(), *cells[7][10:]])  # empty crime type
    lines[9] = b",".join(cells[9][:5])                                       # too few fields
    target = work / "damaged" / "2021-01"
    target.mkdir(parents=True, exist_ok=True)
    (target / "2021-01-lancashire-street.csv").write_bytes(b"\r\n".join(lines))
    for month in ("2020-12", "2021-02"):  # clean months in the same batch
        (work / "damaged" / month).mkdir(exist_ok=True)
        shutil.copy(DATA / "lancashire-2020-10_2022-10" / month / f"{month}-lancashire-street.csv",
                    work / "damaged" / month)
    return target.parent


def bare_cr_month(work: Path) -> Path:
    """A real street month with a bare CR in one line (DuckDB's reader cannot take it: exact reader)."""
    source = DATA / "lancashire-2020-10_2022-10" / "2021-03" / "2021-03-lancashire-street.csv"
    lines = source.read_bytes().split(b"\r\n")
    lines[11] = lines[11].replace(b"Lancashire", b"Lanca\rshire", 1)
    target = work / "bare-cr" / "2021-03"
    target.mkdir(parents=True, exist_ok=True)
    (target / "2021-03-lancashire-street.csv").write_bytes(b"\r\n".join(lines))
    return target.parent


def sequence(work: Path) -> list[list[str]]:
    """The ingest commands, in order (each a list of paths, maybe with --force/--replace)."""
    return [
        [str(damaged_month(work))],  # one batch: two clean months and the damaged one
        [str(DATA / "lancashire-2020-10_2022-10")],
        [str(DATA / "lancashire-2019-12_2020-07-partial")],
        [str(bare_cr_month(work)), "--replace"],
        [str(DATA / "lancashire-outcomes-release-2022-03")],
        [str(DATA / "multi-force-2024-01_2024-04")],
        [str(DATA / "stop-and-search")],
        [str(DATA / "lancashire-2020-10_2022-10" / "2021-01")],  # the real month again: replaces
        [str(DATA / "lancashire-2020-10_2022-10")],              # identical bytes: unchanged
    ]


def child(db: Path, args: list[str]) -> None:
    """Run one ingest command (in the source tree on PYTHONPATH) and print its outcome as JSON."""
    from safer_communities.errors import SaferError
    from safer_communities.ingest.runner import run_ingest

    replace = "--replace" in args
    paths = [Path(a) for a in args if not a.startswith("--")]
    try:
        report = run_ingest(db, "police-uk", paths, replace=replace)
        print(json.dumps({"ok": [(f.path.split("/")[-1], f.status, f.rows_loaded, f.rows_rejected,
                                  f.rows_replaced, f.warnings) for f in report.files]}))
    except SaferError as exc:
        print(json.dumps({"error": [exc.what]}))


def build(src: str, work: Path, name: str) -> tuple[Path, list[object]]:
    db = work / f"{name}.duckdb"
    outcomes = []
    env = {**os.environ, "PYTHONPATH": str(Path(src).resolve())}
    for args in sequence(work):
        run = subprocess.run([sys.executable, __file__, "--child", str(db), *args], env=env,
                             capture_output=True, text=True, check=False)
        if run.returncode:
            raise SystemExit(f"{name} crashed on {args}:\n{run.stderr[-3000:]}")
        outcomes.append(json.loads(run.stdout.strip().splitlines()[-1]))
    return db, outcomes


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    if sys.argv[1:2] == ["--child"]:
        child(Path(sys.argv[2]), sys.argv[3:])
        return 0
    parser.add_argument("--a", required=True, help="source tree of one build (e.g. main's src)")
    parser.add_argument("--b", required=True, help="source tree of the other")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="safer-compare-"))
    try:
        db_a, out_a = build(args.a, work, "a")
        db_b, out_b = build(args.b, work, "b")
        differences = 0
        for step, (a, b) in enumerate(zip(out_a, out_b, strict=True)):
            if a != b:
                differences += 1
                print(f"command {step + 1}: different outcomes\n  a: {a}\n  b: {b}")
        con = duckdb.connect()
        con.execute(f"ATTACH '{db_a}' AS a (READ_ONLY)")
        con.execute(f"ATTACH '{db_b}' AS b (READ_ONLY)")
        held = {db: {t for (t,) in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE database_name = ?", [db]).fetchall()}
            for db in ("a", "b")}
        for table, select in TABLES.items():
            if table not in held["a"] or table not in held["b"]:
                print(f"{table:22s} not in both stores (an older schema): not compared")
                continue
            qa, qb = (select.replace(f"FROM {table}", f"FROM {db}.{table}").replace(
                "JOIN ingests", f"JOIN {db}.ingests") for db in ("a", "b"))
            [(rows_a,)] = con.execute(f"SELECT count(*) FROM ({qa})").fetchall()
            [(only_a,)] = con.execute(f"SELECT count(*) FROM ({qa} EXCEPT ALL {qb})").fetchall()
            [(only_b,)] = con.execute(f"SELECT count(*) FROM ({qb} EXCEPT ALL {qa})").fetchall()
            same = only_a == 0 and only_b == 0
            differences += not same
            print(f"{table:22s} {rows_a:>9,} rows  {'identical' if same else 'DIFFERENT'}"
                  + ("" if same else f" ({only_a} only in a, {only_b} only in b)"))
        # Row order is not compared: DuckDB's parallel CSV reader interleaves files, so even one build
        # run twice writes crimes in a different order. What matters for the zone maps is that each row
        # group holds few months; reported for both (not a difference).
        spans = [con.execute(
            f"SELECT sum(months) FROM (SELECT count(DISTINCT month) AS months FROM {db}.crimes "
            "GROUP BY rowid // 122880)").fetchall()[0][0] for db in ("a", "b")]
        print(f"{'crimes, row groups':22s} months summed over row groups: a {spans[0]}, b {spans[1]}")
        [(rejected,)] = con.execute("SELECT count(*) FROM a.rejects").fetchall()
        print(f"{len(out_a)} commands each; {rejected} rejects; "
              + ("the two stores are identical" if differences == 0 else f"{differences} difference(s)"))
        return 1 if differences else 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
