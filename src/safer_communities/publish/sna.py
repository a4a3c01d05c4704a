"""The strategic needs assessment: one call from the evidence store to HTML, PDF, Word, tables, maps,
a GeoPackage and a manifest.

The structure follows needs-assessment practice (DOMAIN.md): summary of key findings; the area;
definitions, data sources, data quality and limitations; each priority issue; serious violence; road
safety; what the evidence suggests; methods and references. Every number is computed by
``safer_communities.analysis`` and published through disclosure control; an issue with no data source
says so.
"""

from __future__ import annotations

import logging
import os
import shutil
import time
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from safer_communities import ATTRIBUTION, __version__
from safer_communities.analysis import queries
from safer_communities.analysis.definitions import Definitions, resolve
from safer_communities.analysis.run_cache import run_cache
from safer_communities.config import Settings
from safer_communities.errors import NotFoundError
from safer_communities.publish import sna_internal
from safer_communities.publish.document import Paragraph, Report, slugify
from safer_communities.publish.gc_policy import fewer_collections
from safer_communities.publish.grid import OffGridError
from safer_communities.publish.manifest import write_manifest
from safer_communities.publish.render_docx import render_docx
from safer_communities.publish.render_html import html_string
from safer_communities.publish.render_pdf import render_pdf
from safer_communities.publish.render_tables import render_tables
from safer_communities.publish.sna_context import Context, Finding, Shared
from safer_communities.publish.sna_gis import area_codes, write_report_gpkg
from safer_communities.publish.sna_issue import issue_section, no_data_section
from safer_communities.publish.sna_partner_records import add_partner_records
from safer_communities.publish.sna_partners import add_partner_evidence
from safer_communities.publish.sna_sections import (
    area_section,
    data_section,
    methods_blocks,
    road_section,
    suggestions_blocks,
    summary_blocks,
)
from safer_communities.publish.sna_strategy import strategy_subsection

log = logging.getLogger(__name__)

SERIOUS_VIOLENCE = "serious-violence"
ROAD_SAFETY = "road-safety"
SVD_TEXT = (
    "The Serious Violence Duty (Police, Crime, Sentencing and Courts Act 2022) requires the specified "
    "authorities to identify the kinds of serious violence in the area and their causes, and to prepare "
    "and implement a strategy. Serious violence as the Act defines it includes domestic abuse, sexual "
    "offences, violence against property and threats of violence. police.uk cannot separate homicide, "
    "knife and gun crime or county lines, so the figures below count every record of violence and sexual "
    "offences, robbery and possession of weapons: a proxy that contains all violence and is larger than "
    "it, not a count of serious violence. Read it with partner data (hospital admissions for assault, "
    "ISTV emergency department data)."
)


def build_needs_assessment(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    *,
    area_code: str | None = None,
    period: str = "latest-12-months",
    out_dir: Path,
    all_districts: bool = False,
    definitions: Definitions | Path | str | None = None,
    formats: tuple[str, ...] = ("html", "pdf", "docx", "tables"),
    workers: int | None = None,
    strategy: dict[str, list[dict[str, Any]]] | None = None,
    internal: bool = False,
) -> list[Path]:
    """Write the needs assessment(s) and return the report folders written.

    A period off the publication grid is refused (``OffGridError`` naming the grid periods that would
    serve) unless ``internal``; an internal report says INTERNAL (not for publication) on every page,
    file and in the manifest (``publish/sna_internal.py``).

    ``area_code`` is a district or the county (default: the whole study area). With ``all_districts``,
    the county report goes in ``out_dir/<county>`` and each district's in ``out_dir/<district>``, built
    by ``workers`` processes (default: one per CPU) that each open the store read-only. ``strategy``
    (``strategy.links.by_issue``) adds each issue's objectives and actions; None leaves them out.
    """
    out_dir = Path(out_dir)
    defs = resolve(definitions)
    queries.require_areas(con)
    shared = _shared(con, settings, defs, period, strategy, internal)
    districts, county_code, county_name = shared.districts, shared.county_code, shared.county_name
    targets: list[tuple[str, str, str]] = []
    if all_districts:
        targets.append((county_code, county_name, "county"))
        targets += [(r.area_code, r.area_name, "district") for r in districts.itertuples()]
    else:
        code = area_code or county_code
        if code == county_code:
            targets.append((county_code, county_name, "county"))
        elif code in set(districts["area_code"]):
            targets.append((code, districts.set_index("area_code").loc[code, "area_name"], "district"))
        else:
            raise NotFoundError(
                "That area is not a district or the county of the study area.", found=repr(code),
                hint="Use one of: " + ", ".join([county_code, *districts["area_code"].tolist()]) + ".")
    jobs = [(code, name, level, out_dir / f"{code}-{slugify(name)}" if all_districts else out_dir)
            for code, name, level in targets]
    db_path = _database_path(con)
    workers = min(workers if workers is not None else (os.cpu_count() or 1), len(jobs))
    if workers > 1 and db_path is not None:
        from safer_communities.publish.sna_parallel import build_in_pool

        defs_file = Path(defs.path) if Path(defs.path).is_file() else None  # None: the bundled file
        args = (db_path, settings.model_dump(), period, defs_file, formats, all_districts, strategy, internal)
        finished = build_in_pool(args, jobs, workers=workers, county=(county_code, county_name),
                                 issues=[d.issue for d in defs if d.source == queries.POLICE_SOURCE])
        return [folder for *_, folder in jobs if folder in finished]
    return _build_jobs(shared, jobs, period=period, formats=formats, all_districts=all_districts)


def _build_jobs(shared: Shared, jobs: list[tuple[str, str, str, Path]], *, period: str,
                formats: tuple[str, ...], all_districts: bool) -> list[Path]:
    written = []
    # Small store look-ups (areas, months, populations, unlocated records) are answered once per run:
    # the store is open read-only for the whole run, so their answers cannot change (analysis.run_cache).
    # Python's cyclic garbage collector, at its default thresholds, took a tenth of a report's CPU
    # walking the heap (publish/gc_policy.py): collected less often while reports are built.
    with run_cache(), fewer_collections():
        for code, name, level, folder in jobs:
            started = time.perf_counter()
            ctx = Context(shared=shared, area_code=code, area_name=name, area_level=level, out_dir=folder)
            report = assemble(ctx)
            write_outputs(ctx, report, period=period, formats=formats, all_districts=all_districts)
            log.info("%s written in %.1f s", name, time.perf_counter() - started)
            written.append(folder)
    return written


def _database_path(con: duckdb.DuckDBPyConnection) -> Path | None:
    """The store's file, so worker processes can open it read-only (None for an in-memory store)."""
    sql = "SELECT path FROM duckdb_databases() WHERE database_name = current_database()"
    row = con.execute(sql).fetchone()
    return Path(row[0]) if row and row[0] else None


def _shared(con: duckdb.DuckDBPyConnection, settings: Settings, defs: Definitions, period: str,
            strategy: dict[str, list[dict[str, Any]]] | None = None, internal: bool = False) -> Shared:
    p = queries.resolve_period(con, queries.POLICE_SOURCE, period)
    queries.coverage(con, queries.POLICE_SOURCE, p)  # a period with no data is refused, never reported as 0
    # off the grid (or before the publication window): refused, or internal
    internal = sna_internal.report_is_internal(con, p, internal=internal, settings=settings)
    areas = queries.area_list(con, "county")
    return Shared(con=con, settings=settings, definitions=defs, period=p,
                  county_code=str(areas["area_code"].iloc[0]), county_name=str(areas["area_name"].iloc[0]),
                  districts=queries.area_list(con, "district"), strategy=strategy, internal=internal)


def assemble(ctx: Context) -> Report:
    """Build the report's document model (all the analysis happens here)."""
    defs = ctx.shared.definitions
    report = Report(
        title=f"Community safety strategic needs assessment: {ctx.area_name}",
        subtitle=f"Evidence for the partnership's strategic assessment and Serious Violence Duty strategy, "
                 f"{ctx.period.words}",
        area_name=ctx.area_name, period_label=ctx.period.words, attribution=ATTRIBUTION,
        software_version=__version__, areas=area_codes(ctx.con),
    )
    if ctx.shared.internal:
        report.title = f"{sna_internal.INTERNAL_LABEL}: {report.title}"
        report.kind_label = f"{sna_internal.INTERNAL_LABEL}: {report.kind_label}"
        report.attribution = f"{sna_internal.INTERNAL_LABEL}. {report.attribution}"
    summary = report.section("Summary of key findings")
    if ctx.shared.internal:
        summary.add(Paragraph(sna_internal.INTERNAL_TEXT.format(why=sna_internal.why(
            ctx.period, on_grid=_on_grid(ctx))), kind="note"))
    area = report.section("The area")
    data = report.section("Definitions, data sources and data quality")
    issues = report.section("Priority issues")
    serious = report.section("Serious violence")
    road = report.section("Road safety")
    suggest = report.section("What the evidence suggests")
    methods = report.section("Methods and references")

    area_section(area, ctx)
    data_section(data, ctx)
    issues.add(Paragraph("Each issue below is measured as its definition says. Issues with no open data "
                         "source are listed with the gap stated; they are not zero."))
    for definition in defs:
        if definition.issue in (SERIOUS_VIOLENCE, ROAD_SAFETY):
            continue
        if definition.source == queries.POLICE_SOURCE:
            issue_section(issues, ctx, definition)
        else:
            section = no_data_section(issues, definition)
            strategy_subsection(section, ctx.shared.strategy, definition.issue)
            ctx.find(Finding(definition.issue, "gap", definition.label.lower()))
    serious.add(Paragraph(SVD_TEXT))
    try:
        sv = defs.get(SERIOUS_VIOLENCE)
        if sv.source == queries.POLICE_SOURCE:
            issue_section(serious, ctx, sv, title=sv.label)
        else:
            strategy_subsection(no_data_section(serious, sv), ctx.shared.strategy, sv.issue)
    except NotFoundError as exc:
        serious.add(Paragraph(exc.what, kind="warning"))
    road.add(Paragraph("Road safety duty (Road Traffic Act 1988 s39): councils study collisions to target "
                       "measures."))
    road_section(road, ctx)
    strategy_subsection(road, ctx.shared.strategy, ROAD_SAFETY)
    summary.blocks.extend(summary_blocks(ctx))
    suggest.blocks.extend(suggestions_blocks(ctx))
    methods.blocks.extend(methods_blocks(ctx))
    add_partner_evidence(report, ctx)  # issue 12: "What partners' data shows", "Data sources and gaps"
    add_partner_records(report, ctx)  # issue 12 item 5: the record-level feeds' protected aggregates
    report.unique_table_keys()
    return report


def write_outputs(ctx: Context, report: Report, *, period: str, formats: tuple[str, ...],
                  all_districts: bool) -> list[Path]:
    """Render every format, the maps and the GeoPackage, then the manifest over all of them."""
    folder = ctx.out_dir
    folder.mkdir(parents=True, exist_ok=True)
    for stale in ("tables", "maps"):
        shutil.rmtree(folder / stale, ignore_errors=True)
    outputs: list[Path] = []
    mark = sna_internal.mark_html if ctx.shared.internal else None  # INTERNAL on every page
    if "html" in formats:
        (folder / "index.html").write_text(mark(html_string(report)) if mark else html_string(report),
                                           encoding="utf-8")
        outputs.append(folder / "index.html")
    if "pdf" in formats:
        outputs.append(render_pdf(report, folder, mark=mark))  # figures as bytes, not base64 text
    if "docx" in formats:
        outputs.append(render_docx(report, folder))
    if "tables" in formats:
        outputs.extend(render_tables(report, folder))
    maps_dir = folder / "maps"
    maps_dir.mkdir(exist_ok=True)
    for chart in ctx.maps:
        path = maps_dir / f"{chart.name}.png"
        path.write_bytes(chart.png)
        outputs.append(path)
    gpkg = write_report_gpkg(ctx, folder)
    if gpkg is not None:
        outputs.append(gpkg)
    if ctx.shared.internal:
        sna_internal.mark_files(folder, outputs)
    defs = ctx.shared.definitions
    write_manifest(
        folder, con=ctx.con, outputs=outputs,
        period={"requested": period, "label": ctx.period.label, "start": ctx.period.start,
                "end": ctx.period.end},
        definitions={"version": defs.version, "path": defs.path,
                     "issues": {d.issue: d.version for d in defs}},
        options={"area_code": ctx.area_code, "all_districts": all_districts, "formats": list(formats),
                 "suppress_below": ctx.settings.suppress_below,
                 "rate_numerator_min": ctx.settings.rate_numerator_min},
        area={"code": ctx.area_code, "name": ctx.area_name, "level": ctx.area_level},
    )
    if ctx.shared.internal:
        sna_internal.mark_manifest(folder, sna_internal.INTERNAL_TEXT.format(why=sna_internal.why(
            ctx.period, on_grid=_on_grid(ctx))))
    return outputs


def _on_grid(ctx: Context) -> bool:
    try:
        sna_internal.report_is_internal(ctx.con, ctx.period, internal=False, settings=ctx.settings)
    except OffGridError:
        return False
    return True


def findings_frame(ctx: Context) -> pd.DataFrame:
    """The findings as a table (for tests and the CLI's summary line)."""
    return pd.DataFrame([f.__dict__ for f in ctx.findings])
