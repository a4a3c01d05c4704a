"""Bytes on the wire of the web map layers (not a test): JSON as served, and gzipped when asked.

Serves each layer in-process (FastAPI's test client, a viewer's API token on a copy of the demo's app
database) and counts the body as sent, before any decoding. ``--baseline-src`` runs the same in a
subprocess over another checkout's code (e.g. main's) and prints the ratios.

    .venv/bin/python benchmarks/web_bytes.py [--db STORE] [--baseline-src ../main/src]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
LAYERS = {"hot spots, county LSOAs (violence)": "/api/v1/evidence/hotspots?issue=violence",
          "rates map, county districts (violence)": "/api/v1/evidence/map?issue=violence",
          "rates map, Burnley LSOAs (violence)": "/api/v1/evidence/map?issue=violence&area=E07000117"}


def measure(db: Path, app_db_template: Path) -> dict[str, dict[str, int]]:
    """{layer: {"json": bytes, "gzip": bytes or 0 when not compressed}} for the code on sys.path."""
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

    from safer_communities.config import Settings
    from safer_communities.web import accounts
    from safer_communities.web.app import create_app

    with tempfile.TemporaryDirectory() as tmp:
        app_db = Path(tmp) / "app.sqlite"
        shutil.copy(app_db_template, app_db)
        app = create_app(Settings(db=db, app_db_url=f"sqlite:///{app_db}", secret_key="b" * 48))
        accounts.add_user(app.state.engine, "bytes", roles=["viewer"], password=None, by="benchmark")
        token = accounts.create_token(app.state.engine, "bytes", "benchmark")
        client = TestClient(app)
        out = {}
        for name, path in LAYERS.items():
            sizes = {}
            for encoding in ("identity", "gzip"):
                request = client.build_request("GET", path, headers={"Authorization": f"Bearer {token}",
                                                                     "Accept-Encoding": encoding})
                response = client.send(request, stream=True)
                body = b"".join(response.iter_raw())
                response.close()
                packed = response.headers.get("content-encoding") == "gzip"
                sizes[encoding] = len(body) if (encoding == "identity" or packed) else 0
            out[name] = {"json": sizes["identity"], "gzip": sizes["gzip"]}
        return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=REPO / "demo" / "demo.duckdb")
    parser.add_argument("--app-db-template", type=Path, default=REPO / "demo" / "demo-app.sqlite")
    parser.add_argument("--baseline-src", type=Path, default=None)
    parser.add_argument("--json", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    ours = measure(args.db, args.app_db_template)
    if args.json:
        print(json.dumps(ours))
        return
    base = None
    if args.baseline_src:
        env = {**os.environ, "PYTHONPATH": str(args.baseline_src)}
        done = subprocess.run([sys.executable, __file__, "--db", str(args.db), "--app-db-template",
                               str(args.app_db_template), "--json"], env=env, check=True,
                              capture_output=True, text=True)
        base = json.loads(done.stdout.strip().splitlines()[-1])
    print(f"{'layer':<42} {'baseline JSON':>14} {'baseline gzip':>14} {'JSON':>10} {'gzip':>10} "
          f"{'JSON/base':>9} {'gzip/base':>9}")
    for name, sizes in ours.items():
        b = base[name] if base else {"json": 0, "gzip": 0}
        wire_before = b["gzip"] or b["json"]  # what a browser received before
        print(f"{name:<42} {b['json']:>14,} {b['gzip']:>14,} {sizes['json']:>10,} {sizes['gzip']:>10,} "
              f"{sizes['json'] / b['json'] if b['json'] else float('nan'):>9.3f} "
              f"{sizes['gzip'] / wire_before if wire_before else float('nan'):>9.3f}")


if __name__ == "__main__":
    main()
