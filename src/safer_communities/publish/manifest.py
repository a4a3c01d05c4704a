"""``manifest.json``: everything needed to reproduce a report exactly, and to check nothing changed.

It records the store's ingests (file, hash, rows), the definition versions, the period, the options,
the software version and the SHA-256 of every output file.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime
from pathlib import Path
from typing import Any

import duckdb

from safer_communities import __version__


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def store_ingests(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """Every row of the store's ``ingests`` table (the provenance of each loaded file)."""
    cursor = con.execute(
        "SELECT ingest_id, command_id, path, sha256, kind, force, month, rows_read, rows_loaded, "
        "rows_rejected, rows_replaced, status, loaded_at, software_version FROM ingests ORDER BY ingest_id"
    )
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Path):
        return str(value)
    if hasattr(value, "item"):
        return value.item()
    return str(value)


def write_manifest(
    out_dir: Path,
    *,
    con: duckdb.DuckDBPyConnection,
    outputs: list[Path],
    period: dict[str, Any],
    definitions: dict[str, Any],
    options: dict[str, Any],
    area: dict[str, Any],
) -> Path:
    """Write ``manifest.json`` in ``out_dir`` listing ``outputs`` (paths inside ``out_dir``) with hashes."""
    files = [
        {"path": p.relative_to(out_dir).as_posix(), "bytes": p.stat().st_size, "sha256": sha256(p)}
        for p in sorted(set(outputs))
        if p.is_file()
    ]
    manifest = {
        "report": "strategic needs assessment",
        "software": {"name": "safer-communities", "version": __version__},
        "generated_at": datetime.now().astimezone().isoformat(timespec="seconds"),
        "area": area,
        "period": period,
        "options": options,
        "definitions": definitions,
        "store": {"ingests": store_ingests(con)},
        "outputs": files,
    }
    path = out_dir / "manifest.json"
    path.write_text(json.dumps(manifest, indent=2, default=_plain, ensure_ascii=False), encoding="utf-8")
    return path
