"""The evidence store: creation, schema, locking and the summary."""

from __future__ import annotations

import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from safer_communities.errors import StoreError, StoreLockedError
from safer_communities.store import schema
from safer_communities.store.evidence import connect, table_counts, transaction
from safer_communities.store.summary import store_summary


def test_new_store_has_every_public_table_empty(store_path: Path) -> None:
    con = connect(store_path)
    assert table_counts(con) == dict.fromkeys(schema.PUBLIC_TABLES, 0)
    version = con.execute("SELECT value FROM store_meta WHERE key = 'schema_version'").fetchone()
    assert version == (str(schema.SCHEMA_VERSION),)
    con.close()
    # Opening again is harmless: the schema statements are idempotent.
    con = connect(store_path)
    assert table_counts(con)["crimes"] == 0
    con.close()


def test_read_only_open_of_missing_store_says_how_to_create_it(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="does not exist yet") as info:
        connect(tmp_path / "missing.duckdb", read_only=True)
    assert "safer ingest" in (info.value.hint or "")


def test_not_a_duckdb_file_is_refused(tmp_path: Path) -> None:
    bogus = tmp_path / "bogus.duckdb"
    bogus.write_text("Crime ID,Month\n1,2021-01\n")
    with pytest.raises(StoreError, match="could not be opened"):
        connect(bogus)


def test_second_writer_is_refused_with_a_clear_message(store_path: Path) -> None:
    holder = connect(store_path)
    try:
        code = (
            "import sys\n"
            "from safer_communities.store.evidence import connect\n"
            "from safer_communities.errors import StoreLockedError\n"
            f"try:\n    connect({str(store_path)!r})\n"
            "except StoreLockedError as exc:\n    print(exc.what); sys.exit(3)\n"
        )
        result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
        assert result.returncode == 3, result.stderr
        assert "being written by another process" in result.stdout
    finally:
        holder.close()
    assert issubclass(StoreLockedError, StoreError)


def test_transaction_rolls_back_everything_on_error(store_path: Path) -> None:
    con = connect(store_path)
    with pytest.raises(RuntimeError), transaction(con):
        con.execute(
            "INSERT INTO population VALUES ('E01012571', 2020, 1500, 'test')"
        )
        raise RuntimeError("killed part-way")
    assert table_counts(con)["population"] == 0
    con.close()


def test_summary_reports_coverage(store_path: Path) -> None:
    con = connect(store_path)
    con.execute(
        "INSERT INTO crimes (crime_id, month, crime_type, force, source_file, ingest_id) VALUES "
        "(NULL, DATE '2021-04-01', 'Anti-social behaviour', 'lancashire', 'a.csv', 1),"
        "('x', DATE '2021-06-01', 'Robbery', 'lancashire', 'b.csv', 2)"
    )
    con.execute(
        "INSERT INTO areas VALUES ('E01012571', 'Blackburn with Darwen 007A', 2011, 'E01012571', "
        "'E06000008', 'Blackburn with Darwen', 'E06000008', 'Blackburn with Darwen', "
        "'E23000003', 'Lancashire')"
    )
    result = store_summary(con).to_dict()
    assert result["tables"]["crimes"] == 2
    assert result["police_months"]["street"]["lancashire"] == {
        "first": "2021-04", "last": "2021-06", "months": 2}
    assert result["districts"] == [{"code": "E06000008", "name": "Blackburn with Darwen", "lsoas": 1}]
    assert store_summary(con).police_months["street"]["lancashire"][0] == date(2021, 4, 1)
    con.close()
