"""The needs assessment's "What partners' record-level data shows": the analyses of the record-level feeds
(force crime extract, ISTV, council ASB) by issue, from protected aggregates only.

Nothing here publishes a record: every table is the output of ``publish.partner_tables`` (primary and
secondary suppression). Built from SYNTHETIC demo feeds, the section, every table title and its notes say
SYNTHETIC. An analysis whose feed is not loaded is left out with the gap stated, never shown as zero.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import pandas as pd

from safer_communities.errors import SaferError
from safer_communities.publish.document import BulletList, Paragraph, Section, Table

if TYPE_CHECKING:
    from safer_communities.publish.document import Report
    from safer_communities.publish.sna_context import Context

TITLE = "What partners' record-level data shows"
SV_COLUMNS = {
    "area_name": "Area",
    "homicide": "Homicide",
    "attempted-murder": "Attempted murder",
    "wounding-gbh": "Wounding and GBH",
    "robbery": "Robbery",
    "weapons": "Knives and weapons",
    "rape": "Rape",
    "serious_violence": "Serious violence",
}
PROXY_COLUMNS = {
    "area_name": "Area",
    "serious_violence": "Serious violence (offence codes)",
    "knife_enabled": "Knife-enabled",
    "rate_per_100k": "Rate per 100,000 a year",
    "proxy_count": "police.uk proxy",
    "proxy_rate_per_100k": "Proxy rate per 100,000 a year",
    "pct_of_proxy": "Serious violence as % of the proxy",
}
MIX_COLUMNS = {
    "istv_assaults": "ED assaults",
    "tested": "With an LSOA",
    "unmatched": "No police record",
    "share_pct": "% of ED assaults",
    "unmatched_pct": "% with no police record",
}
FLAG_COLUMNS = {
    "area_name": "Area",
    "records": "Records",
    "domestic_abuse": "Domestic abuse",
    "domestic_abuse_pct": "Domestic abuse %",
    "domestic_abuse_rate_per_1000": "Domestic abuse per 1,000 a year",
    "hate_crime": "Hate crime",
    "hate_crime_pct": "Hate crime %",
    "sv_domestic_abuse_pct": "Domestic abuse % of serious violence",
}
UNMATCHED_COLUMNS = {
    "area_name": "Area",
    "tested": "ED assaults with an LSOA",
    "matched": "Matched to a police record",
    "unmatched": "No police record",
    "unmatched_pct": "% with no police record",
    "not_tested": "No LSOA (not tested)",
}
VRU_COLUMNS = {
    "measure": "Measure",
    "source": "Source",
    "all_ages": "All ages",
    "under_25": "Under 25",
    "under_25_pct": "Under 25 %",
}


def _table(frame: pd.DataFrame, title: str, key: str, columns: dict[str, str] | None = None) -> Table:
    """A report table from a protected frame. From SYNTHETIC feeds the title and the first header say so
    (the header row is in every exported CSV and sheet, so the file itself says it too)."""
    synthetic = bool(frame.attrs.get("synthetic"))
    shown = columns or {
        c: c.replace("_", " ").replace("-", " ").capitalize() for c in frame.columns if c != "data"
    }
    rows = frame[list(shown)].astype(str).to_numpy().tolist()
    notes = [frame.attrs.get("method", ""), *frame.attrs.get("caveats", [])]
    headers = list(shown.values())
    if synthetic:
        headers[0] = f"{headers[0]} (SYNTHETIC data)"
    return Table(
        ("SYNTHETIC - " if synthetic else "") + title,
        key,
        headers,
        rows,
        notes=[n for n in dict.fromkeys(notes) if n],
    )


def _try(section: Section, gaps: list[str], label: str, build: Callable[[], list]) -> None:
    try:
        section.blocks.extend(build())
    except SaferError as exc:
        gaps.append(f"{label}: {exc.what}")


def add_partner_records(report: Report, ctx: Context) -> None:
    """Insert the section after "Serious violence" when any record-level feed is loaded."""
    from safer_communities.analysis import istv_match, partner_flags, partner_knox, partner_sv, partner_when
    from safer_communities.analysis import partner_who as who_mod
    from safer_communities.analysis.partner_records import SYNTHETIC_NOTE, loaded_feeds
    from safer_communities.publish import partner_tables as pt

    con, settings = ctx.con, ctx.settings
    feeds = loaded_feeds(con)
    if not feeds:
        return
    section = Section(
        TITLE + (" (SYNTHETIC demo data)" if any(f.synthetic for f in feeds.values()) else ""),
        id="partner-records",
    )
    if any(f.synthetic for f in feeds.values()):
        section.add(Paragraph(SYNTHETIC_NOTE, kind="warning"))
    section.add(
        Paragraph(
            "Record-level data shared under information-sharing agreements, analysed by the partnership's "
            "analysts and published here only as protected aggregates (counts of 1 to 4 withheld, with any "
            "count a total would give away). Feeds used:"
        ),
        BulletList([f.describe() for f in feeds.values()]),
    )
    gaps: list[str] = []
    memo = ctx.shared.memo

    sv = section.sub("Serious violence", id_prefix="partner-records")

    def sv_tables() -> list:
        protected = pt.protect_sv(
            memo(("partner-records", "sv"), lambda: partner_sv.serious_violence(con)), settings
        )
        return [
            _table(
                protected,
                "Serious violence by Home Office offence code and area",
                "partner-records-sv",
                SV_COLUMNS,
            ),
            _table(
                protected,
                "Serious violence by offence code against the police.uk proxy, by area",
                "partner-records-sv-proxy",
                PROXY_COLUMNS,
            ),
        ]

    _try(sv, gaps, "Serious violence by offence code", sv_tables)
    _try(
        sv,
        gaps,
        "Violence reduction success measures",
        lambda: [
            _table(
                pt.protect_vru(who_mod.vru_measures(con), settings),
                "Violence reduction success measures: all ages and under 25",
                "partner-records-vru",
                VRU_COLUMNS,
            )
        ],
    )
    _try(
        sv,
        gaps,
        "Time of day",
        lambda: [
            _table(
                pt.protect_cross(partner_when.time_of_week(con, subset="serious-violence"), settings),
                "Serious violence by time of day and day of the week (committed time)",
                "partner-records-when",
            )
        ],
    )
    _try(
        sv,
        gaps,
        "Victims",
        lambda: [
            _table(
                pt.protect_cross(who_mod.who(con, role="victim"), settings),
                "Victims of serious violence by age band and sex",
                "partner-records-victims",
            )
        ],
    )
    _try(
        sv,
        gaps,
        "Near repeats",
        lambda: [
            _table(
                pt.protect_knox(partner_knox.force_knox(con, subset="serious-violence", seed=12), settings),
                "Near repeats of serious violence (Knox test, 200 m and 7-day bands, day-level dates)",
                "partner-records-knox",
            )
        ],
    )
    ed = section.sub("Emergency department assaults (ISTV) and police records", id_prefix="partner-records")
    _try(
        ed,
        gaps,
        "ISTV against police records",
        lambda: [
            Paragraph(istv_match.rule_text(1, 1000), kind="note"),
            _table(
                pt.protect_unmatched(istv_match.istv_unmatched(con), settings),
                "Emergency department assaults with no matching police record, by area",
                "partner-records-istv",
                UNMATCHED_COLUMNS,
            ),
            _table(
                pt.protect_mix(istv_match.istv_mix(con, of="assault_method"), settings),
                "Emergency department assaults by weapon (assault method)",
                "partner-records-istv-weapon",
                {"assault_method": "Weapon (assault method)", **MIX_COLUMNS},
            ),
            _table(
                pt.protect_mix(istv_match.istv_mix(con, of="location_type"), settings),
                "Emergency department assaults by location type",
                "partner-records-istv-location",
                {"location_type": "Location type", **MIX_COLUMNS},
            ),
        ],
    )
    da = section.sub("Domestic abuse and hate crime", id_prefix="partner-records")
    _try(
        da,
        gaps,
        "Domestic abuse and hate crime flags",
        lambda: [
            _table(
                pt.protect_flags(partner_flags.flagged(con), settings),
                "Domestic abuse and hate crime flagged by the force, by area",
                "partner-records-flags",
                FLAG_COLUMNS,
            )
        ],
    )
    asb = section.sub("Anti-social behaviour", id_prefix="partner-records")
    _try(
        asb,
        gaps,
        "Council ASB incidents",
        lambda: [
            _table(
                pt.protect_cross(
                    partner_when.time_of_week(con, schema="council-asb", hours_per_band=6), settings
                ),
                "Council ASB incidents by time of day and day of the week",
                "partner-records-asb-when",
            )
        ],
    )
    if gaps:
        section.add(Paragraph("Not shown, with the reason:", kind="note"), BulletList(gaps))
    after = next(
        (k for k, s in enumerate(report.sections) if s.id == "serious-violence"), len(report.sections) - 1
    )
    report.sections.insert(after + 1, section)
