"""Loading strategy files: everything checked, refused with file, entry and field named, all or nothing.

Runs on SQLite and, when SAFER_TEST_POSTGRES_URL is set, on PostgreSQL.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
from strategy_helpers import COUNTY, EXAMPLE, FYLDE, count, minimal

from safer_communities.errors import InputError, NoDataError
from safer_communities.strategy.loader import StrategyInvalidError, list_strategies, load


def _load(engine, con, path):
    return load(engine, con, path, by="officer")


def test_load_stores_everything_with_baseline_from_the_store(engine, con, write):
    outcome = _load(engine, con, write(minimal()))
    assert outcome.strategies == ["test-plan"] and outcome.replaced == []
    assert (outcome.objectives, outcome.actions, outcome.indicators) == (1, 3, 1)
    assert outcome.framework_version == 1
    [strategy] = list_strategies(engine)
    assert strategy.kind == "partnership-plan" and strategy.loaded_by == "officer"
    [objective] = strategy.objectives
    assert objective.issues == ["violence"]
    assert [a.action_id for a in objective.actions] == ["hubs", "unowned", "done"]
    assert objective.actions[0].owner_kind == "service" and objective.actions[2].owner_kind == "partner"
    assert objective.actions[1].owner_id is None
    [indicator] = objective.indicators
    assert indicator.baseline_value == count(FYLDE, ["Violence and sexual offences"], "2021-04", "2021-06")
    assert indicator.target_date.isoformat() == "2024-03-31"


def test_reloading_replaces_the_strategy_whole(engine, con, write):
    _load(engine, con, write(minimal()))
    data = minimal()
    data["strategies"][0]["objectives"][0]["actions"] = data["strategies"][0]["objectives"][0]["actions"][:1]
    outcome = _load(engine, con, write(data))
    assert outcome.replaced == ["test-plan"]
    [strategy] = list_strategies(engine)
    assert [a.action_id for a in strategy.objectives[0].actions] == ["hubs"]


def test_the_shipped_example_loads_on_real_slices(engine, con):
    outcome = _load(engine, con, EXAMPLE)
    assert outcome.strategies == ["example-community-safety-agreement", "example-serious-violence-strategy"]
    assert outcome.baselines_missing == ["example-community-safety-agreement/domestic-abuse-crimes"]
    assert all(s.illustrative for s in list_strategies(engine))
    assert "ILLUSTRATIVE" in EXAMPLE.read_text(encoding="utf-8").splitlines()[0]


def _indicator(data: dict[str, Any]) -> dict[str, Any]:
    return data["strategies"][0]["objectives"][0]["indicators"][0]


def _action(data: dict[str, Any]) -> dict[str, Any]:
    return data["strategies"][0]["objectives"][0]["actions"][0]


BAD = {
    "unknown issue": (lambda d: _indicator(d).update(issue="knife-crime"),
                      "indicator fylde-violence", "issue", "'knife-crime' is not an issue in the register"),
    "unknown measure": (lambda d: _indicator(d).update(measure="average"),
                        "indicator fylde-violence", "measure", "Input should be"),
    "measure not for the source": (lambda d: _indicator(d).update(measure="ksi"),
                                   "indicator fylde-violence", "measure", "does not apply to violence"),
    "unknown area": (lambda d: _indicator(d).update(area="E07000117"),
                     "indicator fylde-violence", "area", "'E07000117' is not an area in the evidence store"),
    "owner not in register": (lambda d: _action(d).update(owner="parks-department"),
                              "action hubs", "owner", "'parks-department' is not a service or partner"),
    "unknown activity": (lambda d: _action(d).update(activities=["juggling"]),
                         "action hubs", "activities", "'juggling' is not an activity"),
    "action due before start": (lambda d: _action(d).update(due="2021-03-01"),
                                "action hubs", "(entry)", "due (2021-03-01) is before start (2021-04-01)"),
    "period ends before start": (lambda d: d["strategies"][0].update(period={"start": "2024-01-01",
                                                                             "end": "2021-01-01"}),
                                 "strategy test-plan", "period", "is not after start"),
    "review before publication": (lambda d: d["strategies"][0].update(next_review="2021-01-01"),
                                  "strategy test-plan", "(entry)", "next_review (2021-01-01) is not after"),
    "baseline after target": (lambda d: _indicator(d).update(baseline_period="2024-04..2024-06"),
                              "indicator fylde-violence", "baseline_period", "does not end before"),
    "baseline length": (lambda d: _indicator(d).update(baseline_period="2021"),
                        "indicator fylde-violence", "baseline_period", "has 12 month(s) but"),
    "unknown duty": (lambda d: d["strategies"][0]["objectives"][0].update(duties=["duty-of-care"]),
                     "objective violence", "duties", "'duty-of-care' is not in the register's duties"),
    "unknown kind": (lambda d: d["strategies"][0].update(kind="action-plan"),
                     "strategy test-plan", "kind", "Input should be"),
    "two targets": (lambda d: _indicator(d).update(target={"value": 10, "change_pct": -5}),
                    "indicator fylde-violence", "target", "exactly one of"),
    "target the wrong way": (lambda d: _indicator(d).update(target={"change_pct": 10}),
                             "indicator fylde-violence", "(entry)", "change_pct +10 goes the wrong way"),
    "target value the wrong way": (lambda d: _indicator(d).update(target={"value": 100000}),
                                   "indicator fylde-violence", "target.value", "above the baseline"),
    "duplicate action id": (lambda d: _action(d).update(id="done"),
                            "strategy test-plan", "(entry)", "action ids must be unique"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_input_is_refused_with_entry_and_field_and_nothing_loaded(engine, con, write, case):
    change, entry, field, message = BAD[case]
    _load(engine, con, write(minimal(), "first.yaml"))
    before = list_strategies(engine)[0].loaded_at
    data = minimal()
    data["strategies"].append(copy.deepcopy(data["strategies"][0]) | {"id": "second-plan"})
    change(data)
    path = write(data, "bad.yaml")
    with pytest.raises(StrategyInvalidError) as info:
        _load(engine, con, path)
    problems = info.value.problems
    assert any(entry in p.entry and p.field == field and message in p.message for p in problems), problems
    assert str(path) in info.value.what
    stored = list_strategies(engine)
    assert [s.id for s in stored] == ["test-plan"] and stored[0].loaded_at == before  # untouched


def test_several_problems_are_reported_together(engine, con, write):
    data = minimal()
    _indicator(data).update(area="E07000117", issue="knife-crime")
    _action(data).update(owner="parks-department")
    with pytest.raises(StrategyInvalidError) as info:
        _load(engine, con, write(data))
    assert {p.field for p in info.value.problems} >= {"area", "issue", "owner"}
    assert list_strategies(engine) == []


def test_unknown_consultation_category_is_refused(engine, con, write):
    data = minimal()
    data["strategies"][0]["consultations"] = [{"category": "schools", "organisation": "X",
                                               "date": "2021-05-01", "method": "letter"}]
    with pytest.raises(StrategyInvalidError, match="'schools' is not a partner category"):
        _load(engine, con, write(data))


@pytest.mark.parametrize("text", ["strategies: [", "- just a list", "strategies: []"])
def test_malformed_files_are_refused(engine, con, tmp_path, text):
    path = tmp_path / "s.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError):
        _load(engine, con, path)


def test_missing_file_is_refused(engine, con, tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        _load(engine, con, tmp_path / "nope.yaml")


def test_strategy_needs_a_published_register(app_db_url, con, write):
    from safer_communities.store.app_db import open_app_db

    with pytest.raises(NoDataError, match="register is empty"):
        _load(open_app_db(app_db_url), con, write(minimal()))


def test_county_area_is_accepted(engine, con, write):
    data = minimal()
    _indicator(data).update(area=COUNTY)
    assert _load(engine, con, write(data)).indicators == 1
