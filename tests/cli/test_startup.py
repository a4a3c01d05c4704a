"""`safer --help` and `safer --version` import no heavy package; the declared help lines stay true.

The CLI used to import the whole stack (GeoPandas, matplotlib, WeasyPrint, scipy, FastAPI...) before it
parsed anything: about 3 CPU-seconds for `safer --version`. These tests fail as soon as a heavy import
creeps back into the start-up path.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
import typer

from safer_communities.cli import COMMANDS, app
from safer_communities.cli.lazy import load_command

HEAVY = ("pandas", "numpy", "scipy", "geopandas", "shapely", "pyproj", "matplotlib", "weasyprint", "fastapi",
         "starlette", "sqlalchemy", "duckdb", "pyarrow", "argon2", "docx", "openpyxl", "jinja2", "esda",
         "libpysal", "statsmodels", "yaml", "pydantic")

PROBE = """
import json, sys
heavy = json.loads(sys.argv[2])
sys.argv = ["safer", *json.loads(sys.argv[1])]
from safer_communities.cli import main
try:
    main()
except SystemExit:
    pass
print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] in heavy)),
      file=sys.stderr)
"""


def _modules_loaded_by(args: list[str], heavy: tuple[str, ...] = HEAVY) -> list[str]:
    done = subprocess.run([sys.executable, "-c", PROBE, json.dumps(args), json.dumps(heavy)],
                          capture_output=True, text=True, check=True)
    return json.loads(done.stderr.strip().splitlines()[-1])


@pytest.mark.parametrize("args", [["--help"], ["--version"]], ids=["help", "version"])
def test_start_up_imports_no_heavy_package(args: list[str]) -> None:
    assert _modules_loaded_by(args) == []


def test_evidence_help_does_not_load_the_map_and_report_stack() -> None:
    loaded = _modules_loaded_by(["evidence", "--help"],
                                ("geopandas", "matplotlib", "weasyprint", "fastapi", "scipy", "sqlalchemy"))
    assert loaded == []


SAFER = [sys.executable, "-c", "from safer_communities.cli import main; main()"]


def test_version_prints_the_version() -> None:
    done = subprocess.run([*SAFER, "--version"], capture_output=True, text=True)
    assert done.returncode == 0
    assert done.stdout.startswith("safer-communities ")


def test_help_lists_every_command_with_its_declared_help() -> None:
    done = subprocess.run([*SAFER, "--help"], capture_output=True, text=True,
                          env={**os.environ, "COLUMNS": "400"})
    assert done.returncode == 0
    for name, lazy in COMMANDS.items():
        line = next(line for line in done.stdout.splitlines() if line.lstrip("│ ").startswith(f"{name} "))
        assert lazy.help in line


@pytest.mark.parametrize("name", list(COMMANDS))
def test_declared_help_is_the_command_s_own(name: str) -> None:
    command = load_command(name, COMMANDS[name].target)
    assert command.name == name
    assert command.get_short_help_str(1000) == COMMANDS[name].help


def test_unknown_command_is_a_usage_error_not_an_import() -> None:
    group = typer.main.get_command(app)
    assert group.get_command(None, "no-such-command") is None  # type: ignore[arg-type]


# pydantic itself is not listed: Typer's own parameter handling (typer._adapters) imports it.
LIGHT = ("pandas", "scipy", "pyarrow", "pydantic_settings", "geopandas", "matplotlib", "sqlalchemy",
         "fastapi")


@pytest.mark.parametrize("args", [
    ["evidence", "rates", "--issue", "violence", "--area-level", "county", "--period", "2021-04..2022-03",
     "--json"],
    ["evidence", "rates", "--issue", "violence", "--area-level", "lsoa"],
    ["evidence", "trends", "--issue", "violence", "--json"],
    ["evidence", "trends", "--issue", "asb", "--area-level", "district"],
    ["quality", "--json"],
], ids=["rates-json", "rates-table", "trends-json", "trends-table", "quality-json"])
def test_light_commands_load_neither_pandas_nor_scipy(force_area_store: object, args: list[str]) -> None:
    """Rates, a monthly series and the quality report print without pandas (0.4 CPU-s to import),
    scipy.special (0.2 CPU-s) or the Settings (pydantic-settings): issue 16's 'well under a second'.
    The command must also succeed."""
    probe = PROBE.replace("main()\nexcept SystemExit:\n    pass", "main()\nexcept SystemExit as exc:\n"
                          "    assert not exc.code, exc.code")
    done = subprocess.run([sys.executable, "-c", probe, json.dumps(["--db", str(force_area_store), *args]),
                           json.dumps(LIGHT)], capture_output=True, text=True, check=True)
    assert json.loads(done.stderr.strip().splitlines()[-1]) == []
    assert done.stdout.strip()


def test_the_light_path_prints_what_the_frames_hold(force_area_store: object) -> None:
    """The JSON of the light `rates` equals the records of issue_rates' DataFrame (one implementation)."""
    import duckdb

    from safer_communities.analysis.rates import issue_rates
    from safer_communities.analysis.results import to_records

    done = subprocess.run([*SAFER, "--db", str(force_area_store), "evidence", "rates", "--issue", "violence",
                           "--area-level", "district", "--json"], capture_output=True, text=True, check=True)
    con = duckdb.connect(str(force_area_store), read_only=True)
    try:
        frame = issue_rates(con, "violence", area_level="district")
    finally:
        con.close()
    printed = json.loads(done.stdout)["records"]
    assert printed == to_records(frame)
    assert len(printed) == 14 and sum(r["count"] for r in printed) == frame["count"].sum()
