"""Overdispersion of funnel plots (Spiegelhalter 2005): a hand-worked case, the DerSimonian-Laird
estimator as statsmodels implements it, and the limits it implies."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

from safer_communities.analysis.stats import adjusted_funnel_limits, funnel_limits, overdispersion

# Four areas worked by hand: theta = 120 / 10,000 = 0.012, E = 12, 24, 36, 48.
POPULATION = np.array([1000.0, 2000.0, 3000.0, 4000.0])
OBSERVED = np.array([10.0, 30.0, 20.0, 60.0])


def test_hand_worked_phi_and_tau2() -> None:
    # z = -2/sqrt(12), 6/sqrt(24), -16/6, 12/sqrt(48); z^2 = 1/3, 1.5, 64/9, 3 -> sum 11.9444
    od = overdispersion(OBSERVED, POPULATION, winsor=0.1)  # 10% of 4 areas: none winsorised
    assert od.phi == pytest.approx((1 / 3 + 1.5 + 64 / 9 + 3) / 4)  # 2.986111
    # w = n / theta: 83,333.3 ... 333,333.3; sum w = 833,333.3; sum w^2 / sum w = 250,000
    assert od.tau2 == pytest.approx((4 * od.phi - 3) / (833_333.333 - 250_000), rel=1e-6)  # 1.5333e-5
    # k phi = 11.94 > chi2(0.95, 3) = 7.81: overdispersed, so the allowance applies
    assert od.overdispersed and od.adjusted and stats.chi2.ppf(0.95, 3) == pytest.approx(7.8147, abs=1e-4)


def test_tau2_is_the_dersimonian_laird_estimate() -> None:
    """Without winsorising, tau^2 is DerSimonian and Laird's (1986) estimator with the Poisson variances
    theta / n_i (statsmodels' implementation of the published method)."""
    from statsmodels.stats.meta_analysis import combine_effects

    rng = np.random.default_rng(3)
    pop = rng.integers(50_000, 300_000, size=14).astype(float)
    observed = rng.poisson(pop * 0.04 * rng.lognormal(0, 0.3, size=14)).astype(float)
    od = overdispersion(observed, pop, winsor=0.0)
    theta = observed.sum() / pop.sum()
    res = combine_effects(observed / pop, np.full(14, theta) / pop, method_re="dl")
    assert od.tau2 == pytest.approx(res.tau2, rel=1e-9)
    assert od.phi * 14 == pytest.approx(res.q, rel=1e-9)


def test_winsorising_sets_the_extremes_to_their_neighbours() -> None:
    pop = np.full(10, 10_000.0)
    observed = np.array([100, 101, 99, 102, 98, 100, 103, 97, 100, 400.0])  # one wild area
    theta = observed.sum() / pop.sum()
    z = np.sort((observed - theta * pop) / np.sqrt(theta * pop))
    z[0], z[-1] = z[1], z[-2]
    assert overdispersion(observed, pop).phi == pytest.approx(np.mean(z**2))
    assert overdispersion(observed, pop).phi < overdispersion(observed, pop, winsor=0.0).phi / 5


def test_limits_widen_by_sqrt_phi_and_equal_poisson_without_overdispersion() -> None:
    od = overdispersion(OBSERVED, POPULATION)
    e = np.array([12.0, 24.0, 36.0, 48.0])
    low, high = funnel_limits(e, level=0.998)
    m_low, m_high = adjusted_funnel_limits(e, POPULATION, level=0.998, od=od)
    assert m_high - e == pytest.approx((high - e) * np.sqrt(od.phi))
    assert m_low == pytest.approx(np.maximum(e - (e - low) * np.sqrt(od.phi), 0))
    additive = overdispersion(OBSERVED, POPULATION, method="additive")
    _, a_high = adjusted_funnel_limits(e, POPULATION, level=0.998, od=additive)
    assert a_high - e == pytest.approx((high - e) * np.sqrt((e + additive.tau2 * POPULATION**2) / e))
    none = overdispersion(OBSERVED, POPULATION, method="none")
    assert adjusted_funnel_limits(e, POPULATION, level=0.998, od=none)[1] == pytest.approx(high)
    quiet = overdispersion(np.array([12.0, 24.0, 36.0, 48.0]), POPULATION)  # exactly on the rate
    assert quiet.phi == 0 and not quiet.adjusted


@given(st.lists(st.integers(0, 5000), min_size=3, max_size=30), st.integers(1000, 1_000_000))
def test_phi_and_tau2_are_never_negative(counts: list[int], size: int) -> None:
    observed = np.array(counts, dtype=float) + 1
    pop = np.full(len(counts), float(size)) * np.linspace(1, 3, len(counts))
    od = overdispersion(observed, pop)
    assert od.phi >= 0 and od.tau2 >= 0
    low, high = adjusted_funnel_limits(observed.sum() / pop.sum() * pop, pop, level=0.95, od=od)
    assert np.all(low >= 0) and np.all(high >= low)
