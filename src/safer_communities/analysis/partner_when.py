"""When violence happens: time of day by day of week, from exact dates and times in partner records.

police.uk gives months only; a force extract has the committed date and time of each crime, and the ISTV
minimum data set the assault (and arrival) date and time. Hours are grouped into bands (three hours by
default) so the cells are large enough to publish after disclosure control.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd

from safer_communities.analysis.partner_records import DAYS, feed_period, mark, period_bounds, require_feed
from safer_communities.analysis.periods import Period
from safer_communities.errors import InputError

FIELD_WORDS = {"committed_at": "the time committed", "assault_at": "the time of the assault",
               "arrival_at": "the time of arrival at the emergency department",
               "reported_at": "the time reported"}
SUBSETS = ("all", "serious-violence", "domestic-abuse", "hate-crime", "knife")
FIELDS = {
    "force-crimes": ("committed_at",),
    "istv": ("assault_at", "arrival_at"),
    "council-asb": ("reported_at",),
}


def record_filter(con: duckdb.DuckDBPyConnection, subset: str, definition: Path | str | None = None) -> str:
    """SQL condition on ``r`` (a force extract record) for a subset; serious violence by the codes of the
    local definition."""
    if subset not in SUBSETS:
        raise InputError(
            "Unknown subset of the force extract.",
            found=repr(subset),
            hint=f"Use one of {', '.join(SUBSETS)}.",
        )
    if subset == "all":
        return "TRUE"
    if subset == "domestic-abuse":
        return "r.domestic_abuse"
    if subset == "hate-crime":
        return "r.hate_crime"
    if subset == "knife":
        return "r.weapon = 'knife-or-sharp-object'"
    from safer_communities.analysis.partner_sv import classified, load_sv_definition

    codes = classified(con, load_sv_definition(definition))
    chosen = [c.replace("'", "''") for c in codes.loc[codes["sv_group"].notna(), "ho_offence_code"]]
    return "r.ho_offence_code IN (" + (", ".join(f"'{c}'" for c in chosen) or "NULL") + ")"


def hour_bands(hours_per_band: int) -> list[str]:
    if hours_per_band not in (1, 2, 3, 4, 6):
        raise InputError(
            "Hours per band must divide the day evenly.",
            found=str(hours_per_band),
            hint="Use 1, 2, 3, 4 or 6.",
        )
    return [f"{h:02d}:00-{h + hours_per_band - 1:02d}:59" for h in range(0, 24, hours_per_band)]


def time_of_week(
    con: duckdb.DuckDBPyConnection,
    *,
    schema: str = "force-crimes",
    field: str | None = None,
    subset: str = "all",
    hours_per_band: int = 3,
    period: str | Period | None = None,
    definition: Path | str | None = None,
) -> pd.DataFrame:
    """Counts by time band (rows) and day of the week (columns Monday..Sunday, then Total); the last row
    is the total. ``subset`` filters the force extract (serious violence, domestic abuse, hate crime,
    knife); ISTV counts every assault (by ``assault_at``, or ``arrival_at``)."""
    info = require_feed(con, schema)
    fields = FIELDS.get(schema, ())
    field = field or fields[0]
    if field not in fields:
        raise InputError(
            f"The {schema} feed has no time field '{field}'.", found=field, hint=f"Use {', '.join(fields)}."
        )
    if schema != "force-crimes" and subset != "all":
        raise InputError(
            "Subsets apply to the force extract only.", found=f"{schema}, {subset}", hint="Use --subset all."
        )
    bands = hour_bands(hours_per_band)
    p = feed_period(info, period)
    where = record_filter(con, subset, definition) if schema == "force-crimes" else "TRUE"
    counts = con.execute(
        f"""SELECT hour(r.{field}) // ? AS band, isodow(r.{field}) AS day, count(*) AS n
            FROM {info.table} r WHERE r.{field} IS NOT NULL AND r.{field} >= ? AND r.{field} < ? AND {where}
            GROUP BY ALL""",
        [hours_per_band, *period_bounds(p)],
    ).fetch_df()
    table = pd.DataFrame(0, index=bands, columns=list(DAYS), dtype="int64")
    for band, day, n in counts.itertuples(index=False):
        table.iloc[int(band), int(day) - 1] = int(n)
    table["Total"] = table.sum(axis=1)
    table.loc["Total"] = table.sum(axis=0)
    frame = table.rename_axis("time").reset_index()
    what = {"force-crimes": f"force extract records ({subset})", "istv": "every ISTV assault",
            "council-asb": "every council ASB incident"}[schema]
    frame.attrs["caveats"] = [
        f"Counted: {what}, by {FIELD_WORDS[field]} ({field}); hours in bands of {hours_per_band}; "
        "days Monday to Sunday."
    ]
    return mark(frame, [info], period=p, method=f"Time of day by day of week from {field} (exact times)")
