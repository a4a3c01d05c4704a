"""Outcomes by issue: what happened to the crimes (police.uk outcomes files joined by Crime ID).

Each crime counts once, under its latest outcome in the outcomes table; a crime with no outcome row falls
back to the street file's 'Last outcome category', and failing that is 'No outcome recorded'. Outcome
data are a snapshot at the archive release date: recent crimes have had less time to reach a charge.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd

from safer_communities.analysis import queries
from safer_communities.analysis.definitions import Definition, Definitions
from safer_communities.analysis.periods import Period
from safer_communities.analysis.rates import base_attrs, definition_for
from safer_communities.errors import NoDataError

NO_SUSPECT = ("Investigation complete; no suspect identified",)
CHARGED = (
    "Suspect charged",
    "Suspect charged as part of another case",
    "Awaiting court outcome",
    "Offender sent to prison",
    "Offender given suspended prison sentence",
    "Offender fined",
    "Offender given community sentence",
    "Offender given conditional discharge",
    "Offender given absolute discharge",
    "Offender otherwise dealt with",
    "Defendant found not guilty",
    "Court case unable to proceed",
    "Court result unavailable",
    "Defendant sent to Crown Court",
    "Offender deprived of property",
    "Offender ordered to pay compensation",
    "Offender given a drugs possession warning",
)
NO_OUTCOME = "No outcome recorded"


def outcome_summary(
    con: duckdb.DuckDBPyConnection,
    issue: str | Definition,
    *,
    period: str | Period | None = "latest-12-months",
    area_level: str = "county",
    definitions: Definitions | Path | str | None = None,
) -> pd.DataFrame:
    """Crimes per outcome category per area, with each category's share.

    Columns: area_code, area_name, issue, period, outcome, crimes, share. ``attrs`` adds, per area,
    ``no_suspect_share`` and ``charged_share`` (charged or summonsed: the outcomes that follow a charge),
    and ``outcome_sources`` (how many crimes took their outcome from the outcomes files, the street
    files, or had none). Anti-social behaviour has no outcomes: ``NoDataError`` says so.
    """
    definition = definition_for(issue, definitions)
    definition.require_source(expected=queries.POLICE_SOURCE)
    if set(definition.crime_types) == {"Anti-social behaviour"}:
        raise NoDataError(
            "Anti-social behaviour has no outcomes on police.uk.",
            found=f"definition '{definition.issue}' counts only anti-social behaviour incidents",
            hint="Outcomes are published for crimes only; choose a crime issue such as violence.",
        )
    code = {"lsoa": "a.lsoa11_code", "district": "a.district_code", "county": "a.county_code"}[
        queries.check_level(area_level)
    ]
    p = queries.resolve_period(con, queries.POLICE_SOURCE, period)
    cov = queries.coverage(con, queries.POLICE_SOURCE, p)
    marks = ", ".join("?" for _ in definition.crime_types)
    sql = f"""
        WITH {queries.study_cte()}, latest AS (
            SELECT crime_id, arg_max(outcome_type, month) AS outcome_type FROM outcomes
            WHERE crime_id IS NOT NULL GROUP BY crime_id
        ), crime AS (
            SELECT c.crime_id, min({code}) AS area_code, arg_max(c.last_outcome_category, c.month) AS last
            FROM crimes c JOIN areas x ON c.lsoa_code = x.lsoa_code
            JOIN study a ON a.lsoa11_code = x.lsoa11_code
            WHERE c.crime_type IN ({marks}) AND c.month BETWEEN ? AND ? AND c.crime_id IS NOT NULL
            GROUP BY c.crime_id
        )
        SELECT c.area_code, coalesce(l.outcome_type, c.last, '{NO_OUTCOME}') AS outcome,
               CASE WHEN l.outcome_type IS NOT NULL THEN 'outcomes file'
                    WHEN c.last IS NOT NULL THEN 'street file' ELSE 'none' END AS outcome_source,
               count(*) AS crimes
        FROM crime c LEFT JOIN latest l USING (crime_id)
        GROUP BY ALL
    """
    raw = con.execute(sql, [*definition.crime_types, p.start, p.end]).fetch_df()
    if raw.empty:
        raise NoDataError(
            f"No {definition.label.lower()} crimes with a Crime ID in {p.label}.",
            found="0 crimes",
            hint="Choose another period or area level.",
        )
    names = queries.area_list(con, area_level)
    out = raw.groupby(["area_code", "outcome"], as_index=False)["crimes"].sum()
    out["share"] = out["crimes"] / out.groupby("area_code")["crimes"].transform("sum")
    out = out.merge(names, on="area_code", how="left")
    out["issue"], out["period"] = definition.issue, p.label
    out = out.sort_values(["area_code", "crimes"], ascending=[True, False])[
        ["area_code", "area_name", "issue", "period", "outcome", "crimes", "share"]
    ].reset_index(drop=True)
    totals = out.groupby("area_code")["crimes"].sum()
    share = {
        name: (
            out[out["outcome"].isin(cats)]
            .groupby("area_code")["crimes"]
            .sum()
            .reindex(totals.index, fill_value=0)
            / totals
        )
        .round(6)
        .to_dict()
        for name, cats in (("no_suspect_share", NO_SUSPECT), ("charged_share", CHARGED))
    }
    sources = raw.groupby("outcome_source")["crimes"].sum().to_dict()
    outcome_months = [r[0] for r in con.execute("SELECT DISTINCT month FROM outcomes ORDER BY 1").fetchall()]
    attrs = base_attrs(
        definition,
        p,
        cov,
        area_level=area_level,
        outcome_sources=sources,
        **share,
        outcome_months=f"{outcome_months[0]:%Y-%m}..{outcome_months[-1]:%Y-%m}"
        if outcome_months
        else "none loaded",
    )
    attrs["caveats"] = [
        *attrs["caveats"],
        "Outcomes are a snapshot at the archive release: recent crimes have had less time to reach a charge.",
        "Each crime counts once under its latest outcome; without an outcomes-file row "
        "the street file's last outcome category is used.",
    ]
    out.attrs.update(attrs)
    return out


def outcome_shares(summary: pd.DataFrame) -> pd.DataFrame:
    """One row per area: crimes, share with no suspect identified, share charged or summonsed."""
    totals = summary.groupby(["area_code", "area_name"], as_index=False)["crimes"].sum()
    totals["no_suspect_share"] = totals["area_code"].map(summary.attrs["no_suspect_share"])
    totals["charged_share"] = totals["area_code"].map(summary.attrs["charged_share"])
    totals.insert(2, "issue", summary.attrs["definition_id"])
    totals.insert(3, "period", summary.attrs["period_label"])
    totals.attrs.update(summary.attrs)
    return totals
