"""CLI files meant for publication, built from the publication grid: harm, deprivation deciles, outcomes,
peers (the funnel), concentration and the kernel density surface.

Each function returns the frame a ``--csv``/``--gpkg`` file holds without ``--internal``: counts as the grid
publishes them (``count`` blank where withheld, ``count_published`` with the symbol), figures derived from
a count withheld with it, and statistics over many cells (deciles, shares, funnel limits, a density
surface) computed from the published figures, a withheld count entering as its stand-in
(:meth:`ProtectedGrid.protected_counts`). A period or unit off the grid is refused with ``OffGridError``.
"""

from __future__ import annotations

import duckdb
import geopandas as gpd
import numpy as np
import pandas as pd

from safer_communities.analysis import deprivation, outcomes, peers
from safer_communities.analysis.harm import issue_harm
from safer_communities.errors import InputError
from safer_communities.publish import grid_outputs
from safer_communities.publish.grid import GridPeriod, OffGridError, ProtectedGrid
from safer_communities.publish.grid_outcomes import protect_outcomes

KDE_NOTE = ("Kernel density of the published LSOA counts, each placed at a point inside its LSOA (a withheld "
            "count enters as its stand-in): a surface from the located records would show where a single "
            "withheld record lies, so the published surface is built from protected values only. Its "
            "detail is therefore that of LSOAs, not of map points.")


def _codes(protected: ProtectedGrid, level: str, area: str | None) -> list[str]:
    if level == "lsoa":
        return grid_outputs.lsoa_codes(protected, area or str(protected.areas["area_code"].iloc[0]))
    codes = protected.areas.loc[protected.areas["level"] == level, "area_code"].tolist()
    if not codes:
        raise InputError("That area level is not on the publication grid.", found=repr(level),
                         hint="Use lsoa, district or county.")
    return codes


def _whole(column: pd.Series) -> pd.Series:
    """Counts as whole numbers, blank where withheld."""
    return pd.to_numeric(column, errors="coerce").round().astype("Int64")


def _with_published(frame: pd.DataFrame, table: object, columns: dict[str, str]) -> pd.DataFrame:
    out = frame.copy()
    for col, pub in columns.items():
        out[col] = table.values[col].to_numpy()  # type: ignore[attr-defined]
        out[pub] = table.published[col].astype(str).to_numpy()  # type: ignore[attr-defined]
    return out


def harm_frame(con: duckdb.DuckDBPyConnection, protected: ProtectedGrid, level: str, gp: GridPeriod, *,
               weights_version: str | None = None) -> pd.DataFrame:
    """Harm per area as published: harm days and harm per 1,000 withheld with their count."""
    codes = _codes(protected, level, None)
    frame = issue_harm(con, protected.definition, area_level=level, period=gp.period,
                       weights_version=weights_version)
    frame = frame.set_index("area_code").reindex(codes).reset_index()
    frame["area_name"] = protected.areas.set_index("area_code").loc[codes, "area_name"].to_numpy()
    table = grid_outputs.derived_table(protected, frame, codes, gp, {"harm_days": 0, "harm_per_1000": 1})
    out = frame[["area_code", "area_name", "issue", "period", "population", "population_year"]].copy()
    out["issue"], out["period"] = protected.issue, gp.label
    out = _with_published(out, table, {"count": "count_published", "harm_days": "harm_days_published",
                                       "harm_per_1000": "harm_per_1000_published"})
    out["count"] = _whole(out["count"])
    out["top_harm_crime_type"] = [None if h else v for v, h in zip(
        frame["top_harm_crime_type"], table.suppressed["count"].to_numpy(), strict=True)]
    out.attrs = {**frame.attrs, "caveats": [*frame.attrs.get("caveats", []), *table.notes],
                 "period_label": gp.label, "area_level": level}
    return out


def deciles_frame(con: duckdb.DuckDBPyConnection, protected: ProtectedGrid, gp: GridPeriod, *,
                  domain: str = "imd", area: str | None = None) -> pd.DataFrame:
    """Rates by deprivation decile summed from the published LSOA figures (stand-ins where withheld)."""
    lsoas = grid_outputs.lsoa_frame(protected, _codes(protected, "lsoa", area), gp)
    out = deprivation.rates_by_decile(con, protected.definition, period=gp.period, domain=domain,
                                      lsoa_counts=lsoas.assign(count=lsoas["stand_in"]))
    withheld = int(lsoas["count"].isna().sum())
    stand_in = [grid_outputs.STAND_IN_NOTE] if withheld else []
    out.attrs["caveats"] = [*out.attrs.get("caveats", []), *stand_in]
    out.attrs["lsoas_withheld"] = withheld
    return out


def outcomes_frame(con: duckdb.DuckDBPyConnection, protected: ProtectedGrid, level: str,
                   gp: GridPeriod) -> pd.DataFrame:
    """Crimes per outcome for the county or its districts, protected together (one cube)."""
    if level not in ("county", "district"):
        raise OffGridError("Outcomes are published for the county and its districts only.",
                           found=f"--area-level {level}",
                           hint="Use --area-level district or county; --internal writes any level, marked "
                                "internal.")
    county = str(protected.areas["area_code"].iloc[0])
    districts = protected.children(county)
    summary = outcomes.outcome_summary(con, protected.definition, period=gp.period, area_level="district")
    _, table = protected.table([*protected.children(county, with_unplaced=True), county], gp)
    withheld = set(table.published.loc[table.suppressed["count"].to_numpy(), "area_code"])
    out = protect_outcomes(summary, county, districts, withheld_areas=withheld, settings=protected.settings)
    keep = [county] if level == "county" else districts
    attrs = out.attrs
    out = out[out["area_code"].isin(keep)].reset_index(drop=True)
    out["area_name"] = out["area_code"].map(protected.areas.set_index("area_code")["area_name"])
    out.insert(2, "issue", protected.issue)
    out.insert(3, "period", gp.label)
    out.attrs = {**attrs, "period_label": gp.label}
    return out


def funnel_frame(protected: ProtectedGrid, level: str, gp: GridPeriod, *,
                 overdispersion_method: str = "multiplicative") -> pd.DataFrame:
    """The funnel of published counts: the overall rate and overdispersion from published figures (a
    withheld count as its stand-in); a withheld area's own figures blank."""
    codes = _codes(protected, level, None)
    rates, withheld = grid_outputs.funnel_rates(protected, codes, gp)
    fun = peers.funnel_from_rates(rates, overdispersion_method=overdispersion_method)
    fun = fun.set_index("area_code").reindex(codes).reset_index()
    _, table = protected.table(codes, gp)
    out = grid_outputs.blank_withheld(fun, withheld, table.published["count"].astype(str).tolist())
    out["count"] = _whole(out["count"])
    if withheld.any():
        out.attrs["caveats"] = [*out.attrs.get("caveats", []), grid_outputs.STAND_IN_NOTE.replace(
            "published LSOA counts", "published counts")]
    out.attrs["period_label"] = gp.label
    return out


def concentration_frame(protected: ProtectedGrid, gp: GridPeriod, *, area: str | None = None) -> pd.DataFrame:
    """Shares in the top LSOAs (and Gini, Lorenz curve) from the published LSOA figures."""
    lsoas = grid_outputs.lsoa_frame(protected, _codes(protected, "lsoa", area), gp)
    out = grid_outputs.concentration_frame(lsoas)
    out.insert(0, "unit", "lsoa")
    out.insert(0, "issue", protected.issue)
    out.attrs["period_label"] = gp.label
    return out


def kde_surface(con: duckdb.DuckDBPyConnection, protected: ProtectedGrid, gp: GridPeriod, *,
                area: str | None = None, cell_size_m: float | None = None, bandwidth_m: float | None = None,
                quiet: bool = False) -> gpd.GeoDataFrame:
    """Quartic kernel density of the published LSOA counts (stand-ins where withheld), each at a point
    inside its LSOA, on the study-area grid: nothing in it rests on a withheld value."""
    from safer_communities.analysis import hotspots, results

    lsoas = grid_outputs.lsoa_frame(protected, _codes(protected, "lsoa", area), gp)
    shapes = results.area_geometries(con, "lsoa").set_index("area_code").loc[lsoas["area_code"]]
    where = shapes.geometry.representative_point()
    points = pd.DataFrame({"easting": where.x.to_numpy(), "northing": where.y.to_numpy()})
    weights = lsoas["stand_in"].to_numpy(dtype=float)
    surface = hotspots.hotspot_kde(points, cell_size_m=cell_size_m, bandwidth_m=bandwidth_m,
                                   weights=weights, quiet=quiet, boundary=results.boundary(con, area))
    surface = surface.drop(columns=[c for c in ("count", "weighted_count") if c in surface.columns])
    surface.attrs.update(method="kde (quartic kernel) of the published LSOA counts", period_label=gp.label,
                         definition_id=protected.definition.issue,
                         definition_version=protected.definition.version,
                         caveats=[*lsoas.attrs.get("caveats", []), KDE_NOTE])
    surface.attrs["kde_total"] = float(np.sum(weights))
    return surface
