"""The progress report's police.uk indicator values from the publication grid (``publish.grid``).

Why: an indicator is a count (or a rate, harm figure, expected value or rating derived from one) of an
issue in an area over a period, the very cell the needs assessment, the web and the CLI files publish.
Protected on its own, the indicator table would give that cell a second pattern (a count the grid
withholds as a secondary cell shown here, or the reverse), and a reader could combine the two. So each
police.uk indicator reads its baseline and current counts from the grid: shown where the grid shows them,
withheld (``<5`` or ``[c]``) where it withholds them, with every figure derived from a withheld count
(the value, the expected value, a target set from the baseline, the rating) withheld with it. A period
off the grid (a six-month rule) is the sum of its grid months, shown only where every month is published
(the sum then tells a reader nothing the months do not); an LSOA outside a financial year is withheld
with ``[x]`` and the reason. Road-safety (STATS19) indicators are published record by record by DfT and
keep the table's own rules.
"""

from __future__ import annotations

from collections.abc import Sequence

import duckdb
import numpy as np

from safer_communities.analysis import queries
from safer_communities.analysis.definitions import Definitions, resolve
from safer_communities.analysis.periods import parse_period
from safer_communities.config import Settings
from safer_communities.errors import SaferError
from safer_communities.publish.disclosure import PublishedTable
from safer_communities.publish.grid import OffGridError, ProtectedGrid, protect_issue
from safer_communities.strategy.status import IndicatorStatus

WITHHELD_RATING = "withheld"
OFF_GRID = "[x]"
NOTE = ("Police.uk indicator counts are the publication grid's, protected with every other published figure "
        "of the partnership (the same symbol as in the needs assessment and on the web); a value, expected "
        "value, target or rating resting on a withheld count is withheld with it.")


class GridIndicators:
    """The grid of each police.uk issue, built once per report."""

    def __init__(self, con: duckdb.DuckDBPyConnection, settings: Settings,
                 definitions: Definitions | None = None) -> None:
        self.con, self.settings, self.definitions = con, settings, resolve(definitions)
        self._grids: dict[str, ProtectedGrid | SaferError] = {}

    def grid(self, issue: str) -> ProtectedGrid | None:
        definition = self.definitions.get(issue)
        if definition.source != queries.POLICE_SOURCE:
            return None
        if issue not in self._grids:
            try:
                self._grids[issue] = protect_issue(self.con, definition, settings=self.settings,
                                                   definitions=self.definitions)
            except SaferError as exc:
                self._grids[issue] = exc
        found = self._grids[issue]
        if isinstance(found, SaferError):
            raise found
        return found

    def cell(self, item: IndicatorStatus, period: str | None) -> tuple[str, bool, str]:
        """(published text, withheld, reason) of the indicator's count over ``period`` on the grid."""
        protected = self.grid(item.issue)
        if protected is None or period is None:
            return "", False, ""
        level = protected.level(item.area_code)
        i = protected._row(item.area_code)
        try:
            gp = protected.period(period, level)
        except OffGridError as exc:
            return self._sum_of_months(protected, item, period, level, exc)
        j = protected.periods.index(gp)
        return protected.cell_text(i, j), bool(protected.suppressed[i, j]), ""

    @staticmethod
    def _sum_of_months(protected: ProtectedGrid, item: IndicatorStatus, period: str, level: str,
                       exc: OffGridError) -> tuple[str, bool, str]:
        """A period off the grid (six months, say) is the sum of its grid months: shown where every month
        is published (it then adds nothing a reader cannot add up), withheld where any month is."""
        i = protected._row(item.area_code)
        total = 0.0
        try:
            for month in parse_period(period).months:
                j = protected.periods.index(protected.period(f"{month:%Y-%m}", level))
                if protected.suppressed[i, j] or not np.isfinite(protected.counts[i, j]):
                    return "[c]", True, (f"{item.indicator_id} {period}: not on the publication grid, and "
                                         f"{month:%Y-%m} is withheld on it.")
                total += float(protected.counts[i, j])
        except OffGridError:
            return OFF_GRID, True, f"{item.indicator_id} {period}: {exc.what}"
        return f"{total:,.0f}", False, ""


def apply_grid(published: PublishedTable, rows: Sequence[IndicatorStatus], grid: GridIndicators,
               ) -> list[str]:
    """Give the table's police.uk rows the grid's pattern (in place); return notes for withheld rows."""
    notes: list[str] = []
    frame = published.published
    derived = {"baseline_records": ("baseline", "expected", "target"), "current_records": ("current",)}
    for pos, item in enumerate(rows):
        try:
            cells = {"baseline_records": grid.cell(item, item.baseline_period),
                     "current_records": grid.cell(item, item.current_period)}
        except SaferError as exc:
            cells = {"baseline_records": (OFF_GRID, True, f"{item.indicator_id}: {exc.what}"),
                     "current_records": (OFF_GRID, True, "")}
        if not any(text for text, _, _ in cells.values()):
            continue  # not a police.uk indicator
        index = frame.index[pos]
        for column, (text, withheld, reason) in cells.items():
            if not text:
                continue
            targets = [column, *derived[column]] if withheld else []
            if not withheld:
                _show(published, index, column, text)
            for col in targets:
                if col in frame.columns:
                    _withhold(published, index, col, text if col == column else ("[c]" if text != OFF_GRID
                                                                                   else OFF_GRID))
            if reason:
                notes.append(reason)
        if any(withheld for _, withheld, _ in cells.values()) and "rating" in frame.columns:
            _withhold(published, index, "rating", WITHHELD_RATING)
    return notes


def _show(published: PublishedTable, index: object, column: str, text: str) -> None:
    """A count the grid publishes: its text (a table-by-table rule may not withhold it differently)."""
    if column in published.published.columns:
        published.published.loc[index, column] = text
        published.suppressed.loc[index, column] = False


def _withhold(published: PublishedTable, index: object, column: str, text: str) -> None:
    published.published.loc[index, column] = text
    published.values.loc[index, column] = np.nan
    published.suppressed.loc[index, column] = True
