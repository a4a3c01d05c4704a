"""Results a needs-assessment report computes once and several of its sections read: the partner summary
(one for all issues instead of one per issue) and an area's located records (the hot spot maps and
"Where to act next").

Each result is kept in ``Shared.memo`` under a key that holds the area (or the areas) it describes, so
one area's figures can never be served for another's.
"""

from __future__ import annotations

import pandas as pd

from safer_communities.analysis import queries
from safer_communities.analysis.definitions import Definition
from safer_communities.publish.sna_context import Context


def partner_summary(ctx: Context, issue: str) -> pd.DataFrame:
    """``indicator_summary`` of the partner indicators linked to ``issue``, for the report's area.

    The same rows as ``indicator_summary(con, areas, issue=issue, linked_only=True)`` with ``areas`` the
    study area (county report) or the district, from one summary of every linked indicator for those
    areas per report (a summary row depends only on its indicator and area): one query and one pass
    instead of one per issue. Raises the summary's ``NoDataError`` when no partner statistics are
    loaded, and returns an empty frame when none is linked to the issue for the area.
    """
    from safer_communities.analysis.partner_indicators import indicator_summary, study_areas

    shared = ctx.shared
    areas = (tuple(shared.memo(("partner_study_areas",), lambda: study_areas(shared.con))) if ctx.is_county
             else (ctx.area_code,))
    every = shared.memo(("partner_summary", areas), lambda: indicator_summary(
        shared.con, list(areas), linked_only=True))
    linked = every["issues"].fillna("").map(lambda issues: issue in issues.split(" "))
    return _as_built(every[linked], every.attrs)


# ``indicator_summary`` columns holding whole numbers (None where there is none): a subset of the run's
# summary must carry them as the summary of that subset would (3, not 3.0, when none is missing).
_WHOLE_NUMBER_COLUMNS = ("rank", "rank_of")


def _as_built(rows: pd.DataFrame, attrs: dict) -> pd.DataFrame:
    """The rows rebuilt from their Python values, so each column's type is inferred from these rows
    alone, exactly as ``indicator_summary`` infers it for the areas and issue it was asked about."""
    values = rows.astype(object).where(rows.notna(), None)
    records = values.to_dict("records")
    for record in records:
        for column in _WHOLE_NUMBER_COLUMNS:
            if record.get(column) is not None:
                record[column] = int(record[column])
    out = pd.DataFrame(records, columns=list(rows.columns))
    out.attrs = {key: list(value) if isinstance(value, list) else value for key, value in attrs.items()}
    return out


def area_points(ctx: Context, definition: Definition) -> pd.DataFrame:
    """The report area's located records of an issue in the period (``queries.crime_points``), queried
    once per report and area: the hot spot maps and the repeat-places sentence both read them."""
    shared = ctx.shared

    def compute() -> pd.DataFrame:
        return queries.crime_points(shared.con, definition, period=ctx.period, area_code=ctx.area_code,
                                    definitions=shared.definitions)

    points = shared.memo(("points", definition.issue, ctx.area_code, ctx.period.label), compute)
    return points.copy(deep=True)
