"""What every analysis of record-level partner feeds shares: is the feed loaded, is it SYNTHETIC, which
period and areas it covers, and the notes a reader needs.

The feeds (``partner_istv``, ``partner_force_crimes``, ``partner_council_asb``) are loaded only under an
information-sharing agreement (``safer ingest partner-feed``). Analyses here return aggregates; they never
hand back a record. A result built from SYNTHETIC demo records says so in ``attrs['synthetic']``, in its
caveats and (through ``mark``) in a ``data`` column, so every file, table and page made from it does too.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import duckdb
import pandas as pd

from safer_communities.analysis.periods import Period, parse_period
from safer_communities.analysis.queries import study_cte
from safer_communities.errors import InputError, NoDataError

TABLES = {
    "istv": "partner_istv",
    "force-crimes": "partner_force_crimes",
    "council-asb": "partner_council_asb",
}
TITLES = {
    "istv": "ISTV emergency department assaults",
    "force-crimes": "the force crime extract",
    "council-asb": "council ASB incidents",
}
SYNTHETIC = "SYNTHETIC"
SYNTHETIC_NOTE = (
    "SYNTHETIC: built from generated demo records (real police.uk months and places, invented times, "
    "codes and people). It describes no real person or incident and is not evidence."
)
RECORD_NOTE = (
    "Record-level partner data under an information-sharing agreement: aggregates only, after "
    "disclosure control; never published record by record."
)
AGE_BANDS = ("0-9", "10-17", "18-24", "25-34", "35-44", "45-54", "55-64", "65+", "unknown")
UNDER_25 = ("0-9", "10-17", "18-24")
DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@dataclass(frozen=True)
class FeedInfo:
    """A loaded feed: its rows, agreements, date range and whether it is SYNTHETIC."""

    schema: str
    table: str
    rows: int
    synthetic: bool
    agreements: tuple[str, ...]
    first: date
    last: date

    def describe(self) -> str:
        kind = "SYNTHETIC demo records" if self.synthetic else "records"
        return (
            f"{TITLES[self.schema]}: {self.rows:,} {kind}, {_day(self.first)} to {_day(self.last)}, "
            f"agreement {', '.join(self.agreements)}"
        )


def _day(value: date) -> str:
    return f"{value.day} {value:%B %Y}"


def _table_exists(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    sql = "SELECT count(*) FROM information_schema.tables WHERE table_name = ?"
    return bool(con.execute(sql, [table]).fetchall()[0][0])


def loaded_feeds(con: duckdb.DuckDBPyConnection) -> dict[str, FeedInfo]:
    """Every record-level feed with at least one row, by schema name."""
    out: dict[str, FeedInfo] = {}
    for schema, table in TABLES.items():
        if not _table_exists(con, table):
            continue
        rows, synthetic, agreements, first, last = con.execute(
            f"SELECT count(*), bool_or(synthetic), list(DISTINCT agreement_id ORDER BY agreement_id), "
            f"min(record_date), max(record_date) FROM {table}"
        ).fetchall()[0]
        if rows:
            out[schema] = FeedInfo(schema, table, int(rows), bool(synthetic), tuple(agreements), first, last)
    return out


def require_feed(con: duckdb.DuckDBPyConnection, schema: str) -> FeedInfo:
    """The loaded feed, or ``NoDataError`` saying how to load it (never an empty result read as zero)."""
    if schema not in TABLES:
        raise InputError(
            f"Unknown partner feed '{schema}'.", found=schema, hint=f"Use one of {', '.join(TABLES)}."
        )
    info = loaded_feeds(con).get(schema)
    if info is None:
        raise NoDataError(
            f"Nothing from {TITLES[schema]} is loaded, so this analysis cannot run.",
            found=f"table {TABLES[schema]} is "
            + ("empty" if _table_exists(con, TABLES[schema]) else "missing"),
            hint=f"Load the feed under an information-sharing agreement: safer ingest partner-feed FILE "
            f"--schema {schema} --agreement ID (docs/partner-data.md).",
        )
    return info


def feed_period(info: FeedInfo, period: str | Period | None) -> Period:
    """The months analysed: ``period`` if given (within the feed), else every month of the feed."""
    last_month = date(info.last.year, info.last.month, 1)
    if period is None:
        return Period.from_months(date(info.first.year, info.first.month, 1), last_month)
    p = parse_period(period, latest_month=last_month)
    if p.end < date(info.first.year, info.first.month, 1) or p.start > last_month:
        raise NoDataError(
            f"The period is outside the {TITLES[info.schema]} loaded.",
            found=f"{p.label}; the feed covers {info.first:%Y-%m-%d} to {info.last:%Y-%m-%d}",
            hint="Choose a period within the feed, or leave --period out for all of it.",
        )
    return p


def period_bounds(p: Period) -> tuple[date, date]:
    """First day and the day after the last day of a period of months (for timestamp filters)."""
    end = date(p.end.year + (p.end.month == 12), p.end.month % 12 + 1, 1)
    return p.start, end


def mark(
    frame: pd.DataFrame, infos: list[FeedInfo], *, method: str, period: Period | None = None
) -> pd.DataFrame:
    """Attach what a reader needs; a result from SYNTHETIC feeds gets a ``data`` column saying so."""
    synthetic = any(i.synthetic for i in infos)
    if synthetic:
        frame.insert(0, "data", SYNTHETIC)
    caveats = [*frame.attrs.get("caveats", []), RECORD_NOTE]
    if synthetic:
        caveats.insert(0, SYNTHETIC_NOTE)
    frame.attrs.update(
        synthetic=synthetic,
        method=method,
        feeds=[i.describe() for i in infos],
        caveats=caveats,
    )
    if period is not None:
        frame.attrs.update(period=period.label, period_label=period.words)
    return frame


OUTSIDE = "outside the study area or no LSOA"


def located(table: str, level: str) -> tuple[str, str, str]:
    """(FROM clause with its CTEs first, area code, area name) placing each record of ``table`` (alias
    ``r``) in the study area at ``level`` through its LSOA (2011 or 2021 code). A record with no LSOA or
    outside the study area has a NULL area. Use as ``f"WITH {cte} SELECT ... {source}"``."""
    columns = {
        "district": ("a.district_code", "a.district_name"),
        "county": ("a.county_code", "a.county_name"),
    }
    if level not in columns:
        raise InputError(
            "Partner record analyses are by district or county.",
            found=repr(level),
            hint="Use --area-level district or county (LSOA counts of record-level data are too small to "
            "publish).",
        )
    code, name = columns[level]
    source = (
        f"FROM {table} r LEFT JOIN areas x ON r.lsoa_code = x.lsoa_code "
        "LEFT JOIN study a ON a.lsoa11_code = x.lsoa11_code"
    )
    return source, code, name


CTE = study_cte()
