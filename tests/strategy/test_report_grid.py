"""The progress report's police.uk indicators carry the publication grid's pattern: a count the grid
withholds as a secondary cell (5 or more, withheld so no small count can be worked out) is withheld in the
report too, with its value, expected value, target and rating, where a table protected on its own would
print it. Counts the grid shows are the grid's figures."""

from __future__ import annotations

import csv
from pathlib import Path

from strategy_helpers import minimal
from test_cli import safer

from safer_communities.config import Settings
from safer_communities.publish.grid import protect_issue
from safer_communities.store.evidence import connect

ISSUE = "serious-organised-crime"


def _secondary_month(store_file: Path) -> tuple[str, str, float, str]:
    """A district month the grid withholds as [c] though it holds 5 or more records, and the latest
    month's published text for that district (the current period of a rolling-1-months rule)."""
    con = connect(store_file, read_only=True)
    try:
        protected = protect_issue(con, ISSUE, settings=Settings())
    finally:
        con.close()
    months = [j for j, gp in enumerate(protected.periods) if gp.kinds == ("month",)]
    districts = protected.areas.loc[protected.areas["level"] == "district", "area_code"]
    latest = max(months, key=lambda j: protected.periods[j].period.end)
    for code in districts:
        i = protected._row(code)
        for j in months[:-1]:
            if protected.suppressed[i, j] and not protected.primary[i, j] and j != latest:
                return code, protected.periods[j].label, float(protected.counts[i, j]), protected.cell_text(
                    i, latest)
    raise AssertionError("no secondary district-month cell in the fixture store")


def test_indicator_counts_take_the_grid_pattern(store_file: Path, tmp_path: Path, write) -> None:
    code, month, true_count, latest_text = _secondary_month(store_file)
    assert true_count >= 5  # a table protected on its own would print it
    url = f"sqlite:///{tmp_path / 'app.sqlite'}"
    assert safer(store_file, url, "framework", "load").exit_code == 0
    data = minimal()
    data["strategies"][0]["objectives"][0]["indicators"][0].update(
        issue=ISSUE, area=code, period_rule="rolling-1-months", baseline_period=month)
    assert safer(store_file, url, "strategy", "load", str(write(data))).exit_code == 0
    run = safer(store_file, url, "strategy", "report", "--out", str(tmp_path / "r"),
                "--formats", "tables,html")
    assert run.exit_code == 0, run.output
    with (tmp_path / "r" / "tables" / "test-plan-count.csv").open(encoding="utf-8") as handle:
        [row] = list(csv.DictReader(handle))
    values = list(row.values())
    assert f"{true_count:,.0f}" not in values  # the secondary cell is not printed
    assert "[c]" in values and "withheld" in [v.lower() for v in values]
    assert latest_text in values  # the current month as the grid publishes it
    html = (tmp_path / "r" / "index.html").read_text(encoding="utf-8")
    assert "publication grid" in html


def test_an_off_grid_period_is_withheld_where_a_month_of_it_is(store_file: Path, tmp_path: Path,
                                                                write) -> None:
    """Two months are not a grid period: the sum of the grid's months, withheld because one is [c]."""
    from safer_communities.analysis.periods import add_months, parse_period

    code, month, _, _ = _secondary_month(store_file)
    start = parse_period(month).start
    window = f"{start:%Y-%m}..{add_months(start, 1):%Y-%m}"
    url = f"sqlite:///{tmp_path / 'app.sqlite'}"
    assert safer(store_file, url, "framework", "load").exit_code == 0
    data = minimal()
    data["strategies"][0]["objectives"][0]["indicators"][0].update(
        issue=ISSUE, area=code, period_rule="rolling-2-months", baseline_period=window)
    assert safer(store_file, url, "strategy", "load", str(write(data))).exit_code == 0
    status = safer(store_file, url, "strategy", "status", "--json")
    import json

    [indicator] = json.loads(status.stdout)[0]["indicators"]
    run = safer(store_file, url, "strategy", "report", "--out", str(tmp_path / "r"), "--formats", "tables")
    assert run.exit_code == 0, run.output
    with (tmp_path / "r" / "tables" / "test-plan-count.csv").open(encoding="utf-8") as handle:
        [row] = list(csv.DictReader(handle))
    assert indicator["baseline_records"] >= 5 and row["Baseline"] == ""  # withheld, not printed
    assert "[c]" in row.values() and row["Rating"].lower() == "withheld"
