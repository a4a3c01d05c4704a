"""Shared helpers for the police.uk ingest tests (real slices in tests/data/police-uk)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb

from safer_communities.ingest.common import IngestReport
from safer_communities.ingest.runner import run_ingest

DATA = Path(__file__).resolve().parents[1] / "data" / "police-uk"
JAN = DATA / "archive/2021-01/2021-01-lancashire-street.csv"
FEB = DATA / "archive/2021-02/2021-02-lancashire-street.csv"
OUTCOMES = DATA / "archive/2021-03/2021-03-lancashire-outcomes.csv"


def load(store: Path, *paths: Path, force: str | None = None) -> IngestReport:
    return run_ingest(store, "police-uk", list(paths), force=force)


def query(store: Path, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
    con = duckdb.connect(str(store), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def scalar(store: Path, sql: str, params: list[Any] | None = None) -> Any:
    return query(store, sql, params)[0][0]


def snapshot(store: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Everything the police.uk ingest writes, to compare a store before and after."""
    return {t: query(store, f"SELECT * EXCLUDE (ingest_id) FROM {t} ORDER BY ALL")
            for t in ("crimes", "outcomes")} | {
        "ingests": query(store, "SELECT path, sha256, rows_loaded FROM ingests ORDER BY ALL"),
        "rejects": query(store, "SELECT * FROM rejects ORDER BY ALL"),
    }
