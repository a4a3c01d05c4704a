"""Outcomes protected as one cube: the county and its districts by outcome category.

Why: the report of each district and the county's report each showed an outcomes chart protected on its
own, so with ``--all-districts`` a reader could take the county's "charged" count less the thirteen
districts shown and read the fourteenth's withheld one. Here the crimes per (area, outcome) are protected
together, with the sums a reader knows (the county = its districts for every outcome; an area's total =
its outcomes), by the same strict secondary suppression as the publication grid. An area whose count of
the issue is withheld on the grid has every outcome withheld too (withholding more is always safe).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from safer_communities.analysis.outcomes import CHARGED, NO_SUSPECT
from safer_communities.config import Settings
from safer_communities.publish.disclosure import SECONDARY, _secondary, primary_marker

TOTAL = "All outcomes"


def protect_outcomes(summary: pd.DataFrame, county_code: str, districts: list[str], *,
                     withheld_areas: Iterable[str], settings: Settings) -> pd.DataFrame:
    """Crimes per area and outcome as published, from the district-level ``outcome_summary``.

    Returns one row per (area, outcome), the county and every district, with ``outcome`` = ``TOTAL`` for
    each area's total: ``crimes`` (NaN where withheld), ``crimes_published`` (the number or its symbol)
    and ``withheld``. ``attrs['shares']`` holds, per area, the share with no suspect identified and the
    share charged or summonsed where every cell they rest on is published and the total reaches
    ``rate_numerator_min`` (else None).
    """
    t = int(settings.suppress_below)
    outcomes = sorted(summary["outcome"].unique())
    wide = (summary.pivot_table(index="area_code", columns="outcome", values="crimes", aggfunc="sum")
            .reindex(index=districts, columns=outcomes).fillna(0.0).astype(float))
    body = np.vstack([wide.to_numpy().sum(axis=0, keepdims=True), wide.to_numpy()])
    values = np.hstack([body, body.sum(axis=1, keepdims=True)])
    codes = [county_code, *districts]
    n_rows, n_cols = values.shape
    relations = [((0, j), [(i, j) for i in range(1, n_rows)]) for j in range(n_cols)]
    relations += [((i, n_cols - 1), [(i, j) for j in range(n_cols - 1)]) for i in range(n_rows)]
    primary = (values >= 1) & (values < t)
    suppressed = _secondary(values, primary, relations, t, strict=True)
    hidden_rows = np.array([c in set(withheld_areas) for c in codes])
    suppressed[hidden_rows, :] = True
    names = dict(zip(summary["area_code"], summary["area_name"], strict=False))
    labels = [*outcomes, TOTAL]
    rows = []
    for i, code in enumerate(codes):
        for j, outcome in enumerate(labels):
            text = (primary_marker(t) if primary[i, j] and not hidden_rows[i] else SECONDARY
                    if suppressed[i, j] else f"{int(values[i, j]):,}")
            rows.append({"area_code": code, "area_name": names.get(code, code), "outcome": outcome,
                         "crimes": np.nan if suppressed[i, j] else values[i, j], "crimes_published": text,
                         "withheld": bool(suppressed[i, j])})
    out = pd.DataFrame(rows)
    out["crimes"] = out["crimes"].round().astype("Int64")
    out.attrs = {**summary.attrs, "shares": _shares(out, labels, int(settings.rate_numerator_min))}
    out.attrs["caveats"] = [*summary.attrs.get("caveats", []), *_notes(out, t)]
    return out


def _shares(out: pd.DataFrame, labels: list[str], rate_min: int) -> dict[str, dict[str, float | None]]:
    shares: dict[str, dict[str, float | None]] = {}
    for code, rows in out.groupby("area_code", sort=False):
        cells = rows.set_index("outcome")
        total = cells.loc[TOTAL]
        shares[str(code)] = {}
        for key, group in (("no_suspect_share", NO_SUSPECT), ("charged_share", CHARGED)):
            members = cells.loc[[o for o in labels if o in group]]
            ok = bool(not total["withheld"] and not members["withheld"].any() and total["crimes"] >= rate_min)
            part = float(members["crimes"].sum()) if ok else 0.0
            shares[str(code)][key] = part / float(total["crimes"]) if ok and part >= rate_min else None
    return shares


def _notes(out: pd.DataFrame, t: int) -> list[str]:
    notes = []
    if (out["crimes_published"] == primary_marker(t)).any():
        notes.append(f"{primary_marker(t)}: a count from 1 to {t - 1}, withheld to protect individuals.")
    if (out["crimes_published"] == SECONDARY).any():
        notes.append(f"{SECONDARY}: withheld so that a withheld count cannot be worked out from a total "
                     "(outcomes are protected for the county and every district together).")
    return notes
