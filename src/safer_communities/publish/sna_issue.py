"""One priority issue in the needs assessment: volume, rate, trend, districts compared, where, when,
harm, outcomes and who. Every number comes from ``analysis`` and is published through disclosure control.
"""

from __future__ import annotations

import pandas as pd

from safer_communities.analysis import harm, outcomes, peers, placement, trends
from safer_communities.analysis.definitions import Definition
from safer_communities.analysis.periods import label_words
from safer_communities.errors import NoDataError, SaferError
from safer_communities.publish import charts, grid_outcomes, grid_outputs
from safer_communities.publish.disclosure import suppress_table
from safer_communities.publish.document import BulletList, Paragraph, Section, Table, slugify
from safer_communities.publish.sna_context import POLICE_SOURCE_TEXT, Context, Finding, gap, guarded
from safer_communities.publish.sna_next import next_blocks
from safer_communities.publish.sna_strategy import strategy_subsection
from safer_communities.publish.sna_tables import (
    WITHHELD_ELSEWHERE,
    area_count_withheld,
    district_rates_table,
    issue_grid,
    report_grid_period,
    withheld_as_missing,
)
from safer_communities.publish.sna_where import where_blocks

WHO_GAP = (
    "Who: police.uk publishes no victim or offender characteristics (age, sex, ethnicity), so this "
    "report cannot describe victim or offender cohorts. Partner data (police crime extracts with "
    "victim age and sex, emergency department ISTV data, youth justice caseloads) is needed; until "
    "it is loaded this is a gap in the evidence, not an absence of need."
)
WHEN_GAP = (
    "police.uk gives the month only, not the date or time, so time of day and day of week cannot be "
    "analysed for this issue; partner data with date and time would allow it."
)


def no_data_section(parent: Section, definition: Definition) -> Section:
    """An issue with no open data source: said plainly, never shown as zero."""
    section = parent.sub(definition.label)
    section.add(
        Paragraph(f"No data source is loaded for {definition.label.lower()}, so this report has no "
                  "figures for it. This is a gap in the evidence, not a zero.", kind="warning"),
    )
    if definition.caveat or definition.description:
        section.add(Paragraph(" ".join(x for x in (definition.description, definition.caveat) if x)))
    section.add(Paragraph(
        "To fill the gap, load partner data (for example police-recorded crime with flags, MARAC or "
        "specialist service records, or Home Office returns) and add a source to the definition "
        "(docs/definitions.md)."))
    return section


def issue_section(parent: Section, ctx: Context, definition: Definition, *,
                  title: str | None = None) -> Section:
    """The full set of subsections for an issue measured from police.uk."""
    section = parent.sub(title or definition.label)
    intro = definition.description or ""
    if definition.proxy:
        intro += (" This is a proxy: police.uk data cannot isolate these offences, so read the figures as "
                  "an indication of scale and place, not a count of the offences themselves.")
    if definition.caveat:
        intro += f" {definition.caveat}"
    if intro.strip():
        section.add(Paragraph(intro.strip(), kind="note"))
    issue = definition.issue
    section.sub("Volume and rate").blocks.extend(guarded(lambda: _volume(ctx, definition)))
    section.sub("Trend").blocks.extend(guarded(lambda: _trend(ctx, definition)))
    section.sub("Districts compared").blocks.extend(guarded(lambda: _funnel(ctx, definition)))
    section.sub("Where").blocks.extend(guarded(lambda: where_blocks(ctx, definition)))
    section.sub("Where to act next").blocks.extend(guarded(lambda: next_blocks(ctx, definition)))
    section.sub("When").blocks.extend(guarded(lambda: _when(ctx, definition)))
    section.sub("Harm").blocks.extend(guarded(lambda: _harm(ctx, definition)))
    section.sub("Outcomes").blocks.extend(guarded(lambda: _outcomes(ctx, definition),
                                                  on_error=lambda exc: [Paragraph(exc.what, kind="note")]))
    section.sub("Who").add(Paragraph(WHO_GAP))
    strategy_subsection(section, ctx.shared.strategy, issue)
    for sub in section.subsections:
        sub.id = f"{slugify(issue)}-{slugify(sub.title)}"
    section.id = f"issue-{slugify(issue)}"
    return section


def _volume(ctx: Context, definition: Definition) -> list:
    frame, table = district_rates_table(ctx, definition)
    published = table.published.set_index("area_code", drop=False)
    row = published.loc[ctx.area_code]
    raw = frame.set_index("area_code").loc[ctx.area_code]
    text = (f"{ctx.area_name} recorded {row['count']} {definition.label.lower()} records in "
            f"{ctx.period.words}, a rate of {row['rate_per_1000']} per 1,000 residents (95% interval "
            f"{row['ci_low']} to {row['ci_high']}; population {int(raw['population']):,}, mid-"
            f"{int(raw['population_year'])}).")
    if not ctx.is_county:
        county = published.loc[ctx.shared.county_code]
        text += f" The {ctx.shared.county_name} rate is {county['rate_per_1000']} per 1,000."
    ctx.find(Finding(definition.issue, "volume", f"{definition.label}: {row['count']} records, "
                     f"{row['rate_per_1000']} per 1,000 residents."))
    blocks: list = [Paragraph(text)]
    placed = frame.attrs.get("county_unlocated_caveat" if ctx.is_county else "unlocated_caveat")
    if placed:
        blocks.append(Paragraph(placed, kind="note"))
    missing = frame.attrs.get("missing_months") or []
    if missing:
        blocks.append(Paragraph(f"{len(missing)} month(s) of the period are missing from the store "
                                f"({', '.join(missing)}): totals are incomplete, not zero.", kind="warning"))
    blocks.append(Table.from_published(
        f"{definition.label}: records and rate per 1,000 residents by district, {ctx.period.words}",
        table, key=f"{definition.issue}-rates",
        columns={"area_name": "Area", "count": "Records", "population": "Population",
                 "rate_per_1000": "Rate per 1,000", "ci_low": "95% CI low", "ci_high": "95% CI high"},
        notes=["Rates are per 1,000 residents over the whole period. "
               + str(frame.attrs.get("population_note", ""))],
    ))
    return blocks


def _trend(ctx: Context, definition: Definition) -> list:
    if area_count_withheld(ctx, definition):
        return [Paragraph(WITHHELD_ELSEWHERE, kind="note")]
    shared = ctx.shared
    months = _published_months(ctx, definition)
    if months is None:  # a source the publication grid does not cover: the series as analysed
        every = shared.memo(("monthly", definition.issue, ctx.area_level), lambda: trends.monthly_series(
            shared.con, definition, area_level=ctx.area_level, definitions=shared.definitions))
        months = every[every["area_code"] == ctx.area_code].reset_index(drop=True).assign(withheld=False)
    count = pd.to_numeric(months["count"], errors="coerce").astype(float)
    withheld = int(months["withheld"].sum())
    chart = charts.trend_chart(
        months["month"].tolist(), count.tolist(), title=f"{definition.label} per month, {ctx.area_name}",
        name=f"{definition.issue}-trend", source=POLICE_SOURCE_TEXT, settings=ctx.settings)
    caption = (f"{definition.label} recorded each month in {ctx.area_name}. A missing month is shown as a "
               "gap, never as zero.")
    if withheld:
        caption += (f" {withheld} month(s) are withheld to protect small numbers (the publication grid) "
                    "and are gaps too.")
    blocks: list = [ctx.figure(chart, caption)]
    try:
        cmp = shared.memo(("compare", definition.issue, ctx.area_level), lambda: trends.compare_periods(
            shared.con, definition, area_level=ctx.area_level, period=shared.period,
            definitions=shared.definitions))
        row = cmp[cmp["area_code"] == ctx.area_code].iloc[0]
        if _comparison_withheld(ctx, definition, row):
            blocks.append(Paragraph("No comparison with the same months a year earlier: one of the two "
                                    "totals is withheld or not on the publication grid.", kind="note"))
        else:
            blocks.append(Paragraph(_change_text(ctx, definition, row)))
    except SaferError as exc:
        blocks.append(Paragraph(f"No comparison with the same months a year earlier: {exc.what}",
                                kind="note"))
    if count.notna().sum() >= 24:  # published months only: a withheld month is left out of the fit
        trend = trends.poisson_trend(count.to_numpy(), months["month"])
        if min(count.dropna()) >= ctx.settings.rate_numerator_min:
            blocks.append(Paragraph(
                f"Over {trend['months_used']} months (those published) the underlying trend is "
                f"{trend['change_per_year_pct']:+.1f}% a year (95% interval {trend['ci_low']:+.1f}% to "
                f"{trend['ci_high']:+.1f}%; quasi-Poisson regression with seasonal terms)."))
    return blocks


def _published_months(ctx: Context, definition: Definition) -> pd.DataFrame | None:
    """Every month loaded for this area as the publication grid publishes it (withheld months NaN)."""
    protected = issue_grid(ctx, definition)
    if protected is None:
        return None
    return ctx.shared.memo(("grid_months", definition.issue, ctx.area_code),
                           lambda: grid_outputs.monthly_cells(protected, ctx.area_code))


def _comparison_withheld(ctx: Context, definition: Definition, row: pd.Series) -> bool:
    """Whether either total of the comparison is withheld or off the publication grid (then the rate
    ratio would be a new figure about a withheld cell)."""
    from safer_communities.analysis.periods import parse_period
    from safer_communities.publish import grid

    protected = issue_grid(ctx, definition)
    if protected is None:
        return False
    for label in (row["period"], row["previous_period"]):
        try:
            gp = grid.find_period(protected.periods, parse_period(str(label)), "district")
        except (grid.OffGridError, SaferError):
            return True
        if grid_outputs.cell_published(protected, ctx.area_code, gp) is None:
            return True
    return False


def _change_text(ctx: Context, definition: Definition, row: pd.Series) -> str:
    small = min(row["count"], row["previous_count"]) < ctx.settings.rate_numerator_min
    if small:
        return (f"The numbers are too small to compare {label_words(row['period'])} with "
                f"{label_words(row['previous_period'])} "
                "reliably.")
    text = (f"{row['count']:,} records in {label_words(row['period'])} against {row['previous_count']:,} in "
            f"{label_words(row['previous_period'])}, the same months a year earlier "
            f"({row['change_pct']:+.1f}% per month; rate ratio {row['rate_ratio']:.2f}, 95% "
            f"interval {row['ci_low']:.2f} to {row['ci_high']:.2f}): {row['direction']}.")
    if row["direction"] != "no significant change":
        ctx.find(Finding(definition.issue, "change",
                         f"{definition.label} in {ctx.area_name}: {row['direction']} of "
                         f"{abs(row['change_pct']):.0f}% on the same months a year earlier.",
                         prompt=f"Understand what drove the {row['direction'].split()[-1]} in "
                                f"{definition.label.lower()} before setting targets.",
                         weight=abs(float(row["change_pct"]))))
    return text


def _funnel(ctx: Context, definition: Definition) -> list:
    shared = ctx.shared
    fun = shared.memo(("funnel", definition.issue), lambda: _funnel_frame(ctx, definition))
    overall = float(fun["overall_rate_per_1000"].iloc[0])
    limits = peers.funnel_curve(fun)
    chart = shared.memo(("funnel_chart", definition.issue), lambda: charts.funnel_chart(
        withheld_as_missing(ctx, definition, fun), label_column="area_name", count_column="count",
        population_column="population",
        rate_column="rate_per_1000", limits=limits, overall_rate=overall,
        title=f"{definition.label}: districts against the {shared.county_name} rate",
        name=f"{definition.issue}-funnel", source=POLICE_SOURCE_TEXT, value_label="Rate per 1,000 residents",
        settings=shared.settings))
    above = peers.focus_areas(fun)  # strongest evidence first (peers.FOCUS_RULE)
    below = fun.loc[fun["flag"] == "below", "area_name"].tolist()
    od_text = str(fun.attrs.get("method", "")).split("limits. ", 1)[-1]
    text = ("Districts above the 99.8% limit, allowing for overdispersion (higher than chance and the "
            "usual variation between districts would explain), strongest evidence first: "
            + (", ".join(above) or "none"))
    text += "; below: " + (", ".join(below) or "none") + ". " + peers.FOCUS_RULE
    if ctx.is_county and above:
        ctx.find(Finding(definition.issue, "funnel",
                         f"{definition.label}: {', '.join(above)} above the 99.8% funnel limit "
                         "allowing for overdispersion.",
                         prompt=f"Focus partnership attention on {definition.label.lower()} in "
                                f"{', '.join(above[:3])} ({peers.FOCUS_RULE.lower().rstrip('.')}).",
                         weight=10.0 * len(above)))
    elif not ctx.is_county:
        flag = fun.loc[fun["area_code"] == ctx.area_code, "flag"]
        if not flag.empty and flag.iloc[0] != "within":
            ctx.find(Finding(definition.issue, "funnel",
                             f"{definition.label}: {ctx.area_name} is {flag.iloc[0]} the 99.8% funnel limit.",
                             prompt=f"Compare {definition.label.lower()} responses with districts of "
                                    "similar size within the limits.", weight=20.0))
    return [ctx.figure(chart, "Funnel plot: each district's rate against its population; points outside the "
                              "dotted 99.8% limits differ from the overall rate by more than chance and the "
                              "usual variation between districts. " + od_text),
            Paragraph(text)]


def _funnel_frame(ctx: Context, definition: Definition) -> pd.DataFrame:
    """The districts' funnel: on the grid, from published counts (a withheld district enters as its
    stand-in for the overall rate and overdispersion, and its own point, limits and flag are blank)."""
    shared = ctx.shared
    found = report_grid_period(ctx, definition)
    if found is None:
        return peers.funnel(shared.con, definition, period=shared.period, area_level="district",
                            definitions=shared.definitions)
    protected, gp = found
    codes = protected.children(shared.county_code)
    rates, withheld = grid_outputs.funnel_rates(protected, codes, gp)
    fun = peers.funnel_from_rates(rates).set_index("area_code").loc[codes].reset_index()
    _, table = protected.table(codes, gp)
    return grid_outputs.blank_withheld(fun, withheld, table.published["count"].astype(str).tolist())


def _when(ctx: Context, definition: Definition) -> list:
    shared = ctx.shared
    every = shared.memo(("season", definition.issue, ctx.area_level), lambda: trends.seasonality(
        shared.con, definition, area_level=ctx.area_level, definitions=shared.definitions))
    season = every[every["area_code"] == ctx.area_code]
    blocks: list = []
    months = _published_months(ctx, definition)
    if months is not None and months["withheld"].any():  # the index would be a figure of withheld months
        season = season.iloc[0:0]
    if len(season) == 12 and season["mean_count"].min() >= ctx.settings.rate_numerator_min:
        month_names = pd.to_datetime(season["month_of_year"].astype(int).astype(str), format="%m")
        indexed = pd.Series(season["index"].to_numpy(), index=month_names.dt.strftime("%B").to_numpy())
        high = indexed.sort_values(ascending=False).head(2)
        low = indexed.sort_values().head(2)
        blocks.append(Paragraph(
            "Season: the busiest calendar months are " + " and ".join(f"{m} (index {v:.0f})" for m, v in
                                                                      high.items())
            + "; the quietest " + " and ".join(f"{m} (index {v:.0f})" for m, v in low.items())
            + " (100 = an average month)."
            + (" With fewer than two years loaded, one year's pattern may not be a season."
               if season["n_months"].max() < 2 else "")))
    else:
        blocks.append(Paragraph("Season: too few months or records to describe a seasonal pattern.",
                                kind="note"))
    blocks.append(Paragraph(WHEN_GAP, kind="note"))
    return blocks


def _harm(ctx: Context, definition: Definition) -> list:
    shared = ctx.shared

    def compute() -> tuple:
        d = harm.issue_harm(shared.con, definition, area_level="district", period=shared.period,
                            definitions=shared.definitions)
        c = harm.issue_harm(shared.con, definition, area_level="county", period=shared.period,
                            definitions=shared.definitions)
        frame = pd.concat([placement.with_unplaced_row(d, c), c], ignore_index=True)
        found = report_grid_period(ctx, definition)
        if found is not None:  # the grid's counts and pattern: harm is withheld with its count
            protected, gp = found
            codes = [*protected.children(shared.county_code, with_unplaced=True), shared.county_code]
            codes = [code for code in codes if code in set(frame["area_code"])]
            return frame, grid_outputs.derived_table(protected, frame, codes, gp,
                                                     {"harm_days": 0, "harm_per_1000": 0})
        return frame, suppress_table(
            frame, count_columns=["count"], key_column="area_code", total_row=shared.county_code,
            rate_columns={"harm_days": "count", "harm_per_1000": "count"}, settings=shared.settings,
            decimals={"harm_days": 0, "harm_per_1000": 0})

    weights = harm.harm_weights()
    weighted = [c for c in definition.crime_types if c in weights.weights]
    if not weighted:
        return [Paragraph(f"{definition.label} carries no Cambridge Crime Harm Index weight (anti-social "
                          "behaviour is not a crime), so no harm measure is given.", kind="note")]
    if len(weighted) == 1:  # harm of one category is the count times a constant: show its share instead
        mix = shared.memo(("harm_mix", ctx.area_level), lambda: harm.harm_mix(
            shared.con, area_level=ctx.area_level, period=shared.period))
        row = mix[(mix["area_code"] == ctx.area_code) & (mix["crime_type"] == weighted[0])].iloc[0]
        return [
            Paragraph(f"{definition.label} is {100 * row['count_share']:.0f}% of the crime records in "
                      f"{ctx.area_name} but {100 * row['harm_share']:.0f}% of the harm of all crime, "
                      "weighted by the Cambridge Crime Harm Index (days of imprisonment at the sentencing "
                      f"starting point; weights {weights.version})."),
            Paragraph(harm.single_category_note(weighted[0], weights), kind="note"),
        ]
    frame, table = shared.memo(("harm", definition.issue), compute)
    row = table.published.set_index("area_code").loc[ctx.area_code]
    own_withheld = bool(table.suppressed.set_index(table.published["area_code"]).loc[ctx.area_code, "count"])
    return [
        Paragraph(f"{definition.label} in {ctx.area_name}: its harm is withheld with its count, to protect "
                  "small numbers elsewhere." if own_withheld else
                  f"Weighted by the Cambridge Crime Harm Index (days of imprisonment at the sentencing "
                  f"starting point), {definition.label.lower()} in {ctx.area_name} amounts to "
                  f"{row['harm_per_1000']} harm days per 1,000 residents; the crime type adding most harm is "
                  f"{frame.set_index('area_code').loc[ctx.area_code, 'top_harm_crime_type']}."),
        Table.from_published(f"{definition.label}: harm by district (CCHI days), {ctx.period.words}", table,
                             key=f"{definition.issue}-harm",
                             columns={"area_name": "Area", "count": "Records", "harm_days": "Harm (days)",
                                      "harm_per_1000": "Harm days per 1,000"},
                             notes=[f"Harm weights {weights.version}."]),
    ]


def _outcomes(ctx: Context, definition: Definition) -> list:
    if area_count_withheld(ctx, definition):
        return [Paragraph(WITHHELD_ELSEWHERE, kind="note")]
    shared = ctx.shared
    protected = shared.memo(("outcomes_protected", definition.issue),
                            lambda: _protected_outcomes(ctx, definition))
    mine = protected[(protected["area_code"] == ctx.area_code)
                     & (protected["outcome"] != grid_outcomes.TOTAL)]
    shown = mine[~mine["withheld"] & (mine["crimes"].fillna(0) > 0)].sort_values("crimes", ascending=False)
    if shown.empty or mine["crimes"].sum() == 0:
        raise NoDataError(f"No outcomes for {definition.label.lower()} in {ctx.area_name}.")
    chart = charts.bar_chart(shown["outcome"].tolist(), shown["crimes"].astype(float).tolist(),
                             title=f"{definition.label}: latest outcome, {ctx.area_name}",
                             name=f"{definition.issue}-outcomes", source="police.uk outcomes",
                             value_label="Crimes", settings=ctx.settings)
    shares = []
    mine_shares = protected.attrs["shares"].get(ctx.area_code, {})
    for key, words in (("no_suspect_share", "closed with no suspect identified"),
                       ("charged_share", "charged or summonsed")):
        share = mine_shares.get(key)
        if share is not None:
            shares.append(f"{100 * share:.0f}% {words}")
    text = ("Of these crimes, " + " and ".join(shares) + ".") if shares else \
        "Outcome shares are not shown: too few crimes, or a count they rest on is withheld."
    caveats = [c for c in protected.attrs.get("caveats", []) if "snapshot" in c]
    hidden = int(mine["withheld"].sum())
    caption = "Each crime counted once under its latest outcome."
    if hidden:
        caption += (f" {hidden} outcome(s) withheld to protect small numbers (protected for the county and "
                    "every district together) are not drawn.")
    return [ctx.figure(chart, caption), Paragraph(text), *[Paragraph(c, kind="note") for c in caveats]]


def _protected_outcomes(ctx: Context, definition: Definition) -> pd.DataFrame:
    """The county's and every district's outcomes, protected together (``publish.grid_outcomes``)."""
    shared = ctx.shared
    summary = outcomes.outcome_summary(shared.con, definition, period=shared.period, area_level="district",
                                       definitions=shared.definitions)
    _, table = district_rates_table(ctx, definition)
    withheld = set(table.published.loc[table.suppressed["count"].to_numpy(), "area_code"])
    districts = shared.districts["area_code"].tolist()
    return grid_outcomes.protect_outcomes(summary, shared.county_code, districts, withheld_areas=withheld,
                                          settings=shared.settings)


__all__ = ["BulletList", "gap", "issue_section", "no_data_section"]
