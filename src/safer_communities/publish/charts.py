"""Charts for reports: each one applies disclosure control to what it draws and writes its own alt text.

Every function takes the numbers as the analysis returned them (never pre-suppressed), runs them
through :mod:`safer_communities.publish.disclosure`, and draws withheld values as a distinct hatched
"withheld" mark, never as a value. Missing months are gaps in the line, never zeros. The alt text is
written from the same data, so it says what a sighted reader would see: the range, the extremes, the
gaps and what was withheld.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib import colormaps
from matplotlib.dates import DateFormatter
from matplotlib.patches import Patch, Rectangle
from matplotlib.ticker import FuncFormatter

from safer_communities.config import Settings
from safer_communities.publish import layout, style
from safer_communities.publish.disclosure import suppress_counts, suppress_table
from safer_communities.publish.document import Table
from safer_communities.publish.labels import place_labels
from safer_communities.publish.style import Chart, fmt_number

WITHHELD_LABEL = "Withheld (small numbers)"
THOUSANDS = FuncFormatter(lambda value, _: f"{value:,.0f}")  # 40,000 not 40000 on count axes


def _withheld_patch() -> Patch:
    return Patch(facecolor=style.SUPPRESSED_FACE, edgecolor=style.SUPPRESSED_EDGE,
                 hatch=style.SUPPRESSED_HATCH, label=WITHHELD_LABEL)


def data_table(title: str, name: str, headers: list[str], rows: list[list[object]],
               notes: list[str] | None = None) -> Table:
    """The numbers a chart draws, as the report prints them (after the chart's disclosure control)."""
    cells = [["" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v) for v in row]
             for row in rows]
    return Table(title=f"Data for the chart: {title}", key=name, headers=headers, rows=cells,
                 notes=list(notes or []))


def _withheld_sentence(n: int, what: str = "values") -> str:
    if n == 0:
        return ""
    return f" {n} {what if n != 1 else what.rstrip('s')} withheld to protect small numbers."


def bar_chart(
    labels: Sequence[str],
    counts: Sequence[float],
    *,
    title: str,
    name: str,
    source: str,
    value_label: str = "Number of records",
    settings: Settings | None = None,
) -> Chart:
    """Horizontal bars of counts by category (crime type, outcome...), largest first."""
    table = suppress_counts(pd.Series(list(counts), index=list(labels), dtype=float), settings=settings)
    shown = table.values["count"].iloc[:-1]
    order = pd.Series(np.nan_to_num(pd.to_numeric(pd.Series(counts, index=list(labels)), errors="coerce"),
                                    nan=-1.0), index=list(labels)).sort_values(ascending=True).index
    shown = shown.reindex(order)
    texts = table.published["count"].iloc[:-1].reindex(order)
    with style.figure(height_in=max(2.4, 0.32 * len(order) + 1.2)) as fig:
        ax = fig.add_subplot()
        y = np.arange(len(order))
        heights = shown.fillna(0).to_numpy()
        ax.barh(y, heights, color=style.OKABE_ITO["blue"], edgecolor="white")
        withheld = shown.isna().to_numpy()
        span = float(np.nanmax(heights)) if heights.size and np.nanmax(heights) > 0 else 1.0
        for k in np.flatnonzero(withheld):
            ax.barh(y[k], span * 0.03, color=style.SUPPRESSED_FACE, edgecolor=style.SUPPRESSED_EDGE,
                    hatch=style.SUPPRESSED_HATCH)
        for k, text in enumerate(texts):
            ax.text(max(heights[k], span * 0.03) + span * 0.01, y[k], text, va="center", fontsize=8)
        ax.set_yticks(y, [textwrap.fill(str(v), 34) for v in order])
        ax.set_xlabel(value_label)
        ax.xaxis.set_major_formatter(THOUSANDS)
        ax.grid(axis="y", visible=False)
        ax.set_xlim(0, span * 1.15)
        style.attribution(fig, source)
        layout.arrange(fig, [ax], title=title, legend_where="below",
                       legend_handles=[_withheld_patch()] if withheld.any() else ())
        published = table.published["count"]
        data = data_table(title, name, ["Category", value_label],
                          [[k, published.loc[k]] for k in [*reversed(order), published.index[-1]]],
                          table.notes)
        visible = shown.dropna()
        parts = [f"Bar chart: {title}."]
        if not visible.empty:
            parts.append(
                f" Largest: {visible.idxmax()} ({fmt_number(visible.max(), 0)});"
                f" smallest shown: {visible.idxmin()} ({fmt_number(visible.min(), 0)})."
            )
        parts.append(f" Total: {table.published['count'].iloc[-1]}.")
        parts.append(_withheld_sentence(int(withheld.sum())))
        return style.render(fig, name=name, alt="".join(parts), title=title, data=data)


def trend_chart(
    months: Sequence[object],
    counts: Sequence[float],
    *,
    title: str,
    name: str,
    source: str,
    value_label: str = "Records per month",
    settings: Settings | None = None,
) -> Chart:
    """Monthly counts as a line with markers; a missing month breaks the line and is shaded."""
    index = pd.to_datetime(pd.Series(list(months)))
    raw = pd.Series(pd.to_numeric(pd.Series(list(counts)), errors="coerce").to_numpy(dtype=float),
                    index=index.dt.strftime("%Y-%m"))
    table = suppress_counts(raw, settings=settings)
    # the months, without the total row (there is none when every month is missing or withheld)
    shown = table.values["count"].to_numpy(dtype=float)[: len(raw)]
    missing = raw.isna().to_numpy()
    withheld = np.isnan(shown) & ~missing
    x = index.to_numpy()
    with style.figure(height_in=3.4) as fig:
        ax = fig.add_subplot()
        ax.plot(x, shown, color=style.OKABE_ITO["blue"], marker="o", markersize=3.5, linewidth=1.6,
                label="Records")
        half = pd.Timedelta(days=15)
        for k in np.flatnonzero(missing):
            ax.axvspan(x[k] - half, x[k] + half, color=style.MISSING_FACE, zorder=0)
        for k in np.flatnonzero(withheld):
            ax.axvspan(x[k] - half, x[k] + half, facecolor="none", edgecolor=style.SUPPRESSED_EDGE,
                       hatch=style.SUPPRESSED_HATCH, linewidth=0, zorder=0)
        handles = [ax.lines[0]]
        if missing.any():
            handles.append(Patch(color=style.MISSING_FACE, label="No data for this month (not zero)"))
        if withheld.any():
            handles.append(_withheld_patch())
        ax.set_ylim(bottom=0)
        ax.yaxis.set_major_formatter(THOUSANDS)
        ax.set_ylabel(value_label)
        ax.xaxis.set_major_formatter(DateFormatter("%b\n%Y"))
        style.attribution(fig, source)
        layout.arrange(fig, [ax], title=title, legend_handles=handles, legend_where="below")
        data = data_table(title, name, ["Month", value_label],
                          [[m, c] for m, c in table.published["count"].items()], table.notes)
        visible = pd.Series(shown, index=raw.index).dropna()
        label = lambda m: pd.Timestamp(m + "-01").strftime("%B %Y")  # noqa: E731
        parts = [f"Line chart: {title}, {label(raw.index[0])} to {label(raw.index[-1])}."]
        if not visible.empty:
            parts.append(
                f" Highest month: {label(visible.idxmax())} ({fmt_number(visible.max(), 0)});"
                f" lowest: {label(visible.idxmin())} ({fmt_number(visible.min(), 0)})."
            )
        if missing.any():
            gaps = ", ".join(label(m) for m in raw.index[missing])
            parts.append(f" No data for {gaps}: shown as a gap, not as zero.")
        parts.append(_withheld_sentence(int(withheld.sum()), "months"))
        return style.render(fig, name=name, alt="".join(parts), title=title, data=data)


def rate_chart(
    frame: pd.DataFrame,
    *,
    label_column: str,
    rate_column: str,
    low_column: str,
    high_column: str,
    count_column: str,
    title: str,
    name: str,
    source: str,
    value_label: str,
    reference: float | None = None,
    reference_label: str = "Study area",
    settings: Settings | None = None,
) -> Chart:
    """Rates with 95% intervals as dots and whiskers, highest at the top; small numerators not drawn."""
    table = suppress_table(
        frame, count_columns=[count_column],
        rate_columns={rate_column: count_column, low_column: count_column, high_column: count_column},
        settings=settings,
    )
    data = table.values.assign(_label=frame[label_column].astype(str).to_numpy())
    data = data.assign(_sort=pd.to_numeric(frame[rate_column], errors="coerce").fillna(-1).to_numpy())
    data = data.sort_values("_sort")
    with style.figure(height_in=max(2.6, 0.3 * len(data) + 1.3)) as fig:
        ax = fig.add_subplot()
        y = np.arange(len(data))
        rate = data[rate_column].to_numpy(dtype=float)
        low = data[low_column].to_numpy(dtype=float)
        high = data[high_column].to_numpy(dtype=float)
        ok = ~np.isnan(rate)
        ax.errorbar(rate[ok], y[ok], xerr=[rate[ok] - low[ok], high[ok] - rate[ok]], fmt="o",
                    color=style.OKABE_ITO["blue"], ecolor="#444444", capsize=2.5, markersize=4,
                    label="Rate with 95% interval")
        right = float(np.nanmax(high)) if ok.any() else 1.0
        for k in np.flatnonzero(~ok):
            ax.text(0, y[k], " not shown: fewer than "
                    f"{(settings or Settings()).rate_numerator_min} records", va="center", fontsize=7,
                    color="#333333", style="italic")
        if reference is not None and np.isfinite(reference):
            ax.axvline(reference, color=style.OKABE_ITO["vermillion"], linestyle="--", linewidth=1.2,
                       label=f"{reference_label}: {fmt_number(reference, 1)}")
        ax.set_yticks(y, data["_label"].tolist())
        ax.set_xlim(0, right * 1.08)
        ax.set_xlabel(value_label)
        ax.grid(axis="y", visible=False)
        style.attribution(fig, source)
        handles, _ = ax.get_legend_handles_labels()
        layout.arrange(fig, [ax], title=title, legend_handles=handles, legend_where="below")
        pub = table.published.assign(_label=frame[label_column].astype(str).to_numpy()).loc[data.index[::-1]]
        table_data = data_table(title, name, ["Area", "Count", value_label, "95% CI low", "95% CI high"],
                                pub[["_label", count_column, rate_column, low_column, high_column]]
                                .to_numpy().tolist(), table.notes)
        shown = pd.Series(rate, index=data["_label"]).dropna()
        parts = [f"Dot chart with 95% intervals: {title}."]
        if not shown.empty:
            parts.append(f" Highest: {shown.idxmax()} ({fmt_number(shown.max())});"
                         f" lowest: {shown.idxmin()} ({fmt_number(shown.min())}).")
        if reference is not None and np.isfinite(reference):
            parts.append(f" {reference_label} rate: {fmt_number(reference)}.")
        parts.append(_withheld_sentence(int((~ok).sum()), "rates"))
        return style.render(fig, name=name, alt="".join(parts), title=title, data=table_data)


def funnel_chart(
    frame: pd.DataFrame,
    *,
    label_column: str,
    count_column: str,
    population_column: str,
    rate_column: str,
    limits: pd.DataFrame,
    overall_rate: float,
    title: str,
    name: str,
    source: str,
    value_label: str,
    settings: Settings | None = None,
) -> Chart:
    """Funnel plot: each area's rate against its population, with 95% and 99.8% control limits.

    ``limits`` has ``population`` and ``lower_95, upper_95, lower_998, upper_998`` (rates) along a
    population range, computed by the analysis layer. Points differ by marker as well as colour.
    """
    table = suppress_table(frame, count_columns=[count_column], rate_columns={rate_column: count_column},
                           settings=settings)
    rate = table.values[rate_column].to_numpy(dtype=float)
    pop = pd.to_numeric(frame[population_column], errors="coerce").to_numpy(dtype=float)
    upper95 = np.interp(pop, limits["population"], limits["upper_95"])
    lower95 = np.interp(pop, limits["population"], limits["lower_95"])
    upper998 = np.interp(pop, limits["population"], limits["upper_998"])
    lower998 = np.interp(pop, limits["population"], limits["lower_998"])
    with style.figure(height_in=4.2) as fig:
        ax = fig.add_subplot()
        ax.plot(limits["population"], limits["upper_95"], color="#444444", linestyle="--", linewidth=1,
                label="95% limits")
        ax.plot(limits["population"], limits["lower_95"], color="#444444", linestyle="--", linewidth=1)
        ax.plot(limits["population"], limits["upper_998"], color="#444444", linestyle=":", linewidth=1.2,
                label="99.8% limits")
        ax.plot(limits["population"], limits["lower_998"], color="#444444", linestyle=":", linewidth=1.2)
        ax.axhline(overall_rate, color="#000000", linewidth=1,
                   label=f"Overall rate {fmt_number(overall_rate)}")
        groups = {
            "Above 99.8% limit": (rate > upper998, "^", style.OKABE_ITO["vermillion"]),
            "Above 95% limit": ((rate > upper95) & ~(rate > upper998), "^", style.OKABE_ITO["orange"]),
            "Within limits": ((rate <= upper95) & (rate >= lower95), "o", style.OKABE_ITO["blue"]),
            "Below 95% limit": ((rate < lower95) & ~(rate < lower998), "v", style.OKABE_ITO["sky_blue"]),
            "Below 99.8% limit": (rate < lower998, "v", style.OKABE_ITO["green"]),
        }
        labels = frame[label_column].astype(str).to_numpy()
        summary = []
        flag = np.full(len(rate), "", dtype=object)
        for label, (sel, marker, colour) in groups.items():
            if sel.any():
                ax.scatter(pop[sel], rate[sel], marker=marker, color=colour, edgecolor="black", s=36,
                           zorder=3, label=label)
                summary.append(f"{label.lower()}: {', '.join(labels[sel])}")
                flag[sel] = label
        ax.set_xlabel("Resident population")
        ax.xaxis.set_major_formatter(THOUSANDS)
        ax.set_ylabel(value_label)
        style.attribution(fig, source)
        handles, _ = ax.get_legend_handles_labels()
        layout.arrange(fig, [ax], title=title, legend_handles=handles, legend_where="right")
        shown = np.flatnonzero(~np.isnan(rate))
        # Outliers first: if space runs out it is a district within the limits that goes unlabelled.
        shown = sorted(shown, key=lambda k: (flag[k] == "Within limits", -abs(rate[k] - overall_rate)))
        placed = place_labels(ax, pop[shown], rate[shown], list(labels[shown]), fontsize=6.5)
        pub = table.published
        data = data_table(title, name, ["Area", "Count", "Population", value_label, "Against the limits"],
                          [[labels[k], pub[count_column].iloc[k], fmt_number(pop[k], 0),
                            pub[rate_column].iloc[k], flag[k] or "not shown"] for k in range(len(labels))],
                          [*table.notes, f"Overall rate {fmt_number(overall_rate)}."])
        withheld = int(np.isnan(rate).sum())
        alt = (f"Funnel plot: {title}. Overall rate {fmt_number(overall_rate)}. "
               + ("; ".join(summary) + "." if summary else "")
               + _withheld_sentence(withheld, "areas")
               + (f" Not labelled for lack of space: {', '.join(placed.dropped)}." if placed.dropped else ""))
        return style.render(fig, name=name, alt=alt, title=title, data=data)


def decile_chart(
    frame: pd.DataFrame,
    *,
    decile_column: str,
    rate_column: str,
    low_column: str,
    high_column: str,
    count_column: str,
    title: str,
    name: str,
    source: str,
    value_label: str,
    settings: Settings | None = None,
) -> Chart:
    """Rate by deprivation decile (1 = most deprived) as bars with 95% intervals."""
    table = suppress_table(
        frame, count_columns=[count_column],
        rate_columns={rate_column: count_column, low_column: count_column, high_column: count_column},
        settings=settings,
    )
    deciles = frame[decile_column].astype(int).to_numpy()
    rate = table.values[rate_column].to_numpy(dtype=float)
    low = table.values[low_column].to_numpy(dtype=float)
    high = table.values[high_column].to_numpy(dtype=float)
    with style.figure(height_in=3.4) as fig:
        ax = fig.add_subplot()
        ok = ~np.isnan(rate)
        colours = colormaps[style.SEQUENTIAL](np.linspace(0.15, 0.85, 10))
        ax.bar(deciles[ok], rate[ok], color=[colours[d - 1] for d in deciles[ok]], edgecolor="black",
               linewidth=0.5, yerr=[rate[ok] - low[ok], high[ok] - rate[ok]], capsize=3)
        top = float(np.nanmax(high)) if ok.any() else 1.0
        for d in deciles[~ok]:
            ax.bar(d, top * 0.03, color=style.SUPPRESSED_FACE, edgecolor=style.SUPPRESSED_EDGE,
                   hatch=style.SUPPRESSED_HATCH)
        for d, r in zip(deciles[ok], rate[ok], strict=True):
            ax.annotate(f"{r:.1f}", (d, r), xytext=(0, 2), textcoords="offset points", ha="center",
                        fontsize=7)
        ax.set_xticks(range(1, 11), ["1\nmost\ndeprived", *map(str, range(2, 10)), "10\nleast\ndeprived"])
        ax.set_xlabel("Index of Multiple Deprivation decile (England)")
        ax.set_ylabel(value_label)
        ax.grid(axis="x", visible=False)
        ax.set_ylim(0, top * 1.1)  # room for the value over the highest bar
        style.attribution(fig, source)
        layout.arrange(fig, [ax], title=title, legend_where="below",
                       legend_handles=[_withheld_patch()] if (~ok).any() else ())
        pub = table.published
        data = data_table(title, name, ["IMD decile", "Count", value_label, "95% CI low", "95% CI high"],
                          [[int(d), pub[count_column].iloc[k], pub[rate_column].iloc[k],
                            pub[low_column].iloc[k], pub[high_column].iloc[k]]
                           for k, d in enumerate(deciles)],
                          [*table.notes, "Decile 1 is the most deprived 10% of LSOAs in England (IMD 2019)."])
        shown = pd.Series(rate, index=deciles).dropna()
        parts = [f"Bar chart by deprivation decile: {title}."]
        if not shown.empty:
            parts.append(f" Highest: decile {shown.idxmax()} ({fmt_number(shown.max())});"
                         f" lowest: decile {shown.idxmin()} ({fmt_number(shown.min())}).")
        parts.append(_withheld_sentence(int((~ok).sum()), "deciles"))
        return style.render(fig, name=name, alt="".join(parts), title=title, data=data)


DAY_NAMES = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


def heatmap_chart(
    counts: pd.DataFrame,
    *,
    title: str,
    name: str,
    source: str,
    settings: Settings | None = None,
    data_source: str | None = None,
) -> Chart:
    """Time of day (columns 0-23) by day of week (rows, Monday first) with counts written in each cell.

    Protected against the day totals, hour totals and grand total a reader could add up.
    """
    body = counts.reindex(index=DAY_NAMES, columns=range(24)).fillna(0).astype(float)
    framed = body.copy()
    framed.columns = [str(c) for c in framed.columns]
    hours = list(framed.columns)
    framed["all"] = framed[hours].sum(axis=1)
    framed.loc["All days"] = framed.sum(axis=0)
    table = suppress_table(framed, count_columns=[*hours, "all"], total_row="All days", total_column="all",
                           settings=settings, source=data_source)
    values = table.values.loc[DAY_NAMES, hours].to_numpy(dtype=float)
    texts = table.published.loc[DAY_NAMES, hours].to_numpy()
    with style.figure(height_in=3.3) as fig:
        ax = fig.add_subplot()
        masked = np.ma.masked_invalid(values)
        image = ax.imshow(masked, cmap=style.SEQUENTIAL, aspect="auto")
        for r, c in zip(*np.nonzero(np.isnan(values)), strict=True):
            ax.add_patch(Rectangle(
                (c - 0.5, r - 0.5), 1, 1, facecolor=style.SUPPRESSED_FACE, edgecolor=style.SUPPRESSED_EDGE,
                hatch=style.SUPPRESSED_HATCH, linewidth=0.3))
        top = np.nanmax(values) if np.isfinite(values).any() else 1.0
        for r in range(values.shape[0]):
            for c in range(values.shape[1]):
                if not np.isnan(values[r, c]):
                    ax.text(c, r, texts[r, c], ha="center", va="center", fontsize=5.5,
                            color="white" if values[r, c] < 0.6 * top else "black")
        ax.set_xticks(range(24), [f"{h:02d}" for h in range(24)], fontsize=7)
        ax.set_yticks(range(7), [d[:3] for d in DAY_NAMES])
        ax.set_xlabel("Hour of the day (local time)")
        ax.grid(False)
        cax = fig.add_axes((0.9, 0.2, 0.02, 0.6))
        fig.colorbar(image, cax=cax, label="Number")
        style.attribution(fig, source)
        layout.arrange(fig, [ax], title=title, legend_where="below", side_axes=cax, side_width_in=0.9,
                       legend_handles=[_withheld_patch()] if np.isnan(values).any() else ())
        data = data_table(title, name, ["Day", "Hour", "Number"],
                          [[day, f"{int(h):02d}", texts[r, c]] for r, day in enumerate(DAY_NAMES)
                           for c, h in enumerate(hours)], table.notes)
        by_day = body.sum(axis=1)
        by_hour = body.sum(axis=0)
        alt = (
            f"Heat map of {title.lower()} by hour and day of week. Busiest day: {by_day.idxmax()}; "
            f"quietest: {by_day.idxmin()}. Busiest hour starts at {int(by_hour.idxmax()):02d}:00; quietest "
            f"at {int(by_hour.idxmin()):02d}:00." + _withheld_sentence(int(np.isnan(values).sum()), "cells")
        )
        return style.render(fig, name=name, alt=alt, title=title, data=data)
