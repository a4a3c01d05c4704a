"""What every partner-statistics reader shares: periods, markers, numbers, area levels, the row layout.

Publishers write the same things many ways: a financial year is ``2023/24`` in Fingertips, ``2024`` in
LAIT, ``2014-04-01/P3Y`` in ONS Explore Local Statistics; a suppressed value is ``c``, ``x``, ``-``,
``..`` or a blank cell with a "Value note". These helpers turn each into one form: periods with a label,
a start and an end date; a value or a marker, never a zero for a gap.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache
from importlib import resources
from typing import Any

VALUE_COLUMNS = [
    "indicator_id",
    "area_code",
    "area_name",
    "area_level",
    "parent_code",
    "period_label",
    "period_start",
    "period_end",
    "breakdown",
    "value",
    "unit",
    "lower_ci_95",
    "upper_ci_95",
    "count",
    "denominator",
    "marker",
    "marker_note",
    "compared_to_england",
]
META_COLUMNS = [
    "indicator_id",
    "name",
    "publisher",
    "source",
    "licence",
    "unit",
    "value_type",
    "polarity",
    "description",
    "issues",
]
OGL = "Open Government Licence v3.0"

# What each publisher's symbol means (DfE, ONS and GSS conventions; Fingertips writes notes instead).
MARKERS = {
    "c": "suppressed (confidential or small numbers)",
    "x": "not available",
    "z": "not applicable",
    "u": "low reliability",
    "k": "fewer than 0.5 (rounds to zero)",
    "-": "not shown: no data, or suppressed because the base is small",
    "..": "not available",
    ":": "not available",
    "n/a": "not applicable",
    "na": "not available",
    "*": "suppressed or not reliable",
    "+": "suppressed or not reliable",
    "low": "low (suppressed)",
    "blank": "blank in the published file",
}
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$")
_CODE_LEVEL = [
    (re.compile(r"^[EW]01\d{6}$"), "lsoa"),
    (re.compile(r"^E0[7]\d{6}$"), "district"),
    (re.compile(r"^E0[689]\d{6}$"), "upper_tier"),
    (re.compile(r"^E10\d{6}$"), "upper_tier"),
    (re.compile(r"^[EW]23\d{6}$"), "police_force_area"),
    (re.compile(r"^E12\d{6}$"), "region"),
    (re.compile(r"^E92000001$"), "england"),
    (re.compile(r"^E47\d{6}$"), "combined_authority"),
    (re.compile(r"^E13\d{6}$"), "london_part"),
    (re.compile(r"^(K04|K03|W92|E11)\d{6}$"), "other"),
]
LEVELS = (
    "lsoa",
    "district",
    "upper_tier",
    "police_force_area",
    "region",
    "england",
    "combined_authority",
    "london_part",
    "other",
)


class ValueProblem(ValueError):
    """A cell that is neither a number nor a known marker (the row goes to ``rejects``)."""


@dataclass
class Parsed:
    """What one reader made of one file: value rows, indicator metadata and rejects."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    meta: dict[str, dict[str, Any]] = field(default_factory=dict)
    rejects: list[tuple[int | None, str | None, str, str | None]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    frame: Any = None  # a DataFrame of VALUE_COLUMNS, for readers that work column-wise (LAIT)

    @property
    def n_rows(self) -> int:
        return len(self.rows) + (0 if self.frame is None else len(self.frame))

    def add_meta(self, indicator_id: str, **values: Any) -> None:
        entry = self.meta.setdefault(indicator_id, dict.fromkeys(META_COLUMNS))
        entry["indicator_id"] = indicator_id
        for key, value in values.items():
            if value not in (None, "") and entry.get(key) in (None, ""):
                entry[key] = value


def parse_number(text: object) -> float:
    """A published number: float noise (``9.3699999999999992``), ``1.146E-2``, ``"2,460"``."""
    if isinstance(text, int | float) and not isinstance(text, bool):
        if text != text:  # NaN
            raise ValueProblem("not a number: NaN")
        return float(text)
    value = str(text).strip()
    if _NUMBER.match(value):
        return float(value)
    if _THOUSANDS.match(value):
        return float(value.replace(",", ""))
    raise ValueProblem(f"not a number or a known marker: {text!r}")


def split_value(text: object) -> tuple[float | None, str | None]:
    """(value, None) for a number, (None, marker) for a publisher's symbol or a blank cell."""
    if text is None or (isinstance(text, float) and text != text):
        return None, "blank"
    if isinstance(text, int | float) and not isinstance(text, bool):
        return float(text), None
    value = str(text).strip()
    if value == "":
        return None, "blank"
    if value.lower() in MARKERS:
        return None, value.lower()
    return parse_number(value), None


def optional_number(text: object) -> float | None:
    """A number, or None for a blank or a marker (confidence limits, counts, denominators)."""
    number, _ = split_value(text)
    return number


def area_level(code: str) -> str:
    """The level a GSS code belongs to (E06 unitary authorities count as upper tier)."""
    for pattern, level in _CODE_LEVEL:
        if pattern.match(code):
            return level
    raise ValueProblem(f"not a GSS area code: {code!r}")


def clean_label(text: str) -> str:
    """An area name without the footnote digits ONS glues to it ("North West3" -> "North West")."""
    return re.sub(r"(?<=[A-Za-z)])[\d,]+$", "", " ".join(str(text).split())).strip()


# -- periods --------------------------------------------------------------------------------------


def _end_of_year(year: int, month: int) -> date:
    """The last day of the month before ``month`` in ``year + 1`` (a year starting on the 1st)."""
    return date(year + 1, month, 1) - timedelta(days=1)


def _span(first: int, last: int, kind: str) -> tuple[date, date]:
    """Start and end dates of years ``first``..``last`` (the starting calendar year of each)."""
    month = {"financial": 4, "academic": 9, "calendar": 1}[kind]
    return date(first, month, 1), _end_of_year(last, month)


def _full_year(two: str, base: int) -> int:
    value = int(two)
    if len(two) == 4:
        return value
    century = base - base % 100
    return century + value + (100 if century + value < base else 0)


_ISO = re.compile(r"^(\d{4})-(\d{2})-(\d{2})/P(\d+)([YM])$")
_SLASH = re.compile(r"^(\d{4})/(\d{2})$")
_SLASH_RANGE = re.compile(r"^(\d{4})/(\d{2})\s*-\s*(\d{2,4})/(\d{2})$")
_DASH = re.compile(r"^(\d{4})-(\d{2}|\d{4})$")
_SIX = re.compile(r"^(\d{4})(\d{2})$")
_YEAR = re.compile(r"^(\d{4})$")
_SUFFIX = re.compile(r"\s*\((OT|Rev|Final|prov|P|R)\)\s*$", re.IGNORECASE)
_YEAR_ENDING = re.compile(
    r"year ending (January|February|March|April|May|June|July|August|September|"
    r"October|November|December|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)\w*"
    r"\s+(\d{4})",
    re.IGNORECASE,
)
_MONTHS = {
    m: i
    for i, m in enumerate(
        ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], start=1
    )
}


def fy_label(first: int, last: int | None = None) -> str:
    last = first if last is None else last
    one = f"{first}/{(first + 1) % 100:02d}"
    return one if last == first else f"{one}-{last}/{(last + 1) % 100:02d}"


def parse_period(text: object, kind: str = "financial") -> tuple[str, date, date]:
    """(label, start, end) of a published period; ``kind`` says what a bare year or ``2023/24`` means.

    ``kind`` is ``financial`` (April-March), ``academic`` (September-August) or ``calendar``. LAIT labels a
    financial or academic year by the year it ends in (``2024`` = 2023/24); a six-digit DfE code
    ``202021`` is the academic year 2020/21.
    """
    raw = " ".join(str(text).split())
    value = _SUFFIX.sub("", raw)
    if match := _ISO.match(value):
        start = date(int(match[1]), int(match[2]), int(match[3]))
        length = int(match[4])
        months = length * 12 if match[5] == "Y" else length
        year, month = divmod(start.month - 1 + months, 12)
        end = date(start.year + year, month + 1, 1) - timedelta(days=1)
        if match[5] == "Y" and start.month == 4 and start.day == 1:
            label = fy_label(start.year, start.year + length - 1)
        else:
            label = f"{start.isoformat()}..{end.isoformat()}"
        return label, start, end
    if match := _YEAR_ENDING.search(value):
        month = _MONTHS[match[1][:3].lower()]
        year = int(match[2])
        end = date(year + (month == 12), month % 12 + 1, 1) - timedelta(days=1)
        start = date(year - (month != 12), month % 12 + 1, 1)
        return f"YE {match[1][:3].title()} {year}", start, end
    if match := _SLASH_RANGE.match(value):
        first = int(match[1])
        last = _full_year(match[3], first)
        if kind == "calendar":
            kind = "financial"
        start, end = _span(first, last, kind)
        return (
            (
                fy_label(first, last)
                if kind == "financial"
                else f"{first}/{(first + 1) % 100:02d}-{last}/{(last + 1) % 100:02d}"
            ),
            start,
            end,
        )
    if match := _SLASH.match(value):
        first = int(match[1])
        if _full_year(match[2], first) != first + 1:
            raise ValueProblem(f"not a period: {raw!r} (the second year must follow the first)")
        use = "financial" if kind == "calendar" else kind
        start, end = _span(first, first, use)
        return f"{first}/{match[2]}", start, end
    if match := _DASH.match(value):
        first, last = int(match[1]), _full_year(match[2], int(match[1]))
        if last == first + 1 and kind != "calendar":  # '2016-17': one financial or academic year
            start, end = _span(first, first, kind)
            return f"{first}/{last % 100:02d}", start, end
        if last <= first or last - first > 10:
            raise ValueProblem(f"not a period: {raw!r}")
        start, end = _span(first, last, "calendar")  # '2014-16': three calendar years
        return f"{first}-{last % 100:02d}", start, end
    if (match := _SIX.match(value)) and int(match[2]) == (int(match[1]) + 1) % 100:
        first = int(match[1])
        use = "academic" if kind == "calendar" else kind
        start, end = _span(first, first, use)
        return f"{first}/{match[2]}", start, end
    if match := _YEAR.match(value):
        year = int(match[1])
        if not 1990 <= year <= 2100:
            raise ValueProblem(f"not a period: {raw!r}")
        if kind == "calendar":
            return str(year), date(year, 1, 1), date(year, 12, 31)
        start, end = _span(year - 1, year - 1, kind)
        return f"{year - 1}/{year % 100:02d}", start, end
    raise ValueProblem(f"not a period: {raw!r}")


# -- shipped reference data ------------------------------------------------------------------------


@cache
def dfe_la_codes() -> dict[str, dict[str, str]]:
    """Old DfE LA number (``888``) -> GSS code, name, region and level (data/partner/dfe_la_codes.csv)."""
    text = resources.files("safer_communities.data").joinpath("partner/dfe_la_codes.csv").read_text("utf-8")
    return {row["old_la_code"]: row for row in csv.DictReader(text.splitlines())}


@cache
def catalogue() -> dict[str, Any]:
    """The indicator catalogue (data/partner/indicators.yaml): names, polarity and issues by id."""
    import yaml

    text = resources.files("safer_communities.data").joinpath("partner/indicators.yaml").read_text("utf-8")
    return dict(yaml.safe_load(text))


def slug(text: str) -> str:
    """An indicator id from a publisher's name or column: lower case, hyphens."""
    return re.sub(r"[^a-z0-9]+", "-", str(text).lower().replace("%", " percent")).strip("-")
