"""The needs assessment's "What partners' record-level data shows": placed after Serious violence, built
from protected aggregates only, SYNTHETIC in its title and every table, a missing feed stated as a gap."""

from __future__ import annotations

import csv
import re
import shutil
from pathlib import Path

import pytest

from safer_communities.analysis.definitions import load_definitions
from safer_communities.analysis.periods import parse_period
from safer_communities.analysis.queries import area_list
from safer_communities.config import Settings
from safer_communities.ingest.partner_feed import ingest_partner_feed
from safer_communities.publish.document import Report, Table
from safer_communities.publish.sna_context import Context, Shared
from safer_communities.publish.sna_partner_records import add_partner_records
from safer_communities.store.evidence import connect, transaction

SAMPLES = Path(__file__).resolve().parents[2] / "demo" / "data" / "partner-synthetic"


def _report(store: Path) -> Report:
    con = connect(store, read_only=True)
    try:
        shared = Shared(con=con, settings=Settings(), definitions=load_definitions(),
                        period=parse_period("2021-04..2022-03"), county_code="E10000017",
                        county_name="Lancashire", districts=area_list(con, "district"))
        ctx = Context(shared=shared, area_code="E10000017", area_name="Lancashire", area_level="county",
                      out_dir=store.parent)
        report = Report(title="t", subtitle="s", area_name="Lancashire", period_label="p")
        for title in ("Priority issues", "Serious violence", "Road safety"):
            report.section(title)
        add_partner_records(report, ctx)
        return report
    finally:
        con.close()


@pytest.fixture(scope="module")
def store(force_area_store: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sna-partner-records") / "store.duckdb"
    shutil.copy(force_area_store, path)
    return path


def test_no_feed_no_section(store: Path) -> None:
    assert [s.id for s in _report(store).sections] == ["priority-issues", "serious-violence", "road-safety"]


def test_the_section_is_protected_and_says_synthetic(store: Path) -> None:
    con = connect(store)
    try:
        with transaction(con):
            for schema in ("istv", "force-crimes"):
                ingest_partner_feed(con, [SAMPLES / f"{schema}-SYNTHETIC.csv"], schema=schema,
                                    agreement="demo", key="test-key-0123456789abcdef")
    finally:
        con.close()
    report = _report(store)
    assert [s.id for s in report.sections] == ["priority-issues", "serious-violence", "partner-records",
                                               "road-safety"]
    section = report.sections[2]
    assert "SYNTHETIC" in section.title
    tables = [b for _, s in [(0, section), *[(0, c) for c in section.subsections]] for b in s.blocks
              if isinstance(b, Table)]
    assert len(tables) >= 8 and all(t.title.startswith("SYNTHETIC - ") for t in tables)
    assert all(t.headers[0].endswith("(SYNTHETIC data)") for t in tables)  # in every exported CSV
    sv = next(t for t in tables if t.key == "partner-records-sv")
    counts = [cell for row in sv.rows for cell in row[1:]]
    assert not [c for c in counts if re.fullmatch(r"[1-4]", c)]  # small counts never shown
    assert "<5" in counts
    total = next(row for row in sv.rows if row[0] == "Total")
    with (SAMPLES / "force-crimes-SYNTHETIC.csv").open(encoding="utf-8") as handle:
        codes = [row["ho_offence_code"] for row in csv.DictReader(handle)]
    # Serious violence by hand (HOCR classes): homicide, attempted murder, wounding, robbery, weapons, rape.
    serious = {"001/00", "002/00", "005/01", "008/01", "034/01", "010/01", "019/07"}
    assert total[-1] == f"{sum(c in serious for c in codes):,}"
    gaps = [b for b in section.blocks if hasattr(b, "items")][-1].items
    gap = "Council ASB incidents: Nothing from council ASB incidents is loaded"
    assert any(g.startswith(gap) for g in gaps)
