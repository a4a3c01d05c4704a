"""Outputs derived from the publication grid: LSOA layers, concentration, deprivation deciles, the funnel,
harm, monthly series and the KDE surface, each computed from the grid's protected values or withheld with
them.

Why: a table protected on its own (deciles summing LSOAs, a harm table with its own secondary cells, a
monthly chart of true counts) hands a reader new sums over the grid's withheld cells, and with them the
cells. Here every derived figure is a function of what the grid publishes: a shown count is itself; a
withheld count enters as the grid's stand-in worked out from published figures only
(:meth:`ProtectedGrid.protected_counts`), or the figure is withheld where its inputs are. So no derived
output tells a reader anything the grid's own tables do not.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from safer_communities.analysis.concentration import concentration, gini, lorenz_curve
from safer_communities.publish.disclosure import MISSING, SECONDARY, UNRELIABLE, PublishedTable, _notes
from safer_communities.publish.grid import MONTH, GridPeriod, OffGridError, ProtectedGrid

STAND_IN_NOTE = ("Computed from the published LSOA counts: a withheld count enters as a stand-in worked out "
                 "from published figures only (<5 as 2.5; [c] as its district's unexplained remainder shared "
                 "out), so this figure reveals nothing the published table does not, and is approximate "
                 "where counts are withheld.")
LSOA_PERIODS = ("LSOA figures are published for financial years (April to March) only: overlapping LSOA "
                "windows could be differenced into small counts.")


def lsoa_codes(protected: ProtectedGrid, area_code: str) -> list[str]:
    """The LSOAs of the county (all of them) or of one district, in the grid's order."""
    lsoas = protected.areas.loc[protected.areas["level"] == "lsoa"]
    if protected.level(area_code) == "county":
        return lsoas["area_code"].tolist()
    return lsoas.loc[lsoas["parent"] == area_code, "area_code"].tolist()


def lsoa_period(protected: ProtectedGrid, period: object) -> GridPeriod:
    """The grid period of ``period`` at LSOA level, or ``OffGridError`` (financial years only)."""
    from safer_communities.publish.grid import find_period

    return find_period(protected.periods, period, "lsoa")  # type: ignore[arg-type]


def lsoa_frame(protected: ProtectedGrid, codes: Sequence[str], gp: GridPeriod) -> pd.DataFrame:
    """LSOA counts and rates as the grid publishes them (NaN where withheld or ``[u]``), with the published
    symbols and the stand-in each derived statistic uses."""
    frame, table = protected.table(list(codes), gp)
    out = frame[["area_code", "area_name", "issue", "period"]].copy()
    for col in ("count", "population", "population_year", "rate_per_1000", "ci_low", "ci_high"):
        if col in table.values.columns:
            out[col] = pd.to_numeric(table.values[col], errors="coerce").to_numpy(dtype=float)
    out["count_published"] = table.published["count"].astype(str).to_numpy()
    out["rate_published"] = table.published["rate_per_1000"].astype(str).to_numpy()
    out["stand_in"] = protected.protected_counts(list(codes), gp)
    out.attrs.update({**frame.attrs, "caveats": [*frame.attrs.get("caveats", []), *table.notes],
                      "area_level": "lsoa", "notes": table.notes})
    return out


def concentration_frame(lsoas: pd.DataFrame, *, shares: Sequence[float] = (0.01, 0.05, 0.10)) -> pd.DataFrame:
    """Share of records in the top LSOAs, the Gini coefficient and the Lorenz curve, from the stand-ins
    of :func:`lsoa_frame` (records rounded to whole numbers)."""
    counts = lsoas["stand_in"].to_numpy(dtype=float)
    out = concentration(counts, shares=shares)
    out["records"] = out["records"].round()
    withheld = int(lsoas["count"].isna().sum())
    out.attrs.update(units=int(counts.size), records=round(float(counts.sum())), gini=float(gini(counts)),
                     lorenz=lorenz_curve(counts), withheld=withheld,
                     caveats=[*lsoas.attrs.get("caveats", []), *([STAND_IN_NOTE] if withheld else [])])
    return out


def funnel_rates(protected: ProtectedGrid, codes: Sequence[str], gp: GridPeriod) -> tuple[pd.DataFrame,
                                                                                            np.ndarray]:
    """A rates frame for the funnel of ``codes`` (districts): stand-ins for the withheld counts, so the
    overall rate and the overdispersion estimate come from published figures; and which rows are
    withheld (their own point, limits and flag are then blanked by :func:`blank_withheld`)."""
    frame, table = protected.table(list(codes), gp)
    out = frame.copy()
    out["count"] = protected.protected_counts(list(codes), gp)
    pop = pd.to_numeric(out["population"], errors="coerce").astype(float)
    out["rate_per_1000"] = out["count"] / pop * 1000.0
    out.attrs = {**frame.attrs, "caveats": [*frame.attrs.get("caveats", []), *table.notes]}
    return out, table.suppressed["count"].to_numpy(dtype=bool)


ROW_FIGURES = ("count", "rate_per_1000", "ci_low", "ci_high", "ratio", "expected", "excess", "flag",
               "flag_95", "flag_poisson", "rank", "harm_days", "harm_per_1000", "count_rate_per_1000",
               "count_ci_low", "count_ci_high", "top_harm_crime_type")


def blank_withheld(frame: pd.DataFrame, withheld: np.ndarray, published: Sequence[str]) -> pd.DataFrame:
    """Every figure of a withheld row blanked (its count's symbol in ``count_published``)."""
    out = frame.copy()
    for col in ROW_FIGURES:
        if col in out.columns:
            out[col] = out[col].astype(object).where(~withheld, None)
    out["count_published"] = list(published)
    out.attrs = dict(frame.attrs)
    return out


def derived_table(protected: ProtectedGrid, frame: pd.DataFrame, codes: Sequence[str], gp: GridPeriod,
                  figures: dict[str, int]) -> PublishedTable:
    """A published table of per-area figures derived from the count (harm days, harm per 1,000): the count
    as the grid publishes it, and each figure withheld with its count (``[c]``) or ``[u]`` where the
    count is under ``rate_numerator_min``. ``figures`` maps a column to its decimals."""
    j = protected.periods.index(gp)
    rows = [protected._row(c) for c in codes]
    frame = frame.set_index("area_code").loc[list(codes)].reset_index()
    suppressed = np.array([protected.suppressed[i, j] for i in rows], dtype=bool)
    primary = np.array([protected.primary[i, j] for i in rows], dtype=bool)
    counts = np.array([protected.counts[i, j] for i in rows], dtype=float)
    rate_min = int(protected.settings.rate_numerator_min)
    cols = list(frame.columns)
    mask = pd.DataFrame(False, index=frame.index, columns=cols)
    prim = pd.DataFrame(False, index=frame.index, columns=cols)
    unrel = pd.DataFrame(False, index=frame.index, columns=cols)
    published = frame.astype(object).copy()
    values = frame.copy()
    mask["count"], prim["count"] = suppressed, primary
    published["count"] = [protected.cell_text(i, j) for i in rows]
    values["count"] = np.where(suppressed, np.nan, counts)
    small = ~suppressed & (np.nan_to_num(counts) < rate_min)
    for col, decimals in figures.items():
        arr = pd.to_numeric(frame[col], errors="coerce").to_numpy(dtype=float)
        hidden = suppressed | small
        mask[col], unrel[col] = hidden, small
        published[col] = [UNRELIABLE if u else SECONDARY if h else MISSING if np.isnan(v)
                          else f"{v:,.{decimals}f}" for v, h, u in zip(arr, hidden, small, strict=True)]
        values[col] = np.where(hidden, np.nan, arr)
    for col in cols:
        if col not in ("count", *figures):
            shown = [MISSING if pd.isna(v) else f"{v:,.0f}" if isinstance(v, float) else str(v)
                     for v in frame[col].to_numpy()]
            published[col] = [SECONDARY if h and col == "top_harm_crime_type" else s
                              for s, h in zip(shown, suppressed, strict=True)]
    t = int(protected.settings.suppress_below)
    return PublishedTable(published, values, mask, prim, _notes(mask, prim, unrel, published, t, rate_min), t)


def monthly_cells(protected: ProtectedGrid, code: str,
                  months: Sequence[object] | None = None) -> pd.DataFrame:
    """The area's months on the grid (every month loaded, or ``months``): ``count`` as published (NaN where
    withheld or missing), ``count_published`` and ``withheld``."""
    i = protected._row(code)
    rows = []
    for j, gp in enumerate(protected.periods):
        if gp.kinds[0] != MONTH:
            continue
        month = gp.period.start
        if months is not None and month not in months:
            continue
        withheld = bool(protected.suppressed[i, j])
        value = protected.counts[i, j]
        rows.append({"month": month, "count": np.nan if withheld else value,
                     "count_published": protected.cell_text(i, j), "withheld": withheld})
    return pd.DataFrame(rows, columns=["month", "count", "count_published", "withheld"])


def cell_published(protected: ProtectedGrid, code: str, gp: GridPeriod) -> float | None:
    """The area's count in ``gp`` as published, or None where withheld or off the grid."""
    i, j = protected._row(code), protected.periods.index(gp)
    if not protected.on_grid[i, j] or protected.suppressed[i, j] or np.isnan(protected.counts[i, j]):
        return None
    return float(protected.counts[i, j])


def financial_years(protected: ProtectedGrid) -> list[str]:
    """The financial years on the grid: the only periods with LSOA figures."""
    return [gp.label for gp in protected.periods if gp.lsoa]


def require_lsoa_period(protected: ProtectedGrid, period: object) -> GridPeriod:
    """The LSOA grid period, or an ``OffGridError`` that says why LSOA figures are withheld."""
    try:
        return lsoa_period(protected, period)
    except OffGridError as exc:
        years = financial_years(protected)
        raise OffGridError(
            LSOA_PERIODS, found=exc.found,
            hint=(f"Ask for a financial year ({', '.join(years)}) for LSOA figures. " if years else
                  "No whole financial year is loaded, so no LSOA figures can be published. ")
            + "Signed-in analysts (web) and --internal (CLI files) may ask for any period, marked internal.",
        ) from exc
