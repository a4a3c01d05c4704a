"""The needs-assessment sections around the issues: the area, definitions and data quality, road
safety, the summary, what the evidence suggests, methods and references.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pandas as pd

from safer_communities.analysis import road_safety
from safer_communities.analysis.placement import UNPLACED_CODE
from safer_communities.analysis.quality import month_runs, quality_report
from safer_communities.publish import charts
from safer_communities.publish.disclosure import suppress_table
from safer_communities.publish.document import BulletList, Paragraph, Section, Table
from safer_communities.publish.sna_context import STATS19_SOURCE_TEXT, Context, Finding, guarded
from safer_communities.publish.sources import methods_lines

STATS19 = "stats19"  # the source key of publish.sources

REFERENCES = [
    "Home Office (2022) Serious Violence Duty: statutory guidance for responsible authorities, England "
    "and Wales. December 2022.",
    "Police, Crime, Sentencing and Courts Act 2022, Part 2, Chapter 1.",
    "Crime and Disorder Act 1998, sections 5 to 7 and 17; Crime and Disorder (Formulation and "
    "Implementation of Strategy) Regulations 2007.",
    "Sherman, L., Neyroud, P. W. and Neyroud, E. (2016) The Cambridge Crime Harm Index: measuring "
    "total harm from crime based on sentencing guidelines. Policing 10(3), 171-183.",
    "Getis, A. and Ord, J. K. (1992) The analysis of spatial association by use of distance statistics. "
    "Geographical Analysis 24(3), 189-206.",
    "Benjamini, Y. and Hochberg, Y. (1995) Controlling the false discovery rate. Journal of the Royal "
    "Statistical Society B 57(1), 289-300.",
    "Spiegelhalter, D. J. (2005) Funnel plots for comparing institutional performance. Statistics in "
    "Medicine 24(8), 1185-1202.",
    "Ministry of Housing, Communities and Local Government (2019) The English Indices of Deprivation 2019.",
    "Government Statistical Service (2021) Symbols in tables, definitions and help.",
]


def area_section(report_section: Section, ctx: Context) -> None:
    """Population and deprivation of the area (counts of people and places, not of records)."""
    from safer_communities.publish.sna_tables import district_rates_table

    shared = ctx.shared
    first = next((d for d in shared.definitions if d.source == "police_uk_street"), None)
    if first is None:
        report_section.add(Paragraph("No police.uk issue is defined, so no population table is built."))
        return
    frame, _ = district_rates_table(ctx, first)
    pop = frame.loc[frame["area_code"] != UNPLACED_CODE, ["area_code", "area_name", "population",
                                                           "population_year"]].copy()
    pop["population_year"] = pop["population_year"].map(lambda y: str(int(y)))  # a year, not "2,020"
    row = pop.set_index("area_code").loc[ctx.area_code]
    if ctx.is_county:
        text = (f"{ctx.area_name} is made up of {len(shared.districts)} districts with "
                f"{int(row['population']):,} residents (mid-{int(row['population_year'])} estimates).")
    else:
        county = float(pop.set_index("area_code").loc[shared.county_code, "population"])
        share = float(row["population"]) / county
        text = (f"{ctx.area_name} has {int(row['population']):,} residents "
                f"(mid-{int(row['population_year'])}), {100 * share:.0f}% of {shared.county_name}.")
    report_section.add(Paragraph(text))
    table = suppress_table(pop, count_columns=[], settings=shared.settings)  # residents: not disclosive
    report_section.add(Table.from_published("Resident population by district", table, key="population",
                                            columns={"area_name": "Area", "population": "Residents",
                                                     "population_year": "Mid-year estimate"}))
    report_section.blocks.extend(guarded(lambda: _deprivation_profile(ctx, first)))


def _deprivation_profile(ctx: Context, definition: object) -> list:
    from safer_communities.analysis import deprivation

    shared = ctx.shared
    by = shared.memo(("decile", definition.issue, ctx.area_code), lambda: deprivation.rates_by_decile(
        shared.con, definition, period=shared.period, area_code=None if ctx.is_county else ctx.area_code,
        definitions=shared.definitions))
    lsoas = by.set_index("decile")["lsoas"].reindex(range(1, 11), fill_value=0)
    total = int(lsoas.sum())
    most = int(lsoas.loc[1])
    return [Paragraph(
        f"Deprivation: {most} of the area's {total} LSOAs ({100 * most / max(total, 1):.0f}%) are among the "
        "most deprived 10% in England (IMD 2019), against 10% nationally; "
        f"{int(lsoas.loc[1:2].sum())} are in the most deprived 20%.")]


def data_section(parent: Section, ctx: Context) -> None:
    """Definitions, data sources, data quality and limitations."""
    shared = ctx.shared
    defs = parent.sub("Definitions")
    rows = [[d.label, d.issue, d.source or "none loaded", d.version, "yes" if d.proxy else "no",
             d.caveat or d.description] for d in shared.definitions]
    defs.add(Paragraph(f"Definitions file version {shared.definitions.version}. Each issue id is shared with "
                       "the framework register and the strategy indicators."),
             Table("Priority issues and how they are measured", "definitions",
                   ["Issue", "Id", "Source", "Version", "Proxy", "Notes"], rows))
    sources = parent.sub("Data sources")
    sources.add(BulletList([
        "police.uk street-level crime and anti-social behaviour, and outcomes (data.police.uk): "
        "locations snapped to anonymous map points, month only, no victim or offender details.",
        "STATS19 road collisions (Department for Transport): police-reported injury collisions.",
        "LSOA boundaries and lookups (ONS Open Geography), population estimates (ONS), English Indices "
        "of Deprivation 2019 (MHCLG).",
        "Cambridge Crime Harm Index weights (Sherman, Neyroud and Neyroud 2016).",
        "All contain public sector information licensed under the Open Government Licence v3.0.",
    ]))
    quality = parent.sub("Data quality")
    quality.blocks.extend(guarded(lambda: _quality(ctx)))
    limits = parent.sub("Limitations")
    limits.add(BulletList([
        "Police-recorded crime reflects reporting and recording as well as offending.",
        "police.uk locations are approximate (snapped to map points covering at least eight addresses), "
        "so repeat locations are partly an artefact of the snapping.",
        "Dates are months only: no time of day or day of week for crime and anti-social behaviour.",
        "Proxies (serious violence, serious and organised crime) are indications, not counts of the "
        "offences named.",
        f"Small numbers are withheld: counts from 1 to {shared.settings.suppress_below - 1} are shown as "
        f"'<{shared.settings.suppress_below}', rates on fewer than {shared.settings.rate_numerator_min} "
        "records as '[u]', and cells that would reveal them as '[c]'. Zero is shown: it identifies no one.",
    ]))


def _quality(ctx: Context) -> list:
    report = ctx.shared.memo(("quality",), lambda: quality_report(ctx.con))
    blocks: list = []
    missing = {k: v for k, v in (report.missing_months or {}).items() if v}
    if missing:
        blocks.append(Paragraph("Months missing from the store (gaps, never zeros): " + "; ".join(
            f"{k}: {', '.join(v)}" for k, v in missing.items()) + ".", kind="warning"))
    else:
        blocks.append(Paragraph("No month is missing between the first and last months loaded."))
    facts = []
    for label, value in (("Records without a location", report.unlocated_rows),
                         ("Records without an LSOA", report.no_lsoa_rows),
                         ("Records outside the study area (left out)", report.outside_area_rows),
                         ("Rows rejected at load", report.rejected_rows)):
        if isinstance(value, dict):
            number = value.get("rows", value.get("count", value.get("total")))
            share = value.get("share")
            if number is not None:
                facts.append(f"{label}: {int(number):,}" + (f" ({100 * float(share):.1f}%)" if share else ""))
    dup = report.duplicate_crime_ids
    if dup.get("ids"):
        facts.append(
            f"Crime IDs published more than once: {dup['ids']:,} IDs, on {dup['rows']:,} rows "
            f"({dup['extra_rows']:,} rows more than one per crime; {dup['within_month_ids']:,} IDs repeat "
            f"within a month, {dup['across_months_ids']:,} across months). Rows are counted as police.uk "
            "publishes them, so these repeats are in the counts.")
    if facts:
        blocks.append(BulletList(facts))
    blocks.extend(_unlocated_table(report, ctx.shared.settings.suppress_below))
    for warning in report.warnings[:8]:
        if "Crime IDs repeat" in warning.message:
            continue  # said once above, with its explanation
        blocks.append(Paragraph(f"{warning.message} {warning.hint}", kind="note"))
    return blocks


def _unlocated_table(report: Any, suppress_below: int) -> list:
    """Records without a location by month (all crime) and by crime type, with the anomalous months."""
    by_type = report.unlocated_by_type.get("by_crime_type", {})
    if not by_type or not report.unlocated_rows.get("total"):
        return []
    every = by_type["All crime types"]
    rule = (f"Anomalous: {report.unlocated_by_type['rule']}. Force-level figures count these records where "
            "the study area is a whole police force area; district and LSOA figures cannot.")
    months = [[date(int(m[:4]), int(m[5:7]), 1).strftime("%B %Y"), f"{n:,}",
               f"{100 * every['share_by_month'][m]:.1f}%", "yes" if m in every["anomalous_months"] else ""]
              for m, n in every["by_month"].items()]
    kinds = [[crime_type, f"{entry['rows']:,}", f"{100 * entry['share']:.1f}%",
              month_runs(entry["anomalous_months"]) if entry["anomalous_months"] else ""]
             for crime_type, entry in by_type.items()
             if crime_type != "All crime types" and entry["rows"] >= suppress_below]
    return [
        Table(title="Records without a location, by month", key="unlocated-by-month",
              headers=["Month", "Without a location", "Share of records", "Anomalous"], rows=months,
              notes=[rule]),
        Table(title="Records without a location, by crime type", key="unlocated-by-crime-type",
              headers=["Crime type", "Without a location", "Share of records", "Anomalous months"],
              rows=kinds,
              notes=[rule]),
    ]


def road_section(parent: Section, ctx: Context) -> None:
    """Killed or seriously injured collisions by district, and when collisions happen."""
    section = parent
    section.blocks.extend(guarded(lambda: _road(ctx)))


def _road(ctx: Context) -> list:
    shared = ctx.shared

    def compute() -> tuple:
        d = road_safety.collision_rates(shared.con, area_level="district", severity="ksi")
        c = road_safety.collision_rates(shared.con, area_level="county", severity="ksi")
        year = int(d["year"].max())
        frame = pd.concat([d[d["year"] == year], c[c["year"] == year]], ignore_index=True)
        table = suppress_table(
            frame, count_columns=["fatal", "serious", "collisions"], key_column="area_code",
            total_row=shared.county_code, total_column="collisions",  # KSI = fatal + serious
            rate_columns={"rate_per_100000": "collisions", "ci_low": "collisions", "ci_high": "collisions"},
            settings=shared.settings, source=STATS19)  # DfT publishes every collision: not suppressed
        return frame, table, year

    frame, table, year = shared.memo(("road",), compute)
    row = table.published.set_index("area_code").loc[ctx.area_code]
    blocks: list = [
        Paragraph(f"In {year}, {row['collisions']} collisions in {ctx.area_name} killed or seriously injured "
                  f"someone ({row['fatal']} fatal), {row['rate_per_100000']} per 100,000 residents. "
                  "Road safety uses the latest STATS19 year loaded, which may differ from the crime period."),
        Table.from_published(f"Killed or seriously injured (KSI) collisions by district, {year}", table,
                             key="road-safety-ksi",
                             columns={"area_name": "Area", "collisions": "KSI collisions", "fatal": "Fatal",
                                      "serious": "Serious", "rate_per_100000": "Per 100,000",
                                      "ci_low": "95% CI low", "ci_high": "95% CI high"},
                             notes=[road_safety.CAVEAT]),
    ]
    # Collisions withheld in the table above must not come back through their rate in the chart.
    withheld = table.suppressed["collisions"].to_numpy()
    masked = frame.assign(collisions=frame["collisions"].astype(float).where(~withheld))
    districts = masked[masked["area_code"] != shared.county_code]
    county_rate = float(frame.loc[frame["area_code"] == shared.county_code, "rate_per_100000"].iloc[0])
    chart = shared.memo(("road_chart",), lambda: charts.rate_chart(
        districts, label_column="area_name", rate_column="rate_per_100000", low_column="ci_low",
        high_column="ci_high", count_column="collisions",
        title=f"KSI collisions per 100,000 residents, {year}",
        name="road-safety-rates", source=STATS19_SOURCE_TEXT, value_label="Per 100,000 residents",
        reference=county_rate, reference_label=shared.county_name, settings=shared.settings))
    blocks.append(ctx.figure(chart, "KSI collision rate by district with 95% intervals; the dashed line is "
                                    "the rate for the whole area."))
    times = road_safety.collision_times(shared.con, severity="all",
                                        area_code=None if ctx.is_county else ctx.area_code)
    heat = charts.heatmap_chart(times.T, title=f"Injury collisions by hour and day, {ctx.area_name}",
                                name="road-safety-times", source=STATS19_SOURCE_TEXT,
                                settings=shared.settings, data_source=STATS19)
    blocks.append(ctx.figure(heat, "All injury collisions by hour of the day and day of the week."))
    from safer_communities.publish.sna_where import collision_blocks  # the maps' module, loaded late

    blocks.extend(guarded(lambda: collision_blocks(ctx)))
    return blocks


def summary_blocks(ctx: Context) -> list:
    """Key findings generated from the numbers: largest changes, outliers, hotspots, gaps."""
    order = {"change": 0, "funnel": 1, "hotspot": 2, "concentration": 3, "deprivation": 4, "volume": 5,
             "gap": 6}
    ranked = sorted(ctx.findings, key=lambda f: (order.get(f.kind, 9), -f.weight))
    chosen: list[Finding] = []
    for kind in order:
        chosen.extend([f for f in ranked if f.kind == kind][:3 if kind != "volume" else 8])
    items = [f.text for f in chosen if f.kind != "gap"]
    gaps = [f.text for f in ctx.findings if f.kind == "gap"]
    if gaps:
        items.append("No data source is loaded for " + ", ".join(gaps)
                     + ": these are evidence gaps, not zeros.")
    if not items:
        return [Paragraph("No finding could be drawn from the data loaded.", kind="warning")]
    return [Paragraph(f"Key findings for {ctx.area_name}, {ctx.period.words}, generated from the evidence "
                      "store (read with the data quality notes).", kind="lead"), BulletList(items)]


def suggestions_blocks(ctx: Context) -> list:
    """Prompts for the partnership, drawn from the findings (not decisions)."""
    prompts = list(dict.fromkeys(f.prompt for f in sorted(ctx.findings, key=lambda f: -f.weight) if f.prompt))
    gaps = [f.text for f in ctx.findings if f.kind == "gap"]
    blocks: list = [Paragraph("These prompts are drawn from the findings above for the partnership to "
                              "discuss and decide on; they are not recommendations.", kind="note")]
    if prompts:
        blocks.append(BulletList(prompts[:10]))
    if gaps:
        blocks.append(Paragraph("Evidence gaps to close with partner data: " + "; ".join(gaps) + "."))
    return blocks


def methods_blocks(ctx: Context) -> list:
    settings = ctx.settings
    return [
        BulletList([
            "Rates are per 1,000 residents over the period (not annualised), with exact Poisson 95% "
            "intervals; road collisions per 100,000 residents per year.",
            "Change is the rate ratio of the period against the same months a year earlier (like with like: "
            "the same season), with an exact conditional binomial interval and test; a missing month lowers "
            "the exposure instead of counting as zero, and periods holding different numbers of months are "
            "compared per month.",
            "Districts are compared on funnel plots with exact Poisson 95% and 99.8% limits around the rate "
            "for the whole area, widened for overdispersion (Spiegelhalter 2005): phi is the mean squared "
            "z-score after winsorising 10% at each end, and the limits are scaled by the square root of phi "
            "when phi is significantly above 1. Districts above the limits are listed strongest evidence "
            "first (records above the adjusted upper limit).",
            "Where the study area is a whole police force area, force-level figures include the records the "
            "force published without a location; district and LSOA figures cannot, and say how many.",
            "Hot spots are Getis-Ord Gi* on a regular grid (binary weights, the cell and its eight "
            "neighbours), with Benjamini-Hochberg false discovery rate control at 5%.",
            "Harm uses the Cambridge Crime Harm Index mapped to police.uk crime types.",
            f"Disclosure control: counts 1 to {settings.suppress_below - 1} withheld; rates and percentages "
            f"on fewer than {settings.rate_numerator_min} records withheld; further cells withheld wherever "
            "a total (row, column, or district to county) would let a reader recompute a withheld one, "
            "checked by bounding every withheld cell with linear programming. The rule depends on the "
            "source: " + " ".join(methods_lines()),
            "Every figure can be reproduced from manifest.json (store ingests, definition versions, "
            "options).",
        ]),
        Paragraph("References", kind="lead"),
        BulletList(REFERENCES),
    ]
