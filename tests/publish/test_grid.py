"""The publication grid's periods, checked by hand, and its refusal of everything else (property test)."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from safer_communities.analysis.periods import Period, add_months
from safer_communities.publish.disclosure import _secondary
from safer_communities.publish.disclosure_audit import feasible_ranges, keeps_band
from safer_communities.publish.grid import (
    CALENDAR,
    FINANCIAL,
    MONTH,
    QUARTER,
    ROLLING,
    OffGridError,
    find_period,
    grid_periods,
)

FIRST, LAST = date(2021, 4, 1), date(2022, 3, 1)


def test_a_financial_year_of_months_has_seventeen_periods() -> None:
    periods = grid_periods(FIRST, LAST)
    labels = {p.label: p.kinds for p in periods}
    assert len(periods) == 12 + 4 + 1  # months, quarters, and the year (financial and rolling at once)
    assert labels["2021-04..2022-03"] == (FINANCIAL, ROLLING)
    assert labels["2021-07..2021-09"] == (QUARTER,)
    assert labels["2021-06"] == (MONTH,)
    assert "2021" not in labels  # January to March 2021 are not loaded, so no calendar year 2021
    assert [p.label for p in periods if p.lsoa] == ["2021-04..2022-03"]


def test_two_years_hold_calendar_years_and_rolling_windows() -> None:
    periods = grid_periods(date(2021, 1, 1), date(2022, 12, 1))
    kinds = [k for p in periods for k in p.kinds]
    assert kinds.count(CALENDAR) == 2 and kinds.count(FINANCIAL) == 1  # 2021-04..2022-03 only
    assert kinds.count(ROLLING) == 13  # ending 2021-12 .. 2022-12
    assert kinds.count(QUARTER) == 8 and kinds.count(MONTH) == 24


def test_off_grid_is_refused_with_what_is_on_it() -> None:
    periods = grid_periods(FIRST, LAST)
    with pytest.raises(OffGridError) as info:
        find_period(periods, Period.from_months(date(2021, 4, 1), date(2021, 5, 1)), "district")
    assert info.value.code == "off_grid" and "2021-04..2022-03" in (info.value.hint or "")
    with pytest.raises(OffGridError, match="financial years"):
        find_period(periods, Period.from_months(date(2021, 4, 1), date(2021, 6, 1)), "lsoa")


@settings(deadline=None, max_examples=200)
@given(st.integers(0, 11), st.integers(0, 11), st.sampled_from(["county", "district", "lsoa"]))
def test_every_window_is_on_the_grid_or_refused(a: int, b: int, level: str) -> None:
    start, end = add_months(FIRST, min(a, b)), add_months(FIRST, max(a, b))
    period = Period.from_months(start, end)
    n = period.n_months
    on_grid = (n == 1 or (n == 3 and start.month in (1, 4, 7, 10)) or n == 12)
    if level == "lsoa":
        on_grid = n == 12 and start.month == 4
    try:
        gp = find_period(grid_periods(FIRST, LAST), period, level)
    except OffGridError:
        assert not on_grid
    else:
        assert on_grid and (gp.period.start, gp.period.end) == (start, end)


def test_strict_audit_keeps_the_band_where_plain_suppression_narrows() -> None:
    """x + y + z = 27 with x = 1 (<5): withholding y = 6 stops x being pinned, but x + y = 7 and y >= 5
    tell the reader x <= 2. The strict grid chooses a partner large enough that x may still be 4."""
    values = np.array([[1.0], [6.0], [20.0], [27.0]])  # rows: x, y, z, total = x + y + z
    primary = np.array([[True], [False], [False], [False]])
    relations = [((3, 0), [(0, 0), (1, 0), (2, 0)])]
    plain = _secondary(values, primary, relations, 5)
    strict = _secondary(values, primary, relations, 5, strict=True)
    lo, hi = feasible_ranges(values, primary, plain, relations, 5, exact=True)[(0, 0)]
    assert plain[1, 0] and (lo, hi) == (1.0, 2.0)  # plain: not pinned, but narrowed to 1 or 2
    ranges = feasible_ranges(values, primary, strict, relations, 5, exact=True)
    assert strict[2, 0] and not strict[1, 0]  # the partner of at least 8
    assert all(keeps_band(bool(primary[c]), lo, hi, 5) for c, (lo, hi) in ranges.items())
