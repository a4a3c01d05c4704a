"""Property tests for the user input of case reviews: references, financial years, dates and clocks."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from safer_communities.errors import InputError
from safer_communities.framework.compliance import add_months
from safer_communities.reviews.clocks import add_working_days
from safer_communities.reviews.register import REFERENCE, _check, financial_year

TODAY = date(2026, 12, 1)


@settings(deadline=None)
@given(text=st.text(max_size=60))
def test_a_reference_is_accepted_only_without_spaces_or_markup(text: str) -> None:
    try:
        _check("asb", text, "E07000117", {"notified_on": TODAY}, TODAY)
    except InputError as exc:
        assert "case reference only" in exc.what
        return
    assert REFERENCE.match(text) and " " not in text and "<" not in text and 3 <= len(text) <= 50


@settings(deadline=None)
@given(text=st.text(max_size=12))
def test_financial_year_parses_or_refuses_cleanly(text: str) -> None:
    try:
        start, end, label = financial_year(text)
    except InputError:
        return
    assert (start.month, start.day, end.month, end.day) == (4, 1, 3, 31)
    assert end.year == start.year + 1 and label.startswith(str(start.year))


def test_a_year_outside_the_calendar_is_refused_not_a_crash() -> None:
    import pytest

    for text in ("0000", "9999-00", "1999-00"):
        with pytest.raises(InputError, match="financial year"):
            financial_year(text)


@settings(deadline=None)
@given(day=st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 1, 1)), n=st.integers(0, 40))
def test_working_days_land_on_a_weekday_after_the_start(day: date, n: int) -> None:
    due = add_working_days(day, n)
    if n == 0:
        assert due == day
        return
    assert due > day and due.weekday() < 5
    weekdays = sum((day + timedelta(days=i)).weekday() < 5 for i in range(1, (due - day).days + 1))
    assert weekdays == n


@settings(deadline=None)
@given(day=st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 1, 1)), months=st.integers(0, 60))
def test_add_months_keeps_the_day_or_the_month_end(day: date, months: int) -> None:
    due = add_months(day, months)
    assert (due.year * 12 + due.month) - (day.year * 12 + day.month) == months
    assert due.day == day.day or (due.day < day.day and (due + timedelta(days=1)).day == 1)


@settings(deadline=None)
@given(offsets=st.lists(st.integers(-30, 30), min_size=2, max_size=6))
def test_dates_out_of_order_or_in_the_future_are_refused(offsets: list[int]) -> None:
    names = ["notified_on", "decided_on", "panel_on", "draft_on", "qa_submitted_on", "published_on"]
    values = {name: TODAY + timedelta(days=o) for name, o in zip(names, offsets, strict=False)}
    ordered = all(a <= b for a, b in zip(list(values.values()), list(values.values())[1:], strict=False))
    in_past = all(v <= TODAY for v in values.values())
    try:
        _check("asb", "ASB-2026-01", "E07000117", values, TODAY)
    except InputError:
        assert not (ordered and in_past)
        return
    assert ordered and in_past
