"""Indicators against independent counts of the real slices; period rules; trajectory and RAG boundaries."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError
from strategy_helpers import COUNTY, FYLDE, ROSSENDALE, count, ksi, population

from safer_communities.analysis.harm import harm_weights
from safer_communities.analysis.periods import parse_period
from safer_communities.errors import InputError
from safer_communities.strategy import indicators as ind
from safer_communities.strategy.schema import IndicatorSpec

SERIOUS = ["Violence and sexual offences", "Robbery", "Possession of weapons"]


def test_count_matches_independent_count(con):
    got = ind.measure(con, issue="violence", measure_name="count", area_code=FYLDE,
                      period=parse_period("2021-04..2021-06"))
    expected = count(FYLDE, ["Violence and sexual offences"], "2021-04", "2021-06")
    assert got.value == expected == got.records
    assert expected > 100  # a real figure, not an empty slice
    assert got.complete and got.unit == "records"


def test_rate_uses_latest_population_on_or_before_period_end(con):
    got = ind.measure(con, issue="asb", measure_name="rate", area_code=ROSSENDALE,
                      period=parse_period("2021-01..2021-12"))
    n = count(ROSSENDALE, ["Anti-social behaviour"], "2021-01", "2021-12")
    assert got.records == n
    # 2021 has no estimate in the slice (mid-2014..mid-2020): mid-2020 is used.
    assert got.value == pytest.approx(n / population(ROSSENDALE, 2020) * 1000, rel=1e-12)


def test_harm_is_counts_times_cchi_weights(con):
    got = ind.measure(con, issue="serious-violence", measure_name="harm", area_code=FYLDE,
                      period=parse_period("2021-04..2021-09"))
    weights = harm_weights().weights
    expected = sum(count(FYLDE, [t], "2021-04", "2021-09") * weights[t] for t in SERIOUS)
    assert got.value == pytest.approx(expected, rel=1e-12)
    assert got.records == count(FYLDE, SERIOUS, "2021-04", "2021-09")


def test_ksi_counts_killed_or_seriously_injured_collisions(con):
    got = ind.measure(con, issue="road-safety", measure_name="ksi", area_code=ROSSENDALE,
                      period=parse_period("2023"))
    assert got.value == ksi(ROSSENDALE) > 0


def test_county_is_the_sum_of_its_districts(con):
    period = parse_period("2022-01..2022-03")
    county = ind.measure(con, issue="violence", measure_name="count", area_code=COUNTY, period=period)
    parts = [ind.measure(con, issue="violence", measure_name="count", area_code=d, period=period).value
             for d in (FYLDE, "E07000124", ROSSENDALE)]
    assert county.value == sum(parts)


def test_issue_without_open_data_is_no_data_not_zero(con):
    got = ind.measure(con, issue="domestic-abuse", measure_name="count", area_code=COUNTY,
                      period=parse_period("2021-04..2022-03"))
    assert got.value is None and got.records is None
    assert got.note.startswith("No data:") and "domestic abuse" in got.note


def test_months_missing_from_the_store_are_a_gap(con):
    got = ind.measure(con, issue="violence", measure_name="count", area_code=FYLDE,
                      period=parse_period("2020-08..2020-10"))
    assert not got.complete
    assert got.missing_months == ["2020-08-01", "2020-09-01"]
    assert "2 of 3 months missing" in got.note


def test_unknown_area_is_refused(con):
    with pytest.raises(InputError, match="not in the study area"):
        ind.measure(con, issue="violence", measure_name="count", area_code="E07000117",
                    period=parse_period("2021"))


@pytest.mark.parametrize(("rule", "label"), [
    ("rolling-12-months", "2021-11..2022-10"),
    ("rolling-3-months", "2022-08..2022-10"),
    ("financial-year", "2021-04..2022-03"),
    ("calendar-year", "2021"),
])
def test_current_period_rules_on_a_store_ending_october_2022(con, rule, label):
    assert ind.current_period(con, "police_uk_street", rule).label == label


def test_stats19_calendar_year_is_the_year_loaded(con):
    assert ind.current_period(con, "stats19", "calendar-year").label == "2023"


@pytest.mark.parametrize(("rule", "baseline", "message"), [
    ("rolling-3-months", "2021-04..2021-09", "6 month"),
    ("financial-year", "2021", "April to March"),
    ("calendar-year", "2021-04..2022-03", "January to December"),
])
def test_baseline_must_match_the_rule(rule, baseline, message):
    with pytest.raises(InputError, match=message):
        ind.check_baseline(rule, baseline)


def test_trajectory_is_linear_between_baseline_and_target_dates():
    start, end = date(2021, 6, 1), date(2024, 3, 1)  # 33 months
    assert ind.expected_value(100, 67, start=start, end=end, at=date(2021, 6, 1)) == 100
    assert ind.expected_value(100, 67, start=start, end=end, at=date(2022, 5, 1)) == pytest.approx(89)
    assert ind.expected_value(100, 67, start=start, end=end, at=date(2020, 1, 1)) == 100  # before: baseline
    assert ind.expected_value(100, 67, start=start, end=end, at=date(2030, 1, 1)) == 67  # after: target


@pytest.mark.parametrize(("actual", "direction", "rating"), [
    (90.0, "decrease", "green"), (100.0, "decrease", "green"), (100.01, "decrease", "amber"),
    (105.0, "decrease", "amber"), (105.01, "decrease", "red"),
    (110.0, "increase", "green"), (100.0, "increase", "green"), (99.99, "increase", "amber"),
    (95.0, "increase", "amber"), (94.99, "increase", "red"),
])
def test_rag_boundaries(actual, direction, rating):
    assert ind.rag(actual, 100.0, direction=direction, tolerance_pct=5) == rating


def test_zero_tolerance_has_no_amber():
    assert ind.rag(100.001, 100.0, direction="decrease", tolerance_pct=0) == "red"


def test_target_from_change():
    assert ind.target_value(200.0, value=None, change_pct=-10) == pytest.approx(180.0)
    assert ind.target_value(None, value=None, change_pct=-10) is None
    assert ind.target_value(None, value=12.0, change_pct=None) == 12.0


ORDER = {"green": 0, "amber": 1, "red": 2}


@given(expected=st.floats(0, 1e6), a=st.floats(0, 1e6), b=st.floats(0, 1e6), tol=st.floats(0, 100),
       direction=st.sampled_from(["decrease", "increase"]))
def test_rag_never_improves_as_the_value_gets_worse(expected, a, b, tol, direction):
    better, worse = (min(a, b), max(a, b)) if direction == "decrease" else (max(a, b), min(a, b))
    assert ORDER[ind.rag(better, expected, direction=direction, tolerance_pct=tol)] <= \
        ORDER[ind.rag(worse, expected, direction=direction, tolerance_pct=tol)]


BASE = {"id": "x", "title": "X", "issue": "violence", "measure": "count", "area": FYLDE,
        "baseline_period": "2021", "direction": "decrease", "target": {"change_pct": -5}}


@given(st.text(max_size=30))
def test_period_rule_parser_accepts_only_the_three_rules(text):
    try:
        spec = IndicatorSpec(**BASE, period_rule=text)
    except ValidationError:
        return
    assert spec.period_rule in ("financial-year", "calendar-year") or \
        (spec.period_rule.startswith("rolling-") and 1 <= ind.rule_months(spec.period_rule) <= 36)


@given(st.integers(1, 36))
def test_rolling_rules_round_trip(n):
    assert ind.rule_months(IndicatorSpec(**BASE, period_rule=f"rolling-{n}-months").period_rule) == n
