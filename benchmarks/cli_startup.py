"""CLI start-up: CPU-seconds of `safer` commands against bare `python -c "import duckdb"` in the same run.

Prints the median user+system CPU time of each command over several interleaved runs and its ratio to the
baseline (ratios, since the machines are shared and noisy). `--db` points at the demo store if it exists.

    python benchmarks/cli_startup.py [--runs 7] [--db demo/demo.duckdb] [--before-src ../main/src]
                                     [--before-db ../before/demo/demo.duckdb]

``--before-src`` also runs every `safer` command from another source tree (the build before a change),
interleaved with ours, for a before/after in the same run; ``--before-db`` gives that build its own store
(an older build may not read a newer store's layout).
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
from pathlib import Path

SAFER = [sys.executable, "-c", "from safer_communities.cli import main; main()"]


def cpu_seconds(command: list[str], src: str | None = None) -> float:
    """User + system CPU of one child process (wall time is too noisy on a shared machine)."""
    env = {**os.environ, "COLUMNS": "200"}
    if src:
        env["PYTHONPATH"] = src + os.pathsep + env.get("PYTHONPATH", "")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True, env=env)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def _on_store(command: list[str], db: Path, other: Path | None) -> list[str]:
    """The command with ``--db other`` in place of ``--db db`` (the before build's own store)."""
    if other is None:
        return command
    return [str(other) if part == str(db) else part for part in command]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--db", type=Path, default=Path("demo/demo.duckdb"))
    parser.add_argument("--before-src", default=None, help="Source tree of the build before, run alongside.")
    parser.add_argument("--before-db", type=Path, default=None,
                        help="The before build's own store (default: --db).")
    args = parser.parse_args()
    ours = str(Path(__file__).resolve().parents[1] / "src")
    commands: dict[str, list[str]] = {
        "baseline: python -c 'import duckdb'": [sys.executable, "-c", "import duckdb"],
        "safer --version": [*SAFER, "--version"],
        "safer --help": [*SAFER, "--help"],
    }
    if args.db.exists():
        db = ["--db", str(args.db)]
        commands |= {
            "safer evidence rates (county, 12 months)": [
                *SAFER, *db, "evidence", "rates", "--issue", "violence", "--area-level", "county",
                "--period", "2021-04..2022-03", "--json"],
            "safer evidence trends": [*SAFER, *db, "evidence", "trends", "--issue", "violence", "--json"],
            "safer quality": [*SAFER, *db, "quality", "--json"],
        }
    else:
        print(f"{args.db} not found: run `make demo` for the store commands.", file=sys.stderr)
    trees = {"": ours, **({"before": args.before_src} if args.before_src else {})}
    runs = {(name, tree): _on_store(command, args.db, args.before_db if tree else None)
            for name, command in commands.items()
            for tree in (trees if name.startswith("safer") else {"": None})}
    samples: dict[tuple[str, str], list[float]] = {key: [] for key in runs}
    load = os.getloadavg()[0]
    for _ in range(args.runs):  # interleaved, so a burst of load hits every command alike
        for (name, tree), command in runs.items():
            samples[(name, tree)].append(cpu_seconds(command, trees.get(tree) if tree or name.startswith(
                "safer") else None))
    baseline = statistics.median(next(iter(samples.values())))
    print(f"CLI start-up, median CPU over {args.runs} interleaved runs (load average {load:.1f} before, "
          f"{os.getloadavg()[0]:.1f} after, on {os.cpu_count()} cores)")
    print(f"{'command':<45} {'CPU s':>7} {'x baseline':>11}" + ("   before: CPU s, x baseline" if
                                                                 args.before_src else ""))
    for (name, tree), values in samples.items():
        if tree:
            continue
        median = statistics.median(values)
        line = f"{name:<45} {median:>7.3f} {median / baseline:>11.1f}"
        if (name, "before") in samples:
            was = statistics.median(samples[(name, "before")])
            line += f"   {was:>7.3f} {was / baseline:>8.1f}"
        print(line)


if __name__ == "__main__":
    main()
