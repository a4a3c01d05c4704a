"""Serious violence by Home Office offence codes, from a force crime extract, against the police.uk proxy.

police.uk cannot separate homicide, knife crime or grievous bodily harm from the rest of violence, so the
police.uk definition of serious violence is a proxy (every violence, robbery and weapons record). A force's
own extract carries the Home Office offence code of each crime; the local definition
(``data/definitions/serious-violence-ho-codes.yaml``, versioned) says which codes are serious violence and
groups them (homicide, attempted murder, wounding and GBH, robbery, weapons, rape). Counts and rates per
100,000 residents by area or month are compared with the police.uk proxy for the same months and areas.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import yaml

from safer_communities.analysis import queries
from safer_communities.analysis.definitions import load_definitions
from safer_communities.analysis.partner_records import (
    CTE,
    OUTSIDE,
    feed_period,
    located,
    mark,
    period_bounds,
    require_feed,
)
from safer_communities.analysis.periods import Period
from safer_communities.errors import InputError

_CODE = re.compile(r"^0*(\d{1,3})([A-Z]{0,2})(?:/0*(\d{0,3})([A-Z]?))?$")
_HINT = "See the bundled data/definitions/serious-violence-ho-codes.yaml and docs/partner-analysis.md."
KNIFE = "knife-or-sharp-object"


def parse_code(code: str) -> tuple[int, str, int | None]:
    """A Home Office offence code as (class, letter, subdivision): "008/01" -> (8, "", 1), "34B" ->
    (34, "B", None), "001/00" -> (1, "", None) (a 00 subdivision is the whole class)."""
    match = _CODE.match(str(code).strip().upper())
    if not match:
        raise InputError(
            "Not a Home Office offence code.", found=repr(code), hint="For example 1, 8/1, 34B, 008/01."
        )
    number, letter, sub, _ = match.groups()
    sub_value = int(sub) if sub else None
    return int(number), letter, (sub_value or None)


def code_matches(pattern: str, code: str) -> bool:
    """Whether a definition's code matches a record's (the rule stated in the definition file)."""
    p_class, p_letter, p_sub = parse_code(pattern)
    c_class, c_letter, c_sub = parse_code(code)
    if p_class != c_class:
        return False
    if p_letter and p_letter != c_letter:
        return False
    return p_sub is None or p_sub == c_sub


@dataclass(frozen=True)
class Group:
    id: str
    label: str
    hocr: str
    codes: tuple[str, ...]


@dataclass(frozen=True)
class SvDefinition:
    """The local definition of serious violence by offence codes (versioned data)."""

    id: str
    version: str
    label: str
    source: str
    proxy_issue: str
    groups: tuple[Group, ...]
    path: str

    def group_of(self, code: str) -> str | None:
        """The first group whose codes match ``code``; None when it is not serious violence."""
        for group in self.groups:
            if any(code_matches(p, code) for p in group.codes):
                return group.id
        return None


def load_sv_definition(path: Path | str | None = None) -> SvDefinition:
    """Read the definition (``None``: the bundled one); every code is checked as a Home Office code."""
    if path is None:
        resource = (
            resources.files("safer_communities") / "data" / "definitions" / "serious-violence-ho-codes.yaml"
        )
        text, where = resource.read_text(encoding="utf-8"), "serious-violence-ho-codes.yaml (bundled)"
    else:
        if not Path(path).is_file():
            raise InputError(
                "The serious violence definition file does not exist.", found=str(path), hint=_HINT
            )
        text, where = Path(path).read_text(encoding="utf-8"), str(path)
    data: Any = yaml.safe_load(text)
    if not isinstance(data, dict) or not data.get("groups") or "version" not in data:
        raise InputError("A serious violence definition needs a version and groups.", found=where, hint=_HINT)
    groups = []
    for raw in data["groups"]:
        codes = tuple(str(c) for c in raw.get("codes") or ())
        if not codes:
            raise InputError(f"Group '{raw.get('id')}' lists no offence codes.", found=where, hint=_HINT)
        for c in codes:
            parse_code(c)
        groups.append(
            Group(str(raw["id"]), str(raw.get("label", raw["id"])), str(raw.get("hocr", "")), codes)
        )
    return SvDefinition(
        str(data.get("id", "serious-violence-ho-codes")),
        str(data["version"]),
        str(data.get("label", "Serious violence")),
        str(data.get("source", "")).strip(),
        str(data.get("proxy_issue", "serious-violence")),
        tuple(groups),
        where,
    )


def classified(con: duckdb.DuckDBPyConnection, definition: SvDefinition) -> pd.DataFrame:
    """Every distinct offence code in the extract with its group (None: not serious violence)."""
    codes = [
        r[0] for r in con.execute("SELECT DISTINCT ho_offence_code FROM partner_force_crimes").fetchall()
    ]
    return pd.DataFrame(
        {"ho_offence_code": codes, "sv_group": [definition.group_of(c) for c in codes]},
        columns=["ho_offence_code", "sv_group"],
    ).astype(object)


def _records(con: duckdb.DuckDBPyConnection, definition: SvDefinition, p: Period, level: str) -> pd.DataFrame:
    """Serious violence records of the period: area, month, group, knife flag (aggregated, never rows)."""
    source, code, name = located("partner_force_crimes", level)
    con.register("_sv_codes", classified(con, definition))
    try:
        sql = f"""WITH {CTE} SELECT {code} AS area_code, {name} AS area_name,
                   date_trunc('month', r.committed_at)::DATE AS month, k.sv_group,
                   count(*) AS count, count(*) FILTER (WHERE r.weapon = '{KNIFE}') AS knife
            {source} JOIN _sv_codes k USING (ho_offence_code)
            WHERE k.sv_group IS NOT NULL AND r.committed_at >= ? AND r.committed_at < ?
            GROUP BY ALL"""
        return con.execute(sql, list(period_bounds(p))).fetch_df()
    finally:
        con.unregister("_sv_codes")


def serious_violence(
    con: duckdb.DuckDBPyConnection,
    *,
    by: str = "area",
    area_level: str = "district",
    period: str | Period | None = None,
    definition: Path | str | SvDefinition | None = None,
) -> pd.DataFrame:
    """Serious violence by offence-code group per area (``by="area"``) or month (``by="month"``), with
    knife-enabled counts, rates per 100,000 residents a year (by area) and the police.uk proxy for the
    same months.

    By area: one row per study-area unit (zeros included), then a row for records not placed in the study
    area (if any), then the total. Columns: area_code, area_name, one count per group, serious_violence,
    knife_enabled, population, rate_per_100k, proxy_count, proxy_rate_per_100k, pct_of_proxy.
    By month: one row per month with the group counts, serious_violence, knife_enabled and proxy_count.
    """
    info = require_feed(con, "force-crimes")
    sv = definition if isinstance(definition, SvDefinition) else load_sv_definition(definition)
    p = feed_period(info, period)
    if by not in ("area", "month"):
        raise InputError("--by must be area or month.", found=repr(by), hint="Use area or month.")
    groups = [g.id for g in sv.groups]
    rows = _records(con, sv, p, area_level)
    proxy_def = load_definitions().get(sv.proxy_issue)
    police_months = set(queries.months_loaded(con, queries.POLICE_SOURCE))
    proxy_complete = all(m in police_months for m in p.months)
    key = "area_code" if by == "area" else "month"
    wide = rows.pivot_table(index=key, columns="sv_group", values="count", aggfunc="sum", fill_value=0)
    wide = wide.reindex(columns=groups, fill_value=0)
    knife = rows.groupby(key)["knife"].sum()
    if by == "month":
        knife.index = pd.to_datetime(knife.index).date
    if by == "area":
        units = queries.area_list(con, area_level)
        frame = units.merge(wide.reset_index(), on="area_code", how="left")
        if rows["area_code"].isna().any():
            outside = rows[rows["area_code"].isna()]
            extra = {"area_code": "outside", "area_name": OUTSIDE}
            extra.update({g: int(outside.loc[outside["sv_group"] == g, "count"].sum()) for g in groups})
            frame = pd.concat([frame, pd.DataFrame([extra])], ignore_index=True)
        frame[groups] = frame[groups].fillna(0).astype("int64")
        frame["serious_violence"] = frame[groups].sum(axis=1)
        frame["knife_enabled"] = frame["area_code"].map(
            lambda c: int(
                rows.loc[
                    rows["area_code"].isna() if c == "outside" else rows["area_code"] == c, "knife"
                ].sum()
            )
        )
        pop = queries.population(con, area_level, p.end.year)
        frame = frame.merge(pop.table, on="area_code", how="left")
        proxy = queries.crime_counts(con, proxy_def, p, area_level) if proxy_complete else None
        frame["proxy_count"] = (
            frame["area_code"].map(proxy.set_index("area_code")["count"]) if proxy is not None else pd.NA
        )
        total = {"area_code": "total", "area_name": "Total"}
        for col in [*groups, "serious_violence", "knife_enabled"]:
            total[col] = int(frame[col].sum())
        total["population"] = frame.loc[frame["area_code"] != "outside", "population"].sum(min_count=1)
        # The force area's own count: it includes the force's records police.uk could not place (see
        # analysis.placement), as the county rate of the police.uk evidence does.
        total["proxy_count"] = (
            int(queries.crime_counts(con, proxy_def, p, "county")["count"].sum())
            if proxy is not None
            else pd.NA
        )
        frame = pd.concat([frame, pd.DataFrame([total])], ignore_index=True)
        frame["population"] = pd.to_numeric(frame["population"], errors="coerce")
        frame["proxy_count"] = pd.to_numeric(frame["proxy_count"], errors="coerce")
        years = p.n_months / 12
        frame["rate_per_100k"] = frame["serious_violence"] / frame["population"] * 100_000 / years
        frame["proxy_rate_per_100k"] = frame["proxy_count"] / frame["population"] * 100_000 / years
        frame["pct_of_proxy"] = frame["serious_violence"] / frame["proxy_count"] * 100
        frame.attrs["population_note"] = pop.note
    else:
        months = pd.DataFrame({"month": p.months})
        wide.index = pd.to_datetime(wide.index).date
        frame = months.merge(wide.rename_axis("month").reset_index(), on="month", how="left")
        frame[groups] = frame[groups].fillna(0).astype("int64")
        frame["serious_violence"] = frame[groups].sum(axis=1)
        frame["knife_enabled"] = frame["month"].map(lambda m: int(knife.get(m, 0)))
        if proxy_complete:
            proxy = queries.crime_counts(con, proxy_def, p, "county", by_month=True)
            by_month = proxy.groupby(proxy["month"].dt.date)["count"].sum()
            frame["proxy_count"] = frame["month"].map(by_month).astype("Int64")
        else:
            frame["proxy_count"] = pd.NA
        frame["pct_of_proxy"] = frame["serious_violence"] / pd.to_numeric(frame["proxy_count"]) * 100
    caveats = [
        f"Definition {sv.id} version {sv.version}: "
        + "; ".join(f"{g.label} = {', '.join(g.codes)}" for g in sv.groups)
        + f". Source: {sv.source}",
        f"Compared with the police.uk proxy '{proxy_def.issue}' (version {proxy_def.version}): "
        + (
            "every violence and sexual offence, robbery and weapons record of the same months."
            if proxy_complete
            else "not every month of the period is loaded from police.uk, so the proxy is not shown."
        ),
        "Knife-enabled: a serious violence record whose weapon is a knife or sharp object.",
    ]
    if by == "area":
        caveats.append(
            "Rates per 100,000 residents a year. Records with no LSOA or outside the study area are "
            "counted in the total, not in any area."
        )
    frame.attrs.update(
        caveats=caveats,
        definition_id=sv.id,
        definition_version=sv.version,
        groups={g.id: g.label for g in sv.groups},
    )
    return mark(
        frame,
        [info],
        period=p,
        method="Force crime extract records classified by Home Office offence code "
        f"({sv.id} v{sv.version}); counted by {'area' if by == 'area' else 'month'} of the "
        "committed date",
    )
