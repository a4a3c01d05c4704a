"""The set-based partner indicator summary gives exactly the frames the per-indicator pandas version gave
(``benchmarks/partner_summary_reference.py``), on the real slices and, where it has been built, the demo
store (every indicator, every study area)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from safer_communities.analysis.partner_indicators import indicator_summary
from safer_communities.ingest.indicators import ingest_indicators
from safer_communities.store.evidence import connect, transaction

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data" / "partner"
DEMO = ROOT / "demo" / "demo.duckdb"


def _reference():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("ref", ROOT / "benchmarks" / "partner_summary_reference.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.indicator_summary_reference


CASES = [
    ((None,), {"linked_only": True}),
    ((None,), {"linked_only": False}),
    (("E06000009",), {"linked_only": True}),
    (("E10000017",), {"issue": "exploitation"}),
    (("E23000003",), {"linked_only": False}),
    ((["E06000008", "E07000117"],), {"linked_only": False}),
]


@pytest.fixture(scope="module")
def slices(tmp_path_factory: pytest.TempPathFactory) -> duckdb.DuckDBPyConnection:
    path = tmp_path_factory.mktemp("partner-same") / "store.duckdb"
    con = connect(path)
    with transaction(con):
        ingest_indicators(con, [DATA])
        con.execute(
            "INSERT INTO areas VALUES ('E01012667', 'Blackpool 001A', 2011, 'E01012667', 'E06000009', "
            "'Blackpool', 'E06000009', 'Blackpool', 'E10000017', 'Lancashire')"
        )
    return con


def _same(con: duckdb.DuckDBPyConnection) -> int:
    old_fn, compared = _reference(), 0
    for positional, keywords in CASES:
        try:
            old = old_fn(con, *positional, **keywords)
        except Exception as error:  # the same refusal, with the same message
            with pytest.raises(type(error)) as caught:
                indicator_summary(con, *positional, **keywords)
            assert str(caught.value) == str(error)
            continue
        new = indicator_summary(con, *positional, **keywords)
        pd.testing.assert_frame_equal(old, new)
        assert new.attrs == old.attrs
        compared += len(new)
    return compared


def test_identical_on_the_real_slices(slices: duckdb.DuckDBPyConnection) -> None:
    assert _same(slices) > 50


@pytest.mark.skipif(not DEMO.exists(), reason="the demo store is built by 'make demo'")
def test_identical_on_the_demo_store() -> None:
    con = duckdb.connect(str(DEMO), read_only=True)
    assert _same(con) > 1500
