"""The inverse of the regularised lower incomplete gamma function, for exact Poisson limits.

``gammaincinv(a, p)`` is the x with P(a, x) = p: the Garwood limits of a Poisson count k are
``gammaincinv(k, alpha / 2)`` and ``gammaincinv(k + 1, 1 - alpha / 2)``. SciPy has it, but importing
``scipy.special`` costs about 0.19 CPU-seconds (its array-API layer loads numpy.f2py and
charset_normalizer), more than the rest of `safer evidence rates`. This one needs numpy alone, and it is
more accurate: it works in 80-bit extended precision (``np.longdouble``, 64-bit significand) and rounds
once at the end, so the result is the double nearest the true quantile (checked against 70-digit
decimal arithmetic in the tests), where SciPy's is 1 to 5 units in the last place away for 27-44% of
counts below 100. The price is speed on many distinct large counts: 3,166 distinct counts below 5,000
take about 0.8 CPU-s (SciPy 6 ms); the demo's 941 LSOA rates (187 distinct counts) 0.02 s.

Method: P(a, x) = D(a, x) * S(a, x), with D = x^a e^-x / Gamma(a + 1) and the series
S = sum over n >= 0 of prod_{j=1..n} x / (a + j) (all terms positive: no cancellation). D is taken in
logarithms; for a >= 30 as -a (t - log1p(t)) - log sqrt(2 pi a) - stirlerr(a) with t = (x - a) / a, so
that a count of ten million loses nothing to the size of a log x. Newton's method on P - p, started
from the Wilson-Hilferty approximation and kept inside a bracket (bisection when a step leaves it).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

_LD = np.longdouble
_HALF_LOG_2PI = _LD("0.918938533204672741780329736405617639861397473637783")
# Stirling's series for ln Gamma(a + 1) - [(a + 1/2) ln a - a + ln sqrt(2 pi)]: B_2k / (2k (2k - 1) a^(2k-1))
_STIRLING = tuple(_LD(n) / _LD(d) for n, d in (
    (1, 12), (-1, 360), (1, 1260), (-1, 1680), (1, 1188), (-691, 360360), (1, 156), (-3617, 122400)))
_LARGE = 30.0  # from here Stirling's series is exact to long double precision
_TOLERANCE = _LD(2.0) ** -62


def _stirlerr(a: np.ndarray) -> np.ndarray:
    inv = 1 / a
    inv2 = inv * inv
    total = np.zeros_like(a)
    for c in reversed(_STIRLING):
        total = total * inv2 + c
    return total * inv


def _log_gamma1(a: np.ndarray) -> np.ndarray:
    """ln Gamma(a + 1) in long double: a! exactly for whole a below 30; otherwise Stirling's series from
    a + m >= 30, then down by ln of the product of (a + j)."""
    m = np.maximum(np.ceil(_LARGE - a), 0)
    b = a + m
    out = (b + _LD(0.5)) * np.log(b) - b + _HALF_LOG_2PI + _stirlerr(b)
    product = np.ones_like(a)
    for j in range(1, int(m.max(initial=0)) + 1):
        product *= np.where(m >= j, a + j, 1)
    out -= np.log(product)
    whole = (a < _LARGE) & (a == np.floor(a))
    for i in np.nonzero(whole)[0]:
        out[i] = np.log(_LD(str(math.factorial(int(a[i])))))
    return out


def _normal_quantile(p: float) -> float:
    """A starting value only (Abramowitz and Stegun 26.2.23, error under 4.5e-4)."""
    q = min(p, 1 - p)
    t = math.sqrt(-2 * math.log(q))
    z = t - (2.515517 + 0.802853 * t + 0.010328 * t * t) / (1 + 1.432788 * t + 0.189269 * t * t
                                                            + 0.001308 * t ** 3)
    return z if p > 0.5 else -z


class _Gamma:
    """P(a, x) and its derivative for a fixed vector of shapes a."""

    def __init__(self, a: np.ndarray) -> None:
        self.a = a
        self.large = a >= _LARGE
        self.log_gamma1 = _log_gamma1(a)
        with np.errstate(divide="ignore"):
            self.large_const = _LD(0.5) * np.log(a) + _HALF_LOG_2PI + _stirlerr(np.maximum(a, _LARGE))

    def log_d(self, idx: np.ndarray, x: np.ndarray) -> np.ndarray:
        """ln(x^a e^-x / Gamma(a + 1)) for the shapes a[idx]."""
        a = self.a[idx]
        with np.errstate(divide="ignore", invalid="ignore"):
            t = (x - a) / a
            large = -a * (t - np.log1p(t)) - self.large_const[idx]
            small = a * np.log(x) - x - self.log_gamma1[idx]
        return np.where(self.large[idx], large, small)

    def series(self, idx: np.ndarray, x: np.ndarray) -> np.ndarray:
        """S(a, x) = sum_n prod_{j<=n} x / (a + j), summed in blocks until the tail is below 2^-70."""
        return _sum_of_products(lambda live, j: x[live, None] / (self.a[idx][live, None] + j), len(x))

    def upper_sum(self, idx: np.ndarray, x: np.ndarray) -> np.ndarray:
        """T = sum_n prod_{j<n} (b - j) / x for the whole shapes b of this instance (a finite sum):
        Q(b + 1, x) = D(b, x) T, the Poisson probability of at most b events."""
        return _sum_of_products(
            lambda live, j: np.maximum(self.a[idx][live, None] + 1 - j, 0) / x[live, None], len(x))


def _sum_of_products(ratio: Callable[[np.ndarray, np.ndarray], np.ndarray], n: int) -> np.ndarray:
    """1 + r1 + r1 r2 + ..., with ratio(rows, j) the j-th ratios of those rows, summed in blocks of
    growing width until the tail (bounded by a geometric series) is below 2^-70 of the sum."""
    total = np.ones(n, dtype=_LD)
    term = np.ones(n, dtype=_LD)
    live = np.arange(n)
    start, width = 1, 32
    while live.size:
        j = np.arange(start, start + width, dtype=_LD)
        ratios = ratio(live, j)
        products = term[live, None] * np.cumprod(ratios, axis=1)
        total[live] += products.sum(axis=1)
        term[live] = products[:, -1]
        r = ratios[:, -1]
        with np.errstate(divide="ignore"):
            tail = np.where(r < 1, term[live] * r / (1 - r), np.inf)
        live = live[tail > total[live] * _LD(2.0) ** -70]
        start += width
        width = min(width * 2, 4096)
    return total


def gammaincinv(a: np.ndarray | float, p: float) -> np.ndarray:
    """The x with P(a, x) = p, elementwise over ``a`` (NaN where a is not positive and finite).

    Parameters
    ----------
    a : array of shapes (a Poisson count, or the count plus one)
    p : one probability, 0 < p < 1
    """
    shapes = np.asarray(a, dtype=float)
    out = np.full(shapes.shape, np.nan)
    valid = np.isfinite(shapes) & (shapes > 0)
    if not valid.any():
        return out
    if not 0 < p < 1:
        raise ValueError(f"p must be strictly between 0 and 1, not {p}")
    unique, inverse = np.unique(shapes[valid], return_inverse=True)
    out[valid] = _solve(unique, float(p))[inverse]
    return out


def _solve(shapes: np.ndarray, p: float) -> np.ndarray:
    gamma = _Gamma(shapes.astype(_LD))
    a = gamma.a
    target = _LD(p)
    z = _normal_quantile(p)
    # Wilson-Hilferty; for small shapes near zero, the lower tail's own leading term
    guess = shapes * np.maximum(1 - 1 / (9 * shapes) + z / (3 * np.sqrt(shapes)), 0.0) ** 3
    x = guess.astype(_LD)
    poor = guess <= 0.1 * shapes
    if poor.any():  # P(a, x) ~ x^a / Gamma(a + 1) for small x
        x[poor] = np.exp((math.log(p) + gamma.log_gamma1[poor]) / a[poor])
    # Above the median solve Q(a, x) = 1 - p for whole shapes (Q = D(a - 1, x) T, dQ/dx = -D(a - 1, x)):
    # there P is near 1 and its rounding would be magnified by P / (x density).
    upper = p > 0.5 and bool(np.all(shapes == np.floor(shapes)))
    below = _Gamma(a - 1) if upper else gamma
    everything = np.arange(len(a))
    lo = np.zeros_like(a)
    if p < 0.5:  # a gamma distribution's median is below its mean a, so P(a, a) > 1/2 > p
        hi = a.copy()
    else:
        hi = a + 4 * (abs(z) + 1) * np.sqrt(a) + 4 * z * z + 40
        while True:  # widen the bracket where P(a, hi) is still below p
            if upper:
                below_p = np.exp(below.log_d(everything, hi)) * below.upper_sum(everything, hi) > 1 - target
            else:
                below_p = np.exp(gamma.log_d(everything, hi)) * gamma.series(everything, hi) < target
            short = everything[below_p]
            if not short.size:
                break
            hi[short] *= 2
    x = np.clip(x, hi * _LD(1e-300), hi * _LD(0.999))
    goal = 1 - target if upper else target
    live = everything
    for _ in range(100):
        xs = x[live]
        if upper:
            density = np.exp(below.log_d(live, xs))
            f = goal - density * below.upper_sum(live, xs)  # P - p, from the upper tail
        else:
            d = np.exp(gamma.log_d(live, xs))
            f = d * gamma.series(live, xs) - goal
            density = d * a[live] / xs
        lo[live] = np.where(f < 0, np.maximum(lo[live], xs), lo[live])
        hi[live] = np.where(f > 0, np.minimum(hi[live], xs), hi[live])
        step = f / density
        new = xs - step
        done = np.abs(step) <= _TOLERANCE * xs
        outside = ~done & ~((new > lo[live]) & (new < hi[live]))
        x[live] = np.where(outside, (lo[live] + hi[live]) / 2, new)
        live = live[~done]
        if not live.size:
            break
    return x.astype(np.float64)
