"""The needs assessment's partner sections, on the real evidence slices plus the real partner slices
(tests/data/partner) and a SYNTHETIC feed: partner figures appear under their issues with England's value,
the data sources table names the agreement, and nothing record-level is published."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from safer_communities.config import Settings
from safer_communities.ingest.runner import run_ingest
from safer_communities.store.evidence import connect

ROOT = Path(__file__).resolve().parents[2]
PARTNER = ROOT / "tests" / "data" / "partner"
SYNTHETIC = ROOT / "demo" / "data" / "partner-synthetic" / "istv-SYNTHETIC.csv"
EVIDENCE = ROOT / "tests" / "data" / "evidence"


def build_store(path: Path) -> None:
    """As tests/publish/conftest.py: three Lancashire districts, 25 months, through the ingesters."""
    d = EVIDENCE
    for source, paths in [
        ("geography", [*sorted((d / "boundaries").glob("*.json")), d / "lsoa11_lsoa21.csv"]),
        ("population", [d / "population.csv"]),
        ("deprivation", [d / "imd2019.csv"]),
        ("police-uk", [*sorted((d / "street").glob("*.csv.gz"))]),
    ]:
        run_ingest(path, source, paths)


@pytest.fixture(scope="module")
def county_html(tmp_path_factory: pytest.TempPathFactory) -> str:
    from safer_communities.publish.sna import build_needs_assessment

    base = tmp_path_factory.mktemp("sna-partners")
    store = base / "evidence.duckdb"
    build_store(store)
    run_ingest(store, "indicators", [PARTNER])
    run_ingest(store, "partner-feed", [SYNTHETIC], schema="istv", agreement="demo-svd",
               key="test-key-0123456789abcdef")
    con = connect(store, read_only=True)
    try:
        build_needs_assessment(con, Settings(), out_dir=base / "county", formats=("html",))
    finally:
        con.close()
    return (base / "county" / "index.html").read_text(encoding="utf-8")


def test_partner_evidence_appears_under_the_issues(county_html: str) -> None:
    title = "What partners&#39; data shows"
    shown = county_html.count(title) + county_html.count(title.replace("&#39;", "'"))
    assert shown >= 4
    for anchor in ("violence-partners", "domestic-abuse-partners", "exploitation-partners"):
        assert f'id="{anchor}"' in county_html
    # Lancashire's child injury admissions 2023/24, as published in the Fingertips slice, with England's.
    with (PARTNER / "fingertips_90284_slice.csv").open(encoding="utf-8") as handle:
        raw = [r for r in csv.DictReader(handle) if r["Time period"] == "2023/24" and r["Sex"] == "Persons"
               and r["Category Type"] == "" and r["Area Code"] in {"E10000017", "E92000001"}]
    values = {r["Area Code"]: f"{float(r['Value']):.2f}" for r in raw}
    assert values["E10000017"] in county_html and values["E92000001"] in county_html


def test_data_sources_and_gaps_names_the_agreement_and_publishes_no_records(county_html: str) -> None:
    assert 'id="data-sources-and-gaps"' in county_html or "Data sources and gaps" in county_html
    assert "information-sharing agreement demo-svd" in county_html
    assert "SYNTHETIC demo sample" in county_html
    with SYNTHETIC.open(encoding="utf-8") as handle:
        first = next(csv.DictReader(handle))
    assert first["attendance_id"] not in county_html and "SYN-ED-" not in county_html
