"""Where an issue is likely next month (or quarter): grid forecasts scored honestly by rolling origin.

Four models rank the cells of the hot-spot grid (``analysis/grid.py``) for the months ahead:

``last-period``
    naive: the records of the latest month (the latest three months for a quarterly forecast);
``last-12-months``
    naive: the records of the latest twelve months;
``kde-decay``
    prospective hot-spotting (Bowers, Johnson and Pease 2004): a quartic kernel density of the latest
    twelve months with each month's records weighted ``0.5 ** (age / half_life)``;
``poisson-ar``
    a Poisson regression of each cell's next count on the logs of its own lagged counts (last month,
    last three, last twelve, the same months a year earlier) and of its neighbours' last twelve months.
    It is the discrete-time form of the self-exciting models of crime (Mohler et al. 2011): police.uk
    dates are months only, so the excitation can only act from month to month; the autoregressive
    count regression is the standard short-term crime forecast on grids (Gorr, Olligschlaeger and
    Thompson 2003). Fitted by maximum likelihood (statsmodels GLM) on the months before each origin.

Scoring (``evaluate``): for every origin month ``t`` the models see only months before ``t`` and
forecast ``t .. t + horizon - 1``; the top cells covering 1%, 2%, 5% and 10% of the study area are
flagged and scored against what happened there (never against months a model saw):

- hit rate ``n / N`` (records in the flagged cells over all records);
- PAI ``(n / N) / (a / A)`` (Chainey, Tompson and Uhlig 2008), ``a`` the flagged area within the boundary;
- PEI ``n / n*`` (Hunt 2016), ``n*`` the most records the same number of cells could have held;
- PEI* ``PAI / PAI*`` (the NIJ Real-Time Crime Forecasting Challenge, 2017; White, Hunt and Green
  2023), ``PAI* = (n* / N) / (a* / A)`` with ``a*`` the area of those best cells that had a record:
  unlike PEI it does not reward a map for flagging empty cells when fewer cells than the area allows
  held records.

Ties in a model's ranking (common for the naive counts) are broken by one fixed random order of the
cells (seed 0), the same for every model and origin, so no model gains from the order of the grid.
A month with no record in the whole study area is treated as missing (a gap, never a zero): origins
whose window touches it are left out, and said so. With fewer than 19 months of data (a year of
look-back, a month to learn from and six origins) every model looks back half the months instead of
a year, announced, so that a store holding one year can still be scored honestly on a few origins.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import geopandas as gpd
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


def ranking(scores: np.ndarray, order: np.ndarray, top: int | None = None) -> np.ndarray:
    """Cell positions, best first; ties broken by the fixed random ``order``.

    With ``top``, only the first ``top`` positions are returned (found by partition, then sorted).
    """
    values = -np.asarray(scores, dtype=float)
    if top is None or top >= values.size:
        return np.lexsort((order, values))
    threshold = np.partition(values, top - 1)[top - 1]
    candidates = np.flatnonzero(values <= threshold)
    return candidates[np.lexsort((order[candidates], values[candidates]))][:top]


def cells_for_share(history: History, share: float) -> int:
    """Number of whole cells making ``share`` of the study area (at least one)."""
    return max(1, math.floor(share * history.area.sum() / history.prep.raster.cell**2 + 1e-9))


def score_selection(
    ranked: np.ndarray, actual: np.ndarray, area: np.ndarray, k: int, best: np.ndarray | None = None
) -> dict[str, float]:
    """Hit rate, PAI, PEI and PEI* of flagging the first ``k`` cells of ``ranked`` (see module docstring).

    ``best`` (optional, for speed) is the cells ordered by ``actual`` descending, smaller cell first.
    """
    actual = np.asarray(actual, dtype=float)
    area = np.asarray(area, dtype=float)
    total, total_area = actual.sum(), area.sum()
    chosen = ranked[:k]
    n, a = actual[chosen].sum(), area[chosen].sum()
    if best is None:
        best = np.lexsort((area, -actual))
    best = best[:k]  # the k cells with most records (the smaller cell first on ties)
    n_star = actual[best].sum()
    a_star = area[best][actual[best] > 0].sum()
    if total <= 0:
        nan = float("nan")
        return {
            "n": 0.0,
            "N": 0.0,
            "area_share": a / total_area,
            "hit_rate": nan,
            "pai": nan,
            "pei": nan,
            "pei_star": nan,
        }
    hit = n / total
    pai = hit / (a / total_area)
    pai_star = (n_star / total) / (a_star / total_area)
    return {
        "n": float(n),
        "N": float(total),
        "area_share": float(a / total_area),
        "hit_rate": float(hit),
        "pai": float(pai),
        "pei": float(n / n_star),
        "pei_star": float(pai / pai_star),
    }


def evaluate(
    history: History,
    *,
    models: tuple[str, ...] = MODELS,
    shares: tuple[float, ...] = SHARES,
    horizon_months: int = 1,
    quiet: bool = False,
) -> pd.DataFrame:
    """Rolling-origin scores: one row per origin, model and area share (columns in the module docstring).

    Origins run from the first month with a full look-back window and a month to learn from to the last
    month whose horizon is observed; every model is scored on the same origins.
    """
    h = _check_horizon(horizon_months)
    for share in shares:
        if not 0 < share < 1:
            raise InputError(
                "Area shares must lie strictly between 0 and 1.", found=repr(share), hint="Use 0.01 .. 0.10."
            )
    first = history.window + h
    origins = [t for t in range(first, history.months.size - h + 1) if _window_ok(history, t, h)]
    skipped = [t for t in range(first, history.months.size - h + 1) if not _window_ok(history, t, h)]
    if skipped:
        announce(f"{len(skipped)} origin(s) left out because their months include a gap.", quiet=quiet)
    if not origins:
        raise NoDataError(
            "Too few months to score a forecast.",
            found=f"{history.months.size} month(s) ({history.months[0]} to {history.months[-1]})",
            hint=f"Scoring needs at least {history.window + 2 * h} consecutive months of data.",
        )
    ks = {share: cells_for_share(history, share) for share in shares}
    top = max(ks.values())
    rows = []
    for t in origins:
        actual = history.counts[:, t : t + h].sum(axis=1)
        best = ranking(actual, np.argsort(np.argsort(history.area, kind="stable")), top)
        for model in models:
            ranked = ranking(model_scores(history, model, t, h), history.order, top)
            for share in shares:
                row = score_selection(ranked, actual, history.area, ks[share], best)
                rows.append(
                    {
                        "origin": str(history.months[t]),
                        "model": model,
                        "share": share,
                        "cells": ks[share],
                        **row,
                    }
                )
    out = pd.DataFrame(rows)
    out.attrs.update(horizon_months=h, origins=len(origins), window_months=history.window)
    return out


def summarise(scores: pd.DataFrame) -> pd.DataFrame:
    """Mean, spread (sd, min, max) over origins, and how often each model beat each naive baseline.

    ``beats_<baseline>`` is the share of origins where the model's hit rate was strictly higher than
    the baseline's at the same area share (equal counts as not beating it).
    """
    keys = ["model", "share"]
    stats = scores.groupby(keys, sort=False).agg(
        origins=("hit_rate", "size"),
        hit_rate=("hit_rate", "mean"),
        hit_rate_sd=("hit_rate", "std"),
        hit_rate_min=("hit_rate", "min"),
        hit_rate_max=("hit_rate", "max"),
        pai=("pai", "mean"),
        pai_sd=("pai", "std"),
        pei=("pei", "mean"),
        pei_sd=("pei", "std"),
        pei_star=("pei_star", "mean"),
        pei_star_sd=("pei_star", "std"),
    )
    wide = scores.pivot_table(index=["origin", "share"], columns="model", values="hit_rate")
    for baseline in BASELINES:
        if baseline not in wide.columns:
            continue
        beats = wide.gt(wide[baseline], axis=0).groupby(level="share").mean()
        stats[f"beats_{baseline.replace('-', '_')}"] = [
            float(beats.loc[share, model]) for model, share in stats.index
        ]
    out = stats.reset_index()
    out.attrs.update(scores.attrs)
    return out


def hotspot_forecast(
    points: pd.DataFrame,
    *,
    cell_size_m: float | None = None,
    bandwidth_m: float | None = None,
    weights: str | np.ndarray | None = None,
    period: tuple[object, object] | None = None,
    quiet: bool = False,
    boundary: object = None,
    horizon_months: int = 1,
    models: tuple[str, ...] = MODELS,
    shares: tuple[float, ...] = SHARES,
    focus_share: float = 0.01,
    half_life_months: float = 2.0,
) -> gpd.GeoDataFrame:
    """The cells to watch after the last month of data, from the model that scored best, with its skill.

    Every model is scored by rolling origin (:func:`evaluate`); the one with the highest mean hit rate
    at ``focus_share`` of the area is used for the months after the data. Columns: the grid, ``score``
    (the chosen model's forecast), ``rank`` (1 = most likely) and ``top_<p>pct`` flags for each share.
    ``attrs``: ``model``, ``model_label``, ``forecast_months``, ``expected_hit_rate`` (mean and spread
    over origins at ``focus_share``), ``beats_baselines`` (share of origins where the chosen model beat
    every naive baseline other than itself, listed in ``baselines_compared``), ``summary`` and
    ``scores`` (the full tables), method and caveats.
    """
    h = _check_horizon(horizon_months)
    if focus_share not in shares:
        shares = tuple(sorted({*shares, focus_share}))
    history = build_history(
        points,
        cell_size_m=cell_size_m,
        bandwidth_m=bandwidth_m,
        weights=weights,
        period=period,
        quiet=quiet,
        boundary=boundary,
        half_life_months=half_life_months,
    )
    scores = evaluate(history, models=models, shares=shares, horizon_months=h, quiet=quiet)
    summary = summarise(scores)
    focus = summary[summary["share"] == focus_share].set_index("model")
    chosen = str(focus["hit_rate"].idxmax())
    end = history.months.size
    if not _window_ok(history, end, 0, target=False):
        raise NoDataError(
            "The latest twelve months include a gap, so no forecast is made from them.",
            found=", ".join(str(m) for m in history.months[~history.present]),
            hint="Load the missing months, or forecast from an earlier period (period=...).",
        )
    forecast = model_scores(history, chosen, end, h)
    ranked = ranking(forecast, history.order)
    rank = np.empty(ranked.size, dtype=np.int64)
    rank[ranked] = np.arange(1, ranked.size + 1)
    frame = history.prep.raster.to_frame()
    frame["score"] = forecast
    frame["rank"] = rank
    for share in shares:
        frame[f"top_{share * 100:g}pct"] = rank <= cells_for_share(history, share)
    months = np.arange(history.months[-1] + 1, history.months[-1] + 1 + h, dtype="datetime64[M]")
    mine = scores[(scores["model"] == chosen) & (scores["share"] == focus_share)].set_index("origin")[
        "hit_rate"
    ]
    others = [b for b in BASELINES if b != chosen and b in models]
    base = scores[scores["model"].isin(others) & (scores["share"] == focus_share)]
    best_base = base.groupby("origin")["hit_rate"].max().reindex(mine.index)
    beat = float((mine > best_base).mean()) if others else float("nan")
    row = focus.loc[chosen]
    caveats = list(dict.fromkeys(history.prep.caveats))
    caveats.append(
        f"Scored by rolling origin over {scores.attrs['origins']} origin(s): each forecast saw only the "
        "months before its origin. Past skill is a guide, not a promise."
    )
    frame.attrs.update(
        method=f"hotspot forecast ({model_label(chosen, h, history.window)}), chosen by rolling-origin skill",
        cell_size_m=history.prep.raster.cell,
        bandwidth_m=history.bandwidth_m,
        model=chosen,
        model_label=model_label(chosen, h, history.window),
        horizon_months=h,
        window_months=history.window,
        forecast_months=[str(m) for m in months],
        data_months=[str(history.months[0]), str(history.months[-1])],
        focus_share=focus_share,
        expected_hit_rate=float(row["hit_rate"]),
        expected_hit_rate_min=float(row["hit_rate_min"]),
        expected_hit_rate_max=float(row["hit_rate_max"]),
        expected_pai=float(row["pai"]),
        beats_baselines=beat,
        baselines_compared=others,
        origins=int(scores.attrs["origins"]),
        summary=summary,
        scores=scores,
        caveat=" ".join(caveats),
        records=int(history.prep.points.x.size),
    )
    return frame


def _check_horizon(horizon_months: int) -> int:
    if horizon_months not in (1, 3):
        raise InputError(
            "The forecast horizon must be 1 (next month) or 3 (next quarter) months.",
            found=repr(horizon_months),
            hint="Use horizon_months=1 or 3.",
        )
    return int(horizon_months)
