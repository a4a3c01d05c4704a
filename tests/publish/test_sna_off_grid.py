"""A needs assessment for a period off the publication grid: refused for publication (exit 2, naming the
grid periods that would serve), or built with --internal and marked INTERNAL on every page and file."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from safer_communities.analysis.periods import parse_period
from safer_communities.config import Settings
from safer_communities.publish.sna_internal import INTERNAL_LABEL, report_is_internal
from safer_communities.store.evidence import connect

OFF_GRID = "2021-07..2022-03"  # nine months: not a month, quarter, financial or calendar year, rolling 12
DISTRICT = "E07000125"


def _safer(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", "from safer_communities.cli import main; main()", *args],
                          capture_output=True, text=True, env={"COLUMNS": "300", "PATH": "/usr/bin:/bin",
                                                               "PYTHONPATH": ":".join(sys.path)},
                          check=False)


def test_grid_periods_pass_and_off_grid_is_refused(report_store: Path) -> None:
    con = connect(report_store, read_only=True)
    try:
        for label in ("2021-04..2022-03", "2021", "2021-07..2021-09", "2021-11..2022-10", "2021-08"):
            assert report_is_internal(con, parse_period(label), internal=False,
                                      settings=Settings()) is False, label
        assert report_is_internal(con, parse_period(OFF_GRID), internal=True, settings=Settings()) is True
    finally:
        con.close()


def test_off_grid_report_exits_2_naming_the_grid_periods(report_store: Path, tmp_path: Path) -> None:
    out = tmp_path / "report"
    run = _safer("--db", str(report_store), "report", "sna", "--area", DISTRICT, "--period", OFF_GRID,
                 "--out", str(out))
    assert run.returncode == 2, run.stderr
    err = " ".join(run.stderr.split())
    assert "A report for publication must be for a period on the publication grid" in err
    assert f"--period {OFF_GRID}" in err and "Traceback" not in err
    # The grid periods sharing most months with it, financial year first: each of them holds all nine.
    assert "serve: 2021-04..2022-03, a financial year (April-March)" in err
    assert "12 months ending on a month" in err
    assert "--internal" in err
    assert not out.exists()


@pytest.mark.slow
def test_internal_report_says_so_on_every_page_and_file(report_store: Path, tmp_path: Path) -> None:
    from safer_communities.publish.sna import build_needs_assessment

    out = tmp_path / "internal"
    con = connect(report_store, read_only=True)
    try:
        build_needs_assessment(con, Settings(), area_code=DISTRICT, period=OFF_GRID, out_dir=out,
                               internal=True)
    finally:
        con.close()
    html = (out / "index.html").read_text(encoding="utf-8")
    assert f'<div class="internal-banner" role="alert">{INTERNAL_LABEL}</div>' in html
    assert f"<title>{INTERNAL_LABEL}" in html and "is not on the publication grid" in html
    pages = subprocess.run(["pdftotext", "-layout", str(out / "report.pdf"), "-"], capture_output=True,
                           text=True, check=True).stdout.split("\f")
    pages = [p for p in pages if p.strip()]
    assert len(pages) > 5 and all(INTERNAL_LABEL in " ".join(p.split()) for p in pages)
    with zipfile.ZipFile(out / "report.docx") as docx:
        headers = [docx.read(n).decode("utf-8") for n in docx.namelist() if n.startswith("word/header")]
        assert headers and all(INTERNAL_LABEL in h for h in headers)
        assert INTERNAL_LABEL in docx.read("word/document.xml").decode("utf-8")
    csvs = sorted((out / "tables").glob("*.csv"))
    assert csvs
    for path in csvs:
        frame = pd.read_csv(path, dtype=str)
        assert (frame["publication"] == INTERNAL_LABEL.lower()).all(), path.name
        meta = json.loads(path.with_name(path.name + "-metadata.json").read_text(encoding="utf-8"))
        assert meta["dc:title"].startswith(INTERNAL_LABEL)
        assert meta["tableSchema"]["columns"][-1]["titles"] == "publication"
    from PIL import Image

    maps = sorted((out / "maps").glob("*.png"))
    assert maps
    for path in maps:
        with Image.open(path) as image:
            assert image.convert("RGB").getpixel((2, 2)) == (176, 0, 32), path.name  # the stamp's band
    with sqlite3.connect(out / "evidence.gpkg") as db:
        metadata = " ".join(m for (m,) in db.execute("SELECT metadata FROM gpkg_metadata"))
    assert INTERNAL_LABEL in metadata
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["publication"] == INTERNAL_LABEL and manifest["internal"] is True
    assert OFF_GRID in manifest["notice"]
    listed = {f["path"] for f in manifest["outputs"]}
    assert {"index.html", "report.pdf", "report.docx", "tables.xlsx"} <= listed
