"""Fixtures for the register tests: a writable copy of the shipped register, and YAML editing helpers."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from framework_helpers import Editor

from safer_communities.framework.loader import shipped_path


@pytest.fixture
def register_dir(tmp_path: Path) -> Path:
    """A copy of the shipped Lancashire register that a test may break."""
    target = tmp_path / "register"
    shutil.copytree(shipped_path(), target)
    return target


@pytest.fixture
def edit(register_dir: Path) -> Editor:
    """Apply ``change`` to the parsed entries of one kind's file and write it back."""

    def _edit(kind: str, change: Callable[[list[dict[str, Any]]], None]) -> None:
        path = register_dir / f"{kind}.yaml"
        entries = yaml.safe_load(path.read_text(encoding="utf-8"))
        change(entries)
        path.write_text(yaml.safe_dump(entries, sort_keys=False, allow_unicode=True), encoding="utf-8")

    return _edit
