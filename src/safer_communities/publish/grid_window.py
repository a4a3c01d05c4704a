"""The publication window: which of the months loaded the publication grid covers.

Why: the grid protects every period of every month it covers as one cube, and its secondary suppression
solves linear programmes that grow faster than the months in the cube. A store holding ten years of
police.uk records would make every public output wait for a decade's cube (a county needs assessment
did not finish in 23 minutes). A partnership publishes the current year, the year before it to compare
with, and a few years of trend; older months stay in the store for analysts (signed-in web pages,
``--internal`` files) but are not published again.

So the grid covers the latest ``publication_years`` financial years (April to March) of the months
loaded: from April of the financial year ``publication_years - 1`` before the one holding the latest
month loaded, to that latest month. The window is decided by the store alone (never by the period a
request asks for), so every output still comes from one cube per issue, protected once.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from safer_communities.analysis import queries
from safer_communities.analysis.periods import add_months

if TYPE_CHECKING:
    import duckdb

    from safer_communities.config import Settings


def financial_year_start(month: date) -> date:
    """April of the financial year that holds ``month`` (a first day of a month)."""
    return date(month.year if month.month >= 4 else month.year - 1, 4, 1)


def window_start(last: date, years: int) -> date:
    """The first month of the window: April, ``years - 1`` financial years before ``last``'s."""
    return add_months(financial_year_start(last), -12 * (max(1, int(years)) - 1))


def publication_months(months: list[date], years: int) -> list[date]:
    """The months loaded that the publication grid covers (sorted; all of them when they fit)."""
    ordered = sorted(months)
    if not ordered:
        return []
    first = window_start(ordered[-1], years)
    return [m for m in ordered if m >= first]


def loaded_window(con: duckdb.DuckDBPyConnection, settings: Settings) -> list[date]:
    """The police.uk months loaded that the publication grid covers (the grid, the report's checks and
    its forecast all read the window from here)."""
    return publication_months(queries.months_loaded(con, queries.POLICE_SOURCE), settings.publication_years)


def before_window(first: str, asked: str, examples: list[str]) -> dict[str, str]:
    """What, found and hint of the ``OffGridError`` for a period that begins before the window."""
    return dict(
        what="That period begins before the publication window, so it cannot be published.",
        found=f"{asked}; the publication grid begins at {first}",
        hint="The grid covers the latest financial years loaded (setting publication_years, "
             "SAFER_PUBLICATION_YEARS); earlier months are for signed-in analysts (web) and --internal "
             f"(CLI files), marked internal. Periods on the grid include {', '.join(examples) or 'none'}.")
