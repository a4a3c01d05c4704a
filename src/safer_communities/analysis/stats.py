"""Small exact statistics on counts: Poisson intervals, rate ratios, funnel limits.

Exact methods throughout because community safety counts are often small (a ward with 3 robberies);
normal approximations give impossible negative limits there.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import ModuleType

import numpy as np

from safer_communities.analysis.gamma_inverse import gammaincinv

# scipy.stats costs about a CPU-second to import, more than a whole `safer evidence rates` otherwise; the
# chi-squared quantiles here are regularised incomplete-gamma inverses (chi2.ppf(p, 2k) / 2 is
# gammaincinv(k, p)). The Poisson limits of every rate use our own (gamma_inverse: numpy alone, the
# nearest double), since even scipy.special's import (its array-API layer, about 0.2 CPU-seconds) was
# more than the rest of `safer evidence rates`. scipy.special is still loaded by the functions below
# that use it (funnel limits of a continuous expected count, rate ratios), and scipy.stats where the
# exact binomial test needs it.


OWN_INVERSE_MAX_COUNTS = 500
"""Above this many distinct counts, SciPy's inverse: ours costs 0.15-0.25 ms of CPU per distinct count
(3,166 counts below 5,000 took 0.76 s against SciPy's 6 ms), SciPy's import about 0.2 s, so beyond a few
hundred counts (a national LSOA table) importing SciPy is cheaper. The two agree to 5e-16 relative (ours
is the nearest double, SciPy's 1-5 units in the last place out for some counts), so a limit may differ
in its last digit between a small and a large table; every published figure is rounded far above that."""


def _special() -> ModuleType:
    from scipy import special

    return special


def poisson_ci(count: np.ndarray | float, *, level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Exact (Garwood) confidence limits for a Poisson count, via the chi-squared distribution.

    For a count k: lower = chi2(alpha/2, 2k)/2 (0 when k = 0), upper = chi2(1 - alpha/2, 2k + 2)/2,
    that is, inverses of the regularised incomplete gamma function (:mod:`gamma_inverse`: the nearest
    double to the true limit, without importing SciPy).
    """
    k = np.asarray(count, dtype=float)
    alpha = 1.0 - level
    if np.unique(k[np.isfinite(k)]).size > OWN_INVERSE_MAX_COUNTS:  # SciPy's import is then the cheaper
        with np.errstate(invalid="ignore"):
            low = np.where(k > 0, _special().gammaincinv(k, alpha / 2), 0.0)
            return low, _special().gammaincinv(k + 1, 1 - alpha / 2)
    low = np.where(k > 0, gammaincinv(k, alpha / 2), 0.0)
    high = gammaincinv(k + 1, 1 - alpha / 2)
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

    p_low = _special().betaincinv(a, b + 1, alpha / 2) if a > 0 else 0.0
    p_high = _special().betaincinv(a + 1, b, 1 - alpha / 2) if b > 0 else 1.0

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
        low = np.where(e > 0, _special().gammaincinv(e, alpha / 2), 0.0)
        high = _special().gammaincinv(e + 1, 1 - alpha / 2)
    return low, high


OVERDISPERSION_METHODS = ("multiplicative", "additive", "none")


@dataclass(frozen=True)
class Overdispersion:
    """How much more the areas vary than Poisson chance allows (Spiegelhalter 2005), and the allowance.

    ``phi`` is the mean squared winsorised z-score (1 under pure Poisson variation); ``tau2`` the
    between-area variance of the rate per person (DerSimonian-Laird, from the same z-scores). The
    allowance is applied only when ``k * phi`` exceeds the 95th centile of chi-squared on k - 1 degrees
    of freedom (``overdispersed``), as Spiegelhalter recommends; otherwise the limits stay Poisson.
    """

    method: str
    phi: float
    tau2: float
    k: int
    winsor: float
    overdispersed: bool

    @property
    def adjusted(self) -> bool:
        return self.method != "none" and self.overdispersed

    def describe(self, *, per: float = 1000.0) -> str:
        """One sentence for the reader: the estimate and what was done with it."""
        base = (f"Overdispersion: phi = {self.phi:,.1f} from {self.k} areas' z-scores winsorised at "
                f"{self.winsor:.0%} each end (Spiegelhalter 2005; 1 means Poisson variation only)")
        if self.method == "none":
            return base + "; no allowance made (unadjusted Poisson limits)."
        if not self.overdispersed:
            return base + "; not significantly above 1, so the limits are unadjusted Poisson."
        if self.method == "multiplicative":
            return base + f"; limits widened by sqrt(phi) = {np.sqrt(self.phi):.2f} (multiplicative)."
        return (base + f"; limits include a between-area standard deviation tau = "
                f"{np.sqrt(self.tau2) * per:,.2f} per {per:,.0f} (additive random effects).")

    def to_dict(self) -> dict[str, object]:
        return {"method": self.method, "phi": self.phi, "tau2": self.tau2, "k": self.k,
                "winsor": self.winsor, "overdispersed": self.overdispersed, "adjusted": self.adjusted}


def overdispersion(observed: np.ndarray, population: np.ndarray, *, method: str = "multiplicative",
                   winsor: float = 0.1) -> Overdispersion:
    """Estimate overdispersion of area counts around the overall rate (Spiegelhalter 2005, section 5).

    z_i = (O_i - E_i) / sqrt(E_i) with E_i = theta * n_i and theta = sum(O) / sum(n); the lowest and
    highest ``winsor`` share of z-scores are set to the next value in (winsorised); phi = mean(z^2).
    tau^2 = (k phi - (k - 1)) / (sum w - sum w^2 / sum w), w_i = n_i / theta (0 if negative).
    """
    from scipy.stats.mstats import winsorize

    if method not in OVERDISPERSION_METHODS:
        raise ValueError(f"method must be one of {OVERDISPERSION_METHODS}")
    o = np.asarray(observed, dtype=float)
    n = np.asarray(population, dtype=float)
    theta = o.sum() / n.sum()
    e = theta * n
    z = (o - e) / np.sqrt(e)
    k = len(z)
    zw = np.asarray(winsorize(z, limits=(winsor, winsor))) if winsor > 0 else z
    phi = float(np.mean(zw**2))
    w = n / theta
    tau2 = max(0.0, (k * phi - (k - 1)) / (w.sum() - (w**2).sum() / w.sum()))
    significant = k > 1 and k * phi > _special().chdtri(k - 1, 0.05)  # chi-squared 95th percentile
    return Overdispersion(method, phi, tau2, k, winsor, bool(significant))


def adjusted_funnel_limits(expected: np.ndarray | float, population: np.ndarray | float, *, level: float,
                           od: Overdispersion | None) -> tuple[np.ndarray, np.ndarray]:
    """Exact Poisson limits for a count, widened for overdispersion when ``od`` calls for it.

    The distance of each exact limit from the expected count is scaled by sqrt(phi) (multiplicative) or
    by sqrt((E + tau^2 n^2) / E) (additive: the variance of the count under random effects over its
    Poisson variance), so the limits equal the exact Poisson ones when there is no overdispersion.
    """
    e = np.asarray(expected, dtype=float)
    n = np.asarray(population, dtype=float)
    low, high = funnel_limits(e, level=level)
    if od is None or not od.adjusted:
        return low, high
    if od.method == "multiplicative":
        scale = np.sqrt(od.phi)
    else:
        with np.errstate(divide="ignore", invalid="ignore"):
            scale = np.sqrt(np.where(e > 0, (e + od.tau2 * n**2) / np.where(e > 0, e, 1.0), 1.0))
    return np.maximum(e - (e - low) * scale, 0.0), e + (high - e) * scale
