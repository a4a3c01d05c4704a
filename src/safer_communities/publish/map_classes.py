"""Map classes of LSOA rates: disclosure control first, then empirical-Bayes smoothing, then quantiles.

One set of classes colours the report's map (PDF, HTML, Word), the GeoPackage's QGIS style and the
tidy table beside the map, so every reader sees the same classes in the same colours.

- Disclosure control (:func:`~safer_communities.publish.disclosure.suppress_table`) decides which areas
  are shown; withheld areas are a hatched class of their own and never coloured.
- Rates on small populations swing by chance (an LSOA of 400 residents with 8 records has a rate of 20
  per 1,000; with 3 it would be withheld, with 12 it would be 30). Where the rates carry a
  ``population`` column the classes are drawn from global empirical-Bayes rates (Marshall 1991;
  :func:`safer_communities.analysis.smoothing.eb_global`), each raw rate shrunk towards the area's
  overall rate by as much as its population leaves it uncertain. Only the shown LSOAs take part (their
  counts are published anyway), so smoothing adds nothing about a withheld one, and the web map, which
  only ever holds protected counts, gets the same classes (:func:`classes_for_units`).
- Classes are quantiles (equal numbers of shown LSOAs) of the rates rounded as printed, each labelled
  by the lowest and highest rate in it, so no two labels share a value; classes with no LSOA are left
  out of the legend.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from matplotlib import colormaps
from matplotlib.colors import to_hex

from safer_communities.analysis.smoothing import eb_global
from safer_communities.config import Settings
from safer_communities.publish import style
from safer_communities.publish.disclosure import protect_against_total, suppress_table
from safer_communities.publish.style import fmt_number

WITHHELD_LABEL = "Withheld (small numbers)"


@dataclass(frozen=True)
class RateBands:
    """Protected rates in map classes: one row per area (``area_code``, ``name_shown``, ``count_shown``,
    ``rate_shown``, ``rate_smoothed``, ``band`` 1..n or 0 where withheld, ``band_label``), the classes'
    colours and a sentence saying how the classes were chosen."""

    table: pd.DataFrame
    edges: np.ndarray
    labels: list[str]
    colours: list[str]
    method: str
    smoothed: bool = False

    @property
    def withheld(self) -> int:
        return int((self.table["band"] == 0).sum())


def palette(n: int) -> list[str]:
    """The sequential colours of ``n`` classes, lightest first (viridis, dark = high)."""
    return [to_hex(c) for c in colormaps[style.SEQUENTIAL](np.linspace(0.95, 0.1, n))]


def _band_label(lo: float, hi: float) -> str:
    return fmt_number(lo) if fmt_number(lo) == fmt_number(hi) else f"{fmt_number(lo)} to {fmt_number(hi)}"


def _smoothed(rates: pd.DataFrame, count_column: str, per: float) -> np.ndarray | None:
    """Global empirical-Bayes rates per ``per`` residents, or None without usable populations."""
    if "population" not in rates:
        return None
    population = pd.to_numeric(rates["population"], errors="coerce").to_numpy(dtype=float)
    counts = pd.to_numeric(rates[count_column], errors="coerce").fillna(0).to_numpy(dtype=float)
    usable = np.isfinite(population) & (population > 0)
    if usable.sum() < 3:
        return None
    out = np.full(len(rates), np.nan)
    out[usable] = eb_global(counts[usable], population[usable]) * per
    return out


def rate_bands(rates: pd.DataFrame, *, rate_column: str, count_column: str, total: float | None = None,
               settings: Settings | None = None, n_classes: int = 5, smooth: bool = True,
               per: float = 1000.0) -> RateBands:
    """Rates after disclosure control, smoothed where populations are given, in quantile classes."""
    settings = settings or Settings()
    table = suppress_table(rates.reset_index(drop=True), count_columns=[count_column],
                           rate_columns={rate_column: count_column}, settings=settings)
    rate_shown = table.values[rate_column].to_numpy(dtype=float)
    count_shown = pd.to_numeric(table.values[count_column], errors="coerce").to_numpy(dtype=float)
    if total is not None:
        hidden = protect_against_total(pd.to_numeric(rates[count_column], errors="coerce").to_numpy(float),
                                       np.isnan(rate_shown), total, settings=settings)
        rate_shown = np.where(hidden, np.nan, rate_shown)
    shown_rows = rates.reset_index(drop=True).loc[~np.isnan(rate_shown)]
    smoothed = _smoothed(shown_rows, count_column, per) if smooth else None
    rate_smoothed = np.full(len(rate_shown), np.nan)
    if smoothed is not None:
        rate_smoothed[shown_rows.index.to_numpy()] = smoothed
    band, labels, colours, edges = _classes(rate_smoothed if smoothed is not None else rate_shown, n_classes)
    out = rates[["area_code"]].reset_index(drop=True).assign(
        name_shown=rates.get("area_name", rates["area_code"]).astype(str).to_numpy(),
        count_shown=count_shown, rate_shown=rate_shown, rate_smoothed=np.round(rate_smoothed, 1), band=band,
        band_label=[labels[b - 1] if b else WITHHELD_LABEL for b in band])
    what = "empirical-Bayes smoothed rates" if smoothed is not None else "rates"
    method = (f"{len(labels)} quantile classes of {what} (equal numbers of LSOAs)" if len(labels) > 1
              else f"one class of {what}")
    return RateBands(out, edges, labels, colours, method, smoothed is not None)


def classes_for_units(units: pd.DataFrame, *, rate_column: str, count_column: str = "count",
                      per: float = 1000.0, n_classes: int = 5
                      ) -> tuple[np.ndarray, list[dict[str, str]], str]:
    """The report's classes for rates already protected (withheld as missing), as the web map needs them:
    ``(band per unit, [{"label", "colour"}], method)``; band 0 is withheld."""
    rate = pd.to_numeric(units[rate_column], errors="coerce").to_numpy(dtype=float)
    shown = units.reset_index(drop=True).loc[~np.isnan(rate)]
    smoothed = _smoothed(shown, count_column, per)
    values = rate.copy()
    if smoothed is not None:
        values[shown.index.to_numpy()] = smoothed
    band, labels, colours, _ = _classes(values, n_classes)
    what = "empirical-Bayes smoothed rates" if smoothed is not None else "rates"
    method = f"{len(labels)} quantile classes of {what} (equal numbers of areas)"
    return band, [{"label": lab, "colour": c} for lab, c in zip(labels, colours, strict=True)], method


def _classes(values: np.ndarray, n_classes: int) -> tuple[np.ndarray, list[str], list[str], np.ndarray]:
    """Quantile classes of the values as printed (band 0 where missing), labels, colours and edges."""
    # Classed on the rates as printed (one decimal), so two labels can never show the same value.
    printed = np.round(values, 1)
    visible = printed[~np.isnan(printed)]
    n = int(min(n_classes, max(1, np.unique(visible).size)))
    quantiles = np.linspace(0, 1, n + 1)
    edges = np.unique(np.quantile(visible, quantiles)) if visible.size else np.array([0.0, 1.0])
    if edges.size < 2:
        edges = np.array([edges[0], edges[0] + 1e-9])
    n = edges.size - 1
    band = np.where(np.isnan(printed), 0,
                    np.clip(np.searchsorted(edges, printed, side="right") - 1, 0, n - 1) + 1)
    labels, colours, kept = [], [], []
    colours_all = palette(n)
    for k in range(1, n + 1):  # classes with no area are left out of the legend
        members = printed[band == k]
        if members.size:
            kept.append(k)
            labels.append(_band_label(float(members.min()), float(members.max())))
            colours.append(colours_all[k - 1])
    renumber = {old: new for new, old in enumerate(kept, start=1)} | {0: 0}
    band = np.array([renumber[int(b)] for b in band], dtype=int)
    return band, labels, colours, edges
