"""What every command shares: the settings in the Typer context, and printing."""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.console import Console

from safer_communities.store_location import evidence_store_path

if TYPE_CHECKING:
    from safer_communities.config import Settings


def _console(*, stderr: bool) -> Console:
    """Rich draws 80 columns when output is not a terminal (make, logs, pipes): too narrow for our
    tables, so use 120 there unless COLUMNS says otherwise."""
    stream = sys.stderr if stderr else sys.stdout
    interactive = hasattr(stream, "isatty") and stream.isatty()
    # markup=False: values from the data ('Lancs [/b]', '[/x]') are printed as they are, never read as
    # Rich markup (which would hide them or stop the command after its data had committed). Text
    # meant as markup says so with markup=True and escapes every value inside it.
    return Console(stderr=stderr, width=None if interactive or os.environ.get("COLUMNS") else 120,
                   markup=False)


console = _console(stderr=False)
console_err = _console(stderr=True)


@dataclass
class State:
    """Carried in ``ctx.obj``: the root callback's overrides (--db, --app-db), and the settings built
    from them and the environment the first time a command asks (a command that only reads the store
    asks ``store_path_from`` instead, and never pays for pydantic)."""

    overrides: dict[str, Any] = field(default_factory=dict)
    _settings: Settings | None = None

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            from safer_communities.config import Settings

            self._settings = Settings(**self.overrides)
        return self._settings

    def store_path(self) -> Path:
        """``settings.db`` without building the settings when they have not been built yet."""
        if self._settings is not None:
            return self._settings.db
        return evidence_store_path(self.overrides.get("db"))


def settings_from(ctx: typer.Context) -> Settings:
    """The settings built from the root callback's options (or from the environment alone in tests)."""
    obj = ctx.find_root().obj
    if isinstance(obj, State):
        return obj.settings
    from safer_communities.config import Settings

    return Settings()


def store_path_from(ctx: typer.Context) -> Path:
    """The evidence store's path, as ``settings_from(ctx).db`` gives it, without building the settings."""
    obj = ctx.find_root().obj
    return obj.store_path() if isinstance(obj, State) else evidence_store_path(None)


def _default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, Path):
        return str(value)
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def print_json(payload: Any) -> None:
    """One JSON document on stdout, nothing else (so it can be piped)."""
    typer.echo(json.dumps(payload, default=_default, indent=2, ensure_ascii=False))
