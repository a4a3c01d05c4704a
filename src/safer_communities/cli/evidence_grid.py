"""How the evidence commands build a file meant for publication: from the publication grid
(``publish.grid``), refused off the grid, or the true figures marked internal with ``--internal``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from safer_communities.cli.common import settings_from

if TYPE_CHECKING:  # pandas loads in the commands that build frames (not `evidence rates`, `trends`)
    import pandas as pd


def _export_grid(con: Any, ctx: typer.Context, issue: str, level: str, period: str | None,
                 definitions: Path | None) -> pd.DataFrame:
    """Counts for a file meant for publication: from the publication grid (refused off the grid)."""
    from safer_communities.analysis.definitions import resolve
    from safer_communities.publish.grid import protect_issue

    protected = protect_issue(con, issue, settings=settings_from(ctx), definitions=resolve(definitions))
    gp = protected.period(period or "latest-12-months", level)
    from safer_communities.publish.grid import published_rates_frame

    return published_rates_frame(protected, level, gp)


def _grid(con: Any, ctx: typer.Context, issue: Any, level: str, period: str | None,
          definitions: Path | None) -> tuple[Any, Any]:
    """The issue's publication grid and the period on it at ``level`` (refused off the grid)."""
    from safer_communities.analysis.definitions import resolve
    from safer_communities.publish.grid import protect_issue

    protected = protect_issue(con, issue, settings=settings_from(ctx), definitions=resolve(definitions))
    return protected, protected.period(period or "latest-12-months", level)


def _marked(frame: pd.DataFrame, internal: bool) -> pd.DataFrame:
    """True figures: marked internal on every row when --internal asked for them."""
    if not internal:
        return frame
    from safer_communities.publish.grid import mark_internal

    return mark_internal(frame)


def _publishing(csv: str | None, gpkg: Path | None, internal: bool) -> bool:
    """Whether the output is a file meant for publication (then built from the publication grid)."""
    return (csv is not None or gpkg is not None) and not internal


def _protected_series(con: Any, ctx: typer.Context, frame: pd.DataFrame, issue: str, level: str,
                      area: str | None, period: str | None, definitions: Path | None,
                      kind: str) -> pd.DataFrame:
    """A monthly series for a file meant for publication: the grid's cells, or refused."""
    from safer_communities.analysis.definitions import resolve
    from safer_communities.errors import InputError
    from safer_communities.publish.grid import protect_issue

    if kind != "series" or level == "lsoa":
        raise InputError("Only monthly series of the county or a district can be exported for publication.",
                         found=f"--kind {kind}, --area-level {level}",
                         hint="Add --internal for a file for your own analysis (not for publication).")
    protected = protect_issue(con, issue, settings=settings_from(ctx), definitions=resolve(definitions))
    gp = protected.period(period or "latest-12-months", level)
    rows = []
    codes = [area] if area else protected.areas.loc[protected.areas["level"] == level, "area_code"].tolist()
    for code in codes:
        table = protected.series(code, gp)
        for month in table.published.index[:-1]:
            rows.append({"area_code": code, "month": month, "count": table.values["count"].loc[month],
                         "count_published": str(table.published["count"].loc[month])})
    import pandas as pd

    out = pd.DataFrame(rows)
    out.attrs = {**frame.attrs, "caveats": [*frame.attrs.get("caveats", []), *table.notes]}
    return out


COMPARE_FIGURES = ("count", "previous_count", "change", "change_pct", "rate_ratio", "ci_low", "ci_high",
                   "p_value", "direction")


def _protected_compare(con: Any, ctx: typer.Context, frame: pd.DataFrame, issue: str, level: str,
                       definitions: Path | None) -> pd.DataFrame:
    """A comparison for a file meant for publication: both periods must be on the grid; an area whose
    count in either is withheld has every figure of its row withheld (a rate ratio of a withheld count
    would give it back)."""
    from safer_communities.analysis.definitions import resolve
    from safer_communities.analysis.periods import parse_period
    from safer_communities.publish.grid import find_period, protect_issue
    from safer_communities.publish.grid_outputs import cell_published

    protected = protect_issue(con, issue, settings=settings_from(ctx), definitions=resolve(definitions))
    out = frame.copy()
    withheld = []
    for row in frame.itertuples():
        now = find_period(protected.periods, parse_period(str(row.period)), level)
        before = find_period(protected.periods, parse_period(str(row.previous_period)), level)
        counts = [cell_published(protected, str(row.area_code), gp) for gp in (now, before)]
        withheld.append(any(c is None for c in counts))
    import pandas as pd

    hidden = pd.Series(withheld, index=frame.index)
    for column in COMPARE_FIGURES:
        if column in out.columns:
            out[column] = out[column].astype(object).where(~hidden, None)
    out["withheld"] = hidden
    out.attrs = {**frame.attrs, "caveats": [
        *frame.attrs.get("caveats", []),
        "Rows marked withheld: the area's count in one of the two periods is withheld on the publication "
        "grid, so none of its figures is shown."]}
    return out
