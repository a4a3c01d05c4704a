"""Strategy indicators that are published partner indicators: baseline and current value read from the
stored indicator values (checked against the Fingertips file itself), rated on the trajectory in the
direction of the indicator's polarity; every problem named with file, entry and field."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from strategy_helpers import minimal

from safer_communities.ingest.indicators import ingest_indicators
from safer_communities.store.evidence import connect, transaction
from safer_communities.strategy import indicators as ind
from safer_communities.strategy import loader
from safer_communities.strategy.status import status

PARTNER = Path(__file__).resolve().parents[1] / "data" / "partner"
BLACKPOOL = "E06000009"


def _fingertips(area: str) -> dict[str, float]:
    """Persons values of indicator 90284 for ``area`` by period, straight from the exported file."""
    with (PARTNER / "fingertips_90284_slice.csv").open(newline="", encoding="utf-8-sig") as handle:
        return {r["Time period"]: float(r["Value"]) for r in csv.DictReader(handle)
                if r["Area Code"] == area and r["Sex"] == "Persons" and not r["Category Type"] and r["Value"]}


@pytest.fixture
def partner_store(store_file: Path) -> Path:
    con = connect(store_file)
    with transaction(con):
        ingest_indicators(con, [PARTNER])
    con.close()
    return store_file


def _strategy(**indicator: Any) -> dict[str, Any]:
    data = minimal()
    spec = {"id": "child-injuries", "title": "Hospital admissions for injuries to children, Blackpool",
            "issue": "violence", "measure": "partner", "partner_indicator": "fingertips-90284",
            "area": BLACKPOOL, "period_rule": "published", "baseline_period": "2020/21",
            "direction": "decrease", "target": {"change_pct": -10}, "amber_tolerance_pct": 5}
    spec.update(indicator)
    data["strategies"][0]["indicators"] = None
    data["strategies"][0].pop("indicators")
    data["strategies"][0]["objectives"][0]["indicators"].append(spec)
    return data


def test_baseline_and_current_come_from_the_stored_values(engine, partner_store: Path, write) -> None:
    con = connect(partner_store, read_only=True)
    outcome = loader.load(engine, con, write(_strategy()), by="tester")
    assert outcome.indicators == 2 and outcome.baselines_missing == []
    [plan] = status(engine, con, today=date(2024, 6, 1))
    row = next(i for i in plan.indicators if i.indicator_id == "child-injuries")
    raw = _fingertips(BLACKPOOL)
    latest = max(raw, key=lambda label: int(label[:4]))
    assert row.baseline_value == pytest.approx(raw["2020/21"]) and row.baseline_stored == row.baseline_value
    assert (row.current_period, row.current_value) == (latest, pytest.approx(raw[latest]))
    assert row.measure == "partner:fingertips-90284"
    # Trajectory by hand: 2020/21 ends March 2021, the target (-10%) is due March 2024 (36 months), and
    # 2023/24 ends March 2024, so the expectation is the target itself.
    target = raw["2020/21"] * 0.9
    assert row.target_value == pytest.approx(target)
    by_hand = ind.expected_value(raw["2020/21"], target, start=date(2021, 3, 31), end=date(2024, 3, 31),
                                 at=date(2024, 3, 31))
    assert row.expected_value == pytest.approx(by_hand)
    assert row.expected_value == pytest.approx(target)
    assert raw[latest] < target and row.rating == "green"
    # The progress report has a partner indicators table with the publisher's values, unsuppressed.
    from safer_communities.config import Settings
    from safer_communities.strategy.report import indicator_tables

    [table] = [t for t in indicator_tables(plan, Settings()) if "partner indicators" in t.title]
    assert table.rows == [[row.title, "2020/21", f"{raw['2020/21']:.2f}", latest, f"{raw[latest]:.2f}",
                           f"{row.expected_value:.2f}", f"{target:.2f}", "GREEN"]]
    con.close()


def test_a_worse_value_is_red_in_the_polarity_direction(engine, partner_store: Path, write) -> None:
    con = connect(partner_store, read_only=True)
    raw = _fingertips(BLACKPOOL)
    # A target of 100 by March 2024 from 124.99: the published 111.35 is 11% above it, beyond 5%: red.
    loader.load(engine, con, write(_strategy(target={"value": 100})), by="tester")
    [plan] = status(engine, con, today=date(2024, 6, 1))
    row = next(i for i in plan.indicators if i.indicator_id == "child-injuries")
    assert raw["2023/24"] > 100 * 1.05 and row.rating == "red"
    con.close()


@pytest.mark.parametrize(("change", "field", "words"), [
    ({"partner_indicator": "no-such-indicator"}, "partner_indicator", "is not a partner indicator"),
    ({"partner_indicator": "cin-factor-gangs", "area": "E10000017"}, "partner_indicator", "no polarity"),
    ({"direction": "increase", "target": {"change_pct": 10}}, "direction", "its direction is decrease"),
    ({"baseline_period": "2031/32"}, "baseline_period", "is not a period of fingertips-90284"),
    ({"area": "E07000119"}, "area", "has no value for E07000119"),
    ({"issue": "asb"}, "issue", "is linked to"),
])
def test_problems_name_file_entry_and_field(engine, partner_store: Path, write, change, field, words) -> None:
    con = connect(partner_store, read_only=True)
    path = write(_strategy(**change))
    with pytest.raises(loader.StrategyInvalidError) as caught:
        loader.load(engine, con, path, by="tester")
    problems = caught.value.problems
    assert caught.value.path == str(path)
    assert any(p.entry == "strategy test-plan > objective violence > indicator child-injuries"
               and p.field == field and words in p.message for p in problems), problems
    con.close()


def test_the_period_rule_of_a_partner_indicator_is_published(engine, partner_store: Path, write) -> None:
    con = connect(partner_store, read_only=True)
    with pytest.raises(loader.StrategyInvalidError) as caught:
        loader.load(engine, con, write(_strategy(period_rule="financial-year")), by="tester")
    assert "period_rule 'published'" in str(caught.value.problems)
    with pytest.raises(loader.StrategyInvalidError) as caught:
        loader.load(engine, con, write(_strategy(partner_indicator=None)), by="tester")
    assert "go together" in str(caught.value.problems)
    con.close()
