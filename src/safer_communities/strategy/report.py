"""``safer strategy report``: the progress report (HTML, PDF, Word, tables) through the publishing layer.

Every table goes through ``publish.disclosure.suppress_table`` before it enters the document model, and
police.uk indicator counts then take the publication grid's pattern (``strategy/report_grid.py``): a
count is shown or withheld as everywhere else the partnership publishes it, and values derived from a
withheld count (rates, harm, the expected value, a target set from the baseline, the rating) are
withheld with it.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path

import duckdb
import pandas as pd

from safer_communities import ATTRIBUTION, __version__
from safer_communities.analysis import queries
from safer_communities.config import Settings
from safer_communities.publish.disclosure import suppress_table
from safer_communities.publish.document import BulletList, Paragraph, Report, Section, Table
from safer_communities.publish.manifest import sha256, store_ingests
from safer_communities.strategy.report_grid import NOTE as GRID_NOTE
from safer_communities.strategy.report_grid import GridIndicators, apply_grid
from safer_communities.strategy.status import IndicatorStatus, StrategyStatus

FORMATS = ("html", "pdf", "docx", "tables")
# measure group -> (title, measures, decimals, show the records behind the value)
GROUPS = (
    ("Count indicators", ("count", "ksi"), 0, False),
    ("Rate indicators", ("rate",), 2, True),
    ("Harm indicators", ("harm",), 0, True),
    ("Partner indicators", ("partner",), 2, True),  # publishers' own statistics (issue 12)
)
METHOD = [
    "Each indicator is computed from the evidence store when the report is made, by the same analysis "
    "functions as the needs assessment, for the latest period its rule describes (for example the "
    "latest 12 months loaded, or the latest complete financial year).",
    "The trajectory runs in a straight line from the baseline (at the end of the baseline period) to the "
    "target (at the target date). The expected value is the trajectory at the end of the current period.",
    "Green: on or better than the trajectory. Amber: worse, but within the indicator's tolerance (a "
    "percentage of the expected value). Red: worse by more than the tolerance.",
    "No data: no open source measures the issue (partner data is needed), or months of the baseline or "
    "current period are missing from the store (a gap is never read as zero).",
    "Periods shorter than 12 months compare different seasons with the baseline; read them with care.",
]


def area_names(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """GSS code -> name for every area of the study area (county, districts, LSOAs)."""
    names: dict[str, str] = {}
    for level in reversed(queries.AREA_LEVELS):
        names.update(dict(zip(*queries.area_list(con, level)[["area_code", "area_name"]].T.to_numpy(),
                              strict=True)))
    return names


def _d(value: date | None) -> str:
    return value.strftime("%d %b %Y") if value else "not recorded"


def _measured(items: list[IndicatorStatus]) -> list[IndicatorStatus]:
    return [i for i in items if i.baseline_value is not None]


def indicator_tables(item: StrategyStatus, settings: Settings,
                     grid: GridIndicators | None = None) -> list[Table]:
    """The strategy's indicators with values, one table per kind of measure, disclosure-controlled: with
    ``grid`` (how the report is published), police.uk counts carry the publication grid's pattern."""
    tables = []
    for title, measures, decimals, show_records in GROUPS:
        rows = [i for i in _measured(item.indicators) if i.measure.split(":")[0] in measures]
        if not rows:
            continue
        frame = pd.DataFrame({
            "indicator": [f"{i.title} ({i.unit})" if i.unit else i.title for i in rows],
            "baseline_period": [i.baseline_period for i in rows],
            "baseline_records": [float(i.baseline_records) if i.baseline_records is not None else None
                                 for i in rows],
            "baseline": [i.baseline_value for i in rows],
            "current_period": [i.current_period or "" for i in rows],
            "current_records": [float(i.current_records) if i.current_records is not None else None
                                for i in rows],
            "current": [i.current_value for i in rows],
            "expected": [i.expected_value for i in rows], "target": [i.target_value for i in rows],
            "rating": [i.rating.upper() for i in rows],
        })
        derived = {"baseline": "baseline_records", "current": "current_records",
                   "expected": "baseline_records", "target": "baseline_records"}
        if measures == ("partner",):  # published by their publishers, who applied their own protection
            published = suppress_table(frame, count_columns=[], settings=settings, decimals=decimals)
            grid_notes: list[str] = []
        else:
            published = suppress_table(frame, count_columns=["baseline_records", "current_records"],
                                       rate_columns=derived, settings=settings, decimals=decimals)
            grid_notes = apply_grid(published, rows, grid) if grid is not None else []
        value = "baseline_records" if not show_records else "baseline"
        current = "current_records" if not show_records else "current"
        columns = {"indicator": "Indicator", "baseline_period": "Baseline period", value: "Baseline",
                   "current_period": "Current period", current: "Current", "expected": "Expected now",
                   "target": "Target", "rating": "Rating"}
        end = item.period_end
        notes = [f"Target for {i.indicator_id}: {_d(i.target_date)}." for i in rows if i.target_date != end]
        notes.append(f"Targets are for the end of the strategy period ({_d(end)}) unless stated.")
        if grid is not None:
            notes += [*grid_notes, GRID_NOTE]
        tables.append(Table.from_published(f"{item.name}: {title.lower()}", published, columns=columns,
                                           key=f"{item.id}-{title.split()[0].lower()}", notes=notes))
    return tables


def _text_table(title: str, key: str, frame: pd.DataFrame, columns: dict[str, str],
                settings: Settings) -> Table:
    """A table of text (actions, no-data indicators) still enters the model through disclosure control."""
    return Table.from_published(title, suppress_table(frame, count_columns=[], settings=settings),
                                columns=columns, key=key)


def strategy_section(report: Report, item: StrategyStatus, settings: Settings,
                     names: dict[str, str], grid: GridIndicators | None = None) -> Section:
    """One strategy: overview, warnings, indicators, objectives and their actions."""
    section = report.section(item.name)
    if item.illustrative:
        section.add(Paragraph("Illustrative example: not an adopted strategy. Its objectives, actions, "
                              "owners and targets are invented to show the tool.", kind="warning"))
    ratings = item.ratings()
    area = f"{names.get(item.area_code, item.area_code)} ({item.area_code})"
    section.add(Paragraph(f"{item.kind_label} for {area}, {_d(item.period_start)} to "
                          f"{_d(item.period_end)}. Published {_d(item.published)}; next review "
                          f"{_d(item.next_review)}.", kind="lead"),
                Paragraph("Indicators on " + _d(item.today) + ": "
                          + ", ".join(f"{n} {r}" for r, n in ratings.items()) + "."))
    for warning in item.warnings:
        section.add(Paragraph(warning, kind="warning"))
    indicators = section.sub("Indicators")
    indicators.add(*indicator_tables(item, settings, grid))
    missing = [i for i in item.indicators if i.baseline_value is None or i.rating == "no data"]
    if missing:
        frame = pd.DataFrame({"indicator": [i.title for i in missing],
                              "reason": ["; ".join(i.notes) or "no data" for i in missing]})
        indicators.add(_text_table(f"{item.name}: indicators without a rating", f"{item.id}-no-data", frame,
                                   {"indicator": "Indicator", "reason": "Why there is no rating"}, settings))
    notes = [f"{i.indicator_id}: {n}" for i in item.indicators if i.rating != "no data" for n in i.notes]
    if notes:
        indicators.add(BulletList(notes))
    actions = section.sub("Objectives and actions")
    for objective in item.objectives:
        sub = actions.sub(str(objective["title"]), id_prefix=f"{section.id}-objective")
        issues = ", ".join(objective["issue_names"])  # type: ignore[arg-type]
        duties = ", ".join(objective["duty_names"]) or "none named"  # type: ignore[arg-type]
        sub.add(Paragraph(f"Issues: {issues}. Duties: {duties}."))
        rows = [a for a in item.actions if a.objective_id == objective["id"]]
        if rows:
            frame = pd.DataFrame({
                "action": [a.title for a in rows], "owner": [a.owner_name or "NO OWNER" for a in rows],
                "start": [_d(a.start) for a in rows], "due": [_d(a.due) for a in rows],
                "status": [a.status for a in rows],
                "overdue": [f"{a.days_overdue} days" if a.days_overdue else "" for a in rows]})
            columns = {"action": "Action", "owner": "Owner", "start": "Start", "due": "Due",
                       "status": "Status", "overdue": "Overdue"}
            sub.add(_text_table(f"{item.name}: actions for {objective['title']}",
                                f"{item.id}-{objective['id']}", frame, columns, settings))
    if item.consultations:
        consult = section.sub("Consultation record")
        consult.add(BulletList([f"{c['organisation']} ({c['category']}), {_d(c['date'])}: {c['method']}"
                                + (f". {c['summary']}" if c["summary"] else "")  # type: ignore[index]
                                for c in item.consultations]))
    return section


def build_report(statuses: list[StrategyStatus], settings: Settings,
                 area_names: dict[str, str] | None = None, grid: GridIndicators | None = None) -> Report:
    """The progress report's document model (``grid``: police.uk counts from the publication grid)."""
    today = statuses[0].today
    names = area_names or {}
    areas = sorted({f"{names.get(s.area_code, s.area_code)} ({s.area_code})" for s in statuses})
    report = Report(title="Strategy progress report",
                    subtitle="Objectives, actions and indicators computed from the evidence store",
                    area_name=", ".join(areas), period_label=f"status on {_d(today)}",
                    attribution=ATTRIBUTION, software_version=__version__,
                    kind_label="Strategy progress report")
    summary = report.section("Summary")
    items = []
    for s in statuses:
        r = s.ratings()
        items.append(f"{s.name}: {r['green']} green, {r['amber']} amber, {r['red']} red, {r['no data']} "
                     f"without data; {len(s.overdue)} action(s) overdue, {len(s.unowned)} without an owner; "
                     f"{len(s.warnings)} warning(s).")
    summary.add(BulletList(items))
    if any(s.illustrative for s in statuses):
        summary.add(Paragraph("This report includes illustrative examples, not adopted strategies.",
                              kind="warning"))
    for s in statuses:
        strategy_section(report, s, settings, names, grid)
    report.section("Method").add(BulletList(METHOD))
    report.unique_table_keys()
    return report


def write_report(statuses: list[StrategyStatus], out_dir: Path, *, settings: Settings,
                 con: duckdb.DuckDBPyConnection, formats: tuple[str, ...] = FORMATS) -> list[Path]:
    """Render the chosen formats into ``out_dir`` and a ``manifest.json`` over them; return the paths."""
    from safer_communities.errors import InputError
    from safer_communities.publish.render_docx import render_docx
    from safer_communities.publish.render_html import html_string
    from safer_communities.publish.render_pdf import render_pdf
    from safer_communities.publish.render_tables import render_tables

    unknown = [f for f in formats if f not in FORMATS]
    if unknown or not formats:
        raise InputError("Those report formats are not known.", found=repr(unknown or formats),
                         hint=f"Use any of: {', '.join(FORMATS)}.")
    report = build_report(statuses, settings, area_names(con), GridIndicators(con, settings))
    out_dir.mkdir(parents=True, exist_ok=True)
    outputs: list[Path] = []
    html = html_string(report)
    if "html" in formats:
        (out_dir / "index.html").write_text(html, encoding="utf-8")
        outputs.append(out_dir / "index.html")
    if "pdf" in formats:
        outputs.append(render_pdf(report, out_dir, html=html))
    if "docx" in formats:
        outputs.append(render_docx(report, out_dir))
    if "tables" in formats:
        outputs.extend(render_tables(report, out_dir))
    manifest = {
        "report": "strategy progress report",
        "software": {"name": "safer-communities", "version": __version__},
        "generated_at": datetime.now().astimezone().isoformat(timespec="seconds"),
        "status_date": statuses[0].today.isoformat(), "strategies": [s.id for s in statuses],
        "options": {"formats": list(formats), "suppress_below": settings.suppress_below,
                    "rate_numerator_min": settings.rate_numerator_min},
        "store": {"ingests": store_ingests(con)},
        "outputs": [{"path": p.relative_to(out_dir).as_posix(), "bytes": p.stat().st_size,
                     "sha256": sha256(p)} for p in sorted(set(outputs))],
    }
    path = out_dir / "manifest.json"
    path.write_text(json.dumps(manifest, indent=2, default=str, ensure_ascii=False), encoding="utf-8")
    return [*outputs, path]
