"""The publication window and the faster audit over a store longer than the demo (issue 16, item 4).

The store is the real slice in tests/data/evidence: three Lancashire districts, 25 months of police.uk
(2020-10..2022-10), more than the demo's 12, so the grid holds rolling years, two calendar years, three
financial years (two of them part-years) and the windows overlapping them. The attack is the reader's
strongest: every cell the grid publishes, every sum a reader knows (parents and their children, periods
and their months or quarters), and for every withheld cell the smallest and largest value a linear
programme allows, solved here from scratch with scipy (not with the audit under test, which carries
proven cells from round to round and warm-starts HiGHS).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.optimize import linprog
from scipy.sparse.csgraph import connected_components

from safer_communities.analysis.periods import parse_period
from safer_communities.config import Settings
from safer_communities.publish import grid
from safer_communities.publish.grid_window import publication_months, window_start
from safer_communities.publish.sna_internal import report_is_internal
from safer_communities.store.evidence import connect

ISSUE = "serious-organised-crime"  # nearly every LSOA count small: the hardest grid to protect
T = 5


def _attack(protected: grid.ProtectedGrid) -> dict[tuple[int, int], tuple[float, float]]:
    """Each withheld cell's range given everything published (exact minimum and maximum per cell)."""
    on = protected.on_grid
    withheld = [c for c in zip(*np.nonzero(protected.suppressed & on), strict=True)]
    pos = {(int(i), int(j)): k for k, (i, j) in enumerate(withheld)}
    rows, cols, vals, rhs = [], [], [], []
    for total, members in protected.relations:
        if not on[total]:
            continue
        const, terms = 0.0, {}
        for cell, sign in [(total, 1.0), *[(m, -1.0) for m in members]]:
            if cell in pos:
                terms[pos[cell]] = terms.get(pos[cell], 0.0) + sign
            elif not np.isnan(protected.counts[cell]):
                const += sign * protected.counts[cell]  # a published number
        if terms:
            for k, v in terms.items():
                rows.append(len(rhs))
                cols.append(k)
                vals.append(v)
            rhs.append(-const)
    n = len(withheld)
    a = sp.csr_matrix((vals, (rows, cols)), shape=(len(rhs), n))
    bounds = [(1.0, T - 1.0) if protected.primary[c] else (float(T), None) for c in withheld]
    _, label = connected_components(a.T @ a, directed=False)
    out: dict[tuple[int, int], tuple[float, float]] = {}
    for comp in np.unique(label):
        ks = np.flatnonzero(label == comp)
        eq = np.flatnonzero(np.asarray(abs(a[:, ks]).sum(axis=1)).ravel() > 0)
        sub, b = a[eq][:, ks], np.asarray(rhs)[eq]
        box = [bounds[k] for k in ks]
        for p, k in enumerate(ks):
            c = np.zeros(len(ks))
            c[p] = 1.0
            lo = linprog(c, A_eq=sub, b_eq=b, bounds=box, method="highs") if len(eq) else None
            hi = linprog(-c, A_eq=sub, b_eq=b, bounds=box, method="highs") if len(eq) else None
            low = lo.fun if lo is not None and lo.status == 0 else box[p][0]
            high = -hi.fun if hi is not None and hi.status == 0 else np.inf
            out[(int(withheld[k][0]), int(withheld[k][1]))] = (low, high)
    return out


@pytest.fixture(scope="module")
def long_grid(report_store: Path) -> grid.ProtectedGrid:
    con = connect(report_store, read_only=True)
    try:
        return grid.protect_issue(con, ISSUE, settings=Settings())
    finally:
        con.close()


def test_the_long_store_is_longer_than_the_demo(long_grid: grid.ProtectedGrid) -> None:
    assert len(long_grid.months_loaded) == 25  # every month is inside the default window (5 years)
    kinds = {k for gp in long_grid.periods for k in gp.kinds}
    assert {grid.ROLLING, grid.CALENDAR, grid.FINANCIAL, grid.QUARTER} <= kinds
    small = {(long_grid.areas["level"].iloc[i], long_grid.periods[j].kinds[0])
             for i, j in zip(*np.nonzero(long_grid.primary), strict=True)}
    assert int(long_grid.primary.sum()) > 50  # a hard grid: many small counts to protect,
    assert ("district", grid.MONTH) in small  # district months among them (tied by every overlapping year)


def test_solving_everything_published_leaves_every_small_count_in_its_band(
        long_grid: grid.ProtectedGrid) -> None:
    leaks = _leaks(long_grid)
    assert not leaks, f"{len(leaks)} withheld cells narrowed, e.g. {leaks[:3]}"


def _leaks(protected: grid.ProtectedGrid) -> list:
    """Withheld cells the attack narrows: pinned, a ``<5`` that cannot reach 4, or a ``[c]`` with
    fewer whole values than the ``<5`` band holds (the strict test of the grid)."""
    out = []
    for cell, (lo, hi) in _attack(protected).items():
        whole = np.floor(hi + 1e-7) - np.ceil(lo - 1e-7)
        primary = bool(protected.primary[cell])
        if not (whole >= 1 and hi >= T - 1 - 1e-6 if primary else whole >= T - 2):
            out.append((cell, (lo, hi)))
    return out


def test_the_attack_finds_leaks_without_secondary_suppression(long_grid: grid.ProtectedGrid) -> None:
    """The control: the same cube with its small counts hidden but no partner withheld is narrowed
    by the same attack (so the test above can fail)."""
    weakened = replace(long_grid, suppressed=long_grid.primary.copy())
    leaks = _leaks(weakened)
    assert len(leaks) >= 10
    assert any(hi - lo < 1e-6 and lo == long_grid.counts[c] for c, (lo, hi) in leaks)  # recovered exactly


def test_window_covers_the_latest_financial_years() -> None:
    months = [date(2012 + (k + 3) // 12, (k + 3) % 12 + 1, 1) for k in range(120)]  # 2012-04..2022-03
    assert window_start(date(2022, 3, 1), 5) == date(2017, 4, 1)
    assert window_start(date(2022, 4, 1), 1) == date(2022, 4, 1)
    assert window_start(date(2022, 10, 1), 2) == date(2021, 4, 1)
    kept = publication_months(months, 5)
    assert kept[0] == date(2017, 4, 1) and kept[-1] == date(2022, 3, 1) and len(kept) == 60
    assert publication_months(months, 20) == months


def test_months_before_the_window_are_refused_with_a_hint(report_store: Path) -> None:
    settings = Settings(publication_years=2)  # 2021-04..2022-10 of 2020-10..2022-10
    con = connect(report_store, read_only=True)
    try:
        short = grid.protect_issue(con, "violence", settings=settings)
        assert short.months_loaded[0] == date(2021, 4, 1) and len(short.months_loaded) == 19
        assert short.period("2021-04..2022-03", "lsoa").lsoa
        with pytest.raises(grid.OffGridError) as err:
            short.period("2020-10..2021-09", "district")  # a rolling year on the full grid, not here
        assert "before the publication window" in err.value.what
        assert "SAFER_PUBLICATION_YEARS" in str(err.value.hint)
        with pytest.raises(grid.OffGridError) as err:
            report_is_internal(con, parse_period("2020-10..2021-09"), internal=False, settings=settings)
        assert "--internal" in str(err.value.hint)
        assert report_is_internal(con, parse_period("2020-10..2021-09"), internal=True, settings=settings)
        assert not report_is_internal(con, parse_period("2020-10..2021-09"), internal=False,
                                      settings=Settings())
    finally:
        con.close()


def test_the_warm_started_model_gives_the_optima_of_a_fresh_solve() -> None:
    """One HiGHS model per component, only its objective changed: every minimum and maximum (and an
    unbounded maximum) equals scipy's linprog solved from scratch."""
    from safer_communities.publish.lp_solver import ComponentLP

    rng = np.random.default_rng(16)
    for _ in range(25):
        n, m = int(rng.integers(3, 12)), int(rng.integers(1, 6))
        a = rng.choice([-1.0, 0.0, 1.0], size=(m, n), p=[0.3, 0.3, 0.4])
        x0 = rng.integers(1, 9, size=n).astype(float)  # a feasible point, so every programme is feasible
        box = [(1.0, 4.0) if x0[k] <= 4 and rng.random() < 0.5 else (1.0, None) for k in range(n)]
        lp = ComponentLP(sp.csr_matrix(a), a @ x0, box)
        for p in range(n):
            c = np.zeros(n)
            c[p] = 1.0
            low = linprog(c, A_eq=a, b_eq=a @ x0, bounds=box, method="highs")
            high = linprog(-c, A_eq=a, b_eq=a @ x0, bounds=box, method="highs")
            ok_low, lo = lp.minimise(p)
            ok_high, hi = lp.maximise(p)
            assert ok_low and abs(lo - low.fun) < 1e-7
            assert ok_high == (high.status == 0)
            if ok_high:
                assert abs(hi - -high.fun) < 1e-7



def test_a_programme_left_unsolved_fails_closed() -> None:
    """Only a proven unbounded objective reads as an infinite range. A solve that ends on a limit (here
    an iteration limit of zero) is not read as "the reader learns nothing": the audit stops with an
    error, so nothing is published."""
    from safer_communities.publish.lp_solver import ComponentLP, SolverError

    free = ComponentLP(sp.csr_matrix(np.array([[1.0, -1.0]])), np.array([0.0]), [(0.0, None), (0.0, None)])
    assert free.maximise(0)[0] is False  # x0 = x1 with no upper bound: unbounded, proven
    a = np.array([[1.0, 1.0, 0.0], [0.0, 1.0, 1.0]])
    lp = ComponentLP(sp.csr_matrix(a), a @ np.array([2.0, 3.0, 4.0]), [(1.0, 4.0), (1.0, None), (1.0, None)])
    assert lp.maximise(1) == (True, 4.0)
    lp._h.setOptionValue("simplex_iteration_limit", 0)
    lp._h.setOptionValue("presolve", "off")
    lp._h.clearSolver()
    with pytest.raises(SolverError, match="could not solve") as info:
        lp.maximise(2)
    assert "Iteration limit" in (info.value.found or "")
