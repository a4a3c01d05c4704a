"""Getis-Ord Gi* with binary weights, as sparse algebra, and the neighbours of grid cells.

For binary weights with the cell itself included (Getis and Ord 1992; Ord and Getis 1995):
``z_i = (sum_j w_ij y_j - ybar W_i) / (s * sqrt((n W_i - W_i^2) / (n - 1)))`` where ``W_i`` counts the
neighbours plus the cell itself, ``ybar`` is the mean and ``s`` the population standard deviation of
``y``. This is the statistic esda's ``G_Local(star=True, transform="B")`` and ArcGIS compute.
"""

from __future__ import annotations

import math

import numpy as np
import scipy.sparse as sp

from safer_communities.analysis.fdr import bh_adjusted
from safer_communities.analysis.grid import Raster
from safer_communities.analysis.normal import two_sided_p
from safer_communities.errors import InputError

LEVELS = ((3, 0.01), (2, 0.05), (1, 0.10))
LABELS = {
    3: "hot spot, 99% confidence",
    2: "hot spot, 95% confidence",
    1: "hot spot, 90% confidence",
    0: "not significant",
    -1: "cold spot, 90% confidence",
    -2: "cold spot, 95% confidence",
    -3: "cold spot, 99% confidence",
}


def local_gistar(values: np.ndarray, neighbours: sp.spmatrix | sp.sparray) -> tuple[np.ndarray, np.ndarray]:
    """Gi* z-scores and two-sided normal p-values for every unit.

    Parameters
    ----------
    values
        One value per unit (counts, rates, harm), 1-D.
    neighbours
        Square SciPy sparse 0/1 matrix, ``neighbours[i, j] = 1`` when j is a neighbour of i, WITHOUT
        the diagonal: each unit is added to its own neighbourhood here (the "star").

    Returns
    -------
    z, p
        Analytic z-scores and two-sided p-values ``2 * (1 - Phi(|z|))``. Where the statistic is
        undefined (all values equal, or a unit whose neighbourhood is every unit) both are NaN.
    """
    y = np.asarray(values, dtype=float)
    if y.ndim != 1 or not np.isfinite(y).all():
        raise InputError(
            "Gi* values must be a one-dimensional array of finite numbers.",
            found=f"shape {y.shape}",
            hint="Fill missing values (a cell with no records has 0) before testing.",
        )
    w = sp.csr_array(neighbours)
    n = y.size
    if w.shape != (n, n):
        raise InputError("The neighbours matrix must be n x n for n values.", found=f"{w.shape} for {n}")
    w.sum_duplicates()
    if w.nnz and (w.data != 1).any():
        w.eliminate_zeros()
        if (w.data != 1).any():
            raise InputError(
                "The neighbours matrix must be binary (0/1).",
                found=f"values {np.unique(w.data)[:5]}",
                hint="Gi* here uses binary weights; pass the contiguity or distance-band matrix.",
            )
    if w.diagonal().any():
        raise InputError(
            "The neighbours matrix must not include the diagonal: each unit is added to its own "
            "neighbourhood by Gi*.",
            found=f"{int(np.count_nonzero(w.diagonal()))} units listed as their own neighbour",
            hint="Use matrix.setdiag(0) and matrix.eliminate_zeros().",
        )
    lag = w @ y + y
    weight = np.diff(w.indptr).astype(float) + 1.0  # W_i = S1_i for binary weights
    mean = y.mean()
    sd = math.sqrt(max(float(np.mean(y * y)) - mean * mean, 0.0)) if n else 0.0
    with np.errstate(divide="ignore", invalid="ignore"):
        denominator = sd * np.sqrt((n * weight - weight * weight) / (n - 1)) if n > 1 else np.zeros(n)
        z = np.where(denominator > 0, (lag - mean * weight) / denominator, np.nan)
    p = two_sided_p(z)
    return z, p


def classify(z: np.ndarray, p: np.ndarray, *, fdr: bool) -> tuple[np.ndarray, np.ndarray]:
    """Classes +3/+2/+1/0/-1/-2/-3 (hot/cold at 99/95/90%) from z and p, after FDR if asked.

    With FDR each confidence level is applied to the Benjamini-Hochberg adjusted p-values, the
    approach of ArcGIS's Hot Spot Analysis with FDR correction. Returns ``(classes, p_used)``.
    """
    p_used = bh_adjusted(p) if fdr else np.asarray(p, dtype=float)
    level = np.zeros(p_used.size, dtype=np.int64)
    for value, threshold in reversed(LEVELS):
        level = np.where(p_used < threshold, value, level)
    level = np.where(np.isnan(p_used), 0, level)
    return (np.sign(np.nan_to_num(z)) * level).astype(np.int64), p_used


def grid_neighbours(raster: Raster, distance_m: float) -> sp.csr_array:
    """Binary neighbours between kept cells whose centres lie within ``distance_m`` (no diagonal)."""
    c = raster.cell
    reach = math.floor(distance_m / c + 1e-9)
    position = np.full(raster.nx * raster.ny, -1, dtype=np.int64)
    position[raster.cells] = np.arange(raster.cells.size)
    rows, cols = np.divmod(raster.cells, raster.nx)
    src_parts, dst_parts = [], []
    for j in range(-reach, reach + 1):
        for i in range(-reach, reach + 1):
            if (i == 0 and j == 0) or (i * i + j * j) * c * c > distance_m * distance_m * (1 + 1e-12):
                continue
            r2, c2 = rows + j, cols + i
            ok = (r2 >= 0) & (r2 < raster.ny) & (c2 >= 0) & (c2 < raster.nx)
            target = np.full(rows.size, -1, dtype=np.int64)
            target[ok] = position[r2[ok] * raster.nx + c2[ok]]
            hit = target >= 0
            src_parts.append(np.flatnonzero(hit))
            dst_parts.append(target[hit])
    n = raster.cells.size
    src = np.concatenate(src_parts) if src_parts else np.zeros(0, dtype=np.int64)
    dst = np.concatenate(dst_parts) if dst_parts else np.zeros(0, dtype=np.int64)
    return sp.csr_array((np.ones(src.size), (src, dst)), shape=(n, n))


def stand_in_counts(values: np.ndarray, below: int) -> np.ndarray:
    """Counts with every value from 1 to ``below - 1`` replaced by one stand-in, ``below / 2`` (2.5 for
    ``below=5``): Gi* computed from these is the same whatever a small cell holds, so its z-scores say
    nothing about the small cells beyond "1 to ``below - 1``" (see docs/security.md)."""
    if below < 2:
        raise InputError("The stand-in threshold must be at least 2.", found=repr(below),
                         hint="Use the disclosure threshold, settings.suppress_below (5).")
    y = np.asarray(values, dtype=float)
    small = (y >= 1) & (y <= below - 1)
    return np.where(small, below / 2.0, y)


def stand_in_note(below: int) -> str:
    """The method note of a Gi* computed from stand-in counts."""
    return (f"Computed from protected cell counts: a cell with 1 to {below - 1} records enters as "
            f"{below / 2:g}, whatever it holds, so no z-score, class or category reveals a small cell's "
            "count; cell counts are not published.")
