"""Benjamini-Hochberg against a case worked by hand, and its defining properties."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from safer_communities.analysis.fdr import benjamini_hochberg, bh_adjusted
from safer_communities.errors import InputError

# Worked by hand, m = 6, alpha = 0.05; thresholds k * 0.05 / 6 = .00833 .01667 .025 .03333 .04167 .05
# sorted p:       .004 (1) ok, .010 (2) ok, .028 (3) > .025, .039 (4) > .0333, .041 (5) <= .04167, .20 (6)
# largest k with p_(k) <= threshold is 5, so the 5 smallest are discoveries (step-up: .028 and .039 too).
# adjusted p_(k) * 6 / k = .024 .03 .056 .0585 .0492 .2, then running minimum from the top:
#                          .024 .03 .0492 .0492 .0492 .2
P = np.array([0.010, 0.039, 0.028, 0.004, 0.20, 0.041])
ADJUSTED = np.array([0.03, 0.0492, 0.0492, 0.024, 0.2, 0.0492])
REJECT = np.array([True, True, True, True, False, True])


def test_hand_worked_case() -> None:
    assert_allclose(bh_adjusted(P), ADJUSTED, rtol=1e-12)
    assert benjamini_hochberg(P, alpha=0.05).tolist() == REJECT.tolist()
    # At alpha 0.04 only the two smallest survive (.024 and .03 adjusted).
    assert benjamini_hochberg(P, alpha=0.04).tolist() == [True, False, False, True, False, False]


def test_nan_is_left_out_of_m() -> None:
    with_nan = np.concatenate([P, [np.nan]])
    adjusted = bh_adjusted(with_nan)
    assert_allclose(adjusted[:-1], ADJUSTED, rtol=1e-12)
    assert np.isnan(adjusted[-1])
    assert not benjamini_hochberg(with_nan)[-1]


def test_refuses_values_that_are_not_p_values() -> None:
    with pytest.raises(InputError, match="between 0 and 1"):
        bh_adjusted(np.array([0.2, 1.5]))
    with pytest.raises(InputError, match="alpha"):
        benjamini_hochberg(P, alpha=0)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(0, 1), min_size=1, max_size=60), st.floats(0.001, 0.5))
def test_matches_the_step_up_definition(p_list: list[float], alpha: float) -> None:
    p = np.array(p_list)
    m = p.size
    order = np.sort(p)
    passing = np.flatnonzero(order <= np.arange(1, m + 1) * alpha / m)
    expected = p <= order[passing.max()] if passing.size else np.zeros(m, dtype=bool)
    adjusted = bh_adjusted(p)
    assert (adjusted >= p - 1e-15).all() and (adjusted <= 1).all()
    # Monotone: a smaller p never gets a larger adjusted p.
    ranks = np.argsort(p, kind="stable")
    assert (np.diff(adjusted[ranks]) >= -1e-15).all()
    # Decisions agree with the textbook step-up rule except within float rounding of a threshold.
    near = np.isclose(p[:, None], np.arange(1, m + 1)[None, :] * alpha / m, rtol=1e-9, atol=0).any(axis=1)
    got = benjamini_hochberg(p, alpha)
    assert (got == expected)[~near].all() or near.any()
