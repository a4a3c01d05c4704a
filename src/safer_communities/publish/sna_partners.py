"""The partnership's evidence in the needs assessment: "What partners' data shows" under each priority
issue, and a "Data sources and gaps" table.

Partner figures are the publishers' own statistics (already protected by them); they still pass through
``publish.disclosure``: a figure with a published count is withheld with its count when that is small, a
figure without one is published as the publisher did. Record-level partner data is never published here:
only the fact that a feed is loaded, under which agreement, its date range, and whether it is SYNTHETIC.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from safer_communities.errors import SaferError
from safer_communities.publish.disclosure import MISSING, suppress_table
from safer_communities.publish.document import BulletList, Paragraph, Section, Table, slugify

if TYPE_CHECKING:
    from safer_communities.publish.document import Report
    from safer_communities.publish.sna_context import Context

SUBSECTION = "What partners' data shows"
GAPS = [
    "ISTV (emergency department assaults): no aggregate table is published; only record-level sharing "
    "under an agreement gives it.",
    "Hospital admissions for violence (Fingertips 11201) and domestic abuse related incidents (92863): the "
    "original exports were not available.",
    "Youth Justice Board local tables (first-time entrants and re-offending by YOT) beyond LAIT's series.",
    "Fire and rescue deliberate fires (FIRE0402) and low-level geography fire data.",
    "Police recorded crime by community safety partnership, and ONS police force area tables after 2019.",
    "District-level partner data: none of the published partner sources reaches the 12 districts "
    "(Fingertips hospital admissions excepted).",
    "DfE-MoJ education and offending cohort data (LA names without codes): not read by this version.",
]


def _partner_table(ctx: Context, issue: str) -> list:
    from safer_communities.publish.sna_shared import partner_summary

    try:
        frame = partner_summary(ctx, issue)  # one summary per run, this area's rows (issue 16)
    except SaferError:
        return []
    if frame.empty:
        return []
    frame = frame[frame["area_level"].isin(["upper_tier", "police_force_area", "district"])].copy()
    frame["label"] = frame["name"].str.slice(0, 90) + " (" + frame["indicator_id"] + ")"
    frame["shown_value"] = frame["value"]
    frame["key"] = frame["indicator_id"] + "|" + frame["area_code"]
    columns = [
        "key",
        "label",
        "area_name",
        "period",
        "shown_value",
        "count",
        "marker",
        "england_value",
        "vs_england",
        "rank",
        "rank_of",
        "publisher",
    ]
    counted = frame[frame["count"].notna()][columns]
    plain = frame[frame["count"].isna()][columns]
    parts = []
    if not counted.empty:
        parts.append(
            suppress_table(
                counted,
                count_columns=["count"],
                rate_columns={"shown_value": "count"},
                key_column="key",
                settings=ctx.settings,
                decimals=2,
            ).published
        )
    if not plain.empty:
        parts.append(
            suppress_table(plain, count_columns=[], key_column="key", settings=ctx.settings).published
        )
    published = pd.concat(parts)
    rows = []
    for _, row in published.iterrows():
        value = row["shown_value"]
        if value == MISSING and row["marker"] not in ("", MISSING, None):
            value = f"withheld by the publisher ({row['marker']})"
        rank = f"{row['rank']} of {row['rank_of']}" if row["rank"] not in ("", MISSING) else ""
        rows.append(
            [
                row["label"],
                row["area_name"],
                row["period"],
                value,
                row["england_value"],
                row["vs_england"],
                rank,
                row["publisher"],
            ]
        )
    return [
        Table(
            f"{issue}: partner indicators against England",
            f"partners-{slugify(issue)}",
            [
                "Indicator",
                "Area",
                "Period",
                "Value",
                "England",
                "Compared with England",
                "Rank (1 = highest)",
                "Publisher",
            ],
            rows,
            notes=[
                frame.attrs["method"],
                "Values as published by each partner agency; a withheld value is a gap, not a zero.",
            ],
        )
    ]


def _find(section: Section, section_id: str) -> Section | None:
    if section.id == section_id:
        return section
    for child in section.subsections:
        found = _find(child, section_id)
        if found is not None:
            return found
    return None


def _label(ctx: Context, issue: str) -> str | None:
    try:
        return str(ctx.shared.definitions.get(issue).label)
    except SaferError:
        return None


def _find_titled(section: Section, title: str | None) -> Section | None:
    """An issue's section by its title (issues with no police data have no ``issue-`` id)."""
    if title is None:
        return None
    for child in section.subsections:
        if child.title == title:
            return child
    return None


def sources_and_gaps(ctx: Context) -> list:
    """Every source used, with its licence or agreement, coverage and date; then what is missing."""
    con = ctx.con
    rows = [
        [
            "police.uk street-level crime and outcomes",
            "Open Government Licence v3.0",
            "police force, LSOA, months",
            "",
        ],
        ["STATS19 road collisions (DfT)", "Open Government Licence v3.0", "collisions", ""],
    ]
    if con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'indicators'"
    ).fetchall()[0][0]:
        for publisher, licence, levels, first, last, loaded in con.execute("""
            SELECT split_part(i.publisher, ';', 1), i.licence,
                   string_agg(DISTINCT v.area_level, ', ' ORDER BY v.area_level),
                   min(v.period_start), max(v.period_end), max(g.loaded_at)
            FROM indicators i JOIN indicator_values v USING (indicator_id)
            JOIN ingests g ON g.ingest_id = v.ingest_id
            GROUP BY 1, 2 ORDER BY 1""").fetchall():
            rows.append(
                [
                    publisher[:120],
                    licence,
                    f"{levels}; {first:%Y-%m}..{last:%Y-%m}",
                    f"loaded {loaded:%Y-%m-%d}",
                ]
            )
    for table, label in (
        ("partner_istv", "ISTV emergency department assaults (record-level)"),
        ("partner_force_crimes", "Force crime extract (record-level)"),
        ("partner_council_asb", "Council ASB incidents (record-level)"),
    ):
        if not con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [table]
        ).fetchall()[0][0]:
            continue
        for agreement, synthetic, first, last in con.execute(
            f"SELECT agreement_id, bool_or(synthetic), min(record_date), max(record_date) FROM {table} "
            "GROUP BY 1 ORDER BY 1"
        ).fetchall():
            rows.append(
                [
                    label + (" - SYNTHETIC demo sample" if synthetic else ""),
                    f"information-sharing agreement {agreement}",
                    f"{first:%Y-%m}..{last:%Y-%m}",
                    "analysts only; never published record by record",
                ]
            )
    return [
        Table(
            "Data sources and gaps: sources used",
            "data-sources-and-gaps",
            ["Source", "Licence or agreement", "Coverage", "Date and use"],
            rows,
        ),
        Paragraph("Still missing:", kind="note"),
        BulletList(GAPS),
    ]


def add_partner_evidence(report: Report, ctx: Context) -> None:
    """Add "What partners' data shows" to every issue section that has partner indicators, and the
    "Data sources and gaps" table to the data section."""
    from safer_communities.analysis.partner_indicators import _has_table

    if not _has_table(ctx.con):
        return
    shown = 0
    for section in report.sections:
        for issue in (
            "domestic-abuse",
            "violence",
            "exploitation",
            "serious-organised-crime",
            "asb",
            "vawg",
            "hate-crime",
            "serious-violence",
            "road-safety",
        ):
            target = _find(section, f"issue-{issue}") or _find_titled(section, _label(ctx, issue))
            if target is None and section.id in {"serious-violence", "road-safety"} and section.id == issue:
                target = section
            if target is None:
                continue
            blocks = _partner_table(ctx, issue)
            if blocks:
                sub = target.sub(SUBSECTION)
                sub.id = f"{slugify(issue)}-partners"
                sub.blocks.extend(blocks)
                shown += 1
        if section.id == "definitions-data-sources-and-data-quality":
            sub = section.sub("Data sources and gaps")
            sub.blocks.extend(sources_and_gaps(ctx))
