"""The strategy file parser on arbitrary input: a user's file is either read or refused with an
``InputError`` naming entry and field, never a crash."""

from __future__ import annotations

import contextlib
import copy
import tempfile
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strategy_helpers import EXAMPLE, minimal

from safer_communities.errors import InputError
from safer_communities.strategy.loader import StrategyInvalidError, read_file

SCALARS = (st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=12)
           | st.dates().map(str))
VALUES = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=3)
                      | st.dictionaries(st.text(max_size=6), inner, max_size=3), max_leaves=6)


def _paths(node, prefix=()):
    yield prefix
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _paths(value, (*prefix, index))


PATHS = [p for p in _paths(minimal()) if p]


def _set(data, path, value):
    node = data
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(path=st.sampled_from(PATHS), value=VALUES)
def test_any_value_anywhere_is_read_or_refused_cleanly(path, value):
    data = copy.deepcopy(minimal())
    _set(data, path, value)
    with tempfile.TemporaryDirectory() as folder:
        file = Path(folder) / "s.yaml"
        file.write_text(yaml.safe_dump(data), encoding="utf-8")
        try:
            read_file(file)
        except StrategyInvalidError as exc:
            assert exc.problems and all(p.entry and p.field and p.message for p in exc.problems)
            assert "nothing was loaded" in exc.what
        except InputError:
            pass


@given(st.text(max_size=200))
def test_any_text_is_read_or_refused_cleanly(text):
    with tempfile.TemporaryDirectory() as folder:
        file = Path(folder) / "s.yaml"
        file.write_text(text, encoding="utf-8")
        with contextlib.suppress(InputError):
            read_file(file)


def test_the_example_file_is_valid_and_marked_illustrative():
    spec, _ = read_file(EXAMPLE)
    assert [s.kind for s in spec.strategies] == ["community-safety-agreement", "serious-violence-strategy"]
    assert all(s.illustrative and "Illustrative" in (s.note or "") for s in spec.strategies)


def test_entry_names_use_ids():
    data = minimal()
    data["strategies"][0]["objectives"][0]["actions"][1]["status"] = "finished"
    with tempfile.TemporaryDirectory() as folder:
        file = Path(folder) / "s.yaml"
        file.write_text(yaml.safe_dump(data), encoding="utf-8")
        try:
            read_file(file)
        except StrategyInvalidError as exc:
            [problem] = exc.problems
            assert problem.entry == "strategy test-plan > objective violence > action unowned"
            assert problem.field == "status"
        else:
            raise AssertionError("an unknown status was accepted")
