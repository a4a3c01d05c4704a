"""`safer ingest police-uk` as a user runs it: JSON output, a kill part-way, a locked store."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from police_uk_helpers import DATA, FEB, JAN, load, scalar, snapshot

SAFER = [sys.executable, "-c", "from safer_communities.cli import main; main()"]


def _safer(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*SAFER, *args], capture_output=True, text=True, timeout=120,
                          env={**os.environ, **(env or {})})


def test_json_output_has_totals_and_files(store_path: Path) -> None:
    result = _safer("--db", str(store_path), "ingest", "police-uk", "--json", str(DATA / "archive.zip"))
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    assert {k: payload[k] for k in ("rows_read", "rows_loaded", "rows_rejected", "rows_replaced")} == {
        "rows_read": 445, "rows_loaded": 445, "rows_rejected": 0, "rows_replaced": 0}
    assert [f["month"] for f in payload["files"]] == ["2021-01", "2021-02", "2021-03"]
    assert payload["files"][2]["kind"] == "outcomes"


def test_refused_file_exits_2_with_the_reason(store_path: Path, tmp_path: Path) -> None:
    bad = tmp_path / "2021-02-lancashire-street.csv"
    bad.write_bytes(b"")
    result = _safer("--db", str(store_path), "ingest", "police-uk", "--json", str(JAN), str(bad))
    assert result.returncode == 2
    assert "The file is empty." in result.stderr and bad.name in result.stderr
    assert scalar(store_path, "SELECT count(*) FROM crimes") == 0


@pytest.mark.slow
def test_killed_part_way_leaves_the_store_as_before(store_path: Path, tmp_path: Path) -> None:
    load(store_path, JAN)
    before = snapshot(store_path)
    # Files without a police.uk name go one at a time, so the kill lands between two files.
    first, second = tmp_path / "later-release.csv", tmp_path / "february.csv"
    shutil.copy(DATA / "release-b/2021-01/2021-01-lancashire-street.csv", first)
    shutil.copy(FEB, second)
    args = ["--db", str(store_path), "ingest", "police-uk", "--json", "--force", "lancashire",
            str(first), str(second)]
    proc = subprocess.Popen([*SAFER, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "SAFER_TEST_PAUSE_BETWEEN_FILES": "60"})
    try:
        assert proc.stderr is not None
        line = proc.stderr.readline()  # blocks until the first file is in the (open) transaction
        assert line.strip() == "paused after later-release.csv"
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate()
    assert proc.returncode == -signal.SIGKILL
    assert snapshot(store_path) == before
    result = _safer(*args)
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    assert (payload["rows_loaded"], payload["rows_replaced"]) == (161 + 174, 171)
    assert scalar(store_path, "SELECT count(*) FROM crimes") == 161 + 174


@pytest.mark.slow
def test_store_being_written_by_another_process(store_path: Path) -> None:
    load(store_path, JAN)
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import duckdb, sys, time; con = duckdb.connect(sys.argv[1]); print('ready', flush=True); "
         "time.sleep(60)", str(store_path)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
        result = _safer("--db", str(store_path), "ingest", "police-uk", str(FEB))
    finally:
        holder.kill()
        holder.communicate()
    assert result.returncode == 2
    assert "being written by another process" in result.stderr
    assert scalar(store_path, "SELECT count(*) FROM crimes") == 171
