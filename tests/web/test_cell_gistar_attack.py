"""Attack 3 of issue 11 on the grid-cell Gi* layers: solve for small 250 m cell counts from published
z-scores with a linear programme, on the real demo data (Lancashire police.uk, serious organised crime,
Hyndburn, 2021-04..2022-03).

The attacker reads the published file (``safer evidence hotspots --method gistar --csv --all-cells``: every
cell's z to one decimal) and is given far more than any output publishes: which cells are empty, which
hold 1 to 4 records, the exact count of every cell with 5 or more, the true total of located records, and
the mean and standard deviation (true or of the stand-ins). The unknowns are the cells of 1 to 4. A cell
is *recovered* when the whole numbers its LP interval allows are fewer than the four of the band and
include the truth (the attacker learnt something true); an interval that excludes the truth misleads.
The control runs the same attack on z from the true counts (the build before the fix) and must recover
cells, so this test can fail.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from scipy.optimize import linprog
from typer.testing import CliRunner

ISSUE = "serious-organised-crime"
FY = "2021-04..2022-03"
DISTRICT = "E07000120"  # Hyndburn: 1,267 cells of 250 m, 82 with 1 to 4 records
CELL_M = 250.0
T = 5


@pytest.fixture(scope="module")
def published(demo_store: Path, tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    from safer_communities.cli import app

    out = tmp_path_factory.mktemp("cells") / "gistar.csv"
    result = CliRunner().invoke(app, ["--db", str(demo_store), "evidence", "hotspots", "--issue", ISSUE,
                                      "--method", "gistar", "--period", FY, "--area", DISTRICT,
                                      "--cell-size-m", f"{CELL_M:g}", "--all-cells", "--csv", str(out)])
    assert result.exit_code == 0, result.output
    return pd.read_csv(out)


@pytest.fixture(scope="module")
def true_counts(demo_store: Path, published: pd.DataFrame) -> np.ndarray:
    """The true cell counts (internal), in the published file's order."""
    from safer_communities.analysis.spatial import issue_hotspots
    from safer_communities.store.evidence import connect

    con = connect(demo_store, read_only=True)
    try:
        grid = issue_hotspots(con, ISSUE, method="count", period=FY, area_code=DISTRICT, cell_size_m=CELL_M,
                              quiet=True)
    finally:
        con.close()
    by_cell = grid.set_index("cell_id")["count"]
    return by_cell.loc[published["cell_id"]].to_numpy(dtype=float)


def _neighbours(frame: pd.DataFrame) -> sp.csr_array:
    """The attacker's own queen neighbours of the published cell centres (the cell itself included)."""
    from scipy.spatial import cKDTree

    xy = frame[["x", "y"]].to_numpy(float)
    pairs = cKDTree(xy).query_pairs(CELL_M * math.sqrt(2) + 1.0, output_type="ndarray")
    n = len(xy)
    rows = np.concatenate([pairs[:, 0], pairs[:, 1], np.arange(n)])
    cols = np.concatenate([pairs[:, 1], pairs[:, 0], np.arange(n)])
    return sp.csr_array((np.ones(rows.size), (rows, cols)), shape=(n, n))


class CellAttacker:
    """LP bounds on the small cells from z rows (lag sums within the rounding), the total and the band."""

    def __init__(self, true: np.ndarray, w: sp.csr_array) -> None:
        self.true, self.w = true, w
        self.small = np.flatnonzero((true >= 1) & (true <= T - 1))
        self.lp_runs = 0

    def attack(self, z: np.ndarray, mean: float, sd: float, *, informed: bool = False,
               ) -> tuple[list[int], list[int], bool]:
        """(recovered, misled, feasible) for z published to one decimal, given the mean and sd. ``informed``:
        the attacker read the method note (small cells enter z as 2.5), so z rows hold no unknown."""
        n = self.true.size
        known = np.where(np.isin(np.arange(n), self.small), 0.0, self.true)  # oracle: 0s and 5+ exact
        weight = np.asarray(self.w.sum(axis=1)).ravel()
        scale = sd * np.sqrt((n * weight - weight**2) / (n - 1))
        if informed:
            known[self.small] = 2.5
        sub = self.w[:, self.small].tocsr() * (0.0 if informed else 1.0)
        sub.eliminate_zeros()
        touch = np.flatnonzero(np.diff(sub.indptr) > 0)  # rows with no small cell say nothing of them
        fixed = self.w @ known - mean * weight
        if informed:  # the z rows must fit as constants; they do (checked), and say nothing of the cells
            inside = np.abs(self.w @ known - mean * weight - z * scale) <= 0.05 * scale + 1e-9
            assert inside.all()
        a = sub[touch]
        upper = (z[touch] + 0.05) * scale[touch] - fixed[touch]
        lower = (z[touch] - 0.05) * scale[touch] - fixed[touch]
        a_ub = sp.vstack([a, -a]).tocsr()
        b_ub = np.concatenate([upper, -lower])
        a_eq = np.ones((1, self.small.size))
        # the total of located records, given outright
        b_eq = [self.true.sum() - np.where(known == 2.5, 0.0, known).sum()]
        recovered, misled = [], []
        for i, cell in enumerate(self.small):
            c = np.zeros(self.small.size)
            c[i] = 1.0
            lo = linprog(c, A_ub=a_ub, b_ub=b_ub, A_eq=a_eq, b_eq=b_eq, bounds=(1, T - 1), method="highs")
            hi = linprog(-c, A_ub=a_ub, b_ub=b_ub, A_eq=a_eq, b_eq=b_eq, bounds=(1, T - 1), method="highs")
            self.lp_runs += 2
            if lo.status == 2 or hi.status == 2:
                return [], [], False  # the published z fit no such truth: nothing is learnt
            allowed = set(range(math.ceil(lo.fun - 1e-6), math.floor(-hi.fun + 1e-6) + 1))
            if self.true[cell] not in allowed:
                misled.append(int(cell))
            elif len(allowed) < T - 1:
                recovered.append(int(cell))
        return recovered, misled, True


def test_published_cell_z_is_that_of_the_stand_ins(published: pd.DataFrame, true_counts: np.ndarray) -> None:
    """The published z is the Gi* of the cell counts with 1 to 4 replaced by 2.5, recomputed here, so it
    is the same whatever each small cell holds; no counts or p-values are in the file."""
    from safer_communities.analysis.gistar import local_gistar

    assert "count" not in published.columns and "p_value" not in published.columns
    assert ((true_counts >= 1) & (true_counts <= 4)).sum() > 50  # the issue where it matters
    w = _neighbours(published)
    w.setdiag(0)
    w.eliminate_zeros()
    stand_in = np.where((true_counts >= 1) & (true_counts <= 4), 2.5, true_counts)
    z, _ = local_gistar(stand_in, w)
    np.testing.assert_allclose(published["gistar_z"].to_numpy(float), np.round(z, 1), atol=0.051)
    z_true, _ = local_gistar(true_counts, w)
    assert np.abs(np.round(z_true, 1) - published["gistar_z"].to_numpy(float)).max() >= 0.1  # not the truth


def test_cell_gistar_z_scores_recover_no_small_cell(published: pd.DataFrame, true_counts: np.ndarray) -> None:
    """The LP attack on the published z recovers nothing; on z from the true counts it recovers cells."""
    from safer_communities.analysis.gistar import local_gistar

    w = _neighbours(published)
    attacker = CellAttacker(true_counts, w)
    z_pub = published["gistar_z"].to_numpy(float)
    stand_in = np.where((true_counts >= 1) & (true_counts <= 4), 2.5, true_counts)
    fixed = {}
    for name, mean, sd in (("true mean and sd", true_counts.mean(), true_counts.std()),
                           ("stand-ins' mean and sd", stand_in.mean(), stand_in.std())):
        fixed[name] = attacker.attack(z_pub, mean, sd)
    fixed["informed: z of the stand-ins"] = attacker.attack(z_pub, stand_in.mean(), stand_in.std(),
                                                            informed=True)
    runs_fixed = attacker.lp_runs
    w0 = w.copy()
    w0.setdiag(0)
    w0.eliminate_zeros()
    z_true, _ = local_gistar(true_counts, w0)
    control, control_misled, feasible = attacker.attack(np.round(z_true, 1), true_counts.mean(),
                                                        true_counts.std())
    print(f"\ncell Gi* attack ({DISTRICT}, {FY}, {ISSUE}, {len(published):,} cells of {CELL_M:g} m): "
          f"{attacker.small.size} small cells withheld, {attacker.lp_runs} LP runs ({runs_fixed} on the "
          f"published z); recovered " + ", ".join(f"{len(r)} ({name}; misled {len(m)}, feasible {f})"
                                                  for name, (r, m, f) in fixed.items())
          + f"; control on z from true counts: recovered {len(control)}, misled {len(control_misled)}")
    assert feasible and len(control) >= 10  # the attack works on z from the true counts
    assert fixed["informed: z of the stand-ins"][2]  # a feasible attack, bounded by the total alone
    assert all(r == [] for r, _, _ in fixed.values())
