"""The Knox near-repeat test on the force extract's exact dates (police.uk months cannot be used).

``analysis.nearrepeat.knox_test`` does the work; this module takes the events from the extract: the
records of a subset (serious violence by offence code, knife, domestic abuse...) with a grid reference,
dated by the day they were committed.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd

from safer_communities.analysis.nearrepeat import knox_test
from safer_communities.analysis.partner_records import feed_period, mark, period_bounds, require_feed
from safer_communities.analysis.partner_when import record_filter
from safer_communities.analysis.periods import Period


def force_events(
    con: duckdb.DuckDBPyConnection,
    *,
    subset: str = "serious-violence",
    period: str | Period | None = None,
    definition: Path | str | None = None,
) -> tuple[pd.DataFrame, int]:
    """(events with x, y and date, records left out for having no grid reference)."""
    info = require_feed(con, "force-crimes")
    p = feed_period(info, period)
    where = record_filter(con, subset, definition)
    frame = con.execute(
        f"""SELECT r.easting AS x, r.northing AS y, r.committed_at::DATE AS date
            FROM partner_force_crimes r WHERE r.committed_at >= ? AND r.committed_at < ? AND {where}
            ORDER BY r.committed_at, r.easting, r.northing""",
        list(period_bounds(p)),
    ).fetch_df()
    located = frame.dropna(subset=["x", "y"])
    return located.reset_index(drop=True), len(frame) - len(located)


def force_knox(
    con: duckdb.DuckDBPyConnection,
    *,
    subset: str = "serious-violence",
    period: str | Period | None = None,
    spatial_bands_m: float | list[float] = 200,
    temporal_bands_days: int | list[int] = 7,
    permutations: int = 99,
    seed: int | None = None,
    definition: Path | str | None = None,
    quiet: bool = True,
) -> pd.DataFrame:
    """Knox table (``analysis.nearrepeat``) for a subset of the force extract, on day-level dates."""
    info = require_feed(con, "force-crimes")
    p = feed_period(info, period)
    events, dropped = force_events(con, subset=subset, period=p, definition=definition)
    frame = knox_test(
        events,
        spatial_bands_m=spatial_bands_m,
        temporal_bands_days=temporal_bands_days,
        permutations=permutations,
        seed=seed,
        quiet=quiet,
    )
    caveats = [
        frame.attrs["caveat"],
        f"{subset} records of the force extract with a grid reference: "
        f"{len(events):,} events" + (f"; {dropped:,} without one left out." if dropped else "."),
    ]
    frame.attrs["caveats"] = caveats
    return mark(frame, [info], period=p, method=frame.attrs["method"] + ", committed dates (days)")
