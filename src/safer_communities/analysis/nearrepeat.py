"""Near-repeat analysis: the Knox test with Monte Carlo significance, as Ratcliffe's Near Repeat Calculator.

Every pair of events is placed in a distance band and a time band; the observed count in each cell of
that table is compared with the counts after randomly permuting the dates among the events (which
keeps where events happen and when, but breaks any link between the two).

The band rules are those of the Near Repeat Calculator v1.3, checked against its own outputs for the
Chicago arson and burglary data (observed counts reproduced exactly):

- distance: ``same location`` when the distance is exactly 0; band ``b`` (1..k) when
  ``(b - 1) * S <= d < b * S`` (0 excluded); beyond the last band when ``d >= k * S``;
- time: band ``b`` (0..k-1) when ``b * T <= days < (b + 1) * T``; beyond when ``days >= k * T``. (The
  Calculator labels these bands "0 to T", "T+1 to 2T", ... but counts as here: with T = 1 its
  "0 to 1 days" holds same-day pairs only);
- coordinates are held in single precision (as the Calculator does) unless ``single_precision=False``;
  this moves distances by a few centimetres and can move a pair lying within that of a band edge;
- ``p = (1 + number of simulations with a count >= observed) / (permutations + 1)``;
  expected = mean simulated count.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from safer_communities.errors import InputError

log = logging.getLogger("safer_communities.analysis.nearrepeat")
_CHUNK_ELEMENTS = 20_000_000  # permutations x pairs held in memory at once


def knox_test(
    events: pd.DataFrame,
    *,
    spatial_bands_m: float | Sequence[float],
    temporal_bands_days: int | Sequence[int],
    permutations: int = 99,
    distance: str = "manhattan",
    seed: int | None = None,
    quiet: bool = False,
    single_precision: bool = True,
) -> pd.DataFrame:
    """Knox table of near-repeat pairs with Monte Carlo significance.

    Parameters
    ----------
    events
        One row per event with ``x``, ``y`` (metres, e.g. British National Grid) and ``date``
        (day-level dates). Month-only dates (police.uk) are refused.
    spatial_bands_m, temporal_bands_days
        The upper edges of equal-width bands, e.g. ``[200, 400, 600]`` metres and ``[1, 2, 3]`` days,
        or one band width, which gives three bands (the Calculator's default).
    permutations
        Random permutations of the dates (the Calculator's "iterations").
    distance
        ``"manhattan"`` (the Calculator's default, closer to distance along streets) or ``"euclidean"``.

    Returns
    -------
    DataFrame
        One row per (distance band, time band), including the "beyond" bands, with ``distance_band``,
        ``time_band``, ``calculator_distance`` and ``calculator_time`` (the Calculator's labels),
        ``observed``, ``expected``, ``ratio`` (observed / expected), ``p_value``. ``.attrs`` holds
        ``method``, ``events``, ``pairs``, ``permutations``, ``distance`` and ``caveat``.
    """
    space_width, space_count = _bands(spatial_bands_m, "spatial_bands_m", float)
    time_width, time_count = _bands(temporal_bands_days, "temporal_bands_days", int)
    if distance not in ("manhattan", "euclidean"):
        raise InputError(
            "distance must be 'manhattan' or 'euclidean'.", found=repr(distance), hint="Use 'manhattan'."
        )
    if int(permutations) < 1:
        raise InputError(
            "At least one permutation is needed.", found=repr(permutations), hint="Use 99 or 999."
        )
    permutations = int(permutations)
    x, y, days = _read_events(events)
    if single_precision:
        x, y = x.astype(np.float32).astype(float), y.astype(np.float32).astype(float)
    n = x.size
    near_i, near_j, dband = _near_pairs(x, y, space_width, space_count, distance)
    time_cols = time_count + 1  # bands plus "beyond"
    space_rows = space_count + 2  # same location, bands, beyond
    close_cells = (space_count + 1) * time_cols

    # Time band of every possible signed day difference, looked up rather than computed per pair; the
    # narrowest integer type that holds the days and keys halves or quarters the memory traffic.
    days = days - days.min()
    span = int(days.max())
    small = 2 * span < np.iinfo(np.int16).max and close_cells < 256
    kind = np.int16 if small else np.int32
    limit = np.iinfo(kind).max
    lookup = np.minimum(np.abs(np.arange(-span, span + 1)) // time_width, time_count).astype(kind)
    base = (dband * time_cols).astype(kind)

    def tables(t: np.ndarray) -> np.ndarray:
        """Counts of close pairs per (distance band, time band) for each row of dates ``t``."""
        rows = t.shape[0]
        diff = t[:, near_i]
        diff -= t[:, near_j]
        diff += span
        keys = lookup[diff]
        keys += base[None, :]
        keys += (np.arange(rows, dtype=kind) * close_cells)[:, None]
        return np.bincount(keys.ravel(), minlength=rows * close_cells).reshape(rows, close_cells)

    column_totals = _time_totals(days, time_width, time_count)
    dates = days.astype(kind)
    observed_close = tables(dates[None, :])[0]
    rng = np.random.default_rng(seed)
    sims = np.empty((permutations, close_cells), dtype=np.int64)
    chunk = max(1, min(permutations, _CHUNK_ELEMENTS // max(near_i.size, 1), limit // close_cells - 1))
    for start in range(0, permutations, chunk):
        stop = min(permutations, start + chunk)
        sims[start:stop] = tables(rng.permuted(np.broadcast_to(dates, (stop - start, n)), axis=1))
    observed = _with_beyond(observed_close[None, :], column_totals, space_rows, time_cols)[0]
    simulated = _with_beyond(sims, column_totals, space_rows, time_cols)
    expected = simulated.mean(axis=0)
    p_value = (1 + (simulated >= observed[None, :]).sum(axis=0)) / (permutations + 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(expected > 0, observed / expected, np.nan)
    rows = _labels(space_width, space_count, time_width, time_count)
    out = pd.DataFrame(rows, columns=["distance_band", "time_band", "calculator_distance", "calculator_time"])
    out["observed"] = observed
    out["expected"] = expected
    out["ratio"] = ratio
    out["p_value"] = p_value
    pairs = n * (n - 1) // 2
    out.attrs.update(
        method="Knox test, Monte Carlo permutation of dates (Near Repeat Calculator rules)",
        events=n,
        pairs=pairs,
        permutations=permutations,
        distance=distance,
        caveat=f"p-values from {permutations} permutations: the smallest possible is "
        f"{1 / (permutations + 1):.3g}. Near-repeat patterns need exact dates; "
        "police.uk months cannot be used.",
    )
    if not quiet:
        log.warning("Knox test: %s events, %s pairs, %s permutations.", f"{n:,}", f"{pairs:,}", permutations)
    return out


def _bands(value: float | Sequence[float], name: str, kind: type) -> tuple[float, int]:
    """Band width and number of bands from a width (three bands) or a list of equal upper edges."""
    if isinstance(value, int | float | np.integer | np.floating):
        edges = [kind(value) * k for k in (1, 2, 3)]
    else:
        edges = [kind(v) for v in value]
    if (
        not edges
        or edges[0] <= 0
        or not all(math.isclose(e, edges[0] * (k + 1)) for k, e in enumerate(edges))
    ):
        raise InputError(
            f"{name} must be equal steps starting from the first band's width.",
            found=repr(value),
            hint="For example spatial_bands_m=[200, 400, 600] and temporal_bands_days=[7, 14, 21].",
        )
    return edges[0], len(edges)


def _read_events(events: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    columns = set(map(str, events.columns))
    if "date" not in columns:
        if "month" in columns:
            raise InputError(
                "Near-repeat analysis needs day-level dates; these records have months only.",
                found="a 'month' column and no 'date' column (police.uk data give months only)",
                hint="Use partner data with the date of each event (police, fire or council records).",
            )
        raise InputError(
            "The events need 'x', 'y' and 'date' columns.",
            found=f"columns {sorted(columns)}",
            hint="Coordinates in metres (British National Grid) and the date of each event.",
        )
    missing = {"x", "y"} - columns
    if missing:
        raise InputError(
            "The events need 'x' and 'y' columns (metres).",
            found=f"columns {sorted(columns)}",
            hint="Convert coordinates to British National Grid (EPSG:27700).",
        )
    x = pd.to_numeric(events["x"], errors="coerce").to_numpy(float)
    y = pd.to_numeric(events["y"], errors="coerce").to_numpy(float)
    dates = pd.to_datetime(events["date"], errors="coerce")
    bad = ~np.isfinite(x) | ~np.isfinite(y) | dates.isna().to_numpy()
    if bad.any():
        raise InputError(
            "Some events have no usable location or date.",
            found=f"{int(bad.sum())} of {len(events)} events, first at row {int(np.flatnonzero(bad)[0])}",
            hint="Remove or correct events without coordinates or a valid date.",
        )
    if len(events) < 2:
        raise InputError("At least two events are needed.", found=f"{len(events)} event(s)")
    if (dates.dt.day == 1).all():
        raise InputError(
            "Near-repeat analysis needs day-level dates; every date here is the 1st of a month, which "
            "means month-only dates (as police.uk publishes).",
            found=f"{len(events)} dates, all on the 1st of the month",
            hint="Use partner data with the date of each event (police, fire or council records).",
        )
    days = dates.to_numpy(dtype="datetime64[ns]").astype("datetime64[D]").astype(np.int64)
    return x, y, days


def _near_pairs(
    x: np.ndarray, y: np.ndarray, width: float, count: int, distance: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pairs closer than the outer band edge and their distance band (0 = same location)."""
    reach = width * count
    tree = cKDTree(np.column_stack([x, y]))
    pairs = tree.query_pairs(reach, p=1 if distance == "manhattan" else 2, output_type="ndarray")
    i, j = pairs[:, 0].astype(np.int64), pairs[:, 1].astype(np.int64)
    dx, dy = np.abs(x[i] - x[j]), np.abs(y[i] - y[j])
    d = dx + dy if distance == "manhattan" else np.hypot(dx, dy)
    keep = d < reach
    i, j, d = i[keep], j[keep], d[keep]
    band = np.where(d == 0, 0, np.floor(d / width).astype(np.int64) + 1)
    return i, j, np.minimum(band, count)


def _time_totals(days: np.ndarray, width: int, count: int) -> np.ndarray:
    """Pairs per time band over ALL pairs (unchanged by permuting dates)."""
    t = np.sort(days)
    n = t.size
    below = []
    for k in range(1, count + 1):
        upper = np.searchsorted(t, t + k * width, side="left")  # pairs with 0 <= t_j - t_i < k * width
        below.append(int((upper - np.arange(n) - 1).sum()))
    cumulative = np.array([0, *below, n * (n - 1) // 2], dtype=np.int64)
    return np.diff(cumulative)


def _with_beyond(close: np.ndarray, totals: np.ndarray, rows: int, cols: int) -> np.ndarray:
    """Add the "beyond the last distance band" row: column totals minus the close rows."""
    k = close.shape[0]
    table = close.reshape(k, rows - 1, cols)
    beyond = totals[None, :] - table.sum(axis=1)
    return np.concatenate([table, beyond[:, None, :]], axis=1).reshape(k, rows * cols)


def _labels(space_width: float, space_count: int, time_width: int, time_count: int) -> list[tuple[str, ...]]:
    def metres(v: float) -> str:
        return f"{v:g}"

    space = [("same location", "Same location")]
    for b in range(1, space_count + 1):
        lo, hi = (b - 1) * space_width, b * space_width
        ours = f"more than 0 and under {metres(hi)} m" if b == 1 else f"{metres(lo)} to under {metres(hi)} m"
        calc_lo = 1 if b == 1 else lo + 1
        space.append((ours, f"{metres(calc_lo)} to {metres(hi)}"))
    outer = space_width * space_count
    space.append((f"{metres(outer)} m or more", f"More than {metres(outer)}"))
    time = []
    for b in range(time_count):
        lo, hi = b * time_width, (b + 1) * time_width - 1
        ours = f"{lo} day{'s' if lo != 1 else ''}" if lo == hi else f"{lo} to {hi} days"
        calc = f"0 to {time_width}" if b == 0 else f"{b * time_width + 1} to {(b + 1) * time_width}"
        time.append((ours, calc))
    time.append((f"{time_width * time_count} days or more", f"More than {time_width * time_count}"))
    return [(s, t, cs, ct) for s, cs in space for t, ct in time]
