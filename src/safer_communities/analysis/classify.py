"""Hotspots over time: persistent, emerging, former and intermittent cells from Gi* per period.

Gi* is run on the same grid for each period (quarter or year). A cell is "hot" in a period when its
Gi* z-score is positive and significant at ``alpha`` after Benjamini-Hochberg FDR. With P periods,
the first half being the first ``P // 2`` and the second half the rest, the rules (in this order) are:

1. ``not hot``: never hot;
2. ``persistent``: hot in the latest period and in at least three quarters of all periods;
3. ``emerging``: hot in the latest period and in none of the first half;
4. ``former``: hot in the first half only (not in any period of the second half);
5. ``intermittent``: hot sometimes, in any other pattern.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import geopandas as gpd
import numpy as np
import pandas as pd

from safer_communities.analysis.fdr import bh_adjusted
from safer_communities.analysis.gistar import grid_neighbours, local_gistar, stand_in_counts, stand_in_note
from safer_communities.analysis.grid import announce, prepare
from safer_communities.errors import InputError, NoDataError

CATEGORIES = ("persistent", "emerging", "former", "intermittent", "not hot")
_MONTHS_PER = {"month": 1, "quarter": 3, "year": 12}


def hotspot_classify(
    points: pd.DataFrame,
    *,
    cell_size_m: float | None = None,
    bandwidth_m: float | None = None,
    weights: str | np.ndarray | None = None,
    period: tuple[object, object] | None = None,
    quiet: bool = False,
    boundary: object = None,
    periods: str | Sequence[tuple[object, object]] | None = None,
    alpha: float = 0.05,
    stand_in_below: int | None = None,
) -> gpd.GeoDataFrame:
    """Classify grid cells by their Gi* hotspot history (rules in the module docstring).

    ``periods`` is ``"quarter"``, ``"year"``, ``"month"`` or a list of ``(start, end)`` month pairs;
    ``None`` chooses quarters (years when the data span more than five years), announced. Calendar
    periods only partly covered by the data are left out, and said so. ``bandwidth_m`` is the Gi*
    neighbour distance (default one ring of cells). Columns: the grid, ``count``, ``hot_<period>``
    per period, ``periods_hot``, ``hot_latest`` and ``category``. With ``stand_in_below`` each period's
    counts of 1 to ``stand_in_below - 1`` enter Gi* as one stand-in and ``count`` is dropped (for
    publication; :func:`~safer_communities.analysis.gistar.stand_in_counts`).
    """
    if stand_in_below is not None and weights is not None:
        raise InputError("Small-count stand-ins apply to counts, not to weighted values.",
                         found="weights and stand_in_below both given", hint="Leave weights=None.")
    if "month" not in points.columns:
        raise InputError(
            "Classifying hotspots over time needs a 'month' column.",
            found=f"columns {sorted(map(str, points.columns))}",
            hint="Pass records with their month (first day of the month).",
        )
    prep = prepare(
        points, cell_size_m=cell_size_m, weights=weights, period=period, quiet=quiet, boundary=boundary
    )
    month = prep.points.month
    labels, names = _assign_periods(month, periods, quiet=quiet, caveats=prep.caveats)
    if len(names) < 2:
        raise NoDataError(
            "At least two complete periods are needed to classify hotspots over time.",
            found=f"{len(names)} complete period(s): {names}",
            hint="Use shorter periods (periods='quarter') or a longer span of data.",
        )
    cell = prep.raster.cell
    distance = cell * math.sqrt(2) if bandwidth_m is None else float(bandwidth_m)
    if distance < cell:
        raise InputError(
            "The neighbour distance must be at least one cell size.",
            found=f"bandwidth_m={bandwidth_m!r}",
            hint="Leave bandwidth_m=None for the eight surrounding cells.",
        )
    neighbours = grid_neighbours(prep.raster, distance)
    n = prep.raster.cells.size
    hot = np.zeros((len(names), n), dtype=bool)
    for k in range(len(names)):
        mine = labels == k
        values = np.bincount(prep.index[mine], weights=prep.points.w[mine], minlength=n)
        if stand_in_below is not None:
            values = stand_in_counts(values, stand_in_below)
        if np.ptp(values) == 0:
            continue
        z, p = local_gistar(values, neighbours)
        hot[k] = (np.nan_to_num(z) > 0) & (np.nan_to_num(bh_adjusted(p), nan=1.0) < alpha)
    frame = prep.raster.to_frame()
    frame["count"] = np.bincount(prep.index[labels >= 0], minlength=n).astype(np.int64)
    for k, name in enumerate(names):
        frame[f"hot_{name}"] = hot[k]
    frame["periods_hot"] = hot.sum(axis=0)
    frame["hot_latest"] = hot[-1]
    frame["category"] = classify_history(hot)
    if stand_in_below is not None:
        frame = frame.drop(columns="count")
        prep.caveats.append(stand_in_note(stand_in_below))
    frame.attrs.update(
        method="hotspot classification from Getis-Ord Gi* per period (BH FDR)",
        cell_size_m=cell,
        bandwidth_m=distance,
        periods=names,
        caveat=" ".join(dict.fromkeys(prep.caveats)),
    )
    return frame


def classify_history(hot: np.ndarray) -> np.ndarray:
    """Category per column of a (periods x cells) boolean array of hot flags, oldest period first."""
    hot = np.asarray(hot, dtype=bool)
    count = hot.shape[0]
    half = count // 2
    times = hot.sum(axis=0)
    latest = hot[-1]
    early = hot[:half].any(axis=0)
    late = hot[half:].any(axis=0)
    out = np.full(hot.shape[1], "intermittent", dtype=object)
    out[times == 0] = "not hot"
    persistent = latest & (times >= math.ceil(0.75 * count))
    emerging = latest & ~early & ~persistent
    former = (times > 0) & ~late
    out[persistent] = "persistent"
    out[emerging] = "emerging"
    out[former] = "former"
    return out


def _assign_periods(
    month: np.ndarray, periods: object, *, quiet: bool, caveats: list[str]
) -> tuple[np.ndarray, list[str]]:
    """Period number of each record (-1 if in none) and the period names, oldest first."""
    valid = ~np.isnat(month)
    if not valid.any():
        raise NoDataError("No record has a month.", hint="Check the 'month' column.")
    present = np.unique(month[valid])
    if periods is None:
        span_years = (present.max() - present.min()).astype(int) / 12
        periods = "year" if span_years > 5 else "quarter"
        announce(f"Periods set to calendar {periods}s.", quiet=quiet)
    if isinstance(periods, str):
        if periods not in _MONTHS_PER:
            raise InputError(
                "periods must be 'month', 'quarter', 'year' or a list of (start, end) pairs.",
                found=repr(periods),
                hint="For example periods='quarter'.",
            )
        size = _MONTHS_PER[periods]
        index = month.astype("datetime64[M]").astype(np.int64)  # months since 1970-01
        block = np.where(valid, np.floor_divide(index, size), -1)
        blocks = np.unique(np.floor_divide(present.astype(np.int64), size))
        have = np.bincount(np.floor_divide(present.astype(np.int64), size) - blocks.min())
        complete = [b for b in blocks if have[b - blocks.min()] == size]
        dropped = [_name(b, periods) for b in blocks if b not in complete]
        if dropped:
            message = f"Periods only partly covered by the data were left out: {', '.join(dropped)}."
            announce(message, quiet=quiet)
            caveats.append(message)
        mapping = np.full(int(blocks.max() - blocks.min()) + 1, -1, dtype=np.int64)
        mapping[np.asarray(complete, dtype=np.int64) - blocks.min()] = np.arange(len(complete))
        labels = np.where(valid, mapping[np.clip(block - blocks.min(), 0, mapping.size - 1)], -1)
        return labels, [_name(b, periods) for b in complete]
    labels = np.full(month.size, -1, dtype=np.int64)
    names = []
    for k, pair in enumerate(periods):  # type: ignore[arg-type]
        try:
            start, end = (np.datetime64(pd.Timestamp(p).date(), "M") for p in pair)
        except (TypeError, ValueError) as exc:
            raise InputError("Each period must be a (start, end) pair of dates.", found=repr(pair)) from exc
        labels[valid & (month >= start) & (month <= end) & (labels < 0)] = k
        names.append(f"{start}_{end}")
    return labels, names


def _name(block: int, unit: str) -> str:
    size = _MONTHS_PER[unit]
    first = np.datetime64(int(block * size), "M")
    year, month = str(first)[:4], int(str(first)[5:7])
    if unit == "year":
        return year
    if unit == "quarter":
        return f"{year}Q{(month - 1) // 3 + 1}"
    return str(first)
