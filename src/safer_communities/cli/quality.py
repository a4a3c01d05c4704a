"""`safer quality`: the data-quality report."""

from __future__ import annotations

import typer


def quality(ctx: typer.Context) -> None:
    """Data-quality report of the evidence store."""
    raise NotImplementedError
