"""Statistical disclosure control: every published table, chart and map goes through here.

Rules (thresholds are settings, ``Settings.suppress_below`` and ``Settings.rate_numerator_min``):

- Primary suppression: a count from 1 to ``suppress_below - 1`` is shown as ``<5``.
- Rates, percentages and their intervals whose numerator is under ``rate_numerator_min`` are not
  shown (``[u]``, low reliability); where the numerator itself is suppressed they are ``[c]``.
- Secondary suppression: wherever a total (a total row, a total column, or a district-to-county
  roll-up given by ``groups``) would let a reader recompute a suppressed cell, another cell is
  suppressed (``[c]``). An audit then bounds every suppressed cell with linear programming, using what
  a reader knows (published cells, the totals, ``<5`` means 1 to 4, ``[c]`` means at least 5) and
  suppresses more until no suppressed cell can be pinned to a single value.
- Zero is published. A zero count says that no record exists, not who is in one; police.uk and
  Fingertips practice (DOMAIN.md) suppresses 1-4 or 1-5, never 0. Zeros are never chosen as
  secondary cells, so ``[c]`` always stands for a value of at least ``suppress_below``.
- A missing value (a month absent from the source) is shown as ``[x]``, never as 0.

Symbols follow the Government Statistical Service guidance on symbols in tables.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from safer_communities.config import Settings
from safer_communities.errors import InputError, SaferError
from safer_communities.publish.disclosure_audit import (
    Cell,
    _single_relation_ranges,
    feasible_ranges,
    is_pinned,
    keeps_band,
    protect_against_total,
)
from safer_communities.publish.sources import published_record_level

SECONDARY = "[c]"
UNRELIABLE = "[u]"
MISSING = "[x]"
TOTAL = "Total"

__all__ = ["DisclosureError", "PublishedTable", "feasible_ranges", "is_pinned", "protect_against_total",
           "suppress_counts", "suppress_table"]


@dataclass
class PublishedTable:
    """A disclosure-controlled table.

    ``published`` holds the strings to print; ``values`` the numbers that may be drawn (suppressed
    cells are NaN); ``suppressed`` is True where a cell was withheld, ``primary`` where it was a
    small count; ``notes`` explain the symbols used, for a footnote.
    """

    published: pd.DataFrame
    values: pd.DataFrame
    suppressed: pd.DataFrame
    primary: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    suppress_below: int = 5

    @property
    def n_suppressed(self) -> int:
        return int(self.suppressed.to_numpy().sum())


class DisclosureError(SaferError):
    """A table could not be protected (no cell left to suppress)."""

    code = "disclosure_error"


def primary_marker(suppress_below: int) -> str:
    return f"<{suppress_below}"


def _relations(
    df: pd.DataFrame,
    count_columns: Sequence[str],
    total_column: str | None,
    groups: Mapping[Hashable, Sequence[Hashable]],
) -> list[tuple[Cell, list[Cell]]]:
    """Additive relations ``total cell = sum of member cells`` that a reader can use."""
    position = {key: i for i, key in enumerate(df.index)}
    relations: list[tuple[Cell, list[Cell]]] = []
    for total_key, members in groups.items():
        if total_key not in position:
            raise InputError(
                "A total row named for secondary suppression is not in the table.",
                found=repr(total_key), hint="Pass keys that appear in the table's index (or key_column).",
            )
        missing = [m for m in members if m not in position]
        if missing:
            raise InputError(
                "Some members of a total are not rows of the table.",
                found=f"{total_key!r}: {missing[:5]!r}", hint="Pass only keys present in the table.",
            )
        for j in range(len(count_columns)):
            relations.append(((position[total_key], j), [(position[m], j) for m in members]))
    if total_column is not None:
        jt = list(count_columns).index(total_column)
        others = [j for j in range(len(count_columns)) if j != jt]
        for i in range(len(df)):
            relations.append(((i, jt), [(i, j) for j in others]))
    return relations


def _check_additive(values: np.ndarray, relations: list[tuple[Cell, list[Cell]]]) -> None:
    for total, members in relations:
        got = sum(0.0 if np.isnan(values[m]) else values[m] for m in members)
        if abs(got - values[total]) > 1e-6:
            raise InputError(
                "A total in the table does not equal the sum of its parts, so disclosure control "
                "cannot reason about it.",
                found=f"total {values[total]:g} but parts sum to {got:g} (cell {total})",
                hint="Build the total from the same rows, or leave total_row/groups unset.",
            )


def _pick_partner(
    cell: Cell,
    values: np.ndarray,
    suppressed: np.ndarray,
    relations: list[tuple[Cell, list[Cell]]],
    totals: set[Cell],
    enough: float = 0.0,
) -> Cell | None:
    """The smallest non-zero published cell sharing a relation with ``cell`` (members before totals).

    With ``enough`` (the strict grid), a cell of at least that value is preferred: a partner that
    small would still let a reader narrow the withheld cell, and another round would follow."""
    candidates: set[Cell] = set()
    for total, members in relations:
        group = [total, *members]
        if cell in group:
            candidates.update(c for c in group if not suppressed[c] and values[c] > 0)
    if not candidates:
        return None
    return min(candidates, key=lambda c: (values[c] < enough, c in totals, values[c], c))


def _groups(relations: list[tuple[Cell, list[Cell]]]) -> tuple[list[tuple[Cell, ...]], dict[Cell, list[int]]]:
    """Each relation as one group of cells, and each cell's groups by position (for walking them)."""
    groups = [(total, *members) for total, members in relations]
    of: dict[Cell, list[int]] = {}
    for g, group in enumerate(groups):
        for c in dict.fromkeys(group):
            of.setdefault(c, []).append(g)
    return groups, of


def _nearest_partner(cell: Cell, values: np.ndarray, suppressed: np.ndarray,
                     walk: tuple[list[tuple[Cell, ...]], dict[Cell, list[int]]]) -> Cell | None:
    """When every cell beside a pinned one is withheld already, the nearest published non-zero cell
    through withheld cells (relations hop by hop): withholding it frees the chain that pins ``cell``.
    Each relation is walked once (a relation met again adds no cell not seen already)."""
    groups, of = walk
    seen, frontier, done = {cell}, [cell], set()
    while frontier:
        found: set[Cell] = set()
        nxt: list[Cell] = []
        for here in frontier:
            for g in of.get(here, []):
                if g in done:
                    continue
                done.add(g)
                for c in groups[g]:
                    if c in seen:
                        continue
                    seen.add(c)
                    if suppressed[c]:
                        nxt.append(c)
                    elif values[c] > 0:
                        found.add(c)
        if found:
            return min(found, key=lambda c: (values[c], c))
        frontier = nxt
    return None


def _locally_exposed(total: Cell, members: list[Cell], values: np.ndarray, primary: np.ndarray,
                     suppressed: np.ndarray, t: int, exposed: Callable[[Cell, float, float], bool]) -> bool:
    """Whether this one relation alone narrows a withheld cell (closed form, no linear programme), so
    the strict grid adds partners cheaply before the full audit."""
    cells = [total, *members]
    signs = [1.0] + [-1.0] * len(members)
    hidden = [(c, s) for c, s in zip(cells, signs, strict=True) if suppressed[c]]
    known = sum(s * values[c] for c, s in zip(cells, signs, strict=True)
                if not suppressed[c] and not np.isnan(values[c]))
    lb = [1.0 if primary[c] else float(t) for c, _ in hidden]
    ub = [float(t - 1) if primary[c] else None for c, _ in hidden]
    ranges = _single_relation_ranges(np.array([s for _, s in hidden]), -known, lb, ub, [c for c, _ in hidden])
    return any(exposed(c, lo, hi) for c, (lo, hi) in ranges.items())


def _secondary(
    values: np.ndarray,
    primary: np.ndarray,
    relations: list[tuple[Cell, list[Cell]]],
    t: int,
    *,
    strict: bool = False,
) -> np.ndarray:
    """Secondary suppression until the reader's audit pins nothing (``strict``: narrows nothing)."""
    suppressed = primary.copy()
    enough = float(2 * (t - 1)) if strict else 0.0

    def exposed(cell: Cell, lo: float, hi: float) -> bool:
        return not keeps_band(bool(primary[cell]), lo, hi, t) if strict else is_pinned(lo, hi)

    def wide_enough(cell: Cell, lo: float, hi: float) -> bool:
        return not exposed(cell, lo, hi)

    totals = {total for total, _ in relations}
    if not relations:
        return suppressed
    settled: dict[Cell, tuple[float, float]] = {}
    walk = _groups(relations)
    quiet: set[int] = set()  # relations whose fast-pass check found nothing to add

    def withhold(partner: Cell) -> None:
        """Withhold ``partner``; the relations it belongs to are checked again by the fast pass."""
        suppressed[partner] = True
        quiet.difference_update(walk[1].get(partner, []))

    for _ in range(values.size + 1):
        # Fast pass: no relation may hold exactly one withheld cell.
        # A relation found quiet stays quiet until one of its cells is withheld (its check reads only
        # its own cells), so it is not checked again until then: the same partners, in the same order.
        changed = True
        while changed:
            changed = False
            for r, (total, members) in enumerate(relations):
                if r in quiet:
                    continue
                group = [total, *members]
                hidden = [c for c in group if suppressed[c]]
                if not (len(hidden) == 1 or (strict and hidden and _locally_exposed(
                        total, members, values, primary, suppressed, t, exposed))):
                    quiet.add(r)
                    continue
                partner = _pick_partner(hidden[0], values, suppressed, [(total, members)], totals,
                                        enough)
                if partner is None and len(hidden) > 1:
                    continue  # nothing left here: the full audit below decides
                if partner is None:
                    raise DisclosureError(
                        "A table could not be protected: no cell is left to suppress.",
                        found=f"cell {hidden[0]}", hint="Publish this table at a coarser level.",
                    )
                withhold(partner)
                changed = True
        # Audit: bound every withheld cell as a reader could, suppress more where one is pinned.
        ranges = feasible_ranges(values, primary, suppressed, relations, t, wide_enough=wide_enough,
                                 settled=settled)
        pinned = [c for c, (lo, hi) in ranges.items() if suppressed[c] and exposed(c, lo, hi)]
        # Withholding more only widens ranges: a cell proven safe now stays safe in every later round.
        settled.update((c, r) for c, r in ranges.items() if suppressed[c] and not exposed(c, *r))
        if not pinned:
            return suppressed
        added = False
        touched: set[Cell] = set()
        for cell in sorted(pinned):
            mine = [relations[g] for g in walk[1].get(cell, [])]
            if any(c in touched for total, members in mine for c in (total, *members)):
                continue  # a partner added for another pinned cell this round may already protect it
            partner = _pick_partner(cell, values, suppressed, mine, totals, enough)
            if partner is None and strict:
                partner = _nearest_partner(cell, values, suppressed, walk)
            if partner is not None:
                withhold(partner)
                touched.add(partner)
                added = True
        if not added and not strict:
            # Every cell sharing a relation with a pinned one is withheld or zero, yet a chain of relations
            # still pins it (a 2 x 2 of withheld cells whose row and column totals are withheld too): the
            # nearest published cell through withheld ones frees the chain, as on the grid. Only here, when
            # the round found nothing else, so every table protected before keeps its pattern.
            for cell in sorted(pinned):
                partner = _nearest_partner(cell, values, suppressed, walk)
                if partner is not None:
                    withhold(partner)
                    added = True
                    break
        if not added and strict and not any(is_pinned(*ranges[c]) for c in pinned):
            # Nothing left to withhold beside these (the top of the cube, say): the strict band cannot be
            # kept, but no cell can be recomputed, which is the guarantee of every other table.
            return suppressed
        if not added:
            raise DisclosureError(
                "A table could not be protected: a suppressed cell can still be recomputed.",
                found=f"cells {pinned[:3]}", hint="Publish this table at a coarser level.",
            )
    raise DisclosureError("Secondary suppression did not settle.", found=f"{values.shape} table")


def _fmt_count(v: float) -> str:
    return f"{round(v):,}"


def _fmt_number(v: float, decimals: int) -> str:
    return f"{v:,.{decimals}f}"


def suppress_table(
    df: pd.DataFrame,
    *,
    count_columns: Sequence[str],
    rate_columns: Mapping[str, str] | None = None,
    total_row: Hashable | None = None,
    total_column: str | None = None,
    groups: Mapping[Hashable, Sequence[Hashable]] | None = None,
    key_column: str | None = None,
    settings: Settings | None = None,
    decimals: int | Mapping[str, int] = 1,
    source: str | None = None,
) -> PublishedTable:
    """Apply primary and secondary suppression to one table before it is published.

    ``source`` names where the counts come from; a source its publisher releases record by record
    (``publish.sources``: STATS19) gets no count suppression, only the rate reliability rule.

    Parameters
    ----------
    df
        One row per area, month or category. Rows are identified by ``key_column`` (or the index).
    count_columns
        Counts of records (people or events): primary and secondary suppression apply.
    rate_columns
        ``{rate_or_percentage_or_interval_column: numerator_column}``; suppressed when the numerator
        is under ``rate_numerator_min`` or is itself suppressed.
    total_row
        Key of a row that is the sum of every other row (e.g. the county).
    total_column
        A count column that is the sum of the other count columns in its row.
    groups
        ``{total_key: [member keys]}``: further roll-ups, e.g. county -> districts, district -> LSOAs.
    settings
        Supplies ``suppress_below`` and ``rate_numerator_min`` (defaults 5 and 10).
    """
    settings = settings or Settings()
    t = int(settings.suppress_below)
    rate_min = int(settings.rate_numerator_min)
    rate_columns = dict(rate_columns or {})
    count_columns = list(count_columns)
    frame = df.copy()
    if key_column is not None:
        frame = frame.set_index(key_column, drop=False)
    for col in [*count_columns, *rate_columns, *rate_columns.values()]:
        if col not in frame.columns:
            raise InputError(
                "A column named for disclosure control is not in the table.",
                found=f"{col!r}; columns are {list(frame.columns)}", hint="Check the column names.",
            )
    if total_column is not None and total_column not in count_columns:
        raise InputError("total_column must be one of count_columns.", found=repr(total_column))
    all_groups: dict[Hashable, Sequence[Hashable]] = dict(groups or {})
    if total_row is not None:
        all_groups[total_row] = [k for k in frame.index if k != total_row]
    counts = frame[count_columns].apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    if np.any(counts[~np.isnan(counts)] < 0):
        raise InputError(
            "Counts cannot be negative.", found="a negative value in " + ", ".join(count_columns)
        )
    relations = [
        (total, members) for total, members in _relations(frame, count_columns, total_column, all_groups)
        if not np.isnan(counts[total])
    ]
    _check_additive(counts, relations)
    primary = (counts >= 1) & (counts < t) & (not published_record_level(source))
    suppressed = _secondary(counts, primary, relations, t)

    n = len(frame)
    mask = pd.DataFrame(False, index=frame.index, columns=frame.columns)
    prim = pd.DataFrame(False, index=frame.index, columns=frame.columns)
    for j, col in enumerate(count_columns):
        mask[col] = suppressed[:, j]
        prim[col] = primary[:, j]
    unreliable = pd.DataFrame(False, index=frame.index, columns=frame.columns)
    for rate_col, num_col in rate_columns.items():
        numerator = pd.to_numeric(frame[num_col], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        hidden_num = mask[num_col].to_numpy() if num_col in count_columns else np.zeros(n, dtype=bool)
        small = ~hidden_num & (np.nan_to_num(numerator, nan=0.0) < rate_min)
        mask[rate_col] = mask[rate_col].to_numpy() | hidden_num | small
        unreliable[rate_col] = small

    values = frame.copy()
    published = frame.copy().astype(object)
    marker = primary_marker(t)
    for col in frame.columns:
        if col in count_columns or col in rate_columns:
            numeric = pd.to_numeric(frame[col], errors="coerce").astype(float)
            dec = decimals.get(col, 1) if isinstance(decimals, Mapping) else decimals
            arr = numeric.to_numpy()
            is_prim, is_unrel, is_mask = (prim[col].to_numpy(), unreliable[col].to_numpy(),
                                          mask[col].to_numpy())
            count_col = col in count_columns
            texts = [
                marker if p else UNRELIABLE if u else SECONDARY if m else MISSING if np.isnan(v)
                else _fmt_count(v) if count_col else _fmt_number(v, dec)
                for v, p, u, m in zip(arr, is_prim, is_unrel, is_mask, strict=True)
            ]
            published[col] = texts
            values[col] = numeric.where(~is_mask)
        else:
            published[col] = [MISSING if _isna(v) else _plain(v) for v in frame[col].to_numpy()]
    notes = _notes(mask, prim, unreliable, published, t, rate_min)
    return PublishedTable(published, values, mask, prim, notes, t)


def _isna(v: object) -> bool:
    try:
        return bool(pd.isna(v))
    except (TypeError, ValueError):
        return False


def _plain(v: object) -> str:
    if isinstance(v, float | np.floating):
        return f"{v:,.0f}" if float(v).is_integer() else f"{v:,.2f}"
    if isinstance(v, int | np.integer) and not isinstance(v, bool):
        return f"{v:,}"
    if hasattr(v, "strftime"):
        return v.strftime("%b %Y") if getattr(v, "day", 1) == 1 else v.isoformat()
    return str(v)


def _notes(
    mask: pd.DataFrame, prim: pd.DataFrame, unreliable: pd.DataFrame, published: pd.DataFrame,
    t: int, rate_min: int,
) -> list[str]:
    # The flags are frames of one shape and labels, so they are compared as arrays (the same cells as
    # aligned frame operations, without pandas building a frame for each step).
    hidden, first, small = (np.asarray(f.to_numpy(), dtype=bool) for f in (mask, prim, unreliable))
    notes = []
    if first.any():
        notes.append(f"{primary_marker(t)}: a count from 1 to {t - 1}, withheld to protect individuals.")
    if (hidden & ~first & ~small).any():
        notes.append(f"{SECONDARY}: withheld so that a withheld count cannot be worked out from a total.")
    if small.any():
        notes.append(f"{UNRELIABLE}: a rate or percentage based on fewer than {rate_min} records, not shown.")
    if any(isinstance(v, str) and v == MISSING for v in published.to_numpy().ravel()):
        notes.append(f"{MISSING}: not available (for example a month missing from the source), not zero.")
    return notes


def suppress_counts(
    counts: pd.Series, *, settings: Settings | None = None, with_total: bool = True,
    source: str | None = None,
) -> PublishedTable:
    """A single column of counts (months, hours, categories), protected against its own total.

    With ``with_total`` the last row, ``Total``, is the total as it may be published (it can itself be
    withheld); publish it from here, never recomputed elsewhere.
    """
    frame = pd.DataFrame({"count": pd.to_numeric(counts, errors="coerce").astype(float)})
    frame.index = [str(k) for k in counts.index]
    if with_total and frame["count"].notna().any():
        total = pd.DataFrame({"count": [frame["count"].sum()]}, index=[TOTAL])
        return suppress_table(
            pd.concat([frame, total]), count_columns=["count"], total_row=TOTAL, settings=settings,
            source=source,
        )
    return suppress_table(frame, count_columns=["count"], settings=settings, source=source)
