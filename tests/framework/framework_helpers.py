"""Helpers shared by the register tests (imported by name, as tests/ has no packages)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

SEEDS = Path(__file__).resolve().parents[1] / "data" / "framework" / "seeds"

Editor = Callable[[str, Callable[[list[dict[str, Any]]], None]], None]


def entry(entries: list[dict[str, Any]], entry_id: str) -> dict[str, Any]:
    return next(e for e in entries if e["id"] == entry_id)
