"""Harm-weighted counts: each record weighted by the harm of its crime type (Cambridge Crime Harm Index).

Counting every crime as one treats a shoplifting like a robbery; weighting by CCHI days (the sentencing
starting point in days of imprisonment) shows where the harm is. Weights are versioned data under
``data/harm`` so ONS Crime Severity Score weights can be added as another version.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import yaml

from safer_communities.analysis import placement, queries
from safer_communities.analysis.definitions import Definition, Definitions, resolve
from safer_communities.analysis.periods import Period
from safer_communities.analysis.rates import add_rates, base_attrs
from safer_communities.errors import InputError, NoDataError

_HARM = resources.files("safer_communities") / "data" / "harm"


@dataclass(frozen=True)
class HarmWeights:
    """One version of harm weights per police.uk crime type."""

    version: str
    weights: dict[str, float]
    unit: str
    meta: dict[str, Any]

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame({"crime_type": list(self.weights), "weight": list(self.weights.values())})


def _manifest() -> dict[str, Any]:
    return yaml.safe_load((_HARM / "weights.yaml").read_text(encoding="utf-8"))


def harm_versions() -> list[str]:
    """The versions of harm weights bundled."""
    return list(_manifest()["versions"])


def harm_weights(version: str | None = None) -> HarmWeights:
    """The harm weights of ``version`` (``None``: the default, CCHI with national offence mix)."""
    manifest = _manifest()
    version = version or manifest["default"]
    if version not in manifest["versions"]:
        raise InputError(
            "Those harm weights are not known.",
            found=repr(version),
            hint=f"Use one of: {', '.join(manifest['versions'])}.",
        )
    meta = manifest["versions"][version]
    with (_HARM / meta["file"]).open("r", encoding="utf-8") as fh:
        table = pd.read_csv(fh)
    weights = dict(zip(table["crime_type"], table[meta["weight_column"]].astype(float), strict=True))
    return HarmWeights(version=version, weights=weights, unit=meta["unit"], meta=dict(meta))


def all_crime_definition(weights: HarmWeights | None = None) -> Definition:
    """'All crime': every police.uk crime type with a harm weight (the harm of ``issue=None``)."""
    weights = weights or harm_weights()
    return Definition(
        issue="all-crime",
        version=weights.version,
        label="All crime",
        source=queries.POLICE_SOURCE,
        crime_types=tuple(weights.weights),
        description="Every police.uk crime type with a harm weight.",
    )


def issue_harm(
    con: duckdb.DuckDBPyConnection,
    issue: str | Definition | None,
    *,
    area_level: str = "district",
    period: str | Period | None = "latest-12-months",
    weights_version: str | None = None,
    definitions: Definitions | Path | str | None = None,
) -> pd.DataFrame:
    """Harm-weighted counts and harm per 1,000 residents, per area, for an issue or all crime (``None``).

    Columns: area_code, area_name, issue, period, count, harm_days, population, population_year,
    harm_per_1000, top_harm_crime_type (the crime type contributing most harm). Anti-social behaviour
    has no harm weight (it is not a crime) and is left out, which ``attrs['unweighted']`` reports.
    """
    weights = harm_weights(weights_version)
    if issue is None:
        definition = all_crime_definition(weights)
    else:
        definition = issue if isinstance(issue, Definition) else resolve(definitions).get(issue)
        definition.require_source(expected=queries.POLICE_SOURCE)
    weighted = tuple(c for c in definition.crime_types if c in weights.weights)
    unweighted = [c for c in definition.crime_types if c not in weights.weights]
    if not weighted:
        raise NoDataError(
            f"No harm weights apply to {definition.label.lower()}.",
            found=f"crime types {list(definition.crime_types)} have no {weights.version} weight",
            hint="Harm weights exist for crimes only; anti-social behaviour is not a crime.",
        )
    p = queries.resolve_period(con, queries.POLICE_SOURCE, period)
    cov = queries.coverage(con, queries.POLICE_SOURCE, p)
    per_type = []
    for crime_type in weighted:
        one = Definition(
            issue=definition.issue,
            version=definition.version,
            label=crime_type,
            source=queries.POLICE_SOURCE,
            crime_types=(crime_type,),
        )
        c = queries.crime_counts(con, one, p, area_level)
        c["crime_type"] = crime_type
        c["harm_days"] = c["count"] * weights.weights[crime_type]
        per_type.append(c)
    long = pd.concat(per_type, ignore_index=True)
    top = (
        long.sort_values("harm_days", ascending=False)
        .drop_duplicates("area_code")
        .set_index("area_code")["crime_type"]
    )
    out = long.groupby(["area_code", "area_name"], as_index=False)[["count", "harm_days"]].sum()
    out["top_harm_crime_type"] = out["area_code"].map(top).where(out["harm_days"] > 0)
    pop = queries.population(con, area_level, p.end.year)
    out = out.merge(pop.table, on="area_code", how="left")
    out["population"] = out["population"].astype("Int64")
    out["population_year"] = pop.year
    out["issue"], out["period"] = definition.issue, p.label
    pop_num = pd.to_numeric(out["population"], errors="coerce").astype(float)
    out["harm_per_1000"] = out["harm_days"] / pop_num * 1000.0
    out = add_rates(out, per=1000.0, prefix="count_")
    out = out[
        [
            "area_code",
            "area_name",
            "issue",
            "period",
            "count",
            "harm_days",
            "population",
            "population_year",
            "harm_per_1000",
            "count_rate_per_1000",
            "top_harm_crime_type",
        ]
    ]
    out.attrs.update(
        base_attrs(
            definition,
            p,
            cov,
            unlocated=placement.unlocated(con, weighted, p),
            area_level=area_level,
            population_note=pop.note,
            harm_version=weights.version,
            harm_unit=weights.unit,
            harm_citation=weights.meta.get("citation", ""),
            unweighted=unweighted,
        )
    )
    if unweighted:
        out.attrs["caveats"] = [
            *out.attrs["caveats"],
            f"Not harm-weighted (no weight): {', '.join(unweighted)}.",
        ]
    if len(weighted) == 1:
        out.attrs["caveats"] = [*out.attrs["caveats"], single_category_note(weighted[0], weights)]
    out.attrs["caveats"] = [*out.attrs["caveats"], f"Harm weights version {weights.version}."]
    return out.sort_values("area_code").reset_index(drop=True)


def single_category_note(crime_type: str, weights: HarmWeights) -> str:
    """Why harm of one police.uk category says nothing the count does not."""
    return (
        "Harm within one police.uk category is the count times one weight "
        f"({weights.weights[crime_type]:,.2f} {weights.unit} per '{crime_type}' record, {weights.version}), "
        "so it ranks areas exactly as the "
        "count does; harm adds information only for a mix of categories (see the harm share of each "
        "category in all crime: safer evidence harm --by-crime-type)."
    )


def harm_mix(
    con: duckdb.DuckDBPyConnection,
    *,
    area_level: str = "county",
    period: str | Period | None = "latest-12-months",
    weights_version: str | None = None,
) -> pd.DataFrame:
    """Each crime type's share of all crime's records and of its harm, per area: where harm means something.

    Columns: area_code, area_name, period, crime_type, count, harm_days, count_share, harm_share (shares of
    the area's weighted crime, 0 to 1). ``attrs`` carry the weights version and the caveats.
    """
    weights = harm_weights(weights_version)
    p = queries.resolve_period(con, queries.POLICE_SOURCE, period)
    cov = queries.coverage(con, queries.POLICE_SOURCE, p)
    parts = []
    for crime_type, weight in weights.weights.items():
        one = Definition(
            issue="all-crime",
            version=weights.version,
            label=crime_type,
            source=queries.POLICE_SOURCE,
            crime_types=(crime_type,),
        )
        c = queries.crime_counts(con, one, p, area_level)
        c["crime_type"], c["harm_days"] = crime_type, c["count"] * weight
        parts.append(c)
    out = pd.concat(parts, ignore_index=True)
    totals = out.groupby("area_code")[["count", "harm_days"]].transform("sum")
    out["count_share"] = out["count"] / totals["count"].where(totals["count"] > 0)
    out["harm_share"] = out["harm_days"] / totals["harm_days"].where(totals["harm_days"] > 0)
    out["period"] = p.label
    out = out[["area_code", "area_name", "period", "crime_type", "count", "harm_days", "count_share",
               "harm_share"]].sort_values(["area_code", "harm_days"], ascending=[True, False])
    every = Definition(issue="all-crime", version=weights.version, label="All crime",
                       source=queries.POLICE_SOURCE, crime_types=tuple(weights.weights))
    out.attrs.update(
        base_attrs(
            every,
            p,
            cov,
            unlocated=placement.unlocated(con, tuple(weights.weights), p),
            area_level=area_level,
            harm_version=weights.version,
            harm_unit=weights.unit,
            harm_citation=weights.meta.get("citation", ""),
        )
    )
    out.attrs["caveats"] = [
        *out.attrs["caveats"],
        f"Harm weights version {weights.version} ({weights.unit}); anti-social behaviour has no weight "
        "(it is not a crime) and is left out of both shares.",
    ]
    return out.reset_index(drop=True)
