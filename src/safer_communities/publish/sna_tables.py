"""The district tables every section of an issue reads from, and the cross-table disclosure rules.

An area's count that is withheld in the district table must stay withheld everywhere else in the
report (trend, comparison, outcomes, funnel, map totals), so these helpers are shared.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from safer_communities.analysis import rates
from safer_communities.analysis.definitions import Definition
from safer_communities.analysis.placement import with_unplaced_row
from safer_communities.publish.disclosure import suppress_table
from safer_communities.publish.sna_context import Context

if TYPE_CHECKING:
    from safer_communities.publish.grid import GridPeriod, ProtectedGrid


def district_rates_table(ctx: Context, definition: Definition) -> tuple[pd.DataFrame, object]:
    """Districts and the county in one frame, disclosure-controlled with the county as total."""
    shared = ctx.shared

    def compute() -> tuple[pd.DataFrame, object]:
        on_grid = _from_grid(ctx, definition)
        if on_grid is not None:
            return on_grid
        d = rates.issue_rates(shared.con, definition, area_level="district", period=shared.period,
                              definitions=shared.definitions)
        c = rates.issue_rates(shared.con, definition, area_level="county", period=shared.period,
                              definitions=shared.definitions)
        frame = pd.concat([with_unplaced_row(d, c), c], ignore_index=True)
        # concat keeps attrs only when they agree; keep the districts' and the county's placement notes
        frame.attrs = {**d.attrs,
                       "unlocated_caveat": _placement_caveat(d.attrs),
                       "county_unlocated_caveat": _placement_caveat(c.attrs)}
        table = suppress_table(
            frame, count_columns=["count"], key_column="area_code", total_row=shared.county_code,
            rate_columns={"rate_per_1000": "count", "ci_low": "count", "ci_high": "count"},
            settings=shared.settings, decimals={"rate_per_1000": 1, "ci_low": 1, "ci_high": 1},
        )
        return frame, table

    return shared.memo(("district_rates", definition.issue), compute)


def _placement_caveat(attrs: dict) -> str:
    """The caveat saying how many records could not be placed (see ``analysis.placement``)."""
    hits = [c for c in attrs.get("caveats", []) if "without a location" in c or "no location" in c]
    return " ".join(hits)


def _from_grid(ctx: Context, definition: Definition) -> tuple[pd.DataFrame, object] | None:
    """The district table from the publication grid when the report's period is on it, so every report
    (the county's and each district's with --all-districts) and the web publish one pattern."""
    from safer_communities.publish import grid

    shared = ctx.shared
    protected = issue_grid(ctx, definition)
    if protected is None:
        return None
    try:
        gp = grid.find_period(protected.periods, shared.period, "district")
    except grid.OffGridError:
        return None
    districts = protected.children(shared.county_code, with_unplaced=True)
    return protected.table(districts, gp, with_total=shared.county_code)


def issue_grid(ctx: Context, definition: Definition) -> ProtectedGrid | None:
    """The issue's publication grid (once per run), or None for a source the grid does not cover."""
    from safer_communities.publish import grid

    shared = ctx.shared
    if definition.source != "police_uk_street":
        return None
    return shared.memo(("grid", definition.issue), lambda: grid.protect_issue(
        shared.con, definition, settings=shared.settings, definitions=shared.definitions))


def report_grid_period(ctx: Context, definition: Definition) -> tuple[ProtectedGrid, GridPeriod] | None:
    """The grid and the report's period on it at district level, or None when the period is off the grid
    (the district table is then protected on its own; see ``district_rates_table``)."""
    from safer_communities.publish import grid

    protected = issue_grid(ctx, definition)
    if protected is None:
        return None
    try:
        return protected, grid.find_period(protected.periods, ctx.shared.period, "district")
    except grid.OffGridError:
        return None


def area_count_withheld(ctx: Context, definition: Definition) -> bool:
    """Whether this area's count is withheld in the district table (primary or secondary).

    Then the monthly chart, the comparison and the outcomes would let a reader add it back up, so
    they are withheld too: disclosure control holds across the tables of one report.
    """
    _, table = district_rates_table(ctx, definition)
    mask = table.suppressed.set_index(table.published["area_code"].to_numpy())["count"]
    return bool(mask.loc[ctx.area_code])


def located_count_published(ctx: Context, definition: Definition) -> bool:
    """Whether the area's located records can be stated: its count is published and, for the county
    (which also counts records without a location), so is the row of records it cannot place."""
    from safer_communities.analysis.placement import UNPLACED_CODE

    if area_count_withheld(ctx, definition):
        return False
    _, table = district_rates_table(ctx, definition)
    mask = table.suppressed.set_index(table.published["area_code"].to_numpy())["count"]
    return not (ctx.is_county and UNPLACED_CODE in mask.index and bool(mask.loc[UNPLACED_CODE]))


WITHHELD_ELSEWHERE = ("Withheld: this area's total for the issue is withheld to protect small numbers in "
                      "another area, and these figures would reveal it.")


def published_total(ctx: Context, definition: Definition) -> float | None:
    """The area's count as the report publishes it (None when it is withheld)."""
    if area_count_withheld(ctx, definition):
        return None
    frame, _ = district_rates_table(ctx, definition)
    return float(frame.set_index("area_code").loc[ctx.area_code, "count"])


def withheld_as_missing(ctx: Context, definition: Definition, frame: pd.DataFrame,
                         column: str = "count") -> pd.DataFrame:
    """Counts withheld in the district table become missing here, so no chart draws their rates."""
    _, table = district_rates_table(ctx, definition)
    withheld = set(table.published.loc[table.suppressed["count"].to_numpy(), "area_code"])
    out = frame.copy()
    out[column] = out[column].astype(float).where(~out["area_code"].isin(withheld))
    return out
