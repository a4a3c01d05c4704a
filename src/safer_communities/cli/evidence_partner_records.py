"""`safer evidence partner ...`: analyses of the record-level partner feeds (force crime extract, ISTV).

Every command reads record-level data, so each writes ``partner_records_read`` to the audit log (the same
append-only log as every CLI write), even when the analysis then fails. What it prints is aggregates after
disclosure control (``publish.partner_tables``); results from SYNTHETIC feeds say SYNTHETIC in the title,
in a ``data`` column of every row and in the notes.
"""

from __future__ import annotations

import getpass
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from safer_communities.cli.common import settings_from
from safer_communities.cli.evidence import CsvOpt, JsonOpt, PeriodAllOpt, _emit, _store, app

if TYPE_CHECKING:
    import pandas as pd

partner = typer.Typer(
    help="Analyses of record-level partner feeds (audited; aggregates after disclosure control).",
    no_args_is_help=True,
)
app.add_typer(partner, name="partner")

SvDefOpt = Annotated[
    Path | None,
    typer.Option(
        "--definition",
        help="Your serious violence definition by offence codes (YAML); default: the bundled one.",
        show_default=False,
    ),
]
SubsetOpt = Annotated[
    str,
    typer.Option(
        "--subset", help="Force extract records: all, serious-violence, domestic-abuse, hate-crime or knife."
    ),
]


def _actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


def audit_read(ctx: typer.Context, what: str, detail: str) -> None:
    """Append ``partner_records_read`` to the audit log (before the read, so a failed read is logged)."""
    from safer_communities.store.app_db import open_app_db
    from safer_communities.web import audit

    engine = open_app_db(settings_from(ctx).app_db_url)
    audit.record(engine, actor=_actor(), action="partner_records_read", obj=what, ip="cli", detail=detail)


def _run(
    ctx: typer.Context,
    kind: str,
    what: str,
    detail: str,
    compute: Callable[[Any], pd.DataFrame],
    *,
    title: str,
    as_json: bool,
    csv: str | None,
) -> None:
    from safer_communities.publish.partner_tables import PROTECT

    audit_read(ctx, what, detail)
    with _store(ctx) as con:
        frame = compute(con)
    published = PROTECT[kind](frame, settings_from(ctx))
    if not as_json and csv is None and "data" in published.columns:
        published = published.drop(columns=["data"])  # the terminal title and notes say SYNTHETIC
    prefix = "SYNTHETIC - " if frame.attrs.get("synthetic") else ""
    period = frame.attrs.get("period_label", "")
    _emit(
        published,
        as_json=as_json,
        csv=csv,
        title=f"{prefix}{title}" + (f", {period}" if period else ""),
        extra=[frame.attrs["method"], *frame.attrs.get("feeds", [])],
    )


@partner.command("serious-violence")
def serious_violence_cmd(
    ctx: typer.Context,
    by: Annotated[str, typer.Option("--by", help="area or month.")] = "area",
    area_level: Annotated[str, typer.Option("--area-level", help="district or county.")] = "district",
    period: PeriodAllOpt = None,
    definition: SvDefOpt = None,
    as_json: JsonOpt = False,
    csv: CsvOpt = None,
) -> None:
    """Serious violence by Home Office offence codes (force extract) against the police.uk proxy."""
    from safer_communities.analysis.partner_sv import serious_violence

    _run(
        ctx,
        "serious-violence",
        "partner_force_crimes",
        f"serious violence by {by}",
        lambda con: serious_violence(con, by=by, area_level=area_level, period=period, definition=definition),
        title=f"Serious violence by Home Office offence codes, by {by}",
        as_json=as_json,
        csv=csv,
    )


@partner.command("when")
def when_cmd(
    ctx: typer.Context,
    feed: Annotated[str, typer.Option("--feed", help="force-crimes, istv or council-asb.")] = "force-crimes",
    field: Annotated[
        str | None,
        typer.Option("--field", help="ISTV: assault_at (default) or arrival_at.", show_default=False),
    ] = None,
    subset: SubsetOpt = "all",
    hours: Annotated[int, typer.Option("--hours", help="Hours per band: 1, 2, 3, 4 or 6.")] = 3,
    period: PeriodAllOpt = None,
    definition: SvDefOpt = None,
    as_json: JsonOpt = False,
    csv: CsvOpt = None,
) -> None:
    """Time of day by day of week from exact committed (or assault, arrival) times."""
    from safer_communities.analysis.partner_records import TABLES
    from safer_communities.analysis.partner_when import time_of_week

    _run(
        ctx,
        "when",
        TABLES.get(feed, feed),
        f"time of day x day of week; {subset}",
        lambda con: time_of_week(
            con,
            schema=feed,
            field=field,
            subset=subset,
            hours_per_band=hours,
            period=period,
            definition=definition,
        ),
        title=f"{feed}: time of day by day of week ({subset})",
        as_json=as_json,
        csv=csv,
    )


@partner.command("who")
def who_cmd(
    ctx: typer.Context,
    role: Annotated[str, typer.Option("--role", help="victim or suspect.")] = "victim",
    subset: SubsetOpt = "serious-violence",
    period: PeriodAllOpt = None,
    definition: SvDefOpt = None,
    as_json: JsonOpt = False,
    csv: CsvOpt = None,
) -> None:
    """Victims or suspects by age band and sex (force extract)."""
    from safer_communities.analysis.partner_who import who

    _run(
        ctx,
        "who",
        "partner_force_crimes",
        f"{role}s by age and sex; {subset}",
        lambda con: who(con, role=role, subset=subset, period=period, definition=definition),
        title=f"{role.capitalize()}s of {subset} by age band and sex",
        as_json=as_json,
        csv=csv,
    )


@partner.command("vru")
def vru_cmd(
    ctx: typer.Context,
    period: PeriodAllOpt = None,
    definition: SvDefOpt = None,
    as_json: JsonOpt = False,
    csv: CsvOpt = None,
) -> None:
    """The Home Office violence reduction success measures, all ages and under 25."""
    from safer_communities.analysis.partner_who import vru_measures

    _run(
        ctx,
        "vru",
        "partner_istv, partner_force_crimes",
        "violence reduction success measures",
        lambda con: vru_measures(con, period=period, definition=definition),
        title="Violence reduction success measures (under-25 focus)",
        as_json=as_json,
        csv=csv,
    )


@partner.command("flags")
def flags_cmd(
    ctx: typer.Context,
    by: Annotated[str, typer.Option("--by", help="area or month.")] = "area",
    area_level: Annotated[str, typer.Option("--area-level", help="district or county.")] = "district",
    period: PeriodAllOpt = None,
    definition: SvDefOpt = None,
    as_json: JsonOpt = False,
    csv: CsvOpt = None,
) -> None:
    """Domestic abuse and hate crime from the force's flags: counts, rates, share of violence."""
    from safer_communities.analysis.partner_flags import flagged

    _run(
        ctx,
        "flags",
        "partner_force_crimes",
        f"domestic abuse and hate crime flags by {by}",
        lambda con: flagged(con, by=by, area_level=area_level, period=period, definition=definition),
        title=f"Domestic abuse and hate crime (force flags), by {by}",
        as_json=as_json,
        csv=csv,
    )


@partner.command("near-repeat")
def near_repeat_cmd(
    ctx: typer.Context,
    subset: SubsetOpt = "serious-violence",
    spatial_band_m: Annotated[
        float, typer.Option("--spatial-band-m", help="Width of each distance band.")
    ] = 200,
    temporal_band_days: Annotated[
        int, typer.Option("--temporal-band-days", help="Width of each time band.")
    ] = 7,
    permutations: Annotated[int, typer.Option("--permutations", help="Monte Carlo permutations.")] = 99,
    seed: Annotated[int | None, typer.Option("--seed", help="Random seed.", show_default=False)] = None,
    period: PeriodAllOpt = None,
    definition: SvDefOpt = None,
    as_json: JsonOpt = False,
    csv: CsvOpt = None,
) -> None:
    """Knox near-repeat test on the force extract's day-level committed dates (three bands each)."""
    from safer_communities.analysis.partner_knox import force_knox

    _run(
        ctx,
        "near-repeat",
        "partner_force_crimes",
        f"Knox near-repeat; {subset}",
        lambda con: force_knox(
            con,
            subset=subset,
            period=period,
            spatial_bands_m=spatial_band_m,
            temporal_bands_days=temporal_band_days,
            permutations=permutations,
            seed=seed,
            definition=definition,
        ),
        title=f"Knox near-repeat test on {subset} (day-level dates)",
        as_json=as_json,
        csv=csv,
    )


@partner.command("istv")
def istv_cmd(
    ctx: typer.Context,
    by: Annotated[
        str, typer.Option("--by", help="area, month, assault_method (weapon mix) or location_type.")
    ] = "area",
    window_days: Annotated[int, typer.Option("--window-days", help="Days either side of the assault.")] = 1,
    nearby_m: Annotated[
        float, typer.Option("--nearby-m", help="Metres from the ISTV LSOA's centroid.")
    ] = 1000,
    period: PeriodAllOpt = None,
    as_json: JsonOpt = False,
    csv: CsvOpt = None,
) -> None:
    """Emergency department assaults (ISTV) with no matching police record, and their weapon and
    location-type mix (matching rule in the notes and docs/partner-analysis.md)."""
    from safer_communities.analysis.istv_match import istv_mix, istv_unmatched

    if by in ("area", "month"):
        kind, compute = (
            "istv-unmatched",
            lambda con: istv_unmatched(con, by=by, period=period, window_days=window_days, nearby_m=nearby_m),
        )
    else:
        kind, compute = (
            "istv-mix",
            lambda con: istv_mix(con, of=by, period=period, window_days=window_days, nearby_m=nearby_m),
        )
    _run(
        ctx,
        kind,
        "partner_istv, partner_force_crimes",
        f"ISTV against police records by {by}",
        compute,
        title=f"ISTV assaults with no matching police record, by {by}",
        as_json=as_json,
        csv=csv,
    )
