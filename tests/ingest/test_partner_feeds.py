"""Record-level partner feeds: validation per row, pseudonymisation, free text, the agreement, purge, and
the deterministic SYNTHETIC generator built from real police.uk rows (the demo's shipped samples)."""

from __future__ import annotations

import csv
import hashlib
import hmac
from datetime import date, datetime
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from safer_communities.cli import app
from safer_communities.errors import InputError
from safer_communities.ingest.common import NullProgress
from safer_communities.ingest.partner_feed import feed_schemas, ingest_partner_feed, purge_expired
from safer_communities.ingest.partner_synthetic import generate
from safer_communities.store.evidence import connect, transaction
from safer_communities.store.schema import PARTNER_COUNCIL_ASB, PARTNER_FORCE_CRIMES, PARTNER_ISTV

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "demo" / "data" / "partner-synthetic"
POLICE = ROOT / "tests" / "data" / "police-uk"
KEY = "test-key-0123456789abcdef"


def load(store: Path, path: Path, schema: str, *, keep: bool = False, key: str | None = KEY):
    con = connect(store)
    try:
        with transaction(con):
            return ingest_partner_feed(
                con, [path], schema=schema, agreement="a1", key=key, keep_free_text=keep
            )
    finally:
        con.close()


def rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def query(store: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(store), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_the_declared_schemas_match_the_store_tables() -> None:
    for name, ddl in (
        ("istv", PARTNER_ISTV),
        ("force-crimes", PARTNER_FORCE_CRIMES),
        ("council-asb", PARTNER_COUNCIL_ASB),
    ):
        columns = [f["column"] for f in feed_schemas()["schemas"][name]["fields"]]
        body = [line.split()[0] for line in ddl.splitlines()[2:] if line.strip() and not line.startswith(")")]
        assert body[: len(columns)] == columns


def test_a_synthetic_force_extract_loads_pseudonymised_without_free_text(tmp_path: Path) -> None:
    store = tmp_path / "s.duckdb"
    source = SAMPLES / "force-crimes-SYNTHETIC.csv"
    raw = rows(source)
    report = load(store, source, "force-crimes")
    assert (report.rows_read, report.rows_loaded, report.rows_rejected) == (len(raw), len(raw), 0)
    first = raw[0]
    expected = hmac.new(KEY.encode(), first["crime_ref"].encode(), hashlib.sha256).hexdigest()[:32]
    stored = query(
        store,
        f"SELECT ho_offence_code, committed_at, domestic_abuse, description, synthetic, "
        f"victim_id FROM partner_force_crimes WHERE crime_ref = '{expected}'",
    )
    assert stored == [
        (
            first["ho_offence_code"],
            datetime.strptime(first["committed_at"], "%Y-%m-%d %H:%M"),
            first["domestic_abuse"] == "Y",
            None,
            True,
            hmac.new(KEY.encode(), first["victim_id"].encode(), hashlib.sha256).hexdigest()[:32],
        )
    ]
    # No identifier as given survives anywhere in the table.
    text = " ".join(str(v) for r in query(store, "SELECT * FROM partner_force_crimes") for v in r)
    assert "SYN-CR-" not in text and "SYN-V" not in text
    assert query(store, "SELECT count(*) FROM partner_force_crimes WHERE domestic_abuse") == [
        (sum(r["domestic_abuse"] == "Y" for r in raw),)
    ]


def test_free_text_is_kept_only_when_asked(tmp_path: Path) -> None:
    store = tmp_path / "s.duckdb"
    load(store, SAMPLES / "istv-SYNTHETIC.csv", "istv", keep=True)
    assert query(store, "SELECT DISTINCT location_description FROM partner_istv") == [
        ("SYNTHETIC record for the demo",)
    ]


def test_bad_rows_are_rejected_with_line_and_field(tmp_path: Path) -> None:
    lines = (SAMPLES / "council-asb-SYNTHETIC.csv").read_text(encoding="utf-8").splitlines()
    lines[1] = lines[1].replace(",graffiti,", ",loud-music,").replace(",fly-tipping,", ",loud-music,")
    parts = lines[2].split(",")
    parts[1] = "31/13/2021 10:00"
    lines[2] = ",".join(parts)
    parts = lines[3].split(",")
    parts[0] = ""
    lines[3] = ",".join(parts)
    path = tmp_path / "asb.csv"
    path.write_text("\n".join(lines[:10]) + "\n", encoding="utf-8")
    store = tmp_path / "s.duckdb"
    report = load(store, path, "council-asb")
    assert (report.rows_loaded, report.rows_rejected) == (6, 3)
    got = query(store, "SELECT line_number, field, raw_line FROM rejects ORDER BY 1")
    assert [(g[0], g[1]) for g in got[1:]] == [(3, "reported_at"), (4, "incident_ref")]
    assert got[0][0] == 2 and got[0][1] in {"category"}
    assert all(g[2] is None for g in got)  # a refused row's raw text holds identifiers: not kept


def test_a_feed_without_its_required_columns_or_a_key_is_refused_whole(tmp_path: Path) -> None:
    store = tmp_path / "s.duckdb"
    with pytest.raises(InputError, match="not a 'istv' feed"):
        load(store, SAMPLES / "council-asb-SYNTHETIC.csv", "istv")
    with pytest.raises(InputError, match="no usable key"):
        load(store, SAMPLES / "istv-SYNTHETIC.csv", "istv", key=None)
    with pytest.raises(InputError, match="no usable key"):
        load(store, SAMPLES / "istv-SYNTHETIC.csv", "istv", key="short")
    assert query(store, "SELECT count(*) FROM partner_istv") == [(0,)]


def test_purge_deletes_records_past_retention(tmp_path: Path) -> None:
    store = tmp_path / "s.duckdb"
    load(store, SAMPLES / "istv-SYNTHETIC.csv", "istv")
    dates = [
        datetime.strptime(r["assault_at"], "%Y-%m-%d %H:%M").date()
        for r in rows(SAMPLES / "istv-SYNTHETIC.csv")
    ]
    on = datetime(2023, 10, 1)
    cutoff = date(2021, 10, 1)  # 730 days before 2023-10-01
    con = connect(store)
    with transaction(con):
        deleted = purge_expired(con, {"a1": 730, "other": 30}, on=on)
    con.close()
    assert deleted["partner_istv"] == sum(d < cutoff for d in dates)
    assert query(store, "SELECT count(*), min(record_date) >= DATE '2021-10-01' FROM partner_istv") == [
        (sum(d >= cutoff for d in dates), True)
    ]


def _police_store(tmp_path: Path) -> Path:
    from safer_communities.ingest.police_uk import ingest_police_uk

    store = tmp_path / "police.duckdb"
    con = connect(store)
    with transaction(con):
        ingest_police_uk(con, [POLICE / "archive"], progress=NullProgress())
    con.close()
    return store


def test_the_synthetic_generator_is_deterministic_and_built_from_police_rows(tmp_path: Path) -> None:
    store = _police_store(tmp_path)
    con = duckdb.connect(str(store), read_only=True)
    first = generate(con, "force-crimes", rows=60, seed=7)
    again = generate(con, "force-crimes", rows=60, seed=7)
    other = generate(con, "force-crimes", rows=60, seed=8)
    places = {
        (m.strftime("%Y-%m"), lsoa)
        for m, lsoa in con.execute(
            "SELECT month, lsoa_code FROM crimes WHERE crime_type IN ('Violence and sexual offences', "
            "'Robbery', "
            "'Possession of weapons') AND lsoa_code IS NOT NULL"
        ).fetchall()
    }
    con.close()
    assert first == again and first != other
    records = list(csv.DictReader(first.splitlines()))
    assert len(records) == 60 and {r["synthetic"] for r in records} == {"SYNTHETIC"}
    assert all(r["crime_ref"].startswith("SYN-") for r in records)
    assert {(r["committed_at"][:7], r["lsoa_code"]) for r in records} <= places


def test_cli_refuses_a_feed_without_an_agreement_and_audits_it(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("SAFER_PSEUDONYM_KEY", KEY)
    url = f"sqlite:///{tmp_path / 'app.sqlite'}"
    db = str(tmp_path / "s.duckdb")
    runner = CliRunner()
    refused = runner.invoke(
        app,
        [
            "--db",
            db,
            "--app-db",
            url,
            "ingest",
            "partner-feed",
            str(SAMPLES / "istv-SYNTHETIC.csv"),
            "--schema",
            "istv",
            "--agreement",
            "nope",
        ],
    )
    assert refused.exit_code != 0
    from safer_communities.store.app_db import open_app_db
    from safer_communities.web import audit

    engine = open_app_db(url)
    assert [e["object"] for e in audit.entries(engine, action="partner_feed_refused")] == ["nope"]
    added = runner.invoke(
        app,
        [
            "--app-db",
            url,
            "sharing",
            "add",
            "a1",
            "--title",
            "t",
            "--party",
            "lancashire-constabulary",
            "--gateway",
            "PCSC Act 2022 s16",
            "--purpose",
            "SVD",
            "--schema",
            "istv",
            "--retention-days",
            "730",
            "--review",
            "2099-01-01",
            "--start",
            "2020-01-01",
            "--dpia",
            "2020-01-01",
        ],
    )
    assert added.exit_code == 0, added.output
    loaded = runner.invoke(
        app,
        [
            "--db",
            db,
            "--app-db",
            url,
            "ingest",
            "partner-feed",
            str(SAMPLES / "istv-SYNTHETIC.csv"),
            "--schema",
            "istv",
            "--agreement",
            "a1",
            "--json",
        ],
    )
    assert loaded.exit_code == 0, loaded.output
    assert [e["object"] for e in audit.entries(engine, action="partner_feed_loaded")] == ["a1"]
    purged = runner.invoke(
        app, ["--db", db, "--app-db", url, "sharing", "purge", "--on", "2023-10-01", "--json"]
    )
    assert purged.exit_code == 0, purged.output
    assert len(audit.entries(engine, action="partner_records_purged")) == 1
