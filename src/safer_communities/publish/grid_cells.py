"""Grid-cell hot spots (250 m and 500 m Gi*, persistent and emerging categories) for publication.

Why: a Gi* z-score is a linear function of the counts of the cells around it, so z-scores computed from
the true cell counts let a linear programme solve back to the cells, small ones included (the LSOA
version of this attack recovered 488 of 488 withheld counts). Published cell layers are therefore
computed from *protected* cell counts: a cell with 1 to ``suppress_below - 1`` records enters as one
declared stand-in (2.5), whatever it holds (:func:`~safer_communities.analysis.gistar.stand_in_counts`).
The published z, class and category are then the same for every value a small cell could hold, so they
cannot tell a reader which. On top of that, a published layer:

- holds no cell counts, and the z-score rounded to one decimal without its p-values (an exact p is an
  exact z); emerging categories without the per-period z-scores and trend statistics they come from;
- is for a financial year only (cell counts of overlapping windows, or of a quarter inside a year,
  could be differenced), like the grid's LSOA figures.
"""

from __future__ import annotations

import geopandas as gpd

from safer_communities.analysis.gistar import stand_in_note
from safer_communities.config import Settings

GISTAR_COLUMNS = ("cell_id", "x", "y", "inside", "gistar_z", "significant", "class", "label", "geometry")
CLASSIFY_DROP = ("count",)
EMERGING_COLUMNS = ("cell_id", "x", "y", "inside", "hot_periods", "cold_periods", "category", "geometry")
CELL_PERIODS = ("Grid-cell hot spots are published for financial years (April to March) only: cell counts "
                "of overlapping windows could be differenced into small counts.")


def stand_in_below(settings: Settings) -> int:
    """The threshold the stand-ins use: the grid's own (``suppress_below``), so one rule for every cell."""
    return int(settings.suppress_below)


def published_cells(frame: gpd.GeoDataFrame, method: str, settings: Settings) -> gpd.GeoDataFrame:
    """The columns of a Gi* (``gistar``), history (``classify``) or ``emerging`` grid that are published,
    z rounded to one decimal, with the stand-in note in ``attrs``. ``frame`` must have been computed with
    ``stand_in_below=stand_in_below(settings)`` (checked: it has no ``count`` column)."""
    if "count" in frame.columns or "weighted_count" in frame.columns:
        raise ValueError("published_cells needs a grid computed from stand-in counts (it has cell counts)")
    if method == "gistar":
        keep = [c for c in GISTAR_COLUMNS if c in frame.columns]
    elif method == "emerging":
        keep = [c for c in EMERGING_COLUMNS if c in frame.columns]
    else:
        keep = [c for c in frame.columns if c not in CLASSIFY_DROP]
    out = frame[keep].copy()
    if "gistar_z" in out.columns:
        out["gistar_z"] = out["gistar_z"].round(1)
    note = stand_in_note(stand_in_below(settings))
    out.attrs = {**frame.attrs, "stand_in": note,
                 "caveats": list(dict.fromkeys([*frame.attrs.get("caveats", []), note]))}
    return out
