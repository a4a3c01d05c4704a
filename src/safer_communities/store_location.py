"""Where the evidence store is, found without building the Settings.

Importing and building ``Settings`` (pydantic-settings, on top of the pydantic that Typer loads
anyway) costs a few hundredths of a CPU-second on every command. The commands that only read the store
ask here instead: ``--db`` if given, else the ``SAFER_DB`` environment variable, else the default, as
``Settings().db`` would resolve it (the Settings class takes its default and prefix from here, and a
test holds the two together).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

ENV_PREFIX = "SAFER_"
DEFAULT_DB = Path("safer.duckdb")


def evidence_store_path(override: Path | None = None, environ: Mapping[str, str] | None = None) -> Path:
    """The evidence store's path: ``override`` (``--db``), else ``SAFER_DB`` (any case, as
    pydantic-settings reads it, the last spelling in the environment winning), else the default."""
    if override is not None:
        return Path(override)
    lowered = {key.lower(): value for key, value in (os.environ if environ is None else environ).items()}
    value = lowered.get(f"{ENV_PREFIX}db".lower())
    return DEFAULT_DB if value is None else Path(value)
