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
    Thompson 2003). Fitted by maximum likelihood (iteratively reweighted least squares, equal to
    statsmodels' GLM within 1e-7 and several times faster) on the months before each origin.

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

import geopandas as gpd
import numpy as np
import pandas as pd

from safer_communities.analysis.forecast_models import (
    BASELINES,
    HISTORY_MONTHS,
    MIN_ORIGINS,
    MODELS,
    SHARES,
    History,
    _window_ok,
    build_history,
    model_label,
    model_scores,
    poisson_fit,
)
from safer_communities.analysis.grid import announce
from safer_communities.errors import InputError, NoDataError

__all__ = [
    "BASELINES",
    "HISTORY_MONTHS",
    "MIN_ORIGINS",
    "MODELS",
    "SHARES",
    "History",
    "build_history",
    "cells_for_share",
    "evaluate",
    "hotspot_forecast",
    "model_label",
    "model_scores",
    "poisson_fit",
    "ranking",
    "score_selection",
    "summarise",
]


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
