"""Benjamini-Hochberg false discovery rate control for the many tests a hotspot map makes.

A 100 m grid over a county tests hundreds of thousands of cells; at p < 0.05 thousands would be
"significant" by chance alone. Controlling the false discovery rate keeps the expected share of false
hotspots among those flagged at ``alpha``.
"""

from __future__ import annotations

import numpy as np

from safer_communities.errors import InputError


def bh_adjusted(p_values: np.ndarray) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values (q-values): ``min_{k >= i} p_(k) * m / k``, capped at 1.

    NaN p-values (tests that could not be made) stay NaN and do not count in ``m``.
    """
    p = np.asarray(p_values, dtype=float)
    if p.ndim != 1:
        raise InputError("p-values must be a one-dimensional array.", found=f"shape {p.shape}")
    finite = ~np.isnan(p)
    if ((p[finite] < 0) | (p[finite] > 1)).any():
        raise InputError(
            "p-values must lie between 0 and 1.",
            found=f"min {np.nanmin(p)}, max {np.nanmax(p)}",
            hint="Pass p-values, not z-scores.",
        )
    out = np.full(p.shape, np.nan)
    values = p[finite]
    m = values.size
    if m == 0:
        return out
    order = np.argsort(values, kind="stable")
    scaled = values[order] * m / np.arange(1, m + 1)
    adjusted = np.minimum(np.minimum.accumulate(scaled[::-1])[::-1], 1.0)
    result = np.empty(m)
    result[order] = adjusted
    out[finite] = result
    return out


def benjamini_hochberg(p_values: np.ndarray, alpha: float = 0.05) -> np.ndarray:
    """Which tests are discoveries at false discovery rate ``alpha`` (boolean array).

    Equivalent to: sort the m p-values, find the largest k with ``p_(k) <= k * alpha / m`` and reject
    the k smallest. Use :func:`bh_adjusted` for the adjusted p-values themselves.
    """
    if not 0 < alpha < 1:
        raise InputError("alpha must lie strictly between 0 and 1.", found=repr(alpha), hint="Use 0.05.")
    q = bh_adjusted(p_values)
    return np.where(np.isnan(q), False, q <= alpha)
