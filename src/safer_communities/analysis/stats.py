"""Small exact statistics on counts: Poisson intervals, rate ratios, funnel limits.

Exact methods throughout because community safety counts are often small (a ward with 3 robberies);
normal approximations give impossible negative limits there.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import special

# scipy.stats costs about a CPU-second to import, more than a whole `safer evidence rates` otherwise; the
# chi-squared quantiles here are regularised incomplete-gamma inverses (chi2.ppf(p, 2k) / 2 is
# gammaincinv(k, p)), so only scipy.special is needed at import and scipy.stats is loaded where the
# exact binomial test needs it.


def poisson_ci(count: np.ndarray | float, *, level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Exact (Garwood) confidence limits for a Poisson count, via the chi-squared distribution.

    For a count k: lower = chi2(alpha/2, 2k)/2 (0 when k = 0), upper = chi2(1 - alpha/2, 2k + 2)/2.
    """
    k = np.asarray(count, dtype=float)
    alpha = 1.0 - level
    with np.errstate(invalid="ignore"):
        low = np.where(k > 0, special.gammaincinv(k, alpha / 2), 0.0)
        high = special.gammaincinv(k + 1, 1 - alpha / 2)
    return low, high


@dataclass(frozen=True)
class RateRatio:
    """A ratio of two rates with its exact (conditional binomial) confidence interval and p-value."""

    ratio: float
    ci_low: float
    ci_high: float
    p_value: float


def rate_ratio(
    count_a: int, exposure_a: float, count_b: int, exposure_b: float, *, level: float = 0.95
) -> RateRatio:
    """Compare rate a (count_a / exposure_a) with rate b, conditional on the total count.

    Given n = a + b, a is binomial with p = ea * RR / (ea * RR + eb). The Clopper-Pearson interval for p
    maps to the rate ratio; the p-value is the exact two-sided binomial test of RR = 1.
    """
    a, b = int(count_a), int(count_b)
    ea, eb = float(exposure_a), float(exposure_b)
    if ea <= 0 or eb <= 0:
        raise ValueError("exposures must be positive")
    n = a + b
    if n == 0:
        return RateRatio(float("nan"), float("nan"), float("nan"), 1.0)
    alpha = 1.0 - level
    from scipy import stats

    p_low = special.betaincinv(a, b + 1, alpha / 2) if a > 0 else 0.0
    p_high = special.betaincinv(a + 1, b, 1 - alpha / 2) if b > 0 else 1.0

    def to_ratio(p: float) -> float:
        return float("inf") if p >= 1 else p / (1 - p) * eb / ea

    ratio = (a / ea) / (b / eb) if b > 0 else float("inf")
    p_value = stats.binomtest(a, n, ea / (ea + eb)).pvalue
    return RateRatio(float(ratio), to_ratio(p_low), to_ratio(p_high), float(p_value))


def funnel_limits(expected: np.ndarray | float, *, level: float) -> tuple[np.ndarray, np.ndarray]:
    """Exact Poisson control limits for an observed count whose expected value is ``expected``.

    The limits of the funnel-plot method of the Association of Public Health Observatories (exact
    Poisson through chi-squared, continuous in the expected count).
    """
    e = np.asarray(expected, dtype=float)
    alpha = 1.0 - level
    with np.errstate(invalid="ignore"):
        low = np.where(e > 0, special.gammaincinv(e, alpha / 2), 0.0)
        high = special.gammaincinv(e + 1, 1 - alpha / 2)
    return low, high
