"""Emerging hot spot analysis: Gi* per period plus a Mann-Kendall trend test on each cell's Gi* z.

The categories are those of ArcGIS Pro's Emerging Hot Spot Analysis, which sfdep's
``emerging_hotspot_analysis`` also uses. With ``T`` periods, a cell is *hot* in a period when its Gi* z
is positive and significant (BH-FDR adjusted p < ``alpha`` within the period), *cold* when negative and
significant; ``H`` and ``C`` count its hot and cold periods; the trend is the Mann-Kendall test of its
z-scores over the periods (significant when p < ``alpha``). The first rule that holds names the cell:

1. ``new hot spot``: hot in the final period and never hot before;
2. ``consecutive hot spot``: one uninterrupted run of at least two hot periods ending in the final
   period, never hot before the run, ``H < 90%`` of periods;
3. ``intensifying hot spot``: ``H >= 90%``, hot in the final period, significant upward trend;
4. ``diminishing hot spot``: ``H >= 90%``, hot in the final period, significant downward trend;
5. ``persistent hot spot``: ``H >= 90%``, hot in the final period, no significant trend;
6. ``historical hot spot``: ``H >= 90%`` but not hot in the final period;
7. ``oscillating hot spot``: hot in the final period, ``H < 90%``, cold in some earlier period;
8. ``sporadic hot spot``: hot in the final period, ``H < 90%``, never cold (on again, off again);

then the same eight rules with hot and cold (and up and down) swapped, then ``no pattern detected``.

Where this differs from sfdep (0.2): sfdep's "new" requires no significant period at all before (hot or
cold) and its "sporadic" does not require the final period to be hot; we follow the ArcGIS wording,
in which a sporadic or oscillating hot spot is one that is hot now. Months or quarters with a gap are
left out of the series (and said so), never counted as zero.
"""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp

from safer_communities.analysis.classify import _assign_periods
from safer_communities.analysis.fdr import bh_adjusted
from safer_communities.analysis.gistar import grid_neighbours, stand_in_counts, stand_in_note
from safer_communities.analysis.grid import announce, prepare
from safer_communities.analysis.normal import two_sided_p
from safer_communities.errors import InputError, NoDataError

KINDS = (
    "new",
    "consecutive",
    "intensifying",
    "diminishing",
    "persistent",
    "historical",
    "oscillating",
    "sporadic",
)
CATEGORIES = (
    *(f"{k} hot spot" for k in KINDS),
    *(f"{k} cold spot" for k in KINDS),
    "no pattern detected",
)


def gistar_periods(values: np.ndarray, neighbours: sp.csr_array) -> tuple[np.ndarray, np.ndarray]:
    """Gi* z and two-sided p for every cell (rows) and period (columns), binary weights with self.

    The same statistic as ``gistar.local_gistar`` for each column, in one sparse product for all
    periods. A period whose values are all equal gives NaN (no test).
    """
    y = np.asarray(values, dtype=float)
    n = y.shape[0]
    lag = neighbours @ y + y
    weight = (np.diff(neighbours.indptr).astype(float) + 1.0)[:, None]
    mean = y.mean(axis=0)
    sd = y.std(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        denominator = sd[None, :] * np.sqrt((n * weight - weight * weight) / (n - 1))
        z = np.where(denominator > 0, (lag - mean[None, :] * weight) / denominator, np.nan)
    return z, two_sided_p(z)


def mann_kendall(series: np.ndarray) -> pd.DataFrame:
    """Mann-Kendall trend test of each row of a (units x periods) array, oldest period first.

    ``S = sum_{i<j} sign(x_j - x_i)``; ``Var(S) = [n(n-1)(2n+5) - sum_g g(g-1)(2g+5)] / 18`` over
    groups ``g`` of tied values; ``Z = (S - sign S) / sqrt(Var S)`` (continuity correction, as in R's
    Kendall package that sfdep calls); two-sided normal p; ``tau = S / (n(n-1)/2)``. Rows with NaN
    give NaN.
    """
    x = np.asarray(series, dtype=float)
    units, n = x.shape
    if n < 3:
        raise InputError(
            "A trend test needs at least three periods.", found=f"{n} period(s)", hint="Use shorter periods."
        )
    s = np.zeros(units)
    for i in range(n - 1):
        s += np.sign(x[:, i + 1 :] - x[:, i : i + 1]).sum(axis=1)
    equal = (x[:, :, None] == x[:, None, :]).sum(axis=2)  # size of each value's tie group
    ties = ((equal - 1) * (2 * equal + 5)).sum(axis=1)
    variance = (n * (n - 1) * (2 * n + 5) - ties) / 18.0
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(variance > 0, (s - np.sign(s)) / np.sqrt(variance), 0.0)
    bad = np.isnan(x).any(axis=1)
    z = np.where(bad, np.nan, z)
    p = np.where(bad, np.nan, two_sided_p(z))
    tau = np.where(bad, np.nan, s / (n * (n - 1) / 2))
    return pd.DataFrame({"trend_s": np.where(bad, np.nan, s), "trend_tau": tau, "trend_z": z, "trend_p": p})


def classify_emerging(
    z: np.ndarray, significant: np.ndarray, trend_z: np.ndarray, trend_p: np.ndarray, *, alpha: float = 0.05
) -> np.ndarray:
    """Category of each row (rules in the module docstring) from (units x periods) z and significance."""
    z = np.nan_to_num(np.asarray(z, dtype=float))
    sig = np.asarray(significant, dtype=bool)
    units, t = z.shape
    out = np.full(units, "no pattern detected", dtype=object)
    done = np.zeros(units, dtype=bool)
    up = (np.nan_to_num(trend_p, nan=1.0) < alpha) & (np.nan_to_num(trend_z) > 0)
    down = (np.nan_to_num(trend_p, nan=1.0) < alpha) & (np.nan_to_num(trend_z) < 0)
    for word, mine, other, rising, falling in (
        ("hot", sig & (z > 0), sig & (z < 0), up, down),
        ("cold", sig & (z < 0), sig & (z > 0), down, up),
    ):
        count = mine.sum(axis=1)
        most = count >= math.ceil(0.9 * t - 1e-9)
        final = mine[:, -1]
        before = mine[:, :-1].any(axis=1)
        # length of the run of `mine` ending in the final period
        run = np.zeros(units, dtype=np.int64)
        alive = np.ones(units, dtype=bool)
        for k in range(t - 1, -1, -1):
            alive &= mine[:, k]
            run += alive
        rules = [
            ("new", final & ~before),
            ("consecutive", final & (run >= 2) & (count == run) & ~most),
            ("intensifying", most & final & rising),
            ("diminishing", most & final & falling),
            ("persistent", most & final & ~rising & ~falling),
            ("historical", most & ~final),
            ("oscillating", final & ~most & other[:, :-1].any(axis=1)),
            ("sporadic", final & ~most & ~other.any(axis=1)),
        ]
        for kind, rule in rules:
            take = rule & ~done
            out[take] = f"{kind} {word} spot"
            done |= take
    return out


def hotspot_emerging(
    points: pd.DataFrame,
    *,
    cell_size_m: float | None = None,
    bandwidth_m: float | None = None,
    weights: str | np.ndarray | None = None,
    period: tuple[object, object] | None = None,
    quiet: bool = False,
    boundary: object = None,
    periods: str = "month",
    alpha: float = 0.05,
    stand_in_below: int | None = None,
) -> gpd.GeoDataFrame:
    """Emerging hot spot categories of grid cells (rules in the module docstring).

    ``periods``: ``"month"`` (default) or ``"quarter"``; partly covered periods are left out. Columns:
    the grid, ``count``, ``hot_periods``, ``cold_periods``, ``z_<period>`` per period, ``trend_tau``,
    ``trend_z``, ``trend_p`` and ``category``. With ``stand_in_below`` (for publication) each period's
    counts of 1 to ``stand_in_below - 1`` enter Gi* as one stand-in, and ``count`` is dropped.
    """
    if stand_in_below is not None and weights is not None:
        raise InputError("Small-count stand-ins apply to counts, not to weighted values.",
                         found="weights and stand_in_below both given", hint="Leave weights=None.")
    if periods not in ("month", "quarter"):
        raise InputError(
            "periods must be 'month' or 'quarter'.", found=repr(periods), hint="Use periods='quarter'."
        )
    if not 0 < alpha < 1:
        raise InputError("alpha must lie strictly between 0 and 1.", found=repr(alpha), hint="Use 0.05.")
    if "month" not in points.columns:
        raise InputError(
            "Emerging hot spots need a 'month' column.",
            found=f"columns {sorted(map(str, points.columns))}",
            hint="Pass records with their month (first day of the month).",
        )
    prep = prepare(
        points, cell_size_m=cell_size_m, weights=weights, period=period, quiet=quiet, boundary=boundary
    )
    labels, names = _assign_periods(prep.points.month, periods, quiet=quiet, caveats=prep.caveats)
    n = prep.raster.cells.size
    counts = np.zeros((n, len(names)))
    ok = labels >= 0
    np.add.at(counts, (prep.index[ok], labels[ok]), prep.points.w[ok])
    present = counts.sum(axis=0) > 0
    if (~present).any():
        gone = [name for name, p in zip(names, present, strict=True) if not p]
        message = f"Periods with no record in the study area were left out as gaps: {', '.join(gone)}."
        announce(message, quiet=quiet)
        prep.caveats.append(message)
        counts, names = counts[:, present], [name for name, p in zip(names, present, strict=True) if p]
    if len(names) < 3:
        raise NoDataError(
            "At least three periods are needed for a trend.",
            found=f"{len(names)} period(s)",
            hint="Use monthly periods or a longer span of data.",
        )
    cell = prep.raster.cell
    distance = cell * math.sqrt(2) if bandwidth_m is None else float(bandwidth_m)
    if distance < cell:
        raise InputError(
            "The neighbour distance must be at least one cell size.", found=f"bandwidth_m={bandwidth_m!r}"
        )
    if stand_in_below is not None:
        counts = stand_in_counts(counts, stand_in_below)
        prep.caveats.append(stand_in_note(stand_in_below))
    z, p = gistar_periods(counts, grid_neighbours(prep.raster, distance))
    significant = np.column_stack(
        [np.nan_to_num(bh_adjusted(p[:, k]), nan=1.0) < alpha for k in range(len(names))]
    )
    trend = mann_kendall(np.nan_to_num(z))
    frame = prep.raster.to_frame()
    if stand_in_below is None:
        frame["count"] = counts.sum(axis=1).astype(np.int64) if weights is None else counts.sum(axis=1)
    frame["hot_periods"] = (significant & (z > 0)).sum(axis=1)
    frame["cold_periods"] = (significant & (z < 0)).sum(axis=1)
    for k, name in enumerate(names):
        frame[f"z_{name}"] = z[:, k]
    for column in ("trend_tau", "trend_z", "trend_p"):
        frame[column] = trend[column].to_numpy()
    frame["category"] = classify_emerging(
        z, significant, trend["trend_z"].to_numpy(), trend["trend_p"].to_numpy(), alpha=alpha
    )
    prep.caveats.append(
        f"Hot or cold in a period: Gi* significant after Benjamini-Hochberg FDR (alpha {alpha:g}); trend: "
        "Mann-Kendall on the Gi* z-scores. Categories as in ArcGIS Pro's Emerging Hot Spot Analysis."
    )
    frame.attrs.update(
        method="emerging hot spots (Gi* per period, Mann-Kendall trend)",
        cell_size_m=cell,
        bandwidth_m=distance,
        periods=names,
        caveat=" ".join(dict.fromkeys(prep.caveats)),
        records=int(prep.points.x.size),
    )
    return frame
