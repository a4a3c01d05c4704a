"""The partner-evidence section of the dashboard and the strategy tracker: the published partner
indicators relevant to an area and its issues, each against England, through ``publish.disclosure`` as in
the needs assessment (a figure with a small published count is withheld with it; a publisher's marker
stays a marker). Published statistics only: no record-level partner data is read here."""

from __future__ import annotations

from typing import Any

import duckdb
import pandas as pd

from safer_communities.config import Settings
from safer_communities.errors import SaferError
from safer_communities.publish.disclosure import MISSING, suppress_table

LEVELS = ("upper_tier", "police_force_area", "district")


def evidence_areas(con: duckdb.DuckDBPyConnection, area: str) -> list[str]:
    """The areas whose partner figures describe ``area``: for the study area as a whole (its county or
    force area code) its upper-tier authorities and force area; for a district, itself (and, added by the
    summary, its force area); otherwise the code itself."""
    from safer_communities.analysis.partner_indicators import study_areas

    rows = con.execute(
        "SELECT DISTINCT county_code, upper_tier_code, district_code FROM areas"
    ).fetchall() if con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'areas'"
    ).fetchall()[0][0] else []
    districts = {r[2] for r in rows}
    counties = {r[0] for r in rows}
    if area in counties:
        return [a for a in study_areas(con) if a not in districts or a in {r[1] for r in rows}]
    return [area]


def partner_evidence(con: duckdb.DuckDBPyConnection, settings: Settings, area: str,
                     issues: list[str]) -> list[dict[str, Any]]:
    """One row per indicator and area linked to any of ``issues``: name, area, period, the published value
    (or why not), England's value and the comparison. Empty when no partner statistics are loaded."""
    from safer_communities.analysis.partner_indicators import indicator_summary

    try:
        frame = indicator_summary(con, evidence_areas(con, area), linked_only=True)
    except SaferError:
        return []
    wanted = set(issues)
    linked = frame["issues"].fillna("").map(lambda text: bool(wanted & set(text.split()))).astype(bool)
    frame = frame[frame["area_level"].isin(LEVELS) & linked]
    if frame.empty:
        return []
    frame = frame.assign(key=frame["indicator_id"] + "|" + frame["area_code"], shown=frame["value"])
    columns = ["key", "shown", "count", "england_value"]
    parts = []
    counted, plain = frame[frame["count"].notna()], frame[frame["count"].isna()]
    if not counted.empty:
        parts.append(suppress_table(counted[columns], count_columns=["count"],
                                    rate_columns={"shown": "count"}, key_column="key", settings=settings,
                                    decimals=2).published)
    if not plain.empty:
        parts.append(suppress_table(plain[columns], count_columns=[], key_column="key",
                                    settings=settings).published)
    published = pd.concat(parts).set_index("key")
    out = []
    for row in frame.sort_values(["indicator_id", "area_code"]).to_dict("records"):
        shown = published.loc[row["key"], "shown"]
        verdict = row["vs_england"]
        if row["value"] is None or row["value"] != row["value"]:
            shown = f"withheld by the publisher ({row['marker']})" if row["marker"] else MISSING
        elif str(shown).startswith("["):  # withheld here by disclosure control: so is its comparison
            verdict = "not shown"
        out.append({"indicator_id": row["indicator_id"], "name": row["name"], "area_code": row["area_code"],
                    "area_name": row["area_name"], "period": row["period"], "value": str(shown),
                    "england": published.loc[row["key"], "england_value"], "vs_england": verdict,
                    "method": row["method"], "publisher": str(row["publisher"]).split(";")[0]})
    return out
