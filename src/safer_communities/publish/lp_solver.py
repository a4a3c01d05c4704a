"""One linear programme, many objectives: the reader's attack solved with warm starts (HiGHS).

Why: the disclosure audit bounds every withheld cell of a component by minimising and maximising it
under the same constraints (everything published). Building and solving each of those programmes from
scratch (``scipy.optimize.linprog``) repeats the set-up and the whole simplex every time; keeping one
HiGHS model per component and changing only the objective starts each solve from the last optimal
basis, which is usually a few pivots away. The optima are the same; only the route to them changes.
"""

from __future__ import annotations

import numpy as np
from scipy.sparse import csc_matrix, spmatrix

from safer_communities.errors import SaferError


class SolverError(SaferError):
    """The solver ended a programme without an optimum or a proof that it is unbounded."""

    code = "disclosure_error"


class ComponentLP:
    """``min c.x`` subject to ``A x = b`` and box bounds (``None``: no upper bound), for many ``c``."""

    def __init__(self, a_eq: np.ndarray | spmatrix, b_eq: np.ndarray,
                 box: list[tuple[float, float | None]]) -> None:
        import highspy

        self._highspy = highspy
        a = csc_matrix(a_eq)
        n_row, n_col = a.shape
        inf = highspy.kHighsInf
        lp = highspy.HighsLp()
        lp.num_col_, lp.num_row_ = n_col, n_row
        lp.col_cost_ = np.zeros(n_col)
        lp.col_lower_ = np.array([lo for lo, _ in box], dtype=float)
        lp.col_upper_ = np.array([inf if hi is None else hi for _, hi in box], dtype=float)
        lp.row_lower_ = lp.row_upper_ = np.asarray(b_eq, dtype=float)
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.start_ = a.indptr.astype(np.int32)
        lp.a_matrix_.index_ = a.indices.astype(np.int32)
        lp.a_matrix_.value_ = a.data.astype(float)
        self._h = highspy.Highs()
        self._h.setOptionValue("output_flag", False)
        self._h.passModel(lp)
        self._cols = np.arange(n_col, dtype=np.int32)
        self.n = n_col

    def solve(self, c: np.ndarray) -> tuple[bool, float, np.ndarray | None]:
        """(bounded, the optimum, a solution) for the objective ``c`` (minimised); ``False`` only when the
        objective is unbounded. Any other outcome (a limit reached, a numerical failure, infeasible
        though the true counts satisfy every constraint) raises: the audit must fail closed, never read
        an unsolved programme as "the reader learns nothing"."""
        h, status = self._h, self._highspy.HighsModelStatus
        h.changeColsCost(self.n, self._cols, np.asarray(c, dtype=float))
        h.run()
        outcome = h.getModelStatus()
        if outcome == status.kOptimal:
            return True, float(h.getInfo().objective_function_value), np.array(h.getSolution().col_value)
        if outcome in (status.kUnbounded, status.kUnboundedOrInfeasible):
            return False, float("nan"), None
        raise SolverError(
            "The disclosure audit could not solve a reader's linear programme, so nothing is published.",
            found=f"HiGHS status {h.modelStatusToString(outcome)} ({self.n} unknowns)",
            hint="Report this as a bug with the period and area asked for.")

    def minimise(self, p: int) -> tuple[bool, float]:
        """The smallest value of variable ``p`` (unit objective; only that cost changes)."""
        return self._unit(p, 1.0)

    def maximise(self, p: int) -> tuple[bool, float]:
        """The largest value of variable ``p``."""
        ok, fun = self._unit(p, -1.0)
        return ok, -fun

    def _unit(self, p: int, sign: float) -> tuple[bool, float]:
        c = np.zeros(self.n)
        c[p] = sign
        ok, fun, _ = self.solve(c)
        return ok, fun
