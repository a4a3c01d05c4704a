"""`safer quality` as a user runs it (a whole process: imports, store open, report, output), two builds.

Runs ``safer --db STORE quality --json`` (and the text report) from this source tree and from another
(``--before-src``, e.g. a worktree of main), interleaved (the order alternates each round); asserts that
both print the same bytes (the text report's first line names the store, so it is left out when the two
builds read different stores); prints each build's median wall and CPU seconds (user + system of the
process and its threads) with ranges, the paired ratios before / ours, and the load average before and
after.

    python benchmarks/quality_cli.py --db STORE [--before-src ../main/src] [--before-db STORE]
                                     [--attach NATIONAL.duckdb] [--runs 5]

``--before-db`` gives the build before its own store (it may not read a newer layout). ``--attach``
attaches a store read-only as ``nat`` to ``--db`` before the command runs (for both builds when they
share ``--db``), for a small store that holds
this build's roll-ups and reads ``crimes`` and ``crime_monthly_counts`` as views of a large read-only
store (how the national figures were taken without writing to the shared national store; see README).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

PLAIN = "import sys; from safer_communities.cli import main; sys.argv[0] = 'safer'; main()"
ATTACHED = """
import sys
import safer_communities.store.evidence as evidence
_connect = evidence.connect
def connect(path, *, read_only=False):
    con = _connect(path, read_only=read_only)
    con.execute("ATTACH '{attach}' AS nat (READ_ONLY)")
    return con
evidence.connect = connect
import safer_communities.cli.quality as quality
quality.connect = connect
from safer_communities.cli import main
sys.argv[0] = 'safer'
main()
"""


def run(src: str, db: str, text: bool, attach: str | None) -> tuple[float, float, bytes]:
    """(wall s, CPU s, stdout) of one ``safer quality`` process (its CPU from its own rusage)."""
    env = {**os.environ, "PYTHONPATH": src, "COLUMNS": "160"}
    code = ATTACHED.format(attach=attach) if attach else PLAIN
    command = [sys.executable, "-c", code, "--db", db, "quality", *([] if text else ["--json"])]
    out_path = Path(os.environ.get("TMPDIR", "/tmp")) / f"quality_cli_{os.getpid()}.out"
    with out_path.open("wb") as sink:
        start = time.perf_counter()
        process = subprocess.Popen(command, stdout=sink, stderr=subprocess.DEVNULL, env=env)
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    out = out_path.read_bytes()
    out_path.unlink()
    if process.returncode:
        raise SystemExit(f"safer quality failed under {src} on {db} (exit {process.returncode})")
    return wall, usage.ru_utime + usage.ru_stime, out


def _same(a: bytes, b: bytes, text: bool, same_store: bool) -> bool:
    if text and not same_store:
        return a.split(b"\n", 1)[1:] == b.split(b"\n", 1)[1:]
    return a == b


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True)
    parser.add_argument("--before-src", default=None)
    parser.add_argument("--before-db", default=None)
    parser.add_argument("--attach", default=None, help="A store to attach read-only as 'nat' (ours only).")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    ours = str(Path(__file__).resolve().parents[1] / "src")
    builds = {"ours": (ours, args.db, args.attach)}
    if args.before_src:
        shared = None if args.before_db else args.attach
        builds["before"] = (args.before_src, args.before_db or args.db, shared)
    same_store = len({(db, attach) for _, db, attach in builds.values()}) == 1
    print(f"safer quality: {', '.join(f'{k} {src} on {db}' for k, (src, db, _) in builds.items())}; "
          f"load average {', '.join(f'{x:.1f}' for x in os.getloadavg())}; {args.runs} interleaved rounds")
    times: dict[tuple[str, str], list[tuple[float, float]]] = {}
    for k in range(args.runs):
        for text in (False, True):
            outputs = {}
            names = list(builds) if k % 2 == 0 else list(reversed(builds))
            for name in names:
                src, db, attach = builds[name]
                wall, cpu, out = run(src, db, text, attach)
                times.setdefault((name, "text" if text else "json"), []).append((wall, cpu))
                outputs[name] = out
            if len(outputs) == 2 and not _same(outputs["ours"], outputs["before"], text, same_store):
                form = "text" if text else "JSON"
                raise SystemExit(f"round {k + 1}: the two builds printed different {form}")
        print(f"    round {k + 1}: " + "; ".join(
            f"{name} {form} {v[-1][0]:.2f} s ({v[-1][1]:.2f} CPU)" for (name, form), v in times.items())
            + f"; load {os.getloadavg()[0]:.1f}", flush=True)
    for form in ("json", "text"):
        for name in builds:
            walls, cpus = zip(*times[(name, form)], strict=True)
            print(f"    {name:6s} --{form:4s}: wall {statistics.median(walls):.3f} s ({min(walls):.2f}-"
                  f"{max(walls):.2f}), CPU {statistics.median(cpus):.3f} s ({min(cpus):.2f}-{max(cpus):.2f})")
        if "before" in builds:
            pairs = list(zip(times[("ours", form)], times[("before", form)], strict=True))
            wall_ratio = sorted(b[0] / o[0] for o, b in pairs)
            cpu_ratio = sorted(b[1] / o[1] for o, b in pairs)
            print(f"    before / ours --{form}: wall {statistics.median(wall_ratio):.2f}x "
                  f"({wall_ratio[0]:.2f}-{wall_ratio[-1]:.2f}), CPU {statistics.median(cpu_ratio):.2f}x "
                  f"({cpu_ratio[0]:.2f}-{cpu_ratio[-1]:.2f})")
    print(f"    {'identical output asserted every round; ' if 'before' in builds else ''}load average after: "
          f"{', '.join(f'{x:.1f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
