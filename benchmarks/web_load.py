"""Web load benchmark (not a test): 50 concurrent clients against the dashboard API on loopback.

Starts ``safer serve`` in a subprocess on a free port, over an existing evidence store (``--db``,
default ``demo/demo.duckdb`` from ``make demo``; the issue's figure uses the store built from the 25
Lancashire months in ../shared/data), with a fresh SQLite application database and an API token.
Each client asks, in a loop, for what the dashboard asks for (rates, trend, map) across issues and
areas. Reports p50/p95/p99 latency, throughput and errors; targets p95 < 100 ms and zero errors.
``--soak`` runs 10 minutes and samples the server's resident memory every 10 s: "flat" means the
last third's mean is within 10% of the first third's (after warm-up).

``--client wrk`` (the default where Debian's ``wrk`` is installed) loads the server with wrk, a C load
generator that costs a small fraction of the server's CPU per request, instead of the Python client,
which spent two to three times the server's CPU and so measured itself. With wrk each group of
endpoints (a trivial one first: ``/api/v1/me``) is loaded in turn for ``--seconds``, and each group's
p95 is printed beside the trivial endpoint's p95 measured in the same run, with the CPU the client and
the server spent.

    .venv/bin/python benchmarks/web_load.py [--db STORE] [--clients 50] [--seconds 60] [--workers 2]
                                            [--client wrk|python]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

WRK = "/usr/bin/wrk"
REPO = Path(__file__).resolve().parents[1]
SAFER = Path(sys.executable).with_name("safer")  # the environment running this script (PYTHONPATH too)
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


def _start(db: Path, app_db: str, port: int, workers: int, src: Path | None = None) -> subprocess.Popen:
    env = {**os.environ, "SAFER_SECRET_KEY": os.urandom(24).hex()}
    if src is not None:  # another checkout's code (the baseline), over the same environment
        env["PYTHONPATH"] = str(src)
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


# The groups wrk loads in turn: the trivial endpoint first (the baseline), then what the dashboard and the
# partnership's pages ask for. Paths with {issue} and {area} are expanded over every issue and area.
TRIVIAL = "trivial: /api/v1/me"
GROUPS: dict[str, list[str]] = {
    TRIVIAL: ["/api/v1/me"],
    "evidence API (rates, trend, map)": [f"/api/v1/evidence/{kind}?issue={{issue}}&area={{area}}"
                                         for kind in KINDS],
    "hotspot GeoJSON": ["/api/v1/evidence/hotspots?issue={issue}&area={area}"],
    "strategy status API": ["/api/v1/strategy/status"],
    "page: dashboard": ["/?issue={issue}&area={area}"],
    "page: issue": ["/issues/{issue}"],
    "page: strategy": ["/strategy"],
    "page: quality": ["/quality"],
    "page: framework": ["/framework"],
    "page: area": ["/areas/{area}"],
}

WRK_SCRIPT = """
local paths = {%s}
local token = "%s"
local i = 0
request = function()
  i = i + 1
  return wrk.format("GET", paths[(i %% #paths) + 1], {["Authorization"] = "Bearer " .. token,
                                                      ["Accept-Encoding"] = "gzip"})
end
done = function(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write
                 + summary.errors.status + summary.errors.timeout
  io.write(string.format("RESULT %%d %%d %%.3f %%.3f %%.3f %%.3f\\n", summary.requests, errors,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000))
end
"""


def _server(args: argparse.Namespace, app_db_path: Path, src: Path | None, *, baseline: bool = False
            ) -> tuple[str, int, str, subprocess.Popen]:
    """A server of the code in ``src`` (None: this checkout) on its own copy of the app database, with a
    viewer's API token: (base URL, pid, token, process)."""
    env = {**os.environ, **({"PYTHONPATH": str(src)} if src is not None else {})}
    template = (args.baseline_app_db_template or args.app_db_template) if baseline else args.app_db_template
    if template.exists():
        shutil.copy(template, app_db_path)
    app_db = f"sqlite:///{app_db_path}"
    subprocess.run([str(SAFER), "--app-db", app_db, "users", "add", "bench", "--role", "viewer",
                    "--no-password"], check=True, capture_output=True, env=env)
    token = subprocess.run([str(SAFER), "--app-db", app_db, "users", "token", "bench"], check=True,
                           capture_output=True, text=True, env=env).stdout.strip()
    port = _free_port()
    proc = _start((args.baseline_db or args.db) if baseline else args.db, app_db, port, args.workers, src)
    return f"http://127.0.0.1:{port}", proc.pid, token, proc


def _cpu_seconds(pids: list[int]) -> float:
    """User + system CPU so far of the server's processes (from /proc: they are not our children)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        total += (int(fields[11]) + int(fields[12])) / ticks
    return total


def _server_pids(pid: int) -> list[int]:
    children = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()
    return [pid, *map(int, children)]


def _wrk_group(base: str, token: str, paths: list[str], clients: int, seconds: float,
               server: list[int], cpu: str | None) -> dict[str, float]:
    """Load ``paths`` (rotating) with wrk: one thread, ``clients`` connections; latency and CPU."""
    lua = WRK_SCRIPT % (", ".join(f'"{path}"' for path in paths), token)
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(lua)
    server_before = _cpu_seconds(server)
    client_before = os.times()
    command = [WRK, "-t1", f"-c{clients}", f"-d{seconds:.0f}s", "--timeout", "30s", "-s", script.name, base]
    if cpu is not None:  # the load generator on its own core
        command = ["taskset", "-c", cpu, *command]
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    client_after = os.times()
    Path(script.name).unlink()
    line = next(line for line in done.stdout.splitlines() if line.startswith("RESULT "))
    requests, errors, p50, p95, p99, worst = (float(v) for v in line.split()[1:])
    client_cpu = ((client_after.children_user - client_before.children_user)
                  + (client_after.children_system - client_before.children_system))
    return {"requests": requests, "errors": errors, "p50": p50, "p95": p95, "p99": p99, "max": worst,
            "client_cpu": client_cpu, "server_cpu": _cpu_seconds(server) - server_before,
            "load": os.getloadavg()[0]}


def _warm(base: str, token: str, paths: list[str], args: argparse.Namespace, server: list[int]) -> None:
    """Fill every worker's caches before the timed run: each path asked ``3 x workers`` times, each on a
    new connection (the kernel hands connections to workers, so a kept-alive one would always reach the
    same worker), then a short untimed wrk run over the same paths, which reaches every worker."""
    async def run() -> None:
        limit = asyncio.Semaphore(2 * args.workers)
        async with httpx.AsyncClient(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=600,
                                     limits=httpx.Limits(max_keepalive_connections=0)) as client:
            async def one(path: str) -> None:
                async with limit:
                    await client.get(path)

            await asyncio.gather(*(one(path) for path in paths for _ in range(3 * args.workers)))

    asyncio.run(run())
    _wrk_group(base, token, paths, args.clients, args.warm_seconds, server, args.client_cpu)


def _row(name: str, r: dict[str, float], trivial_p95: float) -> str:
    if not r["requests"]:
        return f"{name:<42} {0:>8} {r['errors']:>4.0f}  no request finished in the run (load {r['load']:.1f})"
    share = r["client_cpu"] / r["server_cpu"] if r["server_cpu"] else float("nan")
    per_request = 1000 * r["server_cpu"] / r["requests"] if r["requests"] else float("nan")
    return (f"{name:<42} {r['requests']:>8,.0f} {r['errors']:>4.0f} {r['p50']:>7.1f} {r['p95']:>7.1f} "
            f"{r['p99']:>7.1f} {r['p95'] / trivial_p95:>8.1f} {per_request:>9.2f} {share:>8.2f} "
            f"{r['load']:>5.1f}")


Servers = dict[str, tuple[str, int, str, subprocess.Popen]]
"""Label -> (base URL, pid, API token, process)."""


def _run_wrk(servers: Servers, areas: list[str], args: argparse.Namespace) -> bool:
    """Each group against each server in turn (interleaved, so the machine's load falls on both alike)."""
    pids = {label: _server_pids(pid) for label, (_, pid, _, _) in servers.items()}
    print(f"wrk, {args.clients} connections, {args.seconds:.0f} s per group, {args.workers} worker(s), "
          f"store {args.db.name}, {len(areas)} areas, wrk on CPU {args.client_cpu or 'any'}; "
          f"uptime: {subprocess.run(['uptime'], capture_output=True, text=True).stdout.strip()}")
    print(f"{'group':<42} {'requests':>8} {'err':>4} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} "
          f"{'p95/triv':>8} {'srv ms/rq':>9} {'wrk/srv':>8} {'load':>5}")
    trivial: dict[str, float] = {}  # each server's own trivial p95
    results: dict[str, dict[str, dict[str, float]]] = {}
    ok = True
    for name, templates in GROUPS.items():
        paths = sorted({template.format(issue=issue, area=area)
                        for template in templates for issue in ISSUES for area in areas})
        for label, (base, _, token, _) in servers.items():
            _warm(base, token, paths, args, pids[label])
            if args.trivial_seconds and name != TRIVIAL:  # the trivial endpoint again, at this moment's load
                trivial[label] = _wrk_group(base, token, GROUPS[TRIVIAL], args.clients, args.trivial_seconds,
                                            pids[label], args.client_cpu)["p95"]
            r = _wrk_group(base, token, paths, args.clients, args.seconds, pids[label], args.client_cpu)
            trivial.setdefault(label, r["p95"])
            results.setdefault(name, {})[label] = r
            print(_row(f"{name} [{label}]" if len(servers) > 1 else name, r, trivial[label]), flush=True)
            if label == "ours":
                ok = ok and r["p95"] < 100 and r["errors"] == 0
    if len(servers) > 1:
        print("\nours / baseline, same run (below 1 is faster):")
        print(f"{'group':<42} {'p50':>7} {'p95':>7} {'p99':>7} {'srv CPU/rq':>10}")
        def ratio(x: float, y: float) -> str:  # a baseline that finished no request in the run: "-"
            return f"{x / y:.3f}" if x and y else "-"

        for name, pair in results.items():
            a, b = pair["ours"], pair["baseline"]
            cpu = ratio(a["server_cpu"] / a["requests"] if a["requests"] else 0,
                        b["server_cpu"] / b["requests"] if b["requests"] else 0)
            print(f"{name:<42} {ratio(a['p50'], b['p50']):>7} {ratio(a['p95'], b['p95']):>7} "
                  f"{ratio(a['p99'], b['p99']):>7} {cpu:>10}  baseline requests {b['requests']:,.0f}, "
                  f"ours {a['requests']:,.0f}")
    print(f"uptime: {subprocess.run(['uptime'], capture_output=True, text=True).stdout.strip()}")
    print("PASS" if ok else "FAIL", "(targets: every group p95 < 100 ms, zero errors)")
    return ok


def _run_sequential(servers: Servers, areas: list[str], args: argparse.Namespace) -> None:
    """One client, one request at a time: each group's first path asked twice (the caches warm), then
    ``args.sequential`` times in turn on each server; the median, and ours over the baseline."""
    print(f"one client, sequential, median of {args.sequential} after two warm-up requests; "
          f"uptime: {subprocess.run(['uptime'], capture_output=True, text=True).stdout.strip()}")
    print(f"{'group':<42} " + " ".join(f"{label + ' ms':>12}" for label in servers) + "   ours/baseline")
    for name, templates in GROUPS.items():
        path = templates[0].format(issue=ISSUES[0], area=areas[-1])
        medians = {}
        for label, (base, _, token, _) in servers.items():
            with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}",
                                                      "Accept-Encoding": "gzip"}, timeout=600) as client:
                for _ in range(2):
                    client.get(path)
                times = []
                for _ in range(args.sequential):
                    started = time.perf_counter()
                    client.get(path).raise_for_status()
                    times.append(time.perf_counter() - started)
            medians[label] = statistics.median(times) * 1000
        ratio = f"{medians['ours'] / medians['baseline']:.4f}" if "baseline" in medians else ""
        print(f"{name:<42} " + " ".join(f"{m:>12.1f}" for m in medians.values()) + f"   {ratio}", flush=True)


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
    parser.add_argument("--client", choices=["wrk", "python"],
                        default="wrk" if Path(WRK).exists() and "--soak" not in sys.argv else "python",
                        help="Load generator (wrk where installed: apt-get install wrk)")
    parser.add_argument("--client-cpu", default=None,
                        help="Run wrk under 'taskset -c CPU' (its own core; its CPU is reported either way)")
    parser.add_argument("--sequential", type=int, default=0,
                        help="Instead of wrk: N sequential requests per group, one client (latency alone)")
    parser.add_argument("--trivial-seconds", type=float, default=5,
                        help="Before each group, the trivial endpoint for this long: the group's p95 is "
                             "divided by that p95, measured at the same load (0: the first one only)")
    parser.add_argument("--warm-seconds", type=float, default=5,
                        help="Untimed wrk run before each group's timed one (fills every worker's cache)")
    parser.add_argument("--areas", type=int, default=0,
                        help="Only the county and the first N-1 districts (0: every area)")
    parser.add_argument("--baseline-src", type=Path, default=None,
                        help="Also serve the code in this src folder (e.g. main's) and load both in turn")
    parser.add_argument("--baseline-db", type=Path, default=None,
                        help="The baseline's own evidence store (an older build may need its own schema)")
    parser.add_argument("--baseline-app-db-template", type=Path, default=None,
                        help="The baseline's own application database, copied (its own migrations)")
    parser.add_argument("--app-db-template", type=Path, default=REPO / "demo" / "demo-app.sqlite",
                        help="Copied for each server (the demo's: register and example strategy loaded)")
    args = parser.parse_args()
    if not args.db.exists():
        raise SystemExit(f"No evidence store at {args.db}: run 'make demo' or pass --db.")
    seconds = 600.0 if args.soak else args.seconds
    with tempfile.TemporaryDirectory(prefix="safer-bench-") as tmp:
        sources = {"ours": None, **({"baseline": args.baseline_src} if args.baseline_src else {})}
        servers: Servers = {}
        try:
            for label, src in sources.items():
                servers[label] = _server(args, Path(tmp) / f"{label}.sqlite", src,
                                         baseline=label == "baseline")
            base, _, token, proc = servers["ours"]
            areas = [a["code"] for a in httpx.get(f"{base}/api/v1/areas", headers={
                "Authorization": f"Bearer {token}"}, timeout=30).json()["areas"]]
            if args.areas:
                areas = areas[:args.areas]
            if args.sequential:
                _run_sequential(servers, areas, args)
                return
            if args.client == "wrk":
                sys.exit(0 if _run_wrk(servers, areas, args) else 1)
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
            for *_, running in servers.values():
                os.killpg(running.pid, signal.SIGTERM)
                running.wait(timeout=30)
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
