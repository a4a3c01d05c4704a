"""How concentrated records are among places: top-share tables, the Lorenz curve and the Gini coefficient.

"Half of all violence happens in 5% of the LSOAs" is the figure a partnership acts on. The caller
passes one count per unit (LSOA, grid cell, map point) INCLUDING the units with none, because
leaving out the zeros overstates how evenly records are spread.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from safer_communities.errors import InputError, NoDataError


def concentration(
    counts: Sequence[float] | np.ndarray | pd.Series, *, shares: Sequence[float] = (0.01, 0.05, 0.10)
) -> pd.DataFrame:
    """Share of all records in the top 1%, 5% and 10% of units (by default).

    The number of units in the top share is ``round(share * n)`` (at least 1); ties at the cut-off
    do not change the result, because the records of tied units are equal. Columns: ``unit_share``
    (asked), ``units`` (how many), ``units_share_actual`` (units / n), ``records`` and
    ``record_share``. ``.attrs``: ``units_total``, ``records_total``, ``units_with_none``.
    """
    values = _counts(counts)
    ordered = np.sort(values)[::-1]
    n, total = ordered.size, float(ordered.sum())
    cumulative = np.cumsum(ordered)
    rows = []
    for share in shares:
        if not 0 < float(share) <= 1:
            raise InputError(
                "Each share must lie between 0 and 1.", found=repr(share), hint="Use 0.05 for the top 5%."
            )
        units = max(1, round(float(share) * n))
        records = float(cumulative[units - 1])
        rows.append((float(share), units, units / n, records, records / total))
    out = pd.DataFrame(rows, columns=["unit_share", "units", "units_share_actual", "records", "record_share"])
    out.attrs.update(units_total=n, records_total=total, units_with_none=int((values == 0).sum()))
    return out


def lorenz_curve(counts: Sequence[float] | np.ndarray | pd.Series) -> pd.DataFrame:
    """Points of the Lorenz curve: cumulative share of units (least first) against share of records.

    Starts at (0, 0) and ends at (1, 1); ``n + 1`` rows for ``n`` units.
    """
    values = np.sort(_counts(counts))
    n = values.size
    return pd.DataFrame(
        {
            "unit_share": np.arange(n + 1) / n,
            "record_share": np.concatenate([[0.0], np.cumsum(values) / values.sum()]),
        }
    )


def gini(counts: Sequence[float] | np.ndarray | pd.Series) -> float:
    """Gini coefficient of the counts: 0 when every unit has the same, ``1 - 1/n`` when one has all.

    ``G = sum_i (2i - n - 1) x_(i) / (n * sum x)`` with ``x`` sorted ascending and ``i = 1..n``.
    """
    values = np.sort(_counts(counts))
    n = values.size
    ranks = np.arange(1, n + 1)
    return float(np.sum((2 * ranks - n - 1) * values) / (n * values.sum()))


def _counts(counts: Sequence[float] | np.ndarray | pd.Series) -> np.ndarray:
    values = np.asarray(counts, dtype=float).ravel()
    if values.size == 0:
        raise NoDataError(
            "No units to measure concentration over.", hint="Pass one count per unit, zeros included."
        )
    if not np.isfinite(values).all() or (values < 0).any():
        raise InputError(
            "Counts must be finite and not negative.",
            found=f"min {np.nanmin(values) if np.isfinite(values).any() else 'nan'}",
            hint="Give units with no records a 0 rather than a blank.",
        )
    if values.sum() <= 0:
        raise NoDataError(
            "Every unit has a count of 0: concentration is undefined.",
            found=f"{values.size} units, no records",
            hint="Check the issue and period selected.",
        )
    return values
