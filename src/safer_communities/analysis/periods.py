"""Periods: the one parser for the periods every analysis takes (`2021`, `2021-04..2022-03`, `2021-07`,
`latest-12-months`). Months are dates on the first of the month; both ends are inclusive."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from safer_communities.errors import InputError

_YEAR = re.compile(r"^(\d{4})$")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_RANGE = re.compile(r"^(\d{4})-(\d{2})\s*\.\.\s*(\d{4})-(\d{2})$")
_LATEST = re.compile(r"^latest-(\d{1,3})-months?$")
_HINT = "Use a calendar year (2021), a month (2021-07), a month range (2021-04..2022-03) or latest-12-months."
MIN_YEAR, MAX_YEAR = 1900, 2999


def add_months(month: date, n: int) -> date:
    """The first of the month ``n`` months after (or before, when negative) ``month``."""
    index = month.year * 12 + month.month - 1 + n
    return date(index // 12, index % 12 + 1, 1)


def months_between(start: date, end: date) -> list[date]:
    """Every first-of-month from ``start`` to ``end`` inclusive."""
    count = (end.year - start.year) * 12 + end.month - start.month + 1
    return [add_months(start, i) for i in range(count)]


def _label(start: date, end: date) -> str:
    if start == end:
        return start.strftime("%Y-%m")
    if start.month == 1 and end.month == 12 and start.year == end.year:
        return str(start.year)
    return f"{start:%Y-%m}..{end:%Y-%m}"


@dataclass(frozen=True)
class Period:
    """A run of whole months, ``start`` and ``end`` inclusive (first days of months)."""

    start: date
    end: date
    label: str

    @classmethod
    def from_months(cls, start: date, end: date) -> Period:
        """A period from its first and last month (normalised to the first of each month)."""
        start, end = start.replace(day=1), end.replace(day=1)
        if end < start:
            raise InputError(
                "A period cannot end before it starts.", found=f"{start:%Y-%m}..{end:%Y-%m}", hint=_HINT
            )
        return cls(start, end, _label(start, end))

    @property
    def months(self) -> list[date]:
        """Every month in the period, in order."""
        return months_between(self.start, self.end)

    @property
    def n_months(self) -> int:
        """How many months the period spans."""
        return len(self.months)

    def previous(self) -> Period:
        """The period of the same length immediately before this one."""
        n = self.n_months
        return Period.from_months(add_months(self.start, -n), add_months(self.start, -1))

    @property
    def words(self) -> str:
        """The period as a reader says it: "April 2021 to March 2022", "2021", "July 2021"."""
        return period_words(self.start, self.end)

    def same_months_year_before(self) -> Period:
        """The same calendar months one year earlier (like with like: the same season)."""
        return Period.from_months(add_months(self.start, -12), add_months(self.end, -12))

    def __str__(self) -> str:
        return self.label


def period_words(start: date, end: date) -> str:
    """Months in words for report and web pages (CSV and JSON keep the ISO label)."""
    if start == end:
        return f"{start:%B %Y}"
    if start.month == 1 and end.month == 12 and start.year == end.year:
        return str(start.year)
    return f"{start:%B %Y} to {end:%B %Y}"


def label_words(label: str) -> str:
    """An ISO period label ("2021-04..2022-03", "2021-07", "2021") in words; other text unchanged."""
    try:
        return parse_period(label).words
    except InputError:
        return label


def _month(year: str, month: str, text: str) -> date:
    y, m = int(year), int(month)
    if not (MIN_YEAR <= y <= MAX_YEAR) or not 1 <= m <= 12:
        raise InputError("That period is not a real month.", found=repr(text), hint=_HINT)
    return date(y, m, 1)


def parse_period(text: str | Period, *, latest_month: date | None = None) -> Period:
    """Read a period as a user writes it; ``latest-12-months`` needs the store's latest month.

    Raises ``InputError`` for anything else, so a typo never becomes a silently different period.
    """
    if isinstance(text, Period):
        return text
    if not isinstance(text, str):
        raise InputError("A period must be text.", found=repr(text), hint=_HINT)
    value = text.strip().lower()
    if match := _YEAR.match(value):
        year = int(match.group(1))
        if not MIN_YEAR <= year <= MAX_YEAR:
            raise InputError("That period is not a plausible year.", found=repr(text), hint=_HINT)
        return Period.from_months(date(year, 1, 1), date(year, 12, 1))
    if match := _MONTH.match(value):
        month = _month(*match.groups(), text)
        return Period.from_months(month, month)
    if match := _RANGE.match(value):
        start = _month(match.group(1), match.group(2), text)
        end = _month(match.group(3), match.group(4), text)
        return Period.from_months(start, end)
    if match := _LATEST.match(value):
        n = int(match.group(1))
        if n < 1:
            raise InputError(
                "A latest-N-months period needs at least one month.", found=repr(text), hint=_HINT
            )
        if latest_month is None:
            raise InputError(
                f"'{text}' needs the latest month of data, and none is loaded.",
                found="no records for this source in the store",
                hint="Load data first, or give an explicit period such as 2021-04..2022-03.",
            )
        end = latest_month.replace(day=1)
        return Period.from_months(add_months(end, -(n - 1)), end)
    raise InputError("That period is not understood.", found=repr(text), hint=_HINT)
