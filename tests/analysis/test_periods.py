"""The period parser: every form analysts type, and clear errors for everything else."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from safer_communities.analysis.periods import Period, add_months, parse_period
from safer_communities.errors import InputError


def test_calendar_year() -> None:
    p = parse_period("2021")
    assert (p.start, p.end, p.label) == (date(2021, 1, 1), date(2021, 12, 1), "2021")
    assert len(p.months) == 12 and p.months[5] == date(2021, 6, 1)


def test_month_range_and_single_month() -> None:
    p = parse_period("2021-04..2022-03")
    assert (p.start, p.end, p.n_months, p.label) == (
        date(2021, 4, 1),
        date(2022, 3, 1),
        12,
        "2021-04..2022-03",
    )
    one = parse_period("2021-07")
    assert one.months == [date(2021, 7, 1)] and one.label == "2021-07"


def test_latest_12_months_needs_the_latest_month() -> None:
    p = parse_period("latest-12-months", latest_month=date(2022, 10, 1))
    assert (p.start, p.end) == (date(2021, 11, 1), date(2022, 10, 1))
    with pytest.raises(InputError, match="needs the latest month"):
        parse_period("latest-12-months")


def test_previous_is_the_same_length_immediately_before() -> None:
    p = parse_period("2021-04..2022-03").previous()
    assert (p.start, p.end) == (date(2020, 4, 1), date(2021, 3, 1))
    assert parse_period("2021").previous().label == "2020"


@pytest.mark.parametrize(
    "text",
    [
        "",
        "21",
        "2021-13",
        "2021-00",
        "2022-03..2021-04",
        "last year",
        "2021-4",
        "latest-0-months",
        "2021/04",
        "0999",
    ],
)
def test_bad_periods_are_refused_clearly(text: str) -> None:
    with pytest.raises(InputError) as info:
        parse_period(text, latest_month=date(2022, 1, 1))
    assert info.value.hint and "2021-04..2022-03" in info.value.hint


@given(st.integers(1900, 2999), st.integers(1, 12), st.integers(0, 60))
def test_any_valid_range_round_trips(year: int, month: int, extra: int) -> None:
    start = date(year, month, 1)
    end = add_months(start, extra)
    if end.year > 2999:
        return
    p = parse_period(f"{start:%Y-%m}..{end:%Y-%m}")
    assert (p.start, p.end) == (start, end)
    assert p.n_months == extra + 1
    assert parse_period(p.label) == p
    prev = p.previous()
    assert prev.n_months == p.n_months and add_months(prev.end, 1) == p.start


@given(st.text(max_size=30))
def test_arbitrary_text_parses_or_raises_input_error(text: str) -> None:
    try:
        p = parse_period(text, latest_month=date(2022, 10, 1))
    except InputError:
        return
    assert isinstance(p, Period) and p.start <= p.end and p.start.day == 1 == p.end.day


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("2021-04..2022-03", "April 2021 to March 2022"),
        ("2021", "2021"),
        ("2021-07", "July 2021"),
        ("2021-01..2021-12", "2021"),
        ("not a period", "not a period"),
    ],
)
def test_periods_in_words_for_readers(text: str, words: str) -> None:
    from safer_communities.analysis.periods import label_words

    assert label_words(text) == words


@given(st.integers(1900, 2990), st.integers(1, 12), st.integers(0, 40))
def test_words_and_the_same_months_a_year_before(year: int, month: int, extra: int) -> None:
    from safer_communities.analysis.periods import label_words

    p = Period.from_months(date(year, month, 1), add_months(date(year, month, 1), extra))
    assert (label_words(p.label) == p.words and p.start.strftime("%B") in p.words) or p.label == str(year)
    before = p.same_months_year_before()
    assert before.n_months == p.n_months and (before.start.month, before.end.month) == (p.start.month,
                                                                                          p.end.month)
    assert add_months(before.start, 12) == p.start
