"""The two-sided normal p-value used by the hot-spot statistics, against scipy.stats to the last bit."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import norm

from safer_communities.analysis.normal import two_sided_p


def test_equal_to_scipy_stats_on_a_dense_grid_and_the_edges() -> None:
    z = np.concatenate([np.linspace(-40.0, 40.0, 200_001), [np.inf, -np.inf, 0.0, -0.0, 1.959963984540054]])
    assert np.array_equal(two_sided_p(z), 2.0 * norm.sf(np.abs(z)))
    assert two_sided_p(1.959963984540054) == 2.0 * norm.sf(1.959963984540054)  # about 0.05
    assert np.isnan(two_sided_p(np.array([np.nan]))[0])


@settings(deadline=None, max_examples=300)
@given(st.lists(st.floats(allow_nan=False, width=64), min_size=1, max_size=50))
def test_equal_to_scipy_stats_for_any_z(values: list[float]) -> None:
    z = np.array(values)
    assert np.array_equal(two_sided_p(z), 2.0 * norm.sf(np.abs(z)))
