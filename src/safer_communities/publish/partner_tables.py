"""Disclosure control of the record-level partner analyses (``analysis.partner_*``, ``istv_match``).

Every table leaves here as published text: counts of 1 to 4 are ``<5``, a count that a published total
would give away is ``[c]``, a rate or percentage on fewer than ten records is ``[u]``. Where a row total is
the sum of its cells (offence groups, days of the week, sexes) the total column is declared, so the
secondary suppression covers rows as well as columns. The ``data`` column (``SYNTHETIC``) and the
result's notes are kept.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from safer_communities.config import Settings
from safer_communities.publish.disclosure import suppress_table


def _keep(frame: pd.DataFrame, published: pd.DataFrame, notes: list[str]) -> pd.DataFrame:
    out = published.reset_index(drop=True)
    out.attrs.update(frame.attrs)
    out.attrs["caveats"] = [*frame.attrs.get("caveats", []), *notes]
    out.attrs["protected"] = True
    return out


def _table(
    frame: pd.DataFrame,
    settings: Settings | None,
    key: str,
    counts: list[str],
    rates: dict[str, str] | None = None,
    *,
    total_row: str | None = None,
    total_column: str | None = None,
    decimals: int = 1,
) -> tuple[pd.DataFrame, list[str]]:
    table = suppress_table(
        frame,
        count_columns=counts,
        rate_columns=rates or {},
        key_column=key,
        total_row=total_row,
        total_column=total_column,
        settings=settings,
        decimals=decimals,
    )
    return table.published, table.notes


def protect_sv(frame: pd.DataFrame, settings: Settings | None = None) -> pd.DataFrame:
    """Serious violence by area (groups add up to ``serious_violence``; the total row to the areas) or
    by month (groups add up to ``serious_violence``)."""
    groups = list(frame.attrs["groups"])
    by_area = "area_code" in frame.columns
    key = "area_code" if by_area else "month"
    work = frame.copy()
    if not by_area:
        work["month"] = work["month"].astype(str)
    total = "total" if by_area else None
    main, notes = _table(
        work,
        settings,
        key,
        [*groups, "serious_violence"],
        {"rate_per_100k": "serious_violence"} if by_area else None,
        total_row=total,
        total_column="serious_violence",
    )
    knife, more = _table(work, settings, key, ["knife_enabled"], total_row=total)
    # The police.uk proxy: its own table (the force total includes records police.uk could not place, so
    # it is not the sum of the districts); rates and the percentage go with a withheld count.
    side_rates = {"pct_of_proxy": "serious_violence"}
    if by_area:
        side_rates["proxy_rate_per_100k"] = "proxy_count"
    side, extra = _table(work, settings, key, ["proxy_count", "serious_violence"], side_rates, decimals=2)
    main["knife_enabled"] = knife["knife_enabled"].to_numpy()
    for column in ("proxy_count", *side_rates):
        main[column] = side[column].to_numpy()
    hidden = main["serious_violence"].isin(["<5", "[c]"]).to_numpy()
    main.loc[hidden, "pct_of_proxy"] = "[c]"  # withheld with its numerator
    more = [*more, *extra]
    return _keep(frame, main, list(dict.fromkeys([*notes, *more])))


def protect_cross(frame: pd.DataFrame, settings: Settings | None = None) -> pd.DataFrame:
    """A cross-tabulation with a Total column and a Total row (time x day, age band x sex)."""
    key = str(frame.columns[1] if frame.columns[0] == "data" else frame.columns[0])
    cells = [c for c in frame.columns if c not in ("data", key)]
    published, notes = _table(frame, settings, key, cells, total_row="Total", total_column="Total")
    return _keep(frame, published, notes)


def protect_flags(frame: pd.DataFrame, settings: Settings | None = None) -> pd.DataFrame:
    """Flags by area (with rates) or by month; the last row is the total of the rows above it."""
    counts = ["records", "domestic_abuse", "hate_crime", "serious_violence", "sv_domestic_abuse"]
    rates = {
        "domestic_abuse_pct": "domestic_abuse",
        "hate_crime_pct": "hate_crime",
        "sv_domestic_abuse_pct": "sv_domestic_abuse",
    }
    if "area_code" in frame.columns:
        key, total = "area_code", "total"
        rates.update(domestic_abuse_rate_per_1000="domestic_abuse", hate_crime_rate_per_1000="hate_crime")
        work = frame
    else:
        key, total = "month", "Total"
        work = frame.assign(month=frame["month"].astype(str))
    published, notes = _table(work, settings, key, counts, rates, total_row=total, decimals=2)
    return _keep(frame, published, notes)


def protect_unmatched(frame: pd.DataFrame, settings: Settings | None = None) -> pd.DataFrame:
    """Tested = matched + unmatched is protected as one table; the attendances that could not be tested
    are protected on their own and the attendance total is not published (it would link the two)."""
    key = "area_code" if "area_code" in frame.columns else "month"
    work = frame.copy()
    work[key] = work[key].astype(str)
    total = "total" if key == "area_code" else "Total"
    main, notes = _table(
        work,
        settings,
        key,
        ["tested", "matched", "unmatched"],
        {"unmatched_pct": "unmatched"},
        total_row=total,
        total_column="tested",
    )
    side, more = _table(work, settings, key, ["not_tested"], total_row=total)
    main["not_tested"] = side["not_tested"].to_numpy()
    main = main.drop(columns=["istv_assaults"])
    return _keep(frame, main, list(dict.fromkeys([*notes, *more])))


def protect_mix(frame: pd.DataFrame, settings: Settings | None = None) -> pd.DataFrame:
    key = str(frame.columns[1] if frame.columns[0] == "data" else frame.columns[0])
    published, notes = _table(
        frame,
        settings,
        key,
        ["istv_assaults", "tested", "unmatched"],
        {"share_pct": "istv_assaults", "unmatched_pct": "unmatched"},
        total_row="Total",
    )
    return _keep(frame, published, notes)


def protect_vru(frame: pd.DataFrame, settings: Settings | None = None) -> pd.DataFrame:
    published, notes = _table(
        frame, settings, "measure", ["all_ages", "under_25"], {"under_25_pct": "under_25"}
    )
    return _keep(frame, published, notes)


def protect_knox(frame: pd.DataFrame, settings: Settings | None = None) -> pd.DataFrame:
    """Pair counts under the threshold are withheld (two or three crimes close in space and time could
    point at one household); ratios and p-values go with them."""
    work = frame.assign(key=range(len(frame)))
    published, notes = _table(work, settings, "key", ["observed"], {"ratio": "observed"}, decimals=2)
    hidden = published["observed"].isin(["<5", "[c]"])
    published.loc[hidden, "p_value"] = "[c]"
    published.loc[hidden, "expected"] = "[c]"
    return _keep(frame, published.drop(columns=["key"]), notes)


PROTECT: dict[str, Callable[[pd.DataFrame, Settings | None], pd.DataFrame]] = {
    "serious-violence": protect_sv,
    "when": protect_cross,
    "who": protect_cross,
    "flags": protect_flags,
    "istv-unmatched": protect_unmatched,
    "istv-mix": protect_mix,
    "vru": protect_vru,
    "near-repeat": protect_knox,
}
