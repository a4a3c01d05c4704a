"""Hotspot maps on a British National Grid grid: counts, kernel density and Getis-Ord Gi*.

One family with one argument order, as in sfhotspot: the records first, then keyword-only
``cell_size_m, bandwidth_m, weights, period, quiet, boundary``. ``None`` means "choose automatically"
and the choice is announced on the ``safer_communities.analysis.hotspots`` logger unless ``quiet``.
Every result is a GeoDataFrame in EPSG:27700 with ``cell_id``, ``x``, ``y`` (cell centre), ``inside``
(share of the cell inside the boundary) and metadata in ``.attrs``: ``method``, ``cell_size_m``,
``bandwidth_m``, ``caveat`` (always including the police.uk map-point caveat).
"""

from __future__ import annotations

import hashlib
import math
import threading

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp
import shapely

from safer_communities.analysis.classify import hotspot_classify
from safer_communities.analysis.fdr import benjamini_hochberg, bh_adjusted
from safer_communities.analysis.gistar import (
    LABELS,
    classify,
    grid_neighbours,
    local_gistar,
    stand_in_counts,
    stand_in_note,
)
from safer_communities.analysis.grid import SNAPPED_CAVEAT, Prepared, announce, make_grid, prepare
from safer_communities.analysis.kde import auto_bandwidth, quartic_density
from safer_communities.errors import InputError, NoDataError

__all__ = [
    "benjamini_hochberg",
    "bh_adjusted",
    "gistar_on_grid",
    "hotspot_classify",
    "hotspot_count",
    "hotspot_gistar",
    "hotspot_gistar_areas",
    "hotspot_kde",
    "local_gistar",
    "make_grid",
]


def hotspot_count(
    points: pd.DataFrame,
    *,
    cell_size_m: float | None = None,
    bandwidth_m: float | None = None,
    weights: str | np.ndarray | None = None,
    period: tuple[object, object] | None = None,
    quiet: bool = False,
    boundary: object = None,
) -> gpd.GeoDataFrame:
    """Records per grid cell (``count``; ``weighted_count`` too when ``weights`` are given).

    ``bandwidth_m`` is accepted for a uniform signature and unused. Cells with no records are kept
    with 0, so the result covers the whole study area.
    """
    prep = prepare(
        points, cell_size_m=cell_size_m, weights=weights, period=period, quiet=quiet, boundary=boundary
    )
    frame = _base_frame(prep, weights)
    return _finish(frame, prep, method="count", bandwidth_m=None)


def hotspot_kde(
    points: pd.DataFrame,
    *,
    cell_size_m: float | None = None,
    bandwidth_m: float | None = None,
    weights: str | np.ndarray | None = None,
    period: tuple[object, object] | None = None,
    quiet: bool = False,
    boundary: object = None,
) -> gpd.GeoDataFrame:
    """Quartic kernel density at every cell centre (``kde``, weighted records per km^2) plus counts.

    The density is the exact kernel sum over the records (see ``analysis/kde.py``). The automatic
    bandwidth is sfhotspot's rule (mean of ``MASS::bandwidth.nrd`` on x and y), announced.
    """
    prep = prepare(
        points, cell_size_m=cell_size_m, weights=weights, period=period, quiet=quiet, boundary=boundary
    )
    bandwidth = _kde_bandwidth(prep, bandwidth_m, quiet=quiet)
    frame = _base_frame(prep, weights)
    pts = prep.points
    frame["kde"] = quartic_density(pts.x, pts.y, pts.w, prep.raster, bandwidth)
    return _finish(frame, prep, method="kde (quartic kernel)", bandwidth_m=bandwidth)


def hotspot_gistar(
    points: pd.DataFrame,
    *,
    cell_size_m: float | None = None,
    bandwidth_m: float | None = None,
    weights: str | np.ndarray | None = None,
    period: tuple[object, object] | None = None,
    quiet: bool = False,
    boundary: object = None,
    fdr: bool = True,
    alpha: float = 0.05,
    stand_in_below: int | None = None,
) -> gpd.GeoDataFrame:
    """Getis-Ord Gi* hot and cold spots on grid counts.

    Binary weights, the cell itself included, neighbours the cells whose centres lie within
    ``bandwidth_m`` (default: one ring, the eight queen neighbours). Columns: ``gistar_z``,
    ``p_value`` (two-sided, normal), ``p_adjusted`` (Benjamini-Hochberg when ``fdr``, else equal to
    ``p_value``), ``significant`` (``p_adjusted < alpha``), ``class`` (+3/+2/+1 hot at 99/95/90%,
    negative for cold, 0 otherwise, from ``p_adjusted``) and ``label``. With ``stand_in_below`` (for
    publication: ``settings.suppress_below``) counts of 1 to ``stand_in_below - 1`` enter as one stand-in
    (:func:`~safer_communities.analysis.gistar.stand_in_counts`) and the ``count`` column is dropped.
    """
    _refuse_weighted_stand_in(weights, stand_in_below)
    prep = prepare(
        points, cell_size_m=cell_size_m, weights=weights, period=period, quiet=quiet, boundary=boundary
    )
    frame = _base_frame(prep, weights)
    values = (frame["weighted_count"] if weights is not None else frame["count"]).to_numpy(float)
    if stand_in_below is not None:
        values = stand_in_counts(values, stand_in_below)
        frame = frame.drop(columns="count")
        prep.caveats.append(stand_in_note(stand_in_below))
    distance = _neighbour_distance(prep.raster.cell, bandwidth_m, quiet=quiet)
    stats = gistar_on_grid(values, prep, distance, fdr=fdr, alpha=alpha)
    for name, column in stats.items():
        frame[name] = column.to_numpy()
    prep.caveats.append(_fdr_caveat(fdr, alpha))
    return _finish(frame, prep, method="Getis-Ord Gi* (binary weights, self included)", bandwidth_m=distance)


def gistar_on_grid(
    values: np.ndarray, prep: Prepared, distance_m: float, *, fdr: bool, alpha: float
) -> pd.DataFrame:
    """Gi* z, p, adjusted p, significance and class for the kept cells of a prepared grid."""
    if not 0 < alpha < 1:
        raise InputError("alpha must lie strictly between 0 and 1.", found=repr(alpha), hint="Use 0.05.")
    if np.ptp(values) == 0:
        raise NoDataError(
            "Gi* cannot be computed: every cell has the same value.",
            found=f"{values.size:,} cells, all {values[0]:g}",
            hint="Choose a longer period or a larger area.",
        )
    z, p = local_gistar(values, grid_neighbours(prep.raster, distance_m))
    return _gistar_columns(z, p, fdr=fdr, alpha=alpha)


def hotspot_gistar_areas(
    areas_gdf: gpd.GeoDataFrame,
    values_column: str,
    *,
    fdr: bool = True,
    alpha: float = 0.05,
    quiet: bool = False,
) -> gpd.GeoDataFrame:
    """Gi* on area polygons (for example LSOAs) with fuzzy contiguity: areas within
    ``CONTIGUITY_TOLERANCE_M`` of each other are neighbours.

    The published generalised LSOA boundaries were simplified one polygon at a time, so neighbours
    rarely share an exact vertex and vertex queen contiguity finds none (941 islands in Lancashire: each
    LSOA was tested against itself alone). The weights are :func:`~safer_communities.analysis.smoothing.
    lsoa_weights` (libpysal's fuzzy contiguity, polygons grown by two metres), shared with the smoothed
    rates. Returns a copy of ``areas_gdf`` with the same Gi* columns as :func:`hotspot_gistar`; areas
    still without a neighbour are tested against themselves only and announced.
    """
    if values_column not in areas_gdf.columns:
        raise InputError(
            f"The column '{values_column}' is not in the areas.",
            found=f"columns {sorted(map(str, areas_gdf.columns))}",
            hint="Join counts or rates to the area polygons first.",
        )
    values = pd.to_numeric(areas_gdf[values_column], errors="coerce").to_numpy(float)
    if not np.isfinite(values).all():
        raise InputError(
            f"The column '{values_column}' has missing or non-numeric values.",
            found=f"{int((~np.isfinite(values)).sum())} missing of {values.size}",
            hint="Areas with no records should hold 0, not a blank.",
        )
    matrix = area_neighbours(areas_gdf)
    islands = int((np.diff(matrix.indptr) == 0).sum())
    if islands:
        announce(f"{islands} area(s) have no neighbour within {CONTIGUITY_TOLERANCE_M:g} m.", quiet=quiet)
    z, p = local_gistar(values, matrix)
    out = areas_gdf.copy()
    for name, column in _gistar_columns(z, p, fdr=fdr, alpha=alpha).items():
        out[name] = column.to_numpy()
    out.attrs.update(
        method=f"Getis-Ord Gi* (fuzzy contiguity: areas within {CONTIGUITY_TOLERANCE_M:g} m are neighbours; "
               "binary weights, self included)",
        cell_size_m=None,
        bandwidth_m=None,
        caveat=" ".join([SNAPPED_CAVEAT, _fdr_caveat(fdr, alpha)]),
        values_column=values_column,
    )
    return out


CONTIGUITY_TOLERANCE_M = 2.0
_NEIGHBOURS: dict[bytes, sp.csr_matrix] = {}
_NEIGHBOURS_LOCK = threading.Lock()


def area_neighbours(areas_gdf: gpd.GeoDataFrame) -> sp.csr_matrix:
    """Binary fuzzy-contiguity neighbours of the polygons in row order (no diagonal), cached by content:
    the web map asks for the same LSOAs for every issue and period (building them takes seconds)."""
    from safer_communities.analysis.smoothing import lsoa_weights

    key = hashlib.blake2b(b"".join(shapely.to_wkb(np.asarray(areas_gdf.geometry.values))),
                          digest_size=16).digest()
    cached = _NEIGHBOURS.get(key)
    if cached is not None:
        return cached
    frame = gpd.GeoDataFrame(geometry=areas_gdf.geometry.reset_index(drop=True), crs=areas_gdf.crs)
    matrix = sp.csr_matrix(lsoa_weights(frame, tolerance_m=CONTIGUITY_TOLERANCE_M).sparse)
    matrix.setdiag(0)
    matrix.eliminate_zeros()
    matrix.data[:] = 1.0
    with _NEIGHBOURS_LOCK:
        while len(_NEIGHBOURS) >= 8:
            _NEIGHBOURS.pop(next(iter(_NEIGHBOURS)))
        _NEIGHBOURS[key] = matrix
    return matrix


_LABEL_BY_CLASS = np.array([LABELS[k] for k in range(-3, 4)], dtype=object)


def _gistar_columns(z: np.ndarray, p: np.ndarray, *, fdr: bool, alpha: float) -> pd.DataFrame:
    classes, p_used = classify(z, p, fdr=fdr)
    return pd.DataFrame(
        {
            "gistar_z": z,
            "p_value": p,
            "p_adjusted": p_used,
            "significant": np.nan_to_num(p_used, nan=1.0) < alpha,
            "class": classes,
            "label": _LABEL_BY_CLASS[classes + 3],
        }
    )


def _refuse_weighted_stand_in(weights: object, stand_in_below: int | None) -> None:
    """Stand-ins replace small counts; a weighted (harm) value has no count band to protect."""
    if weights is not None and stand_in_below is not None:
        raise InputError("Small-count stand-ins apply to counts, not to weighted values.",
                         found="weights and stand_in_below both given",
                         hint="Leave weights=None for a published Gi*, or stand_in_below=None for your own "
                              "analysis.")


def _fdr_caveat(fdr: bool, alpha: float) -> str:
    if fdr:
        return (
            "p-values adjusted for multiple testing "
            f"(Benjamini-Hochberg false discovery rate, alpha {alpha:g})."
        )
    return "p-values NOT adjusted for multiple testing: expect some hotspots by chance alone."


def _neighbour_distance(cell: float, bandwidth_m: float | None, *, quiet: bool) -> float:
    if bandwidth_m is None:
        distance = cell * math.sqrt(2)
        announce(f"Neighbours set to the cells within one ring (queen, {distance:.0f} m).", quiet=quiet)
        return distance
    distance = float(bandwidth_m)
    if not math.isfinite(distance) or distance < cell:
        raise InputError(
            "The neighbour distance must be at least one cell size.",
            found=f"bandwidth_m={bandwidth_m!r} with cells of {cell:g} m",
            hint="Leave bandwidth_m=None for the eight surrounding cells.",
        )
    return distance


def _kde_bandwidth(prep: Prepared, bandwidth_m: float | None, *, quiet: bool) -> float:
    cell = prep.raster.cell
    if bandwidth_m is None:
        bandwidth = auto_bandwidth(prep.points.x, prep.points.y)
        announce(f"Bandwidth set to {bandwidth:,.0f} m (sfhotspot rule, MASS::bandwidth.nrd).", quiet=quiet)
    else:
        bandwidth = float(bandwidth_m)
    if bandwidth < cell:
        announce(
            f"The bandwidth ({bandwidth:,.0f} m) is smaller than the cell size ({cell:g} m): "
            "some records will not reach any cell centre.",
            quiet=quiet,
        )
    return bandwidth


def _base_frame(prep: Prepared, weights: object) -> gpd.GeoDataFrame:
    frame = prep.raster.to_frame()
    n = prep.raster.cells.size
    frame["count"] = np.bincount(prep.index, minlength=n).astype(np.int64)
    if weights is not None:
        frame["weighted_count"] = np.bincount(prep.index, weights=prep.points.w, minlength=n)
    return frame


def _finish(
    frame: gpd.GeoDataFrame, prep: Prepared, *, method: str, bandwidth_m: float | None
) -> gpd.GeoDataFrame:
    frame.attrs.update(
        method=method,
        cell_size_m=prep.raster.cell,
        bandwidth_m=bandwidth_m,
        caveat=" ".join(dict.fromkeys(prep.caveats)),
        records=int(prep.points.x.size),
    )
    return frame
