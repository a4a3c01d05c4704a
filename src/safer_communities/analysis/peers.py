"""Peer comparison: each area against the study area's overall rate, with funnel-plot limits.

Ranking areas by rate alone exaggerates differences between small areas; a funnel plot shows whether an
area's count is outside what chance would give at the overall rate for its population (exact Poisson
limits at 95% and 99.8%, the conventions of the public health observatories' funnel plots).
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from safer_communities.analysis.definitions import Definition, Definitions
from safer_communities.analysis.periods import Period
from safer_communities.analysis.rates import issue_rates
from safer_communities.analysis.stats import adjusted_funnel_limits, overdispersion
from safer_communities.errors import InputError, NoDataError


def _flag(count: np.ndarray, low: np.ndarray, high: np.ndarray) -> np.ndarray:
    return np.select([count > high, count < low], ["above", "below"], "within")


def funnel(
    con: duckdb.DuckDBPyConnection,
    issue: str | Definition,
    *,
    period: str | Period | None = "latest-12-months",
    area_level: str = "district",
    definitions: Definitions | Path | str | None = None,
    overdispersion_method: str = "multiplicative",
) -> pd.DataFrame:
    """Each area's rate against the overall rate of all study-area units, with funnel limits allowing for
    overdispersion (Spiegelhalter 2005: ``"multiplicative"``, the default, ``"additive"`` or ``"none"``).

    Areas as large as districts nearly always vary more than Poisson chance allows, so unadjusted limits
    flag almost every area; ``attrs['overdispersion']`` holds the estimate and ``attrs['method']`` says it.

    Columns: area_code, area_name, issue, period, count, population, rate_per_1000, overall_rate_per_1000,
    expected, rate ratio to overall (``ratio``), limit_95_low/high, limit_998_low/high (as rates per
    1,000, adjusted), ``flag`` (above / below / within the adjusted 99.8% limits), ``flag_95``,
    ``flag_poisson`` (the unadjusted 99.8% flag, for comparison), ``excess`` (records above the adjusted
    99.8% upper limit, negative when within: the strength of the evidence) and ``rank`` (1 = highest rate).
    """
    rates = issue_rates(con, issue, area_level=area_level, period=period, definitions=definitions)
    return funnel_from_rates(rates, overdispersion_method=overdispersion_method)


def funnel_from_rates(rates: pd.DataFrame, *, overdispersion_method: str = "multiplicative") -> pd.DataFrame:
    """The funnel of :func:`funnel` from a rates frame (area_code, area_name, issue, period, count,
    population, population_year, rate_per_1000): for a funnel of published figures
    (``publish.grid_outputs``)."""
    out = rates.dropna(subset=["population"]).copy()
    if out.empty or out["population"].sum() == 0:
        raise NoDataError(
            "No area has a population, so no funnel can be drawn.",
            found="0 residents",
            hint="Load population estimates: safer ingest population FILE.",
        )
    pop = out["population"].astype(float).to_numpy()
    count = out["count"].astype(float).to_numpy()
    overall = count.sum() / pop.sum()
    expected = overall * pop
    out["overall_rate_per_1000"] = overall * 1000.0
    out["expected"] = expected
    out["ratio"] = np.where(expected > 0, count / np.where(expected > 0, expected, 1.0), np.nan)
    if overdispersion_method not in ("multiplicative", "additive", "none"):
        raise InputError(
            "That overdispersion method is not known.",
            found=repr(overdispersion_method),
            hint="Use multiplicative (the default), additive or none.",
        )
    od = overdispersion(count, pop, method=overdispersion_method)
    for level, name in ((0.95, "95"), (0.998, "998")):
        low, high = adjusted_funnel_limits(expected, pop, level=level, od=od)
        out[f"limit_{name}_low"] = low / pop * 1000.0
        out[f"limit_{name}_high"] = high / pop * 1000.0
        out["flag" if name == "998" else "flag_95"] = _flag(count, low, high)
        if name == "998":
            out["excess"] = count - high
    poisson_low, poisson_high = adjusted_funnel_limits(expected, pop, level=0.998, od=None)
    out["flag_poisson"] = _flag(count, poisson_low, poisson_high)
    out["rank"] = out["rate_per_1000"].rank(ascending=False, method="min").astype(int)
    out = out[
        [
            "area_code",
            "area_name",
            "issue",
            "period",
            "count",
            "population",
            "population_year",
            "rate_per_1000",
            "overall_rate_per_1000",
            "expected",
            "ratio",
            "limit_95_low",
            "limit_95_high",
            "limit_998_low",
            "limit_998_high",
            "flag",
            "flag_95",
            "flag_poisson",
            "excess",
            "rank",
        ]
    ].reset_index(drop=True)
    out.attrs.update(rates.attrs)
    out.attrs["overdispersion"] = od.to_dict()
    out.attrs["method"] = (
        "Funnel plot: exact Poisson limits (chi-squared) around the overall rate of all study-area "
        "units, allowing for overdispersion; 'flag' uses the 99.8% limits, 'flag_95' the 95% limits, "
        "'flag_poisson' the unadjusted 99.8% limits. " + od.describe()
    )
    return out


FOCUS_RULE = (
    "Districts are ordered by the strength of the evidence: the number of records above the upper 99.8% "
    "limit allowing for overdispersion."
)


def focus_areas(frame: pd.DataFrame) -> list[str]:
    """Names of the areas above the (adjusted) 99.8% limit, strongest evidence first (``FOCUS_RULE``)."""
    above = frame[frame["flag"] == "above"]
    return above.sort_values(["excess", "area_name"], ascending=[False, True])["area_name"].tolist()


def funnel_curve(frame: pd.DataFrame, *, points: int = 120) -> pd.DataFrame:
    """The funnel's limits (rates per 1,000) over a grid of populations, with the result's allowance for
    overdispersion, for drawing the chart: population, lower_95, upper_95, lower_998, upper_998."""
    from safer_communities.analysis.stats import Overdispersion

    overall = float(frame["overall_rate_per_1000"].iloc[0]) / 1000.0
    pops = frame["population"].astype(float)
    pop = np.linspace(max(1.0, pops.min() * 0.8), pops.max() * 1.1, points)
    od = Overdispersion(**{k: v for k, v in frame.attrs["overdispersion"].items() if k != "adjusted"})
    curve = pd.DataFrame({"population": pop})
    for level, name in ((0.95, "95"), (0.998, "998")):
        low, high = adjusted_funnel_limits(overall * pop, pop, level=level, od=od)
        curve[f"lower_{name}"] = low / pop * 1000.0
        curve[f"upper_{name}"] = high / pop * 1000.0
    return curve
