"""The reader's attack on a published table, used to check disclosure control.

A reader who knows the totals and the published cells can bound every withheld cell with linear
programming; a withheld cell is "pinned" (recomputable) when only one whole number fits. Secondary
suppression in :mod:`safer_communities.publish.disclosure` repeats this audit until nothing is pinned.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from safer_communities.config import Settings

if TYPE_CHECKING:
    from safer_communities.publish.lp_solver import ComponentLP

Cell = tuple[int, int]  # (row position, column position) among the count columns
SCREEN_ABOVE = 100
"""A component with more cells to prove than this is screened with a few feasible solutions first (fewer:
the two warm-started programmes per cell are cheaper than the screen's random objectives)."""


def _bounds(values: np.ndarray, primary: np.ndarray, suppressed: np.ndarray, t: int) -> dict[Cell, tuple]:
    """What a reader knows about each withheld cell."""
    out: dict[Cell, tuple] = {}
    for i, j in zip(*np.nonzero(suppressed), strict=True):
        cell = (int(i), int(j))
        if primary[cell]:
            out[cell] = (1.0, float(t - 1))
        else:
            out[cell] = (float(t), None)
    return out


def feasible_ranges(
    values: np.ndarray,
    primary: np.ndarray,
    suppressed: np.ndarray,
    relations: list[tuple[Cell, list[Cell]]],
    suppress_below: int,
    *,
    exact: bool = False,
    wide_enough: Callable[[Cell, float, float], bool] | None = None,
    settled: dict[Cell, tuple[float, float]] | None = None,
) -> dict[Cell, tuple[float, float]]:
    """The smallest and largest value each withheld cell can take, given everything published.

    This is the attack a careful reader can make with the totals (a linear programme per cell).
    With ``exact=False`` a cell already shown to take at least two whole values gets an inner range
    (enough to know it cannot be recomputed), which is much faster on big tables. ``wide_enough(cell,
    low, high)`` says when such an inner range is enough (default: at least two whole values).

    ``settled`` (with ``exact=False``): inner ranges already proven wide enough for some withheld cells
    by an earlier audit of the same relations with fewer cells withheld. Withholding more cells only
    widens every range (each new unknown may keep its true value, so every solution found before is
    still a solution), so those cells keep their range and are not solved again; a component whose
    cells are all settled needs no linear programme at all.
    """
    # scipy's solvers load only when a table has withheld cells (not at every command's start).
    from scipy.sparse import coo_matrix, csr_matrix
    from scipy.sparse.csgraph import connected_components

    from safer_communities.publish.lp_solver import ComponentLP
    wide_enough = wide_enough or (lambda _cell, lo, hi: not is_pinned(lo, hi))
    bounds = _bounds(values, primary, suppressed, suppress_below)
    unknown = list(bounds)
    if not unknown:
        return {}
    index = {c: k for k, c in enumerate(unknown)}
    rows: list[dict[int, float]] = []
    rhs: list[float] = []
    for total, members in relations:
        coeffs: dict[int, float] = {}
        known = 0.0
        for cell, sign in [(total, 1.0), *[(m, -1.0) for m in members]]:
            if cell in index:
                coeffs[index[cell]] = coeffs.get(index[cell], 0.0) + sign
            elif not np.isnan(values[cell]):  # a missing cell is left out of its total, as pandas sums
                known += sign * values[cell]
        if coeffs:
            rows.append(coeffs)
            rhs.append(-known)
    # Split into independent components so each linear programme stays small.
    n = len(unknown)
    r_idx, c_idx = [], []
    for coeffs in rows:
        ks = list(coeffs)
        for k in ks[1:]:
            r_idx.append(ks[0])
            c_idx.append(k)
    adjacency = coo_matrix((np.ones(len(r_idx)), (r_idx, c_idx)), shape=(n, n))
    _, labels = connected_components(adjacency, directed=False)
    ranges: dict[Cell, tuple[float, float]] = {}
    settled = settled if (settled and not exact) else {}
    components: dict[int, list[int]] = {}  # label -> its cells, and -> its equations, each in order
    for k in range(n):
        components.setdefault(int(labels[k]), []).append(k)
    equations: dict[int, list[int]] = {}
    for r, coeffs in enumerate(rows):
        equations.setdefault(int(labels[next(iter(coeffs))]), []).append(r)
    for label in sorted(components):
        members_k = components[label]
        if settled and all(unknown[k] in settled for k in members_k):
            ranges.update((unknown[k], settled[unknown[k]]) for k in members_k)
            continue
        local = {k: p for p, k in enumerate(members_k)}
        eq = [(rows[r], rhs[r]) for r in equations.get(label, [])]
        lb = [bounds[unknown[k]][0] for k in members_k]
        ub = [bounds[unknown[k]][1] for k in members_k]
        if not eq:
            for k in members_k:
                ranges[unknown[k]] = (bounds[unknown[k]][0], np.inf if ub[local[k]] is None else ub[local[k]])
            continue
        trip = [(r, local[k], v) for r, (coeffs, _) in enumerate(eq) for k, v in coeffs.items()]
        a_eq = csr_matrix(([v for *_, v in trip], ([r for r, *_ in trip], [c for _, c, _ in trip])),
                          shape=(len(eq), len(members_k)))
        b_eq = np.array([b for _, b in eq])
        first = a_eq[0].toarray().ravel() if len(eq) == 1 else None
        if first is not None and np.all(np.abs(first) == 1):
            ranges.update(_single_relation_ranges(first, b_eq[0], lb, ub, [unknown[k] for k in members_k]))
            continue
        box = list(zip(lb, ub, strict=True))
        known_wide = {unknown[k] for k in members_k if unknown[k] in settled}
        ranges.update((cell, settled[cell]) for cell in known_wide)
        todo = [p for p, k in enumerate(members_k) if unknown[k] not in known_wide]
        lp = ComponentLP(a_eq, b_eq, box)  # one model per component; each solve starts warm
        if not exact and len(todo) > SCREEN_ABOVE:
            todo = _screen(lp, members_k, unknown, ranges, wide_enough, todo)
        for p in todo:
            ok_low, low = lp.minimise(p)
            ok_high, high = lp.maximise(p)
            lo = low if ok_low else lb[p]
            hi = high if ok_high else np.inf
            ranges[unknown[members_k[p]]] = (float(lo), float(hi))
    return ranges


def _screen(lp: ComponentLP, members_k: list[int], unknown: list[Cell],
            ranges: dict[Cell, tuple[float, float]], wide_enough: Callable[[Cell, float, float], bool],
            todo: list[int], n_objectives: int = 6) -> list[int]:
    """Prove most cells unpinned with a few feasible solutions; return the cells still to solve exactly.

    Any two feasible solutions bound a cell's range from inside, so a cell whose value differs by at
    least one between them cannot be recomputed. Random objectives give diverse solutions; the
    remaining cells get the two exact linear programmes each. Saves most of the work on big tables.
    """
    rng = np.random.default_rng(0)
    n = len(members_k)
    seen_lo = np.full(n, np.inf)
    seen_hi = np.full(n, -np.inf)

    def solve(c: np.ndarray) -> None:
        nonlocal seen_lo, seen_hi
        ok, _, x = lp.solve(c)
        if ok and x is not None:
            seen_lo = np.minimum(seen_lo, x)
            seen_hi = np.maximum(seen_hi, x)

    asked = np.zeros(n, dtype=bool)
    asked[todo] = True  # the cells to prove (the others are settled already)

    def unproven() -> np.ndarray:
        return np.array([bool(asked[p]) and not (np.isfinite(seen_lo[p]) and wide_enough(
            unknown[members_k[p]], seen_lo[p], seen_hi[p])) for p in range(n)])

    for _ in range(n_objectives):
        c = rng.choice([-1.0, 1.0], size=n)
        for sign in (1.0, -1.0):
            solve(sign * c)
    # Then push the cells not yet shown wide enough, all at once, down and up in turn, while that helps.
    left, stalls = unproven(), 0
    for round_ in range(4 * n_objectives):
        if not left.any() or stalls >= 2:
            break
        weights = rng.uniform(0.5, 1.5, size=n) * left
        solve(weights if round_ % 2 == 0 else -weights)
        now = unproven()
        if round_ % 2 == 1:  # a down-and-up pair that proved nothing more is a stall
            stalls = stalls + 1 if now.sum() >= left.sum() else 0
        left = now
    still = []
    for p in todo:
        if np.isfinite(seen_lo[p]) and wide_enough(unknown[members_k[p]], seen_lo[p], seen_hi[p]):
            ranges[unknown[members_k[p]]] = (float(seen_lo[p]), float(seen_hi[p]))
        else:
            still.append(p)
    return still


def _single_relation_ranges(
    signs: np.ndarray, rhs: float, lb: list, ub: list, cells: list[Cell]
) -> dict[Cell, tuple[float, float]]:
    """Closed form for one equation ``sum(sign_k * x_k) = rhs`` with box bounds (the common case).

    Each cell's range is ``rhs`` minus the range of the rest, the rest's bounds being the totals of the
    terms' bounds less the cell's own (infinite terms counted apart, so a sum is never inf - inf)."""
    inf = np.inf
    signs = np.asarray(signs, dtype=float)
    low = np.asarray(lb, dtype=float)
    high = np.array([inf if u is None else u for u in ub], dtype=float)
    lo_terms = np.where(signs > 0, signs * low, signs * high)  # each term's smallest value
    hi_terms = np.where(signs > 0, signs * high, signs * low)  # and largest
    rest_lo = _sum_without_self(lo_terms)
    rest_hi = _sum_without_self(hi_terms)
    # s * x_k = rhs - rest, rest in [rest_lo, rest_hi]
    a, b = rhs - rest_hi, rhs - rest_lo
    lo = np.where(signs > 0, a, -b)
    hi = np.where(signs > 0, b, -a)
    lo_out = np.maximum(low, lo)
    hi_out = np.minimum(high, hi)
    return {cell: (float(lo_out[k]), float(hi_out[k])) for k, cell in enumerate(cells)}


def _sum_without_self(terms: np.ndarray) -> np.ndarray:
    """For each term, the sum of all the others (``+-inf`` when another term is infinite)."""
    finite = np.isfinite(terms)
    total = float(terms[finite].sum())
    n_pos, n_neg = int((terms == np.inf).sum()), int((terms == -np.inf).sum())
    out = np.where(finite, total - np.where(finite, terms, 0.0), total)
    pos_other = n_pos - (terms == np.inf)
    neg_other = n_neg - (terms == -np.inf)
    out = np.where(pos_other > 0, np.inf, out)
    return np.where(neg_other > 0, -np.inf, out)


def keeps_band(primary: bool, low: float, high: float, suppress_below: int) -> bool:
    """The strict test of the publication grid: a reader solving everything published cannot pin a
    withheld cell, cannot rule out the top of a ``<5`` cell's band (learn "at most 2"), and keeps at
    least as many whole values for a ``[c]`` cell as the ``<5`` band holds.

    A reader can still raise a ``<5`` total's lower bound to the number of its ``<5`` parts (each is at
    least 1): that follows from publishing the parts' symbols and is stated in docs/security.md.
    """
    t = suppress_below
    whole = np.floor(high + 1e-7) - np.ceil(low - 1e-7)
    if primary:
        return whole >= 1 and high >= t - 1 - 1e-6
    return whole >= t - 2


def is_pinned(low: float, high: float) -> bool:
    """True when only one whole number fits the range: the cell could be recomputed."""
    return np.floor(high + 1e-7) - np.ceil(low - 1e-7) < 1


def protect_against_total(
    counts: np.ndarray, hidden: np.ndarray, total: float, *, settings: Settings | None = None
) -> np.ndarray:
    """Hide more units of a rate map so that a published total cannot give back a hidden small count.

    On a map of rates a unit's count can be worked out from its rate and population, so every shown
    unit is in effect a published count. A unit whose rate is hidden (fewer than ``rate_numerator_min``
    records) is known to hold 0 to ``rate_numerator_min - 1``; one hidden for protection, anything.
    If the published ``total`` (e.g. the district) would pin a hidden count of 1 to ``suppress_below - 1``,
    the smallest shown unit is hidden too, until none can be pinned. Returns the new hidden mask.
    """
    settings = settings or Settings()
    t, rate_min = int(settings.suppress_below), int(settings.rate_numerator_min)
    counts = np.asarray(counts, dtype=float)
    reliability = np.asarray(hidden, dtype=bool).copy()
    extra = np.zeros_like(reliability)
    if total < t:  # a total of 1-4 is itself shown as "<5", so it gives nothing exact away
        return reliability
    for _ in range(counts.size):
        shut = reliability | extra
        small = shut & (counts >= 1) & (counts < t)
        if not small.any():
            return shut
        idx = np.flatnonzero(shut)
        lb = [0.0] * idx.size
        ub = [float(rate_min - 1) if reliability[k] and not extra[k] else None for k in idx]
        known = float(np.nansum(np.where(shut, 0.0, counts)))
        ranges = _single_relation_ranges(np.ones(idx.size), float(total) - known, lb, ub,
                                         [(int(k), 0) for k in idx])
        if not any(is_pinned(*ranges[(int(k), 0)]) for k in np.flatnonzero(small)):
            return shut
        visible = np.flatnonzero(~shut & (counts > 0))
        if visible.size == 0:
            return shut
        extra[visible[np.argmin(counts[visible])]] = True
    return reliability | extra
