"""Trends: monthly series, latest 12 months against the previous 12, seasonality, long-run trend.

A month missing from the store is a gap (NA), never a zero: series show it as NA, comparisons use the
months present as exposure, and the trend model leaves it out.
"""

from __future__ import annotations

import warnings
from datetime import date
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from safer_communities.analysis import queries
from safer_communities.analysis.definitions import Definition, Definitions
from safer_communities.analysis.monthly import monthly_series, series_table  # noqa: F401  (re-exported)
from safer_communities.analysis.periods import Period
from safer_communities.analysis.rates import base_attrs, definition_for
from safer_communities.analysis.stats import rate_ratio
from safer_communities.errors import InputError, NoDataError

Defs = Definitions | Path | str | None
COMPARE_AGAINST = ("year-before", "previous")
SEASON_MONTHS = 24  # below this a long-run trend cannot be told apart from season


def compare_periods(
    con: duckdb.DuckDBPyConnection,
    issue: str | Definition,
    *,
    area_level: str = "county",
    period: str | Period | None = "latest-12-months",
    area_code: str | None = None,
    definitions: Defs = None,
    against: str = "year-before",
) -> pd.DataFrame:
    """The period against the same months a year earlier (``against="year-before"``, the default: like
    with like, the same season) or the same length immediately before (``"previous"``), per area, with
    an exact rate-ratio test.

    Exposure is resident-months: population (of each period's year, or the latest earlier) times the
    months present in the store, so a gap lowers the exposure instead of pretending to be a zero. When the
    two periods hold different numbers of months, counts are compared per month (``change_pct``) and a
    caveat says why. The interval and p-value are conditional on the total count (exact binomial).
    """
    definition = definition_for(issue, definitions)
    definition.require_source(expected=queries.POLICE_SOURCE)
    if against not in COMPARE_AGAINST:
        raise InputError(
            "That comparison is not known.",
            found=repr(against),
            hint=f"Use one of: {', '.join(COMPARE_AGAINST)}.",
        )
    p = queries.resolve_period(con, queries.POLICE_SOURCE, period)
    prev = p.same_months_year_before() if against == "year-before" else p.previous()
    cov, prev_cov = (queries.coverage(con, queries.POLICE_SOURCE, x) for x in (p, prev))
    frames, frames_unlocated = [], []
    for label, per, c in (("", p, cov), ("previous_", prev, prev_cov)):
        counts = queries.crime_counts(con, definition, per, area_level, area_code=area_code)
        frames_unlocated.append(counts.attrs["unlocated"])
        pop = queries.population(con, area_level, per.end.year)
        f = counts.merge(pop.table, on="area_code", how="left")
        f["months"] = per.n_months - len(c.missing)
        frames.append(
            f.rename(
                columns={
                    "count": f"{label}count",
                    "population": f"{label}population",
                    "months": f"{label}months",
                }
            ).set_index(["area_code", "area_name"])
        )
    out = frames[0].join(frames[1]).reset_index()
    if out.empty or (out["months"] == 0).any() or (out["previous_months"] == 0).any():
        raise NoDataError(
            "One of the two periods has no months of data in the store.",
            found=f"{p.label}: {out['months'].iloc[0]} months; "
            f"{prev.label}: {out['previous_months'].iloc[0]} months",
            hint="Choose a period with data in both it and the period before.",
        )
    results = []
    for row in out.itertuples():
        if pd.isna(row.population) or pd.isna(row.previous_population):
            results.append((np.nan, np.nan, np.nan, np.nan))
            continue
        rr = rate_ratio(
            row.count,
            float(row.population) * row.months,
            row.previous_count,
            float(row.previous_population) * row.previous_months,
        )
        results.append((rr.ratio, rr.ci_low, rr.ci_high, rr.p_value))
    out[["rate_ratio", "ci_low", "ci_high", "p_value"]] = pd.DataFrame(results, index=out.index)
    out["issue"], out["period"], out["previous_period"] = definition.issue, p.label, prev.label
    out["change"] = out["count"] - out["previous_count"]
    per_month = out["count"] / out["months"]
    previous_per_month = out["previous_count"] / out["previous_months"]
    with np.errstate(divide="ignore", invalid="ignore"):
        out["change_pct"] = np.where(
            previous_per_month > 0, 100.0 * (per_month - previous_per_month) / previous_per_month, np.nan
        )
    out["direction"] = np.select(
        [
            (out["p_value"] < 0.05) & (out["rate_ratio"] > 1),
            (out["p_value"] < 0.05) & (out["rate_ratio"] < 1),
        ],
        ["significant increase", "significant decrease"],
        "no significant change",
    )
    cols = [
        "area_code",
        "area_name",
        "issue",
        "period",
        "previous_period",
        "count",
        "previous_count",
        "change",
        "change_pct",
        "months",
        "previous_months",
        "rate_ratio",
        "ci_low",
        "ci_high",
        "p_value",
        "direction",
    ]
    out = out[cols]
    attrs = base_attrs(
        definition,
        p,
        cov,
        area_level=area_level,
        previous_missing_months=[m.isoformat() for m in prev_cov.missing],
        unlocated=frames_unlocated[0],
        against=against,
        method=(
            f"{p.words} against {prev.words} ("
            + ("the same months a year earlier" if against == "year-before" else "the months just before")
            + "); rate ratio per resident-month; exact conditional binomial 95% CI and two-sided p-value."
        ),
    )
    extra = [prev_cov.note()] if prev_cov.missing else []
    months, previous_months = int(out["months"].iloc[0]), int(out["previous_months"].iloc[0])
    if months != previous_months:
        extra.append(
            f"The two periods hold different numbers of months ({months} against {previous_months}): "
            "counts are compared per month (change_pct), and the months present differ in season."
        )
    if against == "previous" and p.n_months < 12:
        extra.append(
            f"{p.words} and {prev.words} are different seasons; compare with the same months a year "
            "earlier (the default) to see change rather than season."
        )
    attrs["caveats"] = [*attrs["caveats"], *extra]
    out.attrs.update(attrs)
    return out


def seasonality(
    con: duckdb.DuckDBPyConnection,
    issue: str | Definition,
    *,
    area_level: str = "county",
    area_code: str | None = None,
    period: str | Period | None = None,
    definitions: Defs = None,
) -> pd.DataFrame:
    """Month-of-year index per area: mean count in that calendar month / mean of the 12 monthly means x 100.

    100 is an average month; 120 means 20% above average. Gaps are left out of the means (``n_months``).
    """
    series = monthly_series(
        con, issue, area_level=area_level, area_code=area_code, period=period, definitions=definitions
    )
    s = series.dropna(subset=["count"]).copy()
    s["month_of_year"] = s["month"].dt.month
    s["count"] = s["count"].astype(float)
    g = (
        s.groupby(["area_code", "area_name", "month_of_year"])["count"]
        .agg(mean_count="mean", n_months="size")
        .reset_index()
    )
    g["index"] = 100.0 * g["mean_count"] / g.groupby("area_code")["mean_count"].transform("mean")
    g.attrs.update(series.attrs)
    g.attrs["method"] = "Seasonal index: calendar-month mean / mean of calendar-month means x 100."
    return g


def poisson_trend(counts: np.ndarray, months: list[date] | pd.Series) -> dict[str, float]:
    """Quasi-Poisson regression of monthly counts on time with month-of-year terms.

    log E[count] = a + b * t + season(month), t in months; the dispersion is estimated from the Pearson
    chi-squared so overdispersed counts do not give falsely small p-values. Seasonal terms are used when
    at least 24 months are present. Returns the % change per year exp(12 b) - 1 with its 95% CI.
    """
    m = pd.to_datetime(pd.Series(months)).reset_index(drop=True)
    y = np.asarray(counts, dtype=float)
    keep = ~np.isnan(y)
    y, m = y[keep], m[keep.tolist()].reset_index(drop=True)
    if len(y) < 6:
        raise NoDataError(
            "A trend needs at least 6 months of data.",
            found=f"{len(y)} months",
            hint="Choose a longer period.",
        )
    t = ((m.dt.year - m.dt.year.min()) * 12 + m.dt.month).to_numpy(dtype=float)
    t -= t.mean()
    x = pd.DataFrame({"const": 1.0, "t": t})
    seasonal = len(y) >= 24
    if seasonal:
        dummies = pd.get_dummies(m.dt.month, prefix="m", drop_first=True, dtype=float)
        x = pd.concat([x, dummies], axis=1)
    import statsmodels.api as sm  # here: it takes seconds to import, and only the trend test needs it
    from statsmodels.tools.sm_exceptions import PerfectSeparationWarning

    with warnings.catch_warnings():
        # A series the model fits exactly (e.g. a flat one) is fine: the estimates are still right.
        warnings.simplefilter("ignore", PerfectSeparationWarning)
        fit = sm.GLM(y, x, family=sm.families.Poisson()).fit(scale="X2")
    b, se = float(fit.params["t"]), float(fit.bse["t"])
    return {
        "months_used": len(y),
        "seasonal_terms": seasonal,
        "dispersion": float(fit.scale),
        "change_per_year_pct": 100 * (np.exp(12 * b) - 1),
        "ci_low": 100 * (np.exp(12 * (b - 1.959963984540054 * se)) - 1),
        "ci_high": 100 * (np.exp(12 * (b + 1.959963984540054 * se)) - 1),
        "p_value": float(fit.pvalues["t"]),
    }


def long_run_trend(
    con: duckdb.DuckDBPyConnection,
    issue: str | Definition,
    *,
    area_level: str = "county",
    area_code: str | None = None,
    period: str | Period | None = None,
    definitions: Defs = None,
) -> pd.DataFrame:
    """Long-run trend per area (quasi-Poisson regression with seasonal terms; see :func:`poisson_trend`)."""
    series = monthly_series(
        con, issue, area_level=area_level, area_code=area_code, period=period, definitions=definitions
    )
    rows = []
    for (code, name), g in series.groupby(["area_code", "area_name"], sort=True):
        counts = g["count"].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
        if np.nansum(counts) == 0:
            rows.append(
                {
                    "area_code": code,
                    "area_name": name,
                    "months_used": int((~np.isnan(counts)).sum()),
                    "seasonal_terms": False,
                    "dispersion": np.nan,
                    "change_per_year_pct": np.nan,
                    "ci_low": np.nan,
                    "ci_high": np.nan,
                    "p_value": np.nan,
                }
            )
            continue
        rows.append({"area_code": code, "area_name": name, **poisson_trend(counts, g["month"])})
    out = pd.DataFrame(rows)
    out.insert(2, "issue", series.attrs["definition_id"])
    out.insert(3, "period", series.attrs["period_label"])
    out["direction"] = np.select(
        [
            out["months_used"] < SEASON_MONTHS,
            (out["p_value"] < 0.05) & (out["change_per_year_pct"] > 0),
            (out["p_value"] < 0.05) & (out["change_per_year_pct"] < 0),
        ],
        ["cannot separate trend from season", "rising", "falling"],
        "no significant trend",
    )
    out.attrs.update(series.attrs)
    short = out[out["months_used"] < SEASON_MONTHS]
    if len(short):
        out.attrs["caveats"] = [
            *out.attrs.get("caveats", []),
            f"Fewer than {SEASON_MONTHS} months of data ({int(short['months_used'].max())}): a trend over "
            "them cannot be separated from the seasonal pattern, so no direction is given. Use 24 months "
            "or more.",
        ]
    out.attrs["method"] = (
        "Quasi-Poisson regression of monthly counts on a linear time term with "
        "month-of-year terms (24+ months); % change per year = exp(12 b) - 1."
    )
    return out
