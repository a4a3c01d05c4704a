"""The forecast models and the cell-by-month history they read (see ``analysis.forecast`` for the
models, their sources and how they are scored).

Kept apart from the scoring so each module holds one idea: here, what each model predicts from the
months before an origin; in ``forecast``, how those predictions are scored and chosen.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import scipy.sparse as sp

from safer_communities.analysis.gistar import grid_neighbours
from safer_communities.analysis.grid import Prepared, announce, prepare
from safer_communities.analysis.kde import quartic_density
from safer_communities.errors import InputError, NoDataError

MODELS = ("last-period", "last-12-months", "kde-decay", "poisson-ar")
BASELINES = ("last-period", "last-12-months")
SHARES = (0.01, 0.02, 0.05, 0.10)
HISTORY_MONTHS = 12  # every model looks back at most a year (and the seasonal lag a year)
MIN_ORIGINS = 6  # with fewer months than 12 + 1 + this, the look-back window shrinks (announced)
_LABELS = {
    "last-period": "naive: last month",
    "last-12-months": "naive: last 12 months",
    "kde-decay": "prospective KDE (time decay)",
    "poisson-ar": "Poisson autoregression on lagged counts",
}


def model_label(model: str, horizon_months: int = 1, window: int = HISTORY_MONTHS) -> str:
    """Plain-English name of a model (the naive last period is a quarter for quarterly forecasts)."""
    if model == "last-period" and horizon_months != 1:
        return f"naive: last {horizon_months} months"
    if model == "last-12-months" and window != HISTORY_MONTHS:
        return f"naive: last {window} months"
    return _LABELS[model]


@dataclass
class History:
    """Records per cell and month on one grid: the input of every model and of the scoring.

    ``counts`` is cells x months (oldest first); ``present`` flags months with data (False = gap).
    ``kde`` holds each month's kernel density surface once it is needed (the density is linear in
    the records, so a decayed density is a weighted sum of monthly surfaces).
    """

    prep: Prepared
    months: np.ndarray  # datetime64[M], consecutive
    counts: np.ndarray  # float, cells x months
    present: np.ndarray
    area: np.ndarray  # m2 of each cell inside the boundary
    bandwidth_m: float
    half_life_months: float
    neighbours: sp.csr_array
    order: np.ndarray  # fixed random tie-break rank of each cell
    window: int = HISTORY_MONTHS  # months every model looks back (12, fewer when the data are short)
    _kde: dict[int, np.ndarray] = field(default_factory=dict, repr=False)
    _design: dict[tuple[int, int], tuple[np.ndarray, np.ndarray]] = field(default_factory=dict, repr=False)

    def design(self, s: int, horizon: int) -> tuple[np.ndarray, np.ndarray]:
        """Distinct rows of (features, outcome) for target month ``s`` with their multiplicity.

        Most cells are empty month after month and share one design row; merging equal rows leaves
        the Poisson likelihood unchanged and divides the work by ten on a county grid.
        """
        key = (s, horizon)
        if key not in self._design:
            rows = np.column_stack([_features(self, s, horizon), self.counts[:, s : s + horizon].sum(axis=1)])
            grouped = pd.DataFrame(rows).value_counts(sort=False)
            values = np.array(grouped.index.tolist(), dtype=float).reshape(-1, rows.shape[1])
            self._design[key] = (values, grouped.to_numpy(dtype=float))
        return self._design[key]

    def kde_month(self, k: int) -> np.ndarray:
        surface = self._kde.get(k)
        if surface is None:
            pts, prep = self.prep.points, self.prep
            mine = pts.month == self.months[k]
            if mine.any():
                surface = quartic_density(
                    pts.x[mine], pts.y[mine], pts.w[mine], prep.raster, self.bandwidth_m
                )
            else:
                surface = np.zeros(self.counts.shape[0])
            self._kde[k] = surface
        return surface


def build_history(
    points: pd.DataFrame,
    *,
    cell_size_m: float | None = None,
    bandwidth_m: float | None = None,
    weights: str | np.ndarray | None = None,
    period: tuple[object, object] | None = None,
    quiet: bool = False,
    boundary: object = None,
    half_life_months: float = 2.0,
) -> History:
    """Place the records on the grid and count them per cell and month (one pass over the records)."""
    if "month" not in points.columns:
        raise InputError(
            "Forecasting needs a 'month' column.",
            found=f"columns {sorted(map(str, points.columns))}",
            hint="Pass records with their month (first day of the month).",
        )
    if not (math.isfinite(half_life_months) and half_life_months > 0):
        raise InputError("The half-life must be a positive number of months.", found=repr(half_life_months))
    prep = prepare(
        points, cell_size_m=cell_size_m, weights=weights, period=period, quiet=quiet, boundary=boundary
    )
    month = prep.points.month
    if month is None or np.isnat(month).all():
        raise NoDataError("No record has a month.", hint="Check the 'month' column.")
    first, last = month[~np.isnat(month)].min(), month[~np.isnat(month)].max()
    months = np.arange(first, last + 1, dtype="datetime64[M]")
    k = (month - first).astype(np.int64)
    ok = ~np.isnat(month)
    n, t = prep.raster.cells.size, months.size
    counts = np.bincount(prep.index[ok] * t + k[ok], weights=prep.points.w[ok], minlength=n * t).reshape(n, t)
    present = counts.sum(axis=0) > 0
    if (~present).any():
        gaps = ", ".join(str(m) for m in months[~present])
        message = f"Months with no record in the study area are treated as gaps, not zeros: {gaps}."
        announce(message, quiet=quiet)
        prep.caveats.append(message)
    cell = prep.raster.cell
    if bandwidth_m is None:
        bandwidth_m = 2 * cell
        announce(f"KDE bandwidth set to {bandwidth_m:g} m (two cells).", quiet=quiet)
    order = np.empty(n, dtype=np.int64)
    order[np.random.default_rng(0).permutation(n)] = np.arange(n)
    window = HISTORY_MONTHS
    if t < HISTORY_MONTHS + 1 + MIN_ORIGINS:
        window = max(3, (t - 1) // 2)
        message = (
            f"Only {t} months of data: every model looks back {window} months instead of 12 (the "
            f"'last 12 months' baseline becomes the last {window}), and no seasonal term is used."
        )
        announce(message, quiet=quiet)
        prep.caveats.append(message)
    return History(
        prep=prep,
        months=months,
        counts=counts,
        present=present,
        area=np.asarray(prep.raster.inside) * cell * cell,
        bandwidth_m=float(bandwidth_m),
        half_life_months=float(half_life_months),
        neighbours=grid_neighbours(prep.raster, cell * math.sqrt(2)),
        order=order,
        window=window,
    )


def _window_ok(history: History, origin: int, horizon: int, *, target: bool = True) -> bool:
    start = origin - history.window
    end = origin + horizon if target else origin
    return start >= 0 and end <= history.months.size and bool(history.present[start:end].all())


def _features(history: History, s: int, horizon: int) -> np.ndarray:
    """Design matrix to forecast months ``s .. s + horizon - 1`` from months before ``s``.

    Columns: intercept, log1p of the cell's last month, last three months, last ``window`` months,
    the same months a year earlier (only with a 12-month window) and its neighbours' mean over the
    window.
    """
    c = history.counts
    span = c[:, s - history.window : s].sum(axis=1)
    degree = np.maximum(np.diff(history.neighbours.indptr), 1)
    columns = [
        np.ones(c.shape[0]),
        np.log1p(c[:, s - 1]),
        np.log1p(c[:, max(s - 3, 0) : s].sum(axis=1)),
        np.log1p(span),
    ]
    if history.window >= 12:
        columns.append(np.log1p(c[:, s - 12 : s - 12 + horizon].sum(axis=1)))
    columns.append(np.log1p(history.neighbours @ span / degree))
    return np.column_stack(columns)


def _poisson_ar(history: History, origin: int, horizon: int) -> np.ndarray:
    starts = [s for s in range(history.window, origin - horizon + 1) if _window_ok(history, s, horizon)]
    if not starts:
        raise NoDataError(
            "The Poisson model needs at least one month to learn from before the origin.",
            found=f"origin {history.months[origin]}",
            hint=f"Forecast from an origin with {history.window + horizon} months of data or more before it.",
        )
    parts = [history.design(s, horizon) for s in starts]
    rows = np.vstack([p[0] for p in parts])
    counts = np.concatenate([p[1] for p in parts])
    beta = poisson_fit(rows[:, :-1], rows[:, -1], weights=counts)
    return np.exp(_features(history, origin, horizon) @ beta)


def poisson_fit(
    x: np.ndarray,
    y: np.ndarray,
    *,
    weights: np.ndarray | None = None,
    tol: float = 1e-8,
    max_iter: int = 50,
) -> np.ndarray:
    """Maximum-likelihood coefficients of a log-link Poisson regression, by iteratively reweighted least
    squares (the algorithm of statsmodels' and R's ``glm``; 6 columns make each step a 6 x 6 solve, so
    a county's cells over a year of origins fit in a fraction of a second). ``weights`` are
    frequency weights (the number of times each row occurs). Converged when the deviance changes by
    less than ``tol`` relative to it (R's ``glm.control(epsilon = 1e-8)``).
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    f = np.ones(y.size) if weights is None else np.asarray(weights, dtype=float)
    mu = (y + float(f @ y) / f.sum()) / 2  # the starting values glm uses
    eta = np.log(mu)
    beta = np.zeros(x.shape[1])
    deviance = np.inf
    for _ in range(max_iter):
        z = eta + (y - mu) / mu
        w = f * mu
        xtw = x.T * w
        beta = np.linalg.solve(xtw @ x, xtw @ z)
        eta = x @ beta
        mu = np.exp(eta)
        with np.errstate(divide="ignore", invalid="ignore"):
            term = np.where(y > 0, y * np.log(y / mu), 0.0) - (y - mu)
        new = 2 * float(f @ term)
        if abs(deviance - new) <= tol * (abs(new) + 0.1):
            break
        deviance = new
    return beta


def model_scores(history: History, model: str, origin: int, horizon: int = 1) -> np.ndarray:
    """Each cell's forecast for months ``origin .. origin + horizon - 1`` from months before ``origin``.

    ``origin`` may be ``len(history.months)`` (the months after the data). Higher means more likely.
    """
    c = history.counts
    if model == "last-period":
        return c[:, origin - horizon : origin].sum(axis=1)
    if model == "last-12-months":
        return c[:, origin - history.window : origin].sum(axis=1)
    if model == "kde-decay":
        ages = np.arange(history.window, 0, -1) - 1  # window - 1 .. 0 months before the origin
        decay = 0.5 ** (ages / history.half_life_months)
        return sum(d * history.kde_month(origin - history.window + j) for j, d in enumerate(decay))
    if model == "poisson-ar":
        return _poisson_ar(history, origin, horizon)
    raise InputError(
        "That forecast model is not known.", found=repr(model), hint=f"Use one of: {', '.join(MODELS)}."
    )
