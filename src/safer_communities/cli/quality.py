"""`safer quality`: the data-quality report an analyst reads before trusting any figure."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from safer_communities.analysis.quality import QualityReport, month_runs, quality_report, reads_rollups
from safer_communities.cli.common import console, print_json, store_path_from
from safer_communities.cli.tables import show
from safer_communities.store.evidence import connect, use_threads

_KIND_LABELS = {"street": "street", "outcomes": "outcomes", "stop_search": "stop and search"}


def quality(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object instead of tables.")] = False,
) -> None:
    """Data-quality report: coverage and gaps by force and month, missing locations, LSOAs outside the
    study area, repeated Crime IDs, unresolved LSOA codes and rejected rows."""
    db = store_path_from(ctx)
    con = connect(db, read_only=True)
    try:
        if reads_rollups(con):  # small roll-ups: a second thread would only wait on a busy machine
            use_threads(con, 1)
        report = quality_report(con)
    finally:
        con.close()
    if as_json:
        print_json(report.to_dict())
        return
    _print_report(report, str(db))


def _print_report(report: QualityReport, db: str) -> None:
    coverage = Table(title=f"Data quality of {db}: police.uk coverage")
    for column in ("force", "kind", "first", "last", "months", "missing", "rows"):
        coverage.add_column(column, justify="right" if column in {"months", "rows"} else "left")
    for slug, entry in report.forces.items():
        for kind, label in _KIND_LABELS.items():
            if kind not in entry:
                continue
            missing = report.missing_months_by_kind[kind].get(slug, [])
            coverage.add_row(
                f"{entry['name']} ({slug})", label, entry[kind]["first_month"], entry[kind]["last_month"],
                str(len(entry[kind]["months"])), month_runs(missing) if missing else "none",
                f"{entry[kind]['rows']:,}",
            )
    show(coverage)

    checks = Table(title="Street-level crime checks")
    checks.add_column("check")
    checks.add_column("rows", justify="right")
    checks.add_column("share", justify="right")
    unlocated, no_lsoa = report.unlocated_rows, report.no_lsoa_rows
    checks.add_row("no location", f"{unlocated['total']:,}", _share(unlocated["share"]))
    checks.add_row("no LSOA code", f"{no_lsoa['total']:,}", _share(no_lsoa["share"]))
    if report.outside_area_rows is None:
        checks.add_row("LSOA outside the study area", "no study area loaded", "")
    else:
        outside = report.outside_area_rows
        checks.add_row("LSOA outside the study area", f"{outside['total']:,}", _share(outside["share"]))
        checks.add_row("  of which in Wales", f"{outside['in_wales']:,}", "")
    if report.unresolved_lsoa_codes is not None:
        checks.add_row("LSOA codes not in the study area (distinct)",
                       f"{report.unresolved_lsoa_codes['codes']:,}", "")
    checks.add_row("LSOA codes not in GSS form (distinct)", f"{report.malformed_lsoa_codes['codes']:,}", "")
    dup = report.duplicate_crime_ids
    checks.add_row("repeated Crime IDs", f"{dup['ids']:,}", "")
    checks.add_row("  repeated within one month", f"{dup['within_month_ids']:,}", "")
    checks.add_row("  repeated across months", f"{dup['across_months_ids']:,}", "")
    checks.add_row("rejected rows (all kinds)", f"{report.rejected_rows['total']:,}", "")
    show(checks)

    by_type = report.unlocated_by_type.get("by_crime_type", {})
    if unlocated["total"] and by_type:
        every = by_type["All crime types"]
        by_month = Table(title="Rows without a location, by month")
        for column in ("month", "rows", "share", "anomalous"):
            by_month.add_column(column, justify="left" if column in ("month", "anomalous") else "right")
        for month, n in every["by_month"].items():
            by_month.add_row(month, f"{n:,}", _share(every["share_by_month"][month]),
                             "yes" if month in every["anomalous_months"] else "")
        show(by_month)
        kinds = Table(title="Rows without a location, by crime type")
        for column in ("crime type", "rows", "share", "anomalous months"):
            kinds.add_column(column, justify="right" if column in ("rows", "share") else "left")
        for crime_type, entry in by_type.items():
            kinds.add_row(crime_type, f"{entry['rows']:,}", _share(entry["share"]),
                          month_runs(entry["anomalous_months"]) if entry["anomalous_months"] else "")
        show(kinds)
        console.print(f"Anomalous: {report.unlocated_by_type['rule']}.", highlight=False)

    for warning in report.warnings:
        console.print(f"[yellow]Warning:[/] {escape(warning.message)}", highlight=False, markup=True)
        console.print(f"  Hint: {warning.hint}", highlight=False, markup=False)
    if not report.warnings:
        console.print("No problems found.")


def _share(value: float | None) -> str:
    return "" if value is None else f"{value:.1%}"
