"""Square grids in British National Grid and the point handling shared by the hotspot family.

Grids are held as a raster (origin, cell size, shape) plus the flat indices of the cells kept, so
counting, kernel sums and Gi* neighbour sums are plain array arithmetic; the GeoDataFrame is only
built for the result.
"""

from __future__ import annotations

import hashlib
import logging
import math
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from safer_communities.analysis.coverage import cell_shares
from safer_communities.errors import InputError, NoDataError

log = logging.getLogger("safer_communities.analysis.hotspots")

BNG = "EPSG:27700"
SNAPPED_CAVEAT = (
    "police.uk locations are snapped to anonymous map points (each covering at least eight addresses "
    "or none), so points and hotspots show approximate, not exact, locations."
)
_CACHE_SIZE = 4  # grids and boundaries kept for reuse (a 100 m county grid is a few MB)
_BOX_BUDGET = 150_000  # cell squares kept across grids (about 60 MB; a county at 100 m needs 130 MB alone)
_RASTERS: OrderedDict[tuple[bytes, float], Raster] = OrderedDict()
_BOUNDARIES: OrderedDict[bytes, BaseGeometry] = OrderedDict()
_LOCK = threading.Lock()


def announce(message: str, *, quiet: bool) -> None:
    """Tell the user about an automatic choice (printed to the log unless quiet)."""
    if not quiet:
        log.warning(message)


@dataclass
class Raster:
    """A square grid: lower-left corner ``(x0, y0)``, ``nx`` columns by ``ny`` rows of ``cell`` metres.

    ``cells`` holds the flat indices (``row * nx + col``) of the cells kept (those overlapping the
    boundary with some area), ``inside`` their exact share inside it.
    """

    x0: float
    y0: float
    cell: float
    nx: int
    ny: int
    cells: np.ndarray
    inside: np.ndarray
    boundary: BaseGeometry | None = field(default=None, repr=False)
    _boxes: np.ndarray | None = field(default=None, repr=False, compare=False)

    def centres(self) -> tuple[np.ndarray, np.ndarray]:
        rows, cols = np.divmod(self.cells, self.nx)
        return self.x0 + (cols + 0.5) * self.cell, self.y0 + (rows + 0.5) * self.cell

    def locate(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Flat raster index of each point, -1 where it falls outside the kept cells."""
        col = np.floor((x - self.x0) / self.cell).astype(np.int64)
        row = np.floor((y - self.y0) / self.cell).astype(np.int64)
        ok = (col >= 0) & (col < self.nx) & (row >= 0) & (row < self.ny)
        flat = np.where(ok, row * self.nx + col, -1)
        kept = np.zeros(self.nx * self.ny, dtype=bool)
        kept[self.cells] = True
        flat[ok] = np.where(kept[flat[ok]], flat[ok], -1)
        return flat

    def to_frame(self) -> gpd.GeoDataFrame:
        x, y = self.centres()
        if self._boxes is None:  # built once per (cached) grid: the squares are a third of the cost
            # Other grids keep their squares while all fit the budget, oldest dropped first: a report
            # alternates between its 500 m and 250 m grids, which would otherwise build them each time.
            kept = [r for r in _RASTERS.values() if r is not self and r._boxes is not None]
            total = self.cells.size + sum(r.cells.size for r in kept)
            for other in kept:
                if total <= _BOX_BUDGET:
                    break
                other._boxes, total = None, total - other.cells.size
            half = self.cell / 2
            self._boxes = shapely.box(x - half, y - half, x + half, y + half)
        return gpd.GeoDataFrame(
            {"cell_id": self.cells.astype(np.int64), "x": x, "y": y, "inside": np.array(self.inside)},
            geometry=self._boxes.copy(),
            crs=BNG,
        )


def boundary_geometry(boundary: object) -> BaseGeometry:
    """One shapely geometry in EPSG:27700 from a geometry, GeoSeries or GeoDataFrame.

    The union of many polygons (a county's LSOAs) is cached by content, so mapping several issues
    or periods over the same area dissolves it once.
    """
    if isinstance(boundary, gpd.GeoDataFrame | gpd.GeoSeries):
        parts = np.asarray(boundary.geometry.values)
        crs = boundary.crs.to_wkt() if boundary.crs is not None else ""
        key = hashlib.blake2b(crs.encode() + b"".join(shapely.to_wkb(parts)), digest_size=16).digest()
        cached = _BOUNDARIES.get(key)
        if cached is not None:
            _remember(_BOUNDARIES, key, cached)
            return cached
        if boundary.crs is not None and not boundary.crs.equals(BNG):
            boundary = boundary.to_crs(BNG)
        geometry = shapely.union_all(np.asarray(boundary.geometry.values))
        # A GEOS union is valid by construction: only its area needs checking (is_valid costs 0.2 s).
        geometry = _checked(geometry) if geometry.is_empty or geometry.area <= 0 else geometry
        _remember(_BOUNDARIES, key, geometry)
        return geometry
    return _checked(boundary)


def _checked(geometry: object) -> BaseGeometry:
    """The geometry checked for area and validity (made valid if needed), cached by content."""
    if not isinstance(geometry, BaseGeometry):
        raise InputError(
            "The boundary must be a shapely geometry, GeoSeries or GeoDataFrame in British National Grid.",
            found=type(geometry).__name__,
            hint="Load area boundaries with geopandas and pass them with boundary=...",
        )
    key = _geometry_key(geometry)
    cached = _BOUNDARIES.get(key)
    if cached is not None:
        _remember(_BOUNDARIES, key, cached)
        return cached
    if geometry.is_empty or geometry.area <= 0:
        raise InputError(
            "The boundary has no area.", found=geometry.geom_type, hint="Pass the polygons of the study area."
        )
    checked = shapely.make_valid(geometry) if not geometry.is_valid else geometry
    _remember(_BOUNDARIES, key, checked)
    return checked


def make_grid(boundary: object, *, cell_size_m: float) -> gpd.GeoDataFrame:
    """Square cells in EPSG:27700 covering ``boundary``.

    Cells are aligned to multiples of the cell size (so grids of the same size line up across runs
    and areas) and kept when they overlap the area (a cell touching it only along an edge or at a
    corner is not kept). Geometries are the whole squares, not clipped: ``inside`` gives the exact
    share of each cell inside the boundary (1 for interior cells). ``cell_id`` is the flat index
    ``row * nx + col`` of the aligned raster, stable for the same boundary and cell size; ``x`` and
    ``y`` are the centres.
    """
    return raster_for_boundary(boundary_geometry(boundary), cell_size_m).to_frame()


def raster_for_boundary(geometry: BaseGeometry, cell_size_m: float) -> Raster:
    """The raster of cells overlapping ``geometry`` (see :func:`make_grid`), built once and reused.

    Shares come from the boundary's edges alone (``analysis/coverage.py``), so the cost grows with
    the length of the boundary, not with the number of cells times its complexity. The result is
    cached per (geometry, cell size) and its arrays are read-only.
    """
    cell = _check_cell_size(cell_size_m)
    key = (_geometry_key(geometry), cell)
    raster = _RASTERS.get(key)
    if raster is None:
        minx, miny, maxx, maxy = geometry.bounds
        x0, y0 = math.floor(minx / cell) * cell, math.floor(miny / cell) * cell
        nx, ny = max(1, math.ceil((maxx - x0) / cell)), max(1, math.ceil((maxy - y0) / cell))
        share = cell_shares(geometry, x0, y0, cell, nx, ny)
        cells = np.flatnonzero(share > 0)
        inside = share[cells]
        cells.setflags(write=False)
        inside.setflags(write=False)
        raster = Raster(x0, y0, cell, nx, ny, cells, inside, geometry)
    _remember(_RASTERS, key, raster)
    return raster


def _geometry_key(geometry: BaseGeometry) -> bytes:
    return hashlib.blake2b(shapely.to_wkb(geometry), digest_size=16).digest()


def _remember(cache: OrderedDict, key: object, value: object) -> None:
    """Keep the most recently used few entries (grids of a county are a few MB each)."""
    with _LOCK:  # the web app maps from several threads
        cache[key] = value
        cache.move_to_end(key)
        while len(cache) > _CACHE_SIZE:
            cache.popitem(last=False)


def raster_for_points(x: np.ndarray, y: np.ndarray, cell_size_m: float) -> Raster:
    """A raster covering the points' bounding box, every cell kept (no boundary given)."""
    cell = _check_cell_size(cell_size_m)
    x0, y0 = math.floor(x.min() / cell) * cell, math.floor(y.min() / cell) * cell
    nx = math.floor((x.max() - x0) / cell) + 1
    ny = math.floor((y.max() - y0) / cell) + 1
    cells = np.arange(nx * ny, dtype=np.int64)
    return Raster(x0, y0, cell, nx, ny, cells, np.ones(cells.size))


def auto_cell_size(bounds: Sequence[float]) -> float:
    """sfhotspot's rule: 50 cells along the shorter side, rounded down to 1, 2, 2.5 or 5 x 10^k metres."""
    minx, miny, maxx, maxy = bounds
    raw = max(min(maxx - minx, maxy - miny) / 50, 1.0)
    power = 10 ** math.floor(math.log10(raw))
    nice = max(m for m in (1, 2, 2.5, 5, 10) if m * power <= raw * (1 + 1e-12))
    return float(nice * power)


def _check_cell_size(cell_size_m: float) -> float:
    cell = float(cell_size_m)
    if not math.isfinite(cell) or cell <= 0:
        raise InputError(
            "The cell size must be a positive number of metres.",
            found=repr(cell_size_m),
            hint="Use for example cell_size_m=250.",
        )
    return cell


@dataclass
class Points:
    """Coordinates (EPSG:27700), weights and months of the records to map, after checks and filters."""

    x: np.ndarray
    y: np.ndarray
    w: np.ndarray
    month: np.ndarray | None
    caveats: list[str]


def read_points(
    points: pd.DataFrame, *, weights: str | Sequence[float] | np.ndarray | None, period: object, quiet: bool
) -> Points:
    """Check and extract the records: coordinates, weights and the period filter."""
    caveats = [SNAPPED_CAVEAT]
    if isinstance(points, gpd.GeoDataFrame) and points.geometry.name in points.columns:
        frame = points
        if frame.crs is not None and not frame.crs.equals(BNG):
            frame = frame.to_crs(BNG)
        geom = frame.geometry.values
        empty = shapely.is_missing(geom) | shapely.is_empty(geom)
        x = np.where(empty, np.nan, shapely.get_x(geom))
        y = np.where(empty, np.nan, shapely.get_y(geom))
    elif isinstance(points, pd.DataFrame) and {"easting", "northing"} <= set(points.columns):
        x = pd.to_numeric(points["easting"], errors="coerce").to_numpy(float)
        y = pd.to_numeric(points["northing"], errors="coerce").to_numpy(float)
    else:
        found = (
            sorted(map(str, points.columns)) if isinstance(points, pd.DataFrame) else type(points).__name__
        )
        raise InputError(
            "The records need point geometries or 'easting' and 'northing' columns (EPSG:27700).",
            found=f"columns {found}" if isinstance(found, list) else found,
            hint="Convert longitude/latitude to British National Grid (EPSG:27700) first.",
        )
    w = _weights(points, weights)
    month = _months(points) if "month" in points.columns else None
    keep = np.isfinite(x) & np.isfinite(y)
    if period is not None:
        if month is None:
            raise InputError(
                "A period was given but the records have no 'month' column.",
                found=f"columns {sorted(map(str, points.columns))}",
                hint="Add a 'month' column (first day of the month) or leave period=None.",
            )
        start, end = _period_bounds(period)
        keep &= (month >= start) & (month <= end)
        caveats.append(f"Period {start} to {end} (months inclusive).")
    dropped = int((~(np.isfinite(x) & np.isfinite(y))).sum())
    if dropped:
        announce(f"{dropped:,} records without a location were left out.", quiet=quiet)
        caveats.append(f"{dropped:,} records without a location were left out.")
    if not keep.any():
        raise NoDataError(
            "No located records to map.",
            found=f"{len(points):,} records, none located in the period",
            hint="Check the period and that the records have coordinates.",
        )
    return Points(x[keep], y[keep], w[keep], None if month is None else month[keep], caveats)


def _weights(points: pd.DataFrame, weights: object) -> np.ndarray:
    if weights is None:
        return np.ones(len(points))
    if isinstance(weights, str):
        if weights not in points.columns:
            raise InputError(
                f"The weights column '{weights}' is not in the records.",
                found=f"columns {sorted(map(str, points.columns))}",
                hint="Pass the name of a numeric column, for example harm weights.",
            )
        values = pd.to_numeric(points[weights], errors="coerce").to_numpy(float)
    else:
        values = np.asarray(weights, dtype=float)
    if values.shape != (len(points),) or not np.isfinite(values).all() or (values < 0).any():
        raise InputError(
            "Weights must be one finite, non-negative number per record.",
            found=f"{values.size} values for {len(points)} records",
            hint="Fill missing weights (for example with the category's harm weight) before mapping.",
        )
    return values


def _months(points: pd.DataFrame) -> np.ndarray:
    months = pd.to_datetime(points["month"], errors="coerce")
    return months.to_numpy(dtype="datetime64[ns]").astype("datetime64[M]")


def _period_bounds(period: object) -> tuple[np.datetime64, np.datetime64]:
    if isinstance(period, tuple | list) and len(period) == 2:
        try:
            start, end = (np.datetime64(pd.Timestamp(p).date(), "M") for p in period)
        except (ValueError, TypeError) as exc:
            raise InputError(
                "The period must be a (start, end) pair of dates.", found=repr(period), hint=str(exc)
            ) from exc
        if start <= end:
            return start, end
    raise InputError(
        "The period must be a (start, end) pair of dates with start before end.",
        found=repr(period),
        hint="For example period=(date(2021, 4, 1), date(2022, 3, 1)).",
    )


@dataclass
class Prepared:
    """Records and grid ready for a hotspot method: points inside kept cells, with their cell index."""

    points: Points
    raster: Raster
    index: np.ndarray  # position of each point's cell in raster.cells
    caveats: list[str]


def prepare(
    points: pd.DataFrame,
    *,
    cell_size_m: float | None,
    weights: object,
    period: object,
    quiet: bool,
    boundary: object,
) -> Prepared:
    """Read the records, choose the cell size if needed, build the grid and place the records on it."""
    pts = read_points(points, weights=weights, period=period, quiet=quiet)
    caveats = list(pts.caveats)
    geometry = boundary_geometry(boundary) if boundary is not None else None
    if cell_size_m is None:
        bounds = (
            geometry.bounds if geometry is not None else (pts.x.min(), pts.y.min(), pts.x.max(), pts.y.max())
        )
        cell_size_m = auto_cell_size(bounds)
        announce(f"Cell size set to {cell_size_m:g} m (50 cells along the shorter side).", quiet=quiet)
    if geometry is not None:
        raster = raster_for_boundary(geometry, cell_size_m)
    else:
        raster = raster_for_points(pts.x, pts.y, cell_size_m)
        message = "No boundary given: the grid covers the records' bounding box, not the study area."
        announce(message, quiet=quiet)
        caveats.append(message)
    flat = raster.locate(pts.x, pts.y)
    inside = flat >= 0
    outside = int((~inside).sum())
    if outside:
        message = f"{outside:,} records outside the boundary were left out."
        announce(message, quiet=quiet)
        caveats.append(message)
    if not inside.any():
        raise NoDataError(
            "None of the records lies inside the boundary.",
            found=f"{pts.x.size:,} records; boundary bounds {tuple(round(b) for b in raster.boundary.bounds)}"
            if raster.boundary is not None
            else f"{pts.x.size:,} records",
            hint="Check that both the records and the boundary are in British National Grid (EPSG:27700).",
        )
    position = np.full(raster.nx * raster.ny, -1, dtype=np.int64)
    position[raster.cells] = np.arange(raster.cells.size)
    kept = Points(
        pts.x[inside], pts.y[inside], pts.w[inside], None if pts.month is None else pts.month[inside], caveats
    )
    return Prepared(kept, raster, position[flat[inside]], caveats)


def clear_grid_cache() -> None:
    """Forget the grids and dissolved boundaries kept for reuse (to free memory or time a first call)."""
    with _LOCK:
        _RASTERS.clear()
        _BOUNDARIES.clear()
