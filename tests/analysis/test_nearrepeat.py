"""Knox test against Ratcliffe's Near Repeat Calculator outputs for the Chicago arson and burglary data."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from safer_communities.analysis.nearrepeat import knox_test
from safer_communities.errors import InputError

DATA = Path(__file__).resolve().parents[1] / "data" / "near-repeat"
CASES = {
    # name: (verbose output, metres per band, days per band, Calculator iterations)
    "chicago_arson": ("chicago_arson_NRverbose_2019-09-23_145637.csv", 200, 1, 99),
    "chicago_be_month1": ("chicago_be_month1_NRverbose_2019-09-23_143005.csv", 100, 7, 19),
}


def read_verbose(path: Path) -> dict[tuple[int, int], tuple[np.ndarray, int, float, float]]:
    """Every cell of a Calculator verbose file: simulated counts, observed, p-value, obs/mean ratio."""
    lines = path.read_text().splitlines()
    cells = {}
    k = 0
    while k < len(lines):
        match = re.match(r"Row (\d+) Column (\d+)", lines[k])
        k += 1
        if not match:
            continue
        sims: list[int] = []
        while not lines[k].startswith("Observed"):
            sims += [int(v) for v in lines[k].split(",")[1:] if v.strip()]
            k += 1
        fields = {line.split(",")[0]: line.split(",")[1].strip() for line in lines[k : k + 6]}
        cells[(int(match[1]), int(match[2]))] = (
            np.array(sims),
            int(fields["Observed"]),
            float(fields["P value"]),
            float(fields["Obs over Mean Exp"]),
        )
    return cells


def events(name: str) -> pd.DataFrame:
    return pd.read_csv(DATA / f"{name}.csv", header=None, names=["x", "y", "date"])


@pytest.mark.parametrize("name", list(CASES))
def test_reproduces_the_calculator(name: str) -> None:
    verbose, metres, days, iterations = CASES[name]
    reference = read_verbose(DATA / verbose)
    assert len(reference) == 20
    table = knox_test(
        events(name),
        spatial_bands_m=[metres, 2 * metres, 3 * metres],
        temporal_bands_days=days,
        permutations=999,
        seed=20,
        quiet=True,
    )
    assert len(table) == 20
    for (row, col), (sims, observed, p_value, ratio) in reference.items():
        ours = table.iloc[(row - 1) * 4 + (col - 1)]
        # Observed counts: exactly.
        assert ours["observed"] == observed, (row, col)
        # Calculator p-value = (1 + simulations >= observed) / (iterations + 1), checked on its own data.
        assert sims.size == iterations
        assert p_value == pytest.approx((1 + (sims >= observed).sum()) / (iterations + 1), abs=1e-9)
        assert ratio == pytest.approx(observed / sims.mean() if sims.mean() else 0, rel=1e-9)
        # Expected counts agree within Monte Carlo error (both estimates are means of simulations).
        se = np.sqrt(sims.var(ddof=1) / sims.size + ours["expected"] / 999 + 1e-12)
        assert abs(ours["expected"] - sims.mean()) < 4 * se, (row, col, ours["expected"], sims.mean())
    assert table.attrs["pairs"] == len(events(name)) * (len(events(name)) - 1) // 2


def test_arson_headline_figures() -> None:
    table = knox_test(
        events("chicago_arson"),
        spatial_bands_m=200,
        temporal_bands_days=1,
        permutations=99,
        seed=1,
        quiet=True,
    )
    assert table.attrs["events"] == 522 and table.attrs["pairs"] == 135_981
    assert table["observed"].sum() == 135_981
    cell = table[(table["calculator_distance"] == "1 to 200") & (table["calculator_time"] == "0 to 1")].iloc[
        0
    ]
    assert cell["observed"] == 9 and cell["distance_band"] == "more than 0 and under 200 m"
    assert cell["time_band"] == "0 days" and cell["p_value"] == pytest.approx(0.01)
    # The Calculator's 74.25 is 9 / 0.1212 (its 99 simulations); ours is within Monte Carlo error of it.
    assert 25 < cell["ratio"] < 200


def test_refuses_month_only_dates() -> None:
    monthly = pd.DataFrame(
        {"x": [1.0, 2.0, 3.0], "y": [1.0, 2.0, 3.0], "date": ["2021-01-01", "2021-02-01", "2021-03-01"]}
    )
    with pytest.raises(InputError, match="every date here is the 1st of a month"):
        knox_test(monthly, spatial_bands_m=100, temporal_bands_days=7, quiet=True)
    with pytest.raises(InputError, match="months only"):
        knox_test(
            monthly.rename(columns={"date": "month"}), spatial_bands_m=100, temporal_bands_days=7, quiet=True
        )
    with pytest.raises(InputError, match="no usable location or date"):
        knox_test(
            monthly.assign(date=["2021-01-05", "not a date", "2021-03-09"]),
            spatial_bands_m=100,
            temporal_bands_days=7,
        )
    with pytest.raises(InputError, match="equal steps"):
        knox_test(events("chicago_arson"), spatial_bands_m=[200, 500], temporal_bands_days=1)


def brute_force(x: np.ndarray, y: np.ndarray, days: np.ndarray, metres: float, width: int) -> np.ndarray:
    table = np.zeros((5, 4), dtype=int)
    for i in range(x.size):
        for j in range(i + 1, x.size):
            d = abs(x[i] - x[j]) + abs(y[i] - y[j])
            row = 0 if d == 0 else min(int(d // metres) + 1, 4)
            table[row, min(abs(days[i] - days[j]) // width, 3)] += 1
    return table.ravel()


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 40), st.integers(0, 40), st.integers(0, 25)), min_size=2, max_size=40),
    st.integers(1, 10),
)
def test_observed_equals_brute_force(rows: list[tuple[int, int, int]], width: int) -> None:
    # Coordinates on a 25 m lattice put many pairs exactly on band edges and at the same location.
    xy = np.array([(r[0] * 25.0, r[1] * 25.0) for r in rows])
    day = np.array([r[2] for r in rows])  # 2 to 27 March: never on the 1st
    frame = pd.DataFrame(
        {"x": xy[:, 0], "y": xy[:, 1], "date": pd.Timestamp("2021-03-02") + pd.to_timedelta(day, "D")}
    )
    table = knox_test(
        frame, spatial_bands_m=100, temporal_bands_days=width, permutations=5, seed=0, quiet=True
    )
    assert table["observed"].tolist() == brute_force(xy[:, 0], xy[:, 1], day, 100, width).tolist()
    assert ((table["p_value"] > 0) & (table["p_value"] <= 1)).all()
