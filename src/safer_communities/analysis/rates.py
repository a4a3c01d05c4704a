"""Counts and rates per 1,000 residents by area, issue and period, with exact Poisson intervals."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
import numpy as np

from safer_communities.analysis import queries
from safer_communities.analysis.definitions import Definition, Definitions, resolve
from safer_communities.analysis.periods import Period
from safer_communities.analysis.placement import Unlocated
from safer_communities.analysis.stats import poisson_ci
from safer_communities.analysis.table import Table

if TYPE_CHECKING:  # pandas loads only where a frame is asked for (not for `safer evidence rates`)
    import pandas as pd

RATE_COLUMNS = [
    "area_code",
    "area_name",
    "issue",
    "period",
    "count",
    "population",
    "population_year",
    "rate_per_1000",
    "ci_low",
    "ci_high",
]


def definition_for(issue: str | Definition, definitions: Definitions | Path | str | None) -> Definition:
    """The definition of ``issue`` (raising ``NoDataError`` when no open source measures it)."""
    definition = issue if isinstance(issue, Definition) else resolve(definitions).get(issue)
    definition.require_source()
    return definition


def base_attrs(
    definition: Definition,
    period: Period,
    cov: queries.Coverage,
    *,
    unlocated: Unlocated | None = None,
    **extra: object,
) -> dict:
    """The metadata every result carries: definition and version, period, gaps, unplaced records, caveats."""
    level = str(extra.get("area_level", ""))
    placed = [unlocated.caveat(level), unlocated.anomaly_caveat()] if unlocated is not None else []
    caveats = [c for c in (definition.caveat, cov.note(), *placed) if c]
    attrs: dict[str, object] = {
        "definition_id": definition.issue,
        "definition_version": definition.version,
        "period_label": period.label,
        "period_start": period.start.isoformat(),
        "period_end": period.end.isoformat(),
        "missing_months": [m.isoformat() for m in cov.missing],
        "proxy": definition.proxy,
        "caveats": caveats,
    }
    if unlocated is not None:
        attrs["unlocated"] = unlocated.to_dict(level)
    attrs.update(extra)
    return attrs


def add_rates(
    frame: pd.DataFrame,
    *,
    count: str = "count",
    population: str = "population",
    per: float = 1000.0,
    prefix: str = "",
) -> pd.DataFrame:
    """Add rate_per_N with exact Poisson 95% limits (NaN where the population is unknown)."""
    import pandas as pd

    counts = frame[count].to_numpy(dtype=float)
    pop = pd.to_numeric(frame[population], errors="coerce").to_numpy(dtype=float)
    label = f"rate_per_{int(per):d}"
    frame[f"{prefix}{label}"], frame[f"{prefix}ci_low"], frame[f"{prefix}ci_high"] = rates_with_limits(
        counts, pop, per=per)
    return frame


def rates_with_limits(counts: np.ndarray, population: np.ndarray, *, per: float = 1000.0
                      ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rate per ``per`` residents and its exact Poisson 95% limits (NaN where the population is unknown
    or not positive)."""
    low, high = poisson_ci(counts)
    with np.errstate(divide="ignore", invalid="ignore"):
        valid = population > 0
        scale = np.where(valid, per / np.where(valid, population, 1.0), np.nan)
    return counts * scale, low * scale, high * scale


def issue_rates(
    con: duckdb.DuckDBPyConnection,
    issue: str | Definition,
    *,
    area_level: str = "district",
    period: str | Period | None = "latest-12-months",
    definitions: Definitions | Path | str | None = None,
) -> pd.DataFrame:
    """Count and rate per 1,000 residents of one issue in each study-area unit over a period.

    The rate is for the whole period (not annualised). Population is the mid-year estimate of the
    period's end year or the latest earlier year loaded (``population_year``). Months of the period not in
    the store are listed in ``attrs['missing_months']``: they are gaps, so the counts are then incomplete.
    Police.uk issues only; road safety has :func:`road_safety.collision_rates`.
    """
    return rate_table(con, issue, area_level=area_level, period=period, definitions=definitions).to_frame()


def rate_table(
    con: duckdb.DuckDBPyConnection,
    issue: str | Definition,
    *,
    area_level: str = "district",
    period: str | Period | None = "latest-12-months",
    definitions: Definitions | Path | str | None = None,
) -> Table:
    """:func:`issue_rates` as a :class:`Table` (the CLI prints it without loading pandas)."""
    definition = definition_for(issue, definitions)
    definition.require_source(expected=queries.POLICE_SOURCE)
    queries.check_level(area_level)
    p = queries.resolve_period(con, queries.POLICE_SOURCE, period)
    cov = queries.coverage(con, queries.POLICE_SOURCE, p)
    counts = queries.crime_count_table(con, definition, p, area_level)
    pop = queries.population(con, area_level, p.end.year)
    populations = [pop.values.get(code) for code in counts.columns["area_code"]]
    rate, low, high = rates_with_limits(
        np.asarray(counts.columns["count"], dtype=float),
        np.asarray([np.nan if v is None else v for v in populations], dtype=float),
    )
    n = len(counts)
    columns = {
        "area_code": counts.columns["area_code"],
        "area_name": counts.columns["area_name"],
        "issue": [definition.issue] * n,
        "period": [p.label] * n,
        "count": counts.columns["count"],
        "population": populations,
        "population_year": [pop.year] * n,
        "rate_per_1000": rate.tolist(),
        "ci_low": low.tolist(),
        "ci_high": high.tolist(),
    }
    kinds = {"area_code": "str", "area_name": "str", "issue": "str", "period": "str", "count": "int64",
             "population": "Int64", "population_year": "int64", "rate_per_1000": "float64",
             "ci_low": "float64", "ci_high": "float64"}
    attrs = base_attrs(
        definition,
        p,
        cov,
        unlocated=counts.attrs["unlocated"],
        area_level=area_level,
        population_note=pop.note,
        rate_basis="per 1,000 residents over the whole period (not annualised)",
    )
    return Table(columns, kinds, attrs)
