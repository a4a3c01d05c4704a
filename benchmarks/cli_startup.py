"""CLI start-up: CPU-seconds of `safer` commands against bare `python -c "import duckdb"` in the same run.

Prints the median user+system CPU time of each command over several interleaved runs and its ratio to the
baseline (ratios, since the machines are shared and noisy). `--db` points at the demo store if it exists.

    python benchmarks/cli_startup.py [--runs 7] [--db demo/demo.duckdb]
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


def cpu_seconds(command: list[str]) -> float:
    """User + system CPU of one child process (wall time is too noisy on a shared machine)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True,
                   env={**os.environ, "COLUMNS": "200"})
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--db", type=Path, default=Path("demo/demo.duckdb"))
    args = parser.parse_args()
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
    samples: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(args.runs):  # interleaved, so a burst of load hits every command alike
        for name, command in commands.items():
            samples[name].append(cpu_seconds(command))
    baseline = statistics.median(next(iter(samples.values())))
    print(f"CLI start-up, median CPU over {args.runs} interleaved runs (load average "
          f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")
    print(f"{'command':<45} {'CPU s':>7} {'x baseline':>11}")
    for name, values in samples.items():
        median = statistics.median(values)
        print(f"{name:<45} {median:>7.3f} {median / baseline:>11.1f}")


if __name__ == "__main__":
    main()
