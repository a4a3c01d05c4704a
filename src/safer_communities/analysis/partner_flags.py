"""Domestic abuse and hate crime from the force extract's flags: counts, rates and share of violence.

police.uk does not flag domestic abuse or hate crime, so these issues have no open measure; a force's
extract carries both flags as forces record them (the Home Office domestic abuse and hate crime flags).
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd

from safer_communities.analysis import queries
from safer_communities.analysis.partner_records import (
    CTE,
    OUTSIDE,
    feed_period,
    located,
    mark,
    period_bounds,
    require_feed,
)
from safer_communities.analysis.partner_when import record_filter
from safer_communities.analysis.periods import Period
from safer_communities.errors import InputError

COUNTS = ["records", "domestic_abuse", "hate_crime", "serious_violence", "sv_domestic_abuse"]


def _counts(con: duckdb.DuckDBPyConnection, key_sql: str, source: str, sv: str, p: Period) -> pd.DataFrame:
    return con.execute(
        f"""WITH {CTE} SELECT {key_sql} AS key, count(*) AS records,
                   count(*) FILTER (WHERE r.domestic_abuse) AS domestic_abuse,
                   count(*) FILTER (WHERE r.hate_crime) AS hate_crime,
                   count(*) FILTER (WHERE {sv}) AS serious_violence,
                   count(*) FILTER (WHERE {sv} AND r.domestic_abuse) AS sv_domestic_abuse
            {source} WHERE r.committed_at >= ? AND r.committed_at < ? GROUP BY ALL""",
        list(period_bounds(p)),
    ).fetch_df()


def _shares(frame: pd.DataFrame) -> None:
    for flag in ("domestic_abuse", "hate_crime"):
        frame[f"{flag}_pct"] = frame[flag] / frame["records"].where(frame["records"] > 0) * 100
    frame["sv_domestic_abuse_pct"] = (
        frame["sv_domestic_abuse"] / frame["serious_violence"].where(frame["serious_violence"] > 0) * 100
    )


def flagged(
    con: duckdb.DuckDBPyConnection,
    *,
    by: str = "area",
    area_level: str = "district",
    period: str | Period | None = None,
    definition: Path | str | None = None,
) -> pd.DataFrame:
    """By area (``by="area"``): per study-area unit (zeros included), then records outside it, then the
    total: records in the extract, domestic abuse and hate crime flagged records with their share of the
    records and rate per 1,000 residents a year, and the domestic abuse share of serious violence (by
    offence code). By month: the same counts and shares per month (no rates), then the total."""
    if by not in ("area", "month"):
        raise InputError("--by must be area or month.", found=repr(by), hint="Use area or month.")
    info = require_feed(con, "force-crimes")
    p = feed_period(info, period)
    source, code, _ = located("partner_force_crimes", area_level)
    sv = record_filter(con, "serious-violence", definition)
    caveat = (
        "Flags as the force records them. The share is of every record in the extract (the demo extract "
        "holds violence, robbery and weapons offences); serious violence is by offence code."
    )
    method = "Force extract records with the domestic abuse or hate crime flag"
    if by == "month":
        counts = _counts(con, "date_trunc('month', r.committed_at)::DATE", source, sv, p)
        counts["key"] = pd.to_datetime(counts["key"]).dt.date
        frame = pd.DataFrame({"month": p.months}).merge(
            counts.rename(columns={"key": "month"}), on="month", how="left"
        )
        frame[COUNTS] = frame[COUNTS].fillna(0).astype("int64")
        total = pd.DataFrame([{"month": "Total", **{c: int(frame[c].sum()) for c in COUNTS}}])
        frame = pd.concat([frame.astype({"month": object}), total], ignore_index=True)
        _shares(frame)
        frame.attrs["caveats"] = [caveat]
        return mark(frame, [info], period=p, method=method + ", by month committed")
    counts = _counts(con, f"coalesce({code}, 'outside')", source, sv, p).rename(columns={"key": "area_code"})
    units = queries.area_list(con, area_level)
    frame = units.merge(counts, on="area_code", how="left")
    if (counts["area_code"] == "outside").any():
        outside = counts[counts["area_code"] == "outside"].assign(area_name=OUTSIDE)
        frame = pd.concat([frame, outside], ignore_index=True)
    frame[COUNTS] = frame[COUNTS].fillna(0).astype("int64")
    pop = queries.population(con, area_level, p.end.year)
    frame = frame.merge(pop.table, on="area_code", how="left")
    total = {
        "area_code": "total",
        "area_name": "Total",
        **{c: int(frame[c].sum()) for c in COUNTS},
        "population": frame.loc[frame["area_code"] != "outside", "population"].sum(min_count=1),
    }
    frame = pd.concat([frame, pd.DataFrame([total])], ignore_index=True)
    frame["population"] = pd.to_numeric(frame["population"], errors="coerce")
    years = p.n_months / 12
    _shares(frame)
    for flag in ("domestic_abuse", "hate_crime"):
        frame[f"{flag}_rate_per_1000"] = frame[flag] / frame["population"] * 1000 / years
    frame.attrs["caveats"] = [caveat, "Rates per 1,000 residents a year; " + pop.note]
    return mark(frame, [info], period=p, method=method)
