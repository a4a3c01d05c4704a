"""Who: victims and suspects by age band and sex, and the under-25 focus of the Home Office violence
reduction success measures.

The Home Office's Violence Reduction Unit and Grip programmes measure success by (1) hospital admissions
for assault with a knife or sharp object, (2) knife-enabled serious violence and (3) non-domestic
homicide, each "especially among victims aged under 25". Here: (1) from ISTV emergency department
attendances with assault method knife or sharp object (attendances, not admissions: ISTV does not say
whether the patient was admitted); (2) serious violence by offence code with weapon knife or sharp object
(force extract); (3) homicide by offence code without the domestic abuse flag (force extract).
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd

from safer_communities.analysis.partner_records import (
    AGE_BANDS,
    UNDER_25,
    feed_period,
    loaded_feeds,
    mark,
    period_bounds,
    require_feed,
)
from safer_communities.analysis.partner_when import record_filter
from safer_communities.analysis.periods import Period
from safer_communities.errors import InputError, NoDataError

SEXES = ("female", "male", "other", "unknown")
KNIFE = "knife-or-sharp-object"


def who(
    con: duckdb.DuckDBPyConnection,
    *,
    role: str = "victim",
    subset: str = "serious-violence",
    period: str | Period | None = None,
    definition: Path | str | None = None,
) -> pd.DataFrame:
    """Records by the victim's (or suspect's) age band (rows) and sex (columns, then Total); the last row
    is the total. A record without an age band or sex is counted as unknown, never dropped."""
    if role not in ("victim", "suspect"):
        raise InputError("--role must be victim or suspect.", found=repr(role), hint="Use victim or suspect.")
    info = require_feed(con, "force-crimes")
    p = feed_period(info, period)
    where = record_filter(con, subset, definition)
    counts = con.execute(
        f"""SELECT coalesce(r.{role}_age_band, 'unknown') AS band, coalesce(r.{role}_sex, 'unknown') AS sex,
                   count(*) AS n
            FROM partner_force_crimes r WHERE r.committed_at >= ? AND r.committed_at < ? AND {where}
            GROUP BY ALL""",
        list(period_bounds(p)),
    ).fetch_df()
    table = pd.DataFrame(0, index=list(AGE_BANDS), columns=list(SEXES), dtype="int64")
    for band, sex, n in counts.itertuples(index=False):
        table.loc[band, sex] += int(n)
    table["Total"] = table.sum(axis=1)
    table.loc["Total"] = table.sum(axis=0)
    frame = table.rename_axis("age_band").reset_index()
    frame.attrs["caveats"] = [
        f"{role.capitalize()}s of {subset} records in the force extract; one row per "
        "crime record (a person in several crimes is counted in each)."
    ]
    return mark(frame, [info], period=p, method=f"Force extract records by {role} age band and sex")


def vru_measures(
    con: duckdb.DuckDBPyConnection,
    *,
    period: str | Period | None = None,
    definition: Path | str | None = None,
) -> pd.DataFrame:
    """The three violence reduction success measures, all ages and under 25, from whichever feeds are
    loaded (``NoDataError`` when neither ISTV nor the force extract is)."""
    feeds = loaded_feeds(con)
    if "istv" not in feeds and "force-crimes" not in feeds:
        require_feed(con, "force-crimes")  # raises, naming how to load it
    under = ", ".join(f"'{b}'" for b in UNDER_25)
    rows: list[dict[str, object]] = []
    used = []
    p = None
    if "istv" in feeds:
        info = feeds["istv"]
        p = feed_period(info, period)
        total, young = con.execute(
            f"SELECT count(*), count(*) FILTER (WHERE age_band IN ({under})) FROM partner_istv "
            f"WHERE assault_method = '{KNIFE}' AND assault_at >= ? AND assault_at < ?",
            list(period_bounds(p)),
        ).fetchall()[0]
        rows.append(
            {
                "measure": "Knife or sharp-object assaults treated in emergency departments",
                "source": "ISTV",
                "all_ages": int(total),
                "under_25": int(young),
            }
        )
        used.append(info)
    if "force-crimes" in feeds:
        info = feeds["force-crimes"]
        p = feed_period(info, period)
        sv = record_filter(con, "serious-violence", definition)
        from safer_communities.analysis.partner_sv import classified, load_sv_definition

        codes = classified(con, load_sv_definition(definition))
        homicide = [c for c, g in codes.itertuples(index=False) if g == "homicide"]
        hom = "r.ho_offence_code IN (" + (", ".join(f"'{c}'" for c in homicide) or "NULL") + ")"
        bounds = list(period_bounds(p))
        for measure, where in (
            ("Knife-enabled serious violence", f"{sv} AND r.weapon = '{KNIFE}'"),
            ("Non-domestic homicide", f"{hom} AND NOT r.domestic_abuse"),
            (
                "Non-domestic homicide with a knife or sharp object",
                f"{hom} AND NOT r.domestic_abuse AND r.weapon = '{KNIFE}'",
            ),
        ):
            total, young = con.execute(
                f"SELECT count(*), count(*) FILTER (WHERE r.victim_age_band IN ({under})) "
                f"FROM partner_force_crimes r WHERE {where} AND r.committed_at >= ? AND r.committed_at < ?",
                bounds,
            ).fetchall()[0]
            rows.append(
                {
                    "measure": measure,
                    "source": "force crime extract",
                    "all_ages": int(total),
                    "under_25": int(young),
                }
            )
        used.append(info)
    if not rows:
        raise NoDataError("No partner feed for the success measures.", found="none loaded")
    frame = pd.DataFrame(rows)
    frame["under_25_pct"] = frame["under_25"] / frame["all_ages"].where(frame["all_ages"] > 0) * 100
    frame.attrs["caveats"] = [
        "Home Office violence reduction success measures (VRU and Grip): hospital admissions for assault "
        "with a knife or sharp object, knife-enabled serious violence and non-domestic homicide, "
        "especially among under-25s. ISTV counts emergency department attendances (not admissions).",
        "Under 25: the victim's (patient's) age band 0-9, 10-17 or 18-24.",
    ]
    return mark(frame, used, period=p, method="Violence reduction success measures from partner records")
