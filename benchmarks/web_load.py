"""Web load benchmark (not a test): 50 concurrent clients against the dashboard API on loopback.

Starts ``safer serve`` in a subprocess on a free port, over an existing evidence store (``--db``,
default ``demo/demo.duckdb`` from ``make demo``; the issue's figure uses the store built from the 25
Lancashire months in ../shared/data), with a fresh SQLite application database and an API token.
Each client asks, in a loop, for what the dashboard asks for (rates, trend, map) across issues and
areas. Reports p50/p95/p99 latency, throughput and errors; targets p95 < 100 ms and zero errors.
``--soak`` runs 10 minutes and samples the server's resident memory every 10 s: "flat" means the
last third's mean is within 10% of the first third's (after warm-up).

    .venv/bin/python benchmarks/web_load.py [--db STORE] [--clients 50] [--seconds 60] [--workers 2]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
SAFER = REPO / ".venv" / "bin" / "safer"
ISSUES = ["violence", "asb", "serious-violence", "serious-organised-crime"]
KINDS = ["rates", "trend", "map"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _rss_kb(pid: int) -> int:
    """Resident memory of the server and its worker processes."""
    total = 0
    pids = [pid] + [int(p) for p in subprocess.run(["pgrep", "-P", str(pid)], capture_output=True,
                                                    text=True).stdout.split()]
    for p in pids:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except FileNotFoundError:
            continue
    return total


def _start(db: Path, app_db: str, port: int, workers: int) -> subprocess.Popen:
    env = {**os.environ, "SAFER_SECRET_KEY": os.urandom(24).hex()}
    proc = subprocess.Popen([str(SAFER), "--db", str(db), "--app-db", app_db, "serve", "--port", str(port),
                             "--workers", str(workers)], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/v1/openapi.json", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.kill()
    detail = proc.stderr.read().decode()[-2000:] if proc.stderr else ""
    raise SystemExit(f"The server did not start: {detail}")


async def _client(base: str, token: str, areas: list[str], stop: float, latencies: list[float],
                  errors: list[str], seed: int) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=30) as client:
        i = seed
        while time.monotonic() < stop:
            issue, area, kind = ISSUES[i % len(ISSUES)], areas[(i // 4) % len(areas)], KINDS[i % 3]
            i += 1
            started = time.perf_counter()
            try:
                response = await client.get(f"/api/v1/evidence/{kind}", params={"issue": issue, "area": area})
                if response.status_code != 200:
                    errors.append(f"{response.status_code} {kind} {issue} {area}")
            except httpx.HTTPError as exc:
                errors.append(f"{type(exc).__name__} {kind} {issue} {area}")
            latencies.append(time.perf_counter() - started)


async def _load(base: str, token: str, areas: list[str], clients: int, seconds: float) -> tuple[list, list]:
    latencies: list[float] = []
    errors: list[str] = []
    stop = time.monotonic() + seconds
    await asyncio.gather(*(_client(base, token, areas, stop, latencies, errors, k) for k in range(clients)))
    return latencies, errors


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=REPO / "demo" / "demo.duckdb")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--workers", type=int, default=1,
                        help="Server workers (1 leaves a core to the client on a 2-core machine)")
    parser.add_argument("--soak", action="store_true", help="10 minutes, with memory sampled every 10 s")
    args = parser.parse_args()
    if not args.db.exists():
        raise SystemExit(f"No evidence store at {args.db}: run 'make demo' or pass --db.")
    seconds = 600.0 if args.soak else args.seconds
    with tempfile.TemporaryDirectory(prefix="safer-bench-") as tmp:
        app_db = f"sqlite:///{Path(tmp) / 'app.sqlite'}"
        subprocess.run([str(SAFER), "--app-db", app_db, "users", "add", "bench", "--role", "viewer",
                        "--no-password"], check=True, capture_output=True)
        token = subprocess.run([str(SAFER), "--app-db", app_db, "users", "token", "bench"], check=True,
                               capture_output=True, text=True).stdout.strip()
        port = _free_port()
        proc = _start(args.db, app_db, port, args.workers)
        base = f"http://127.0.0.1:{port}"
        try:
            areas = [a["code"] for a in httpx.get(f"{base}/api/v1/areas", headers={
                "Authorization": f"Bearer {token}"}, timeout=30).json()["areas"]]
            warm_started = time.perf_counter()
            for kind in KINDS:  # every combination once per worker-ish, so the caches are filled
                for issue in ISSUES:
                    for area in areas:
                        for _ in range(args.workers):
                            httpx.get(f"{base}/api/v1/evidence/{kind}", params={"issue": issue, "area": area},
                                      headers={"Authorization": f"Bearer {token}"}, timeout=120)
            print(f"Warm-up (every issue x area x kind, {args.workers} worker(s)): "
                  f"{time.perf_counter() - warm_started:.1f} s")
            samples: list[int] = []
            if args.soak:
                async def sampled() -> tuple[list, list]:
                    task = asyncio.create_task(_load(base, token, areas, args.clients, seconds))
                    while not task.done():
                        samples.append(_rss_kb(proc.pid))
                        await asyncio.sleep(10)
                    return await task

                latencies, errors = asyncio.run(sampled())
            else:
                latencies, errors = asyncio.run(_load(base, token, areas, args.clients, seconds))
        finally:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=30)
    n = len(latencies)
    p95 = _pct(latencies, 0.95)
    print(f"{args.clients} clients, {seconds:.0f} s, {args.workers} worker(s), store {args.db.name}")
    print(f"requests {n:,}  throughput {n / seconds:,.0f}/s  errors {len(errors)}")
    print(f"latency ms: p50 {_pct(latencies, 0.5):.1f}  p95 {p95:.1f}  p99 {_pct(latencies, 0.99):.1f}  "
          f"max {max(latencies) * 1000:.1f}  mean {statistics.fmean(latencies) * 1000:.1f}")
    if errors:
        print("first errors:", errors[:5])
    ok = p95 < 100 and not errors
    if samples:
        third = max(1, len(samples) // 3)
        first, last = statistics.fmean(samples[1:third + 1] or samples), statistics.fmean(samples[-third:])
        flat = last <= first * 1.10
        print(f"memory (RSS, MB): first third {first / 1024:.0f}, last third {last / 1024:.0f}, "
              f"samples {[round(s / 1024) for s in samples]} -> {'flat' if flat else 'GROWING'}")
        ok = ok and flat
    targets = "p95 < 100 ms, zero errors" + (", memory flat" if samples else "")
    print("PASS" if ok else "FAIL", f"(targets: {targets})")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
