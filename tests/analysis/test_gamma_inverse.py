"""The own inverse of the regularised incomplete gamma function (Poisson limits without scipy.special).

Checked three ways: against SciPy over counts 0 to ten million, against 70-digit decimal arithmetic
(where it is the nearest double to the true quantile, and SciPy sometimes is not), and by hand for
k = 1, where P(1, x) = 1 - exp(-x) has a closed-form inverse.
"""

from __future__ import annotations

import math
from decimal import Decimal, getcontext

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from numpy.testing import assert_allclose
from scipy import special

from safer_communities.analysis.gamma_inverse import gammaincinv
from safer_communities.analysis.stats import poisson_ci


@given(st.lists(st.integers(0, 10_000_000), min_size=1, max_size=6),
       st.sampled_from([0.5, 0.8, 0.9, 0.95, 0.99, 0.998]))
def test_poisson_limits_agree_with_scipy_over_counts_to_ten_million(counts: list[int], level: float) -> None:
    k = np.asarray(counts, dtype=float)
    low, high = poisson_ci(k, level=level)
    alpha = 1 - level
    assert_allclose(low, np.where(k > 0, special.gammaincinv(k, alpha / 2), 0.0), rtol=1e-12, atol=0)
    assert_allclose(high, special.gammaincinv(k + 1, 1 - alpha / 2), rtol=1e-12, atol=0)


@given(st.floats(1.0, 1e6), st.floats(0.001, 0.999))
def test_non_integer_shapes_agree_with_scipy(a: float, p: float) -> None:
    assert_allclose(gammaincinv(np.array([a]), p), special.gammaincinv(a, p), rtol=1e-12)


def test_closed_form_for_one() -> None:
    """P(1, x) = 1 - exp(-x), so x = -log(1 - p): the upper limit of a count of 0 is -log(alpha / 2)."""
    for p in (0.025, 0.5, 0.975, 0.999):
        assert gammaincinv(np.array([1.0]), p)[0] == pytest.approx(-math.log1p(-p), rel=1e-15)
    assert poisson_ci(0)[1] == pytest.approx(math.log(40), rel=1e-15)  # 3.6888794541139363


def _exact_quantile(k: int, p: float) -> Decimal:
    """The x with P(k, x) = p for a whole k, to about 60 digits: Newton on the Poisson sum."""
    getcontext().prec = 70
    target = Decimal(p)
    x = Decimal(float(special.gammaincinv(k, p)))
    for _ in range(3):
        term, total = Decimal(1), Decimal(1)
        for j in range(1, k):
            term = term * x / j
            total += term
        lower = 1 - (-x).exp() * total
        density = (-x).exp() * term  # x^(k-1) e^-x / (k-1)!
        x -= (lower - target) / density
    return x


@pytest.mark.parametrize("p", [0.025, 0.975])
def test_the_nearest_double_to_the_true_quantile(p: float) -> None:
    """For k = 1..120 the result is within half a unit in the last place of the 70-digit quantile."""
    ks = np.arange(1, 121, dtype=float)
    ours = gammaincinv(ks, p)
    for k, x in zip(ks, ours, strict=True):
        exact = _exact_quantile(int(k), p)
        half_ulp = Decimal(float(np.spacing(x))) / 2
        assert abs(Decimal(float(x)) - exact) <= half_ulp * Decimal("1.001"), (k, x, exact)


def test_scipy_is_sometimes_further_from_the_true_quantile() -> None:
    """Why the results can differ from scipy's in the last digit: scipy is 1-5 units out at times."""
    ks = np.arange(1, 121, dtype=float)
    ours, theirs = gammaincinv(ks, 0.975), special.gammaincinv(ks, 0.975)
    differ = np.nonzero(ours != theirs)[0]
    assert differ.size  # a real difference exists...
    for i in differ[:10]:  # ...and where it does, ours is the closer
        exact = _exact_quantile(int(ks[i]), 0.975)
        assert abs(Decimal(float(ours[i])) - exact) < abs(Decimal(float(theirs[i])) - exact)


def test_invalid_shapes_are_nan_and_probabilities_are_checked() -> None:
    out = gammaincinv(np.array([np.nan, -1.0, 0.0, 2.0]), 0.5)
    assert np.isnan(out[:3]).all() and out[3] == pytest.approx(special.gammaincinv(2.0, 0.5), rel=1e-14)
    with pytest.raises(ValueError, match="strictly between"):
        gammaincinv(np.array([2.0]), 1.0)


def test_a_large_table_of_counts_takes_scipys_limits_a_small_one_ours() -> None:
    """Cost-based: a national LSOA table (thousands of distinct counts) would spend seconds in ours."""
    from scipy.special import gammaincinv as scipy_inverse

    from safer_communities.analysis import stats

    tail = (1 - 0.95) / 2  # as poisson_ci computes it (not exactly 0.025)
    many = np.arange(0, stats.OWN_INVERSE_MAX_COUNTS + 1, dtype=float)
    low, high = stats.poisson_ci(many)
    assert np.array_equal(high, scipy_inverse(many + 1, 1 - tail))
    assert np.array_equal(low[1:], scipy_inverse(many[1:], tail)) and low[0] == 0.0
    few = many[:50]
    low, high = stats.poisson_ci(few)
    assert np.array_equal(high, gammaincinv(few + 1, 1 - tail))
    assert np.array_equal(low[1:], gammaincinv(few[1:], tail))
    assert np.allclose(high, scipy_inverse(few + 1, 1 - tail), rtol=1e-15, atol=0)
