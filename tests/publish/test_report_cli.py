"""`safer report sna`: wired into the CLI; a wrong area is one tidy error with exit code 2."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

SAFER = [sys.executable, "-c", "from safer_communities.cli import main; main()"]


def test_report_sna_help_lists_the_options() -> None:
    out = subprocess.run([*SAFER, "report", "sna", "--help"], capture_output=True, text=True, check=True)
    for option in ("--area", "--period", "--all-districts", "--out", "--definitions"):
        assert option in out.stdout


@pytest.mark.slow
def test_unknown_area_is_an_error_with_exit_code_2(report_store: Path, tmp_path: Path) -> None:
    out = subprocess.run([*SAFER, "--db", str(report_store), "report", "sna", "--area", "E07000999",
                          "--out", str(tmp_path / "r")], capture_output=True, text=True)
    assert out.returncode == 2
    assert "not a district or the county" in out.stderr
    assert "E07000125" in out.stderr  # the hint lists the codes that would work
    assert not (tmp_path / "r").exists()
