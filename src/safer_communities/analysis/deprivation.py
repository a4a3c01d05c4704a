"""Rates by deprivation decile (IMD 2019): how unequally an issue falls on the most deprived places.

Deciles are national (1 = the most deprived 10% of LSOAs in England), so a county may have few LSOAs in
some deciles; the ratio of the most to the least deprived decile present says so.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd

from safer_communities.analysis import queries
from safer_communities.analysis.definitions import Definition, Definitions
from safer_communities.analysis.periods import Period
from safer_communities.analysis.rates import add_rates, base_attrs, definition_for, issue_rates
from safer_communities.analysis.stats import rate_ratio
from safer_communities.errors import InputError, NoDataError

DOMAINS = ("imd", "income", "employment", "education", "health", "crime", "barriers", "living_environment")


def rates_by_decile(
    con: duckdb.DuckDBPyConnection,
    issue: str | Definition,
    *,
    period: str | Period | None = "latest-12-months",
    domain: str = "imd",
    area_code: str | None = None,
    definitions: Definitions | Path | str | None = None,
    lsoa_counts: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Count, population and rate per 1,000 by IMD 2019 decile over the study area's LSOAs.

    ``lsoa_counts`` (area_code, count, population, population_year) replaces the store's LSOA counts,
    for deciles computed from published figures (``publish.grid_outputs``); decile counts are rounded.

    Columns: decile, lsoas, count, population, population_year, rate_per_1000, ci_low, ci_high.
    ``attrs['ratio']`` holds the most / least deprived decile rate ratio with its exact 95% CI
    (deciles as present in the study area; see :func:`most_least_ratio`).
    """
    if domain not in DOMAINS:
        raise InputError(
            "That deprivation domain is not known.",
            found=repr(domain),
            hint=f"Use one of: {', '.join(DOMAINS)}.",
        )
    definition = definition_for(issue, definitions)
    if lsoa_counts is None:
        lsoa = issue_rates(con, definition, area_level="lsoa", period=period, definitions=definitions)
    else:
        lsoa = lsoa_counts
    if area_code is not None:
        within = queries.units_within(con, "lsoa", area_code)
        lsoa = lsoa[lsoa["area_code"].isin(within)]
    deciles = con.execute(
        f"SELECT lsoa_code AS area_code, {domain}_decile AS decile FROM deprivation"
    ).fetch_df()
    if deciles.empty:
        raise NoDataError(
            "No deprivation data is loaded.",
            found="the deprivation table is empty",
            hint="Load the English Indices of Deprivation 2019: safer ingest deprivation FILE.",
        )
    merged = lsoa.merge(deciles, on="area_code", how="left")
    unmatched = int(merged["decile"].isna().sum())
    merged = merged.dropna(subset=["decile", "population"])
    merged["population"] = merged["population"].astype("int64")
    out = (
        merged.groupby("decile")
        .agg(lsoas=("area_code", "size"), count=("count", "sum"), population=("population", "sum"))
        .reset_index()
    )
    out["decile"] = out["decile"].astype(int)
    out["count"] = out["count"].astype(float).round().astype("int64")
    out["population_year"] = lsoa["population_year"].iloc[0] if len(lsoa) else pd.NA
    out = add_rates(out)
    ratio = most_least_ratio(out)
    p = queries.resolve_period(con, queries.POLICE_SOURCE, period)
    cov = queries.coverage(con, queries.POLICE_SOURCE, p)
    attrs = base_attrs(
        definition,
        p,
        cov,
        domain=domain,
        imd_version="IMD2019",
        ratio=ratio,
        population_note=lsoa.attrs.get("population_note", ""),
    )
    if unmatched:
        attrs["caveats"] = [
            *attrs["caveats"],
            f"{unmatched} LSOA(s) have no IMD 2019 decile and are left out.",
        ]
    out.attrs.update(attrs)
    return out


def most_least_ratio(by_decile: pd.DataFrame) -> dict[str, float | int | str]:
    """Rate ratio of the most deprived decile present to the least deprived present, exact 95% CI."""
    usable = by_decile[by_decile["population"] > 0]
    if len(usable) < 2:
        raise NoDataError(
            "A deprivation ratio needs LSOAs in at least two deciles.",
            found=f"{len(usable)} decile(s)",
            hint="Use a larger area.",
        )
    most = usable.loc[usable["decile"].idxmin()]
    least = usable.loc[usable["decile"].idxmax()]
    rr = rate_ratio(
        int(most["count"]), float(most["population"]), int(least["count"]), float(least["population"])
    )
    note = (
        ""
        if (most["decile"], least["decile"]) == (1, 10)
        else (
            f"The study area has no LSOAs in decile {'1' if most['decile'] != 1 else '10'}: "
            f"the ratio compares decile {int(most['decile'])} with decile {int(least['decile'])}."
        )
    )
    return {
        "most_deprived_decile": int(most["decile"]),
        "least_deprived_decile": int(least["decile"]),
        "rate_ratio": rr.ratio,
        "ci_low": rr.ci_low,
        "ci_high": rr.ci_high,
        "p_value": rr.p_value,
        "note": note,
    }
