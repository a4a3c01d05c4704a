"""The publication grid: fixed periods and geographies, one protection pattern per cell for every output.

Why: protecting each table on its own lets a reader combine two of them (a district's LSOA table and the
county's LSOA layer) or difference two windows (April-June minus April minus May). So every number that
leaves for the public comes from one cube per issue, protected once:

- geographies: the county, its districts and their LSOAs (LSOAs nest in districts);
- periods: months, quarters, financial years (April-March), calendar years and rolling 12 months ending
  on a month, each lying within the months the store covers (districts and the county). LSOA figures
  are published for financial years only: overlapping LSOA windows (a rolling year next to a financial
  year) would be differenced into LSOA quarters, where nearly every count is small;
- relations a reader can use: every parent equals the sum of its children in each period, every period
  the sum of its months.

Primary cells (1 to ``suppress_below - 1``) and the secondary cells chosen for them are decided on the
whole cube at once, and the audit (:mod:`~safer_communities.publish.disclosure_audit`) is the strict
one: after it, a reader who solves the linear programme of everything published learns nothing about a
``<5`` cell beyond "1 to 4". Sources published record by record (STATS19) are not protected here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from safer_communities.analysis import placement, queries
from safer_communities.analysis.definitions import Definition, Definitions
from safer_communities.analysis.periods import Period, add_months, months_between, parse_period
from safer_communities.analysis.rates import add_rates, definition_for
from safer_communities.config import Settings
from safer_communities.errors import InputError, NotFoundError
from safer_communities.publish.disclosure import (
    MISSING,
    SECONDARY,
    UNRELIABLE,
    PublishedTable,
    _notes,
    _secondary,
    primary_marker,
)
from safer_communities.publish.grid_window import before_window, loaded_window

MONTH, QUARTER, FINANCIAL = "month", "quarter", "financial-year"
UNPLACED = "unplaced"  # the level of the force's records published without a location (a county child)
CALENDAR, ROLLING = "calendar-year", "rolling-12"
KIND_LABELS = {MONTH: "a month", QUARTER: "a calendar quarter", FINANCIAL: "a financial year (April-March)",
               CALENDAR: "a calendar year", ROLLING: "12 months ending on a month"}
LEVELS = ("county", "district", "lsoa")
INTERNAL_NOTICE = ("Internal: not on the publication grid or not disclosure-controlled for publication. "
                   "For signed-in analysts only; do not publish.")


class OffGridError(InputError):
    """A public output was asked for a period or level that is not on the publication grid."""

    code = "off_grid"


@dataclass(frozen=True)
class GridPeriod:
    """A period of the grid; ``kinds`` says what it is (a financial year may also be a rolling 12 months)."""

    period: Period
    kinds: tuple[str, ...]

    @property
    def label(self) -> str:
        return self.period.label

    @property
    def months(self) -> list[date]:
        return self.period.months

    @property
    def lsoa(self) -> bool:
        """Published at LSOA level: financial years only (the strategic assessment's year). They never
        overlap, so an LSOA figure is tied to others only through its district's total."""
        return FINANCIAL in self.kinds


def grid_periods(first: date, last: date) -> list[GridPeriod]:
    """Every grid period inside ``first``..``last`` (months as first days), shortest first."""
    found: dict[tuple[date, date], list[str]] = {}

    def add(start: date, end: date, kind: str) -> None:
        if start >= first and end <= last:
            found.setdefault((start, end), []).append(kind)

    for month in months_between(first, last):
        add(month, month, MONTH)
        if month.month in (1, 4, 7, 10):
            add(month, add_months(month, 2), QUARTER)
        if month.month == 4:
            add(month, add_months(month, 11), FINANCIAL)
        if month.month == 1:
            add(month, add_months(month, 11), CALENDAR)
        add(add_months(month, -11), month, ROLLING)
    ordered = sorted(found.items(), key=lambda kv: ((kv[0][1].year - kv[0][0].year) * 12
                                                     + kv[0][1].month - kv[0][0].month, kv[0][0]))
    return [GridPeriod(Period.from_months(s, e), tuple(kinds)) for (s, e), kinds in ordered]


def find_period(periods: Sequence[GridPeriod], period: Period, level: str) -> GridPeriod:
    """The grid period equal to ``period`` at ``level``, or ``OffGridError`` saying what is on the grid."""
    for gp in periods:
        if gp.period.start == period.start and gp.period.end == period.end:
            if level == "lsoa" and not gp.lsoa:
                raise OffGridError(
                    "LSOA figures are published only for financial years (April to March).",
                    found=f"{period.label} ({', '.join(KIND_LABELS[k] for k in gp.kinds)})",
                    hint="Choose a financial year such as 2021-04..2022-03; signed-in analysts may ask "
                         "for any period, marked internal (web: signed in; CLI files: --internal).")
            return gp
    examples = [gp.label for gp in periods if gp.kinds != (MONTH,)][-3:]
    if periods and period.start < min(gp.period.start for gp in periods):  # older months: internal only
        raise OffGridError(**before_window(periods[0].label, period.label, examples))
    raise OffGridError(
        "That period is not on the publication grid, so it cannot be published.",
        found=f"{period.label}",
        hint="Public figures are for a month, a calendar quarter, a financial or calendar year, or 12 months "
             f"ending on a month, inside the months loaded (for example {', '.join(examples) or 'none'}); "
             "signed-in analysts (web) and --internal (CLI files) may ask for any period, marked internal.")


def _fmt(v: float, decimals: int = 1) -> str:
    return f"{v:,.{decimals}f}"


@dataclass
class ProtectedGrid:
    """One issue's cube of counts (areas x grid periods) with the one protection pattern for every output.

    ``counts`` holds the true counts (NaN off the grid or where every month is missing); only
    :meth:`table`, :meth:`series` and :meth:`protected_counts` may be published.
    """

    issue: str
    definition: Definition
    areas: pd.DataFrame  # area_code, area_name, level, parent (row order of the cube)
    periods: list[GridPeriod]
    counts: np.ndarray
    suppressed: np.ndarray
    primary: np.ndarray
    on_grid: np.ndarray
    months_loaded: list[date]
    relations: list[tuple[tuple[int, int], list[tuple[int, int]]]]
    settings: Settings
    populations: dict[tuple[str, int], queries.Population]
    unlocated: placement.Unlocated | None = None  # records without a location over the months loaded

    def _row(self, code: str) -> int:
        rows = self._index.get(code)
        if rows is None:
            raise NotFoundError("That area is not on the publication grid.", found=repr(code),
                                hint="Use the county, a district or an LSOA of the study area.")
        return rows

    def __post_init__(self) -> None:
        self._index = {c: i for i, c in enumerate(self.areas["area_code"])}

    def period(self, period: str | Period, level: str) -> GridPeriod:
        """Parse ``period`` (``latest-12-months`` means the latest month loaded) and find it on the grid."""
        p = parse_period(period, latest_month=self.months_loaded[-1] if self.months_loaded else None)
        return find_period(self.periods, p, level)

    def children(self, code: str, *, with_unplaced: bool = False) -> list[str]:
        """The districts of the county, or the LSOAs of a district (in the cube's order); with
        ``with_unplaced``, the county's row of records that cannot be placed too (a table whose total is
        the county must show it, or its parts would not add up)."""
        kids = self.areas.loc[self.areas["parent"] == code]
        if not with_unplaced:
            kids = kids[kids["level"] != UNPLACED]
        return kids["area_code"].tolist()

    def level(self, code: str) -> str:
        return str(self.areas["level"].iloc[self._row(code)])

    def cell_text(self, i: int, j: int) -> str:
        t = int(self.settings.suppress_below)
        if self.primary[i, j]:
            return primary_marker(t)
        if self.suppressed[i, j]:
            return SECONDARY
        v = self.counts[i, j]
        return MISSING if np.isnan(v) else f"{round(v):,}"

    def _column(self, gp: GridPeriod) -> int:
        return self.periods.index(gp)

    def _population(self, level: str, year: int) -> pd.DataFrame:
        return self.populations[(level, year)].table

    def table(self, codes: Sequence[str], gp: GridPeriod, *, with_total: str | None = None) -> tuple[
            pd.DataFrame, PublishedTable]:
        """Counts and rates per 1,000 residents of ``codes`` in ``gp``, as published.

        Returns the frame (true values, internal) and the :class:`PublishedTable` (published strings,
        ``values`` with withheld cells NaN; rates withheld with their count, ``[u]`` under
        ``rate_numerator_min``). ``with_total`` adds that area's row at the end (e.g. the county).
        """
        codes = [*codes, *([with_total] if with_total else [])]
        j = self._column(gp)
        rows = [self._row(c) for c in codes]
        for i in rows:
            if not self.on_grid[i, j]:
                raise OffGridError("LSOA figures are not published for this period.", found=gp.label,
                                   hint="Choose a financial year (April to March).")
        levels = self.areas["level"].iloc[rows].to_numpy()
        frame = pd.DataFrame({"area_code": codes, "area_name": self.areas["area_name"].iloc[rows].to_numpy(),
                              "level": levels, "issue": self.issue, "period": gp.label,
                              "count": self.counts[rows, j]})
        pops, indexed = [], {}  # each level's populations indexed once per table, not once per row
        for code, level in zip(codes, levels, strict=True):
            if level == UNPLACED:  # no residents: no rate
                pops.append(pd.NA)
                continue
            if level not in indexed:
                indexed[level] = self._population(str(level), gp.period.end.year).set_index(
                    "area_code")["population"]
            pops.append(indexed[level].get(code, pd.NA))
        frame["population"] = pd.array(pops, dtype="Float64")
        frame["population_year"] = self.populations[("county", gp.period.end.year)].year
        frame = add_rates(frame.assign(count=frame["count"].fillna(0.0)))
        frame["count"] = self.counts[rows, j]
        frame.loc[frame["count"].isna(), ["rate_per_1000", "ci_low", "ci_high"]] = np.nan
        frame.attrs.update(period_label=gp.label, period_start=gp.period.start.isoformat(),
                           period_end=gp.period.end.isoformat(), grid_kinds=list(gp.kinds),
                           missing_months=[m.isoformat() for m in gp.months if m not in self._loaded],
                           definition_id=self.definition.issue, definition_version=self.definition.version,
                           proxy=self.definition.proxy,
                           caveats=[c for c in (self.definition.caveat, *self._placed(gp, levels)) if c])
        if self.unlocated is not None:
            unit_level = next((str(v) for v in levels if v != UNPLACED), "county")
            meta = self.unlocated.within(gp.period).to_dict(unit_level)
            if self._unplaced_withheld(j):  # the count is a withheld cell of the cube: not given here
                text = self.cell_text(self._row(placement.UNPLACED_CODE), j)
                meta.update(records=None, total=None, share=None, published=text)
            frame.attrs["unlocated"] = meta
        return frame, self._published(frame, [self.primary[i, j] for i in rows],
                                      [self.suppressed[i, j] for i in rows], [(i, j) for i in rows])

    def _placed(self, gp: GridPeriod, levels: Sequence[object]) -> list[str]:
        """The caveats on records without a location, as the analysis gives them, for each level shown
        (the county counts them; districts and LSOAs say how many could not be placed)."""
        if self.unlocated is None:
            return []
        within = self.unlocated.within(gp.period)
        j = self._column(gp)
        if self._unplaced_withheld(j):  # a withheld cell: say so, never give its count in words
            text = self.cell_text(self._row(placement.UNPLACED_CODE), j)
            return [f"Records without a location ({text}, withheld) are counted in the county figure but "
                    "cannot be placed in a district or LSOA."]
        shown = [lv for lv in LEVELS if lv in {str(v) for v in levels}]
        return [*(within.caveat(lv) for lv in shown), within.anomaly_caveat()]

    def _unplaced_withheld(self, j: int) -> bool:
        """Whether the county's row of records without a location is withheld in column ``j``."""
        i = self._index.get(placement.UNPLACED_CODE)
        return i is not None and bool(self.suppressed[i, j])

    @property
    def _loaded(self) -> set[date]:
        return set(self.months_loaded)

    def _published(self, frame: pd.DataFrame, primary: list[bool], suppressed: list[bool],
                   cells: list[tuple[int, int]]) -> PublishedTable:
        rate_min = int(self.settings.rate_numerator_min)
        cols = list(frame.columns)
        mask = pd.DataFrame(False, index=frame.index, columns=cols)
        prim = pd.DataFrame(False, index=frame.index, columns=cols)
        unrel = pd.DataFrame(False, index=frame.index, columns=cols)
        published = frame.copy().astype(object)
        values = frame.copy()
        counts = frame["count"].to_numpy(dtype=float)
        mask["count"], prim["count"] = suppressed, primary
        published["count"] = [self.cell_text(i, j) for i, j in cells]
        values["count"] = np.where(suppressed, np.nan, counts)
        rate_cols = [c for c in ("rate_per_1000", "ci_low", "ci_high") if c in cols]
        small = ~np.array(suppressed, dtype=bool) & (np.nan_to_num(counts, nan=0.0) < rate_min)
        for col in rate_cols:
            arr = pd.to_numeric(frame[col], errors="coerce").to_numpy(dtype=float)
            hidden = np.array(suppressed, dtype=bool) | small
            mask[col], unrel[col] = hidden, small
            published[col] = [UNRELIABLE if u else SECONDARY if h else MISSING if np.isnan(v) else _fmt(v)
                              for v, h, u in zip(arr, hidden, small, strict=True)]
            values[col] = np.where(hidden, np.nan, arr)
        for col in cols:
            if col not in ("count", *rate_cols):
                published[col] = [MISSING if pd.isna(v) else f"{v:,.0f}" if isinstance(v, float) else str(v)
                                  for v in frame[col].to_numpy()]
        t = int(self.settings.suppress_below)
        notes = _notes(mask, prim, unrel, published, t, rate_min)
        return PublishedTable(published, values, mask, prim, notes, t)

    def series(self, code: str, gp: GridPeriod) -> PublishedTable:
        """The area's months of ``gp`` then ``Total`` (the period's own cell), as published."""
        i = self._row(code)
        if self.level(code) == "lsoa":
            raise OffGridError("Monthly figures are not published for LSOAs.", found=code,
                               hint="Ask for a district or the county.")
        months = [next(q for q in self.periods if q.kinds[0] == MONTH and q.period.start == m)
                  for m in gp.months]
        cols = [self._column(q) for q in months] + [self._column(gp)]
        labels = [m.strftime("%Y-%m") for m in gp.months] + ["Total"]
        frame = pd.DataFrame({"count": self.counts[i, cols]}, index=labels)
        return self._published(frame, [self.primary[i, j] for j in cols],
                               [self.suppressed[i, j] for j in cols], [(i, j) for j in cols])

    def protected_counts(self, codes: Sequence[str], gp: GridPeriod) -> np.ndarray:
        """Counts for derived statistics (Gi* z, concentration shares): published values, and for each
        withheld cell a stand-in worked out from what is published only (``<5`` -> the middle of 1 to 4;
        ``[c]`` -> its parent's unexplained remainder shared out, at least ``suppress_below``). So a
        derived figure can tell a reader nothing the published counts do not."""
        t = float(self.settings.suppress_below)
        mid = t / 2.0
        j = self._column(gp)
        rows = [self._row(c) for c in codes]
        out = np.array([self.counts[i, j] for i in rows], dtype=float)
        for pos, i in enumerate(rows):
            if not self.suppressed[i, j]:
                continue
            out[pos] = mid if self.primary[i, j] else self._share(i, j)
        return out

    def _share(self, i: int, j: int) -> float:
        """A ``[c]`` cell's stand-in: what its published parent leaves over, shared among the withheld."""
        t = float(self.settings.suppress_below)
        parent = self.areas["parent"].iloc[i]
        if parent is None or pd.isna(parent):
            return t
        p = self._row(str(parent))
        if self.suppressed[p, j] or np.isnan(self.counts[p, j]):
            return t
        kids = [self._row(c) for c in self.children(str(parent))]
        shown = sum(self.counts[k, j] for k in kids
                    if not self.suppressed[k, j] and not np.isnan(self.counts[k, j]))
        n_primary = sum(1 for k in kids if self.primary[k, j])
        n_secondary = sum(1 for k in kids if self.suppressed[k, j] and not self.primary[k, j])
        return max(t, (self.counts[p, j] - shown - t / 2.0 * n_primary) / n_secondary)


def _cube(con: duckdb.DuckDBPyConnection, definition: Definition, months: list[date]) -> tuple[
        pd.DataFrame, list[GridPeriod], np.ndarray, np.ndarray, placement.Unlocated]:
    first, last = months[0], months[-1]
    span = Period.from_months(first, last)
    periods = grid_periods(first, last)
    by_month = queries.crime_counts(con, definition, span, "lsoa", by_month=True)
    by_month["month"] = pd.to_datetime(by_month["month"]).dt.date
    loaded = set(months)
    wide = by_month.pivot_table(index="area_code", columns="month", values="count", aggfunc="sum")
    wide = wide.reindex(columns=span.months).astype(float)
    for m in span.months:
        if m not in loaded:
            wide[m] = np.nan
    districts = queries.area_list(con, "district")
    county = queries.area_list(con, "county")
    lsoas = queries.area_list(con, "lsoa")
    parent = {}
    for code in districts["area_code"]:
        for lsoa in queries.units_within(con, "lsoa", code):
            parent[lsoa] = code
    county_code = str(county["area_code"].iloc[0])
    # Where the study area is a whole police force area, the county counts the force's records that were
    # published without a location (analysis.placement); they sit in the cube as one more child of the
    # county, so the county still equals the sum of its parts and is protected with them.
    unplaced = placement.unlocated(con, definition.crime_types, span)
    with_unplaced = unplaced.force_area is not None
    unplaced_row = pd.DataFrame([{"area_code": placement.UNPLACED_CODE, "area_name": placement.UNPLACED_NAME,
                                  "level": UNPLACED, "parent": county_code}])
    areas = pd.concat([
        county.assign(level="county", parent=None),
        districts.assign(level="district", parent=county_code),
        *([unplaced_row] if with_unplaced else []),
        lsoas.assign(level="lsoa", parent=lsoas["area_code"].map(parent)),
    ], ignore_index=True)
    lsoa_rows = areas.index[areas["level"] == "lsoa"]
    lsoa_codes = areas.loc[lsoa_rows, "area_code"].tolist()
    lsoa_month = wide.reindex(lsoa_codes).to_numpy(dtype=float)
    n_area, n_period = len(areas), len(periods)
    counts = np.full((n_area, n_period), np.nan)
    on_grid = np.zeros((n_area, n_period), dtype=bool)
    month_pos = {m: k for k, m in enumerate(span.months)}
    district_rows = {c: int(i) for i, c in areas.loc[areas["level"] == "district", "area_code"].items()}
    # Each LSOA's district as a position in ``district_rows`` (-1: none), so a period's district totals
    # are one weighted count (whole numbers, so exactly the sums a group-by gives; no LSOA counts 0).
    slot = {code: k for k, code in enumerate(district_rows)}
    lsoa_parent = np.array([slot.get(p, -1) for p in areas.loc[lsoa_rows, "parent"]], dtype=np.int64)
    placed = lsoa_parent >= 0
    for j, gp in enumerate(periods):
        cols = [month_pos[m] for m in gp.months]
        block = lsoa_month[:, cols]
        all_missing = np.all(np.isnan(block), axis=1)
        lsoa_total = np.where(all_missing, np.nan, np.nansum(block, axis=1))
        if all_missing.all():
            continue  # every month of the period is a gap: nothing is published, the cells stay [x]
        per_district = np.bincount(lsoa_parent[placed], weights=np.nan_to_num(lsoa_total[placed]),
                                   minlength=len(district_rows))
        for k, i in enumerate(district_rows.values()):
            counts[i, j] = float(per_district[k])
            on_grid[i, j] = True
        counts[0, j] = float(np.nansum(lsoa_total))
        on_grid[0, j] = True
        if with_unplaced:
            loaded_months = [m for m in gp.months if m in loaded]
            n_unplaced = float(sum(unplaced.by_month.get(m, 0) for m in loaded_months))
            k = int(areas.index[areas["level"] == UNPLACED][0])
            counts[k, j] = n_unplaced
            on_grid[k, j] = True
            counts[0, j] += n_unplaced
        if gp.lsoa:
            counts[lsoa_rows, j] = lsoa_total
            on_grid[lsoa_rows, j] = True
    return areas, periods, counts, on_grid, unplaced


def _relations(areas: pd.DataFrame, periods: list[GridPeriod], on_grid: np.ndarray) -> list:
    """Every sum a reader can form: parent = children per period; period = its months (LSOAs: quarters)."""
    rel: list[tuple[tuple[int, int], list[tuple[int, int]]]] = []
    kids: dict[int, list[int]] = {}
    position = {c: i for i, c in enumerate(areas["area_code"])}
    for i, parent in enumerate(areas["parent"]):
        if parent is not None and not pd.isna(parent):
            kids.setdefault(position[parent], []).append(i)
    month_col = {gp.period.start: j for j, gp in enumerate(periods) if gp.kinds == (MONTH,) or
                 (MONTH in gp.kinds)}
    quarter_col = {gp.period.start: j for j, gp in enumerate(periods) if QUARTER in gp.kinds}
    for j in range(len(periods)):
        for p, members in kids.items():
            if on_grid[p, j] and all(on_grid[m, j] for m in members):
                rel.append(((p, j), [(m, j) for m in members]))
    for i in range(len(areas)):
        for j, gp in enumerate(periods):
            if not on_grid[i, j] or MONTH in gp.kinds:
                continue
            months = [month_col[m] for m in gp.months]
            if all(on_grid[i, k] for k in months):
                rel.append(((i, j), [(i, k) for k in months]))
            elif QUARTER not in gp.kinds:
                quarters = [quarter_col.get(m) for m in gp.months[::3]]
                if all(q is not None and on_grid[i, q] for q in quarters):
                    rel.append(((i, j), [(i, q) for q in quarters]))  # type: ignore[misc]
    return rel


def protect_issue(con: duckdb.DuckDBPyConnection, issue: str | Definition, *, settings: Settings,
                  definitions: Definitions | None = None) -> ProtectedGrid:
    """Build and protect the grid of one police.uk issue (every output then reads from it)."""
    definition = definition_for(issue, definitions)
    definition.require_source(expected=queries.POLICE_SOURCE)
    months = loaded_window(con, settings)  # the window the grid covers
    if not months:  # nothing loaded: coverage says so, with how to load it
        queries.coverage(con, queries.POLICE_SOURCE, Period.from_months(date(2000, 1, 1), date(2000, 1, 1)))
    areas, periods, counts, on_grid, unplaced = _cube(con, definition, months)
    relations = _relations(areas, periods, on_grid)
    t = int(settings.suppress_below)
    values = np.where(on_grid, counts, np.nan)
    primary = on_grid & (values >= 1) & (values < t)
    suppressed = _secondary(values, primary, [r for r in relations if not np.isnan(values[r[0]])], t,
                            strict=True)
    years = {gp.period.end.year for gp in periods}
    pops = {(level, year): queries.population(con, level, year) for level in LEVELS for year in years}
    return ProtectedGrid(definition.issue, definition, areas, periods, counts, suppressed, primary, on_grid,
                         months, relations, settings, pops, unplaced)


def internal_meta() -> dict[str, Any]:
    """What an answer for a signed-in analyst off the grid carries, so it is never mistaken for public."""
    return {"internal": True, "notice": INTERNAL_NOTICE}


def published_rates_frame(protected: ProtectedGrid, level: str, gp: GridPeriod) -> pd.DataFrame:
    """Every area of ``level`` in ``gp`` as it may be published (a file for --csv / --gpkg): numbers
    where shown, blank where withheld, and the published symbol beside each."""
    codes = protected.areas.loc[protected.areas["level"] == level, "area_code"].tolist()
    frame, table = protected.table(codes, gp)
    out = frame[["area_code", "area_name", "issue", "period"]].copy()
    for col in ("count", "population", "rate_per_1000", "ci_low", "ci_high"):
        out[col] = table.values[col].to_numpy()
        if col != "population":
            out[f"{col}_published"] = table.published[col].astype(str).to_numpy()
    out.attrs.update({**frame.attrs, "caveats": [*frame.attrs.get("caveats", []), *table.notes],
                      "area_level": level})
    return out


def mark_internal(frame: pd.DataFrame) -> pd.DataFrame:
    """True counts for an analyst's own use: a column on every row says so, so the file cannot be
    mistaken for a published one."""
    out = frame.copy()
    out["publication"] = "internal - not for publication"
    out.attrs = {**frame.attrs, "caveats": [*frame.attrs.get("caveats", []), INTERNAL_NOTICE]}
    return out
