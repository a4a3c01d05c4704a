"""The ``--all-districts`` roll-up attack of issue 11 on the real demo data (Lancashire police.uk
2021-04..2022-03, serious and organised crime, where nearly every LSOA count is small).

The attacker holds what the county report and the fourteen district reports publish, as the report's
sections build it: each report's district table, each area's monthly chart, each report's LSOA layer
(the county's covers every LSOA, a district's its own) and each area's outcomes chart. It knows every
sum a reader knows (a year is its months, a parent its children, the county's outcome the districts'
outcomes, an area's outcomes at most its records) and bounds every withheld cell with two linear
programmes. A withheld cell is recovered when it is pinned to one value, or a ``<5`` cell's upper end
falls under 4.

The control protects the same outputs table by table (each chart and layer with its own total, the old
way): the same attacker then recovers cells, so this test can fail.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from scipy.optimize import linprog

from safer_communities.config import Settings

ISSUE = "serious-organised-crime"
FY = "2021-04..2022-03"
T = 5
WITHHELD = (f"<{T}", "[c]")
UNSEEN = "?"  # a cell no report publishes: any whole number from 0


class Attacker:
    """Published cells by key, the equalities and inequalities linking them, and LP bounds."""

    def __init__(self, *, one_pattern: bool = True) -> None:
        self.one_pattern = one_pattern  # the fixed build: a cell has one symbol in every output
        self.cells: dict[tuple, str] = {}
        self.equal: list[tuple[tuple, list[tuple]]] = []  # total = sum(members)
        self.at_most: list[tuple[list[tuple], tuple]] = []  # sum(members) <= total
        self.lp_runs = 0

    def see(self, key: tuple, text: str) -> None:
        before = self.cells.setdefault(key, text)
        if before in (UNSEEN, text) or text == UNSEEN:
            self.cells[key] = text if before == UNSEEN else before
            return
        assert not self.one_pattern, f"{key} published as {before!r} and as {text!r}: two patterns"
        # Two outputs disagree (table by table): keep the more telling one (a number, then <5).
        rank = {f"<{T}": 1, "[c]": 0, "[x]": 0}
        self.cells[key] = max((before, text), key=lambda v: rank.get(v, 2))

    def _row(self, terms: list[tuple[tuple, float]], pos: dict[tuple, int]) -> tuple[dict[int, float], float]:
        row: dict[int, float] = {}
        const = 0.0
        for key, sign in terms:
            text = self.cells[key]
            if key in pos:
                row[pos[key]] = row.get(pos[key], 0.0) + sign
            elif text != "[x]":
                const += sign * float(text.replace(",", ""))
        return row, const

    def bounds(self) -> dict[tuple, tuple[float, float]]:
        unknown = [k for k, v in self.cells.items() if v in (*WITHHELD, UNSEEN)]
        pos = {k: i for i, k in enumerate(unknown)}

        def matrix(rows: list[tuple[dict[int, float], float]]) -> tuple[sp.csr_array, np.ndarray]:
            r, c, d = [], [], []
            for i, (row, _) in enumerate(rows):
                for j, v in row.items():
                    r.append(i), c.append(j), d.append(v)
            return (sp.csr_array((d, (r, c)), shape=(len(rows), len(unknown))),
                    np.array([-const for _, const in rows]))

        eq = [self._row([(t, 1.0), *[(m, -1.0) for m in ms]], pos) for t, ms in self.equal]
        ub = [self._row([*[(m, 1.0) for m in ms], (t, -1.0)], pos) for ms, t in self.at_most]
        a_eq, b_eq = matrix(eq)
        a_ub, b_ub = matrix(ub) if ub else (None, None)
        box = [(1, T - 1) if self.cells[k] == f"<{T}" else (T, None) if self.cells[k] == "[c]" else (0, None)
               for k in unknown]
        out = {}
        for key in unknown:
            if self.cells[key] == UNSEEN:
                continue
            c = np.zeros(len(unknown))
            c[pos[key]] = 1.0
            lo = linprog(c, A_eq=a_eq, b_eq=b_eq, A_ub=a_ub, b_ub=b_ub, bounds=box, method="highs")
            hi = linprog(-c, A_eq=a_eq, b_eq=b_eq, A_ub=a_ub, b_ub=b_ub, bounds=box, method="highs")
            self.lp_runs += 2
            assert lo.status == 0, f"the published figures fit no truth: {lo.message}"
            out[key] = (lo.fun, -hi.fun if hi.status == 0 else np.inf)
        return out

    def recovered(self, ranges: dict[tuple, tuple[float, float]]) -> list[tuple]:
        found = []
        for key, (lo, hi) in ranges.items():
            pinned = np.floor(hi + 1e-6) - np.ceil(lo - 1e-6) < 1
            if pinned or (self.cells[key] == f"<{T}" and hi < T - 1 - 1e-6):
                found.append(key)
        return found

    @property
    def withheld(self) -> int:
        return sum(v in WITHHELD for v in self.cells.values())


def _text(value: object) -> str:
    text = str(value)
    return UNSEEN if text in ("", "nan", "None") else text


@pytest.fixture(scope="module")
def reports(force_area_store: Path) -> dict:
    """What the county report and the 14 district reports publish for the issue, from the sections'
    own builders (the tables, chart data and LSOA layers the report draws), and the true counts."""
    from safer_communities.analysis.definitions import resolve
    from safer_communities.analysis.outcomes import outcome_summary
    from safer_communities.publish import sna_issue, sna_where
    from safer_communities.publish.sna import _shared
    from safer_communities.publish.sna_context import Context
    from safer_communities.publish.sna_tables import area_count_withheld, district_rates_table
    from safer_communities.store.evidence import connect

    con = connect(force_area_store, read_only=True)
    try:
        defs = resolve(None)
        definition = defs.get(ISSUE)
        shared = _shared(con, Settings(), defs, FY)
        areas = [(shared.county_code, shared.county_name, "county"),
                 *((r.area_code, r.area_name, "district") for r in shared.districts.itertuples())]
        out: dict = {"areas": areas, "reports": {}}
        for code, name, level in areas:
            ctx = Context(shared, code, name, level, Path("unused"))
            _, table = district_rates_table(ctx, definition)
            withheld = area_count_withheld(ctx, definition)
            out["reports"][code] = {
                "table": table.published[["area_code", "count"]].astype(str).to_numpy().tolist(),
                "months": None if withheld else sna_issue._published_months(ctx, definition),
                "lsoas": sna_where._lsoa_published(ctx, definition)[["area_code", "count_published"]],
                "outcomes": None if withheld else sna_issue._protected_outcomes(ctx, definition),
            }
        protected = shared.cache[("grid", ISSUE)]
        out["grid"] = protected
        out["true_outcomes"] = outcome_summary(con, definition, period=shared.period, area_level="district")
        out["lsoa_parent"] = dict(zip(protected.areas["area_code"], protected.areas["parent"], strict=True))
        return out
    finally:
        con.close()


def _attack(reports: dict, publish: dict, *, one_pattern: bool = True) -> Attacker:
    """Combine every published table of the fifteen reports into one linear programme."""
    county = reports["areas"][0][0]
    districts = [a[0] for a in reports["areas"][1:]]
    parent = reports["lsoa_parent"]
    attacker = Attacker(one_pattern=one_pattern)
    months = [m for m in pd.period_range("2021-04", "2022-03", freq="M").strftime("%Y-%m")]
    for code, _, _ in reports["areas"]:
        got = publish[code]
        for area, text in got["table"]:
            attacker.see(("n", area, FY), _text(text))
        attacker.equal.append((("n", county, FY),
                               [("n", d, FY) for d in districts] + [("n", "unplaced", FY)]))
        for month, text in got["months"] or []:
            attacker.see(("n", code, month), _text(text))
        if got["months"]:
            attacker.equal.append((("n", code, FY), [("n", code, m) for m in months]))
        lsoas = got["lsoas"]
        for area, text in lsoas:
            attacker.see(("n", area, FY), _text(text))
        for outcome, text in got["outcomes"] or []:
            attacker.see(("o", code, outcome), _text(text))
    for m in months:  # the county's month = its districts' + the records it cannot place (never shown)
        for key in [("n", county, m), ("n", "unplaced", m), *[("n", d, m) for d in districts]]:
            attacker.see(key, UNSEEN)
        attacker.equal.append((("n", county, m), [("n", d, m) for d in districts] + [("n", "unplaced", m)]))
    attacker.equal.append((("n", "unplaced", FY), [("n", "unplaced", m) for m in months]))
    for d in districts:  # a district = its LSOAs
        members = [("n", code, FY) for code, p in parent.items() if p == d]
        attacker.equal.append((("n", d, FY), members))
    outcomes = sorted({k[2] for k in attacker.cells if k[0] == "o"})
    for o in outcomes:
        for area in [county, *districts]:
            attacker.see(("o", area, o), UNSEEN)
        attacker.equal.append((("o", county, o), [("o", d, o) for d in districts]))
    for area in [county, *districts]:  # crimes with an outcome are at most the area's records
        attacker.at_most.append(([("o", area, o) for o in outcomes], ("n", area, FY)))
    return attacker


def _grid_publication(reports: dict) -> dict:
    """What the fixed build publishes, read off the sections' outputs."""
    out = {}
    for code, got in reports["reports"].items():
        months = got["months"]
        outcomes = got["outcomes"]
        mine = None if outcomes is None else outcomes[(outcomes["area_code"] == code)
                                                      & (outcomes["outcome"] != "All outcomes")]
        out[code] = {
            "table": got["table"],
            "months": None if months is None else [
                (m.strftime("%Y-%m"), t)
                for m, t in zip(months["month"], months["count_published"], strict=True)],
            "lsoas": got["lsoas"].to_numpy().tolist(),
            "outcomes": None if mine is None else mine[["outcome", "crimes_published"]].to_numpy().tolist(),
        }
    return out


def _table_by_table(reports: dict) -> dict:
    """The control: the same outputs, each protected on its own with its own total (the old way)."""
    from safer_communities.publish.disclosure import suppress_table

    protected = reports["grid"]
    settings = Settings()
    county = reports["areas"][0][0]
    fy = protected.period(FY, "lsoa")
    j = protected.periods.index(fy)
    truth = reports["true_outcomes"]
    month_cols = [(gp.period.start.strftime("%Y-%m"), protected.periods.index(gp))
                  for gp in protected.periods if gp.kinds[0] == "month"]

    def protect(keys: list[str], values: list[float], total: str) -> list[tuple[str, str]]:
        frame = pd.DataFrame({"key": keys, "count": values})
        table = suppress_table(frame, count_columns=["count"], key_column="key", total_row=total,
                               settings=settings)
        return [(k, str(v)) for k, v in zip(keys, table.published["count"], strict=True)]

    out = {}
    for code, _, _ in reports["areas"]:
        i = protected._row(code)
        table = reports["reports"][code]["table"]
        months = protect([m for m, _ in month_cols] + [FY],
                         [protected.counts[i, k] for _, k in month_cols] + [protected.counts[i, j]], FY)
        lsoa_codes = reports["reports"][code]["lsoas"]["area_code"].tolist()
        values = [protected.counts[protected._row(c), j] for c in lsoa_codes]
        lsoas = protect([*lsoa_codes, code], [*values, float(np.nansum(values))], code)  # total: the layer's
        rows = truth.groupby("outcome")["crimes"].sum() if code == county else \
            truth[truth["area_code"] == code].set_index("outcome")["crimes"]
        outcomes = protect([*rows.index, "total"], [*rows.to_numpy(dtype=float), float(rows.sum())], "total")
        out[code] = {"table": table, "months": [x for x in months if x[0] != FY],
                     "lsoas": [x for x in lsoas if x[0] != code],
                     "outcomes": [x for x in outcomes if x[0] != "total"]}
    return out


def test_all_district_reports_combined_recover_nothing(reports: dict) -> None:
    attacker = _attack(reports, _grid_publication(reports))
    ranges = attacker.bounds()
    found = attacker.recovered(ranges)
    print(f"\nroll-up attack, fixed build: 15 reports, {attacker.withheld} withheld cells, "
          f"{attacker.lp_runs} LP runs, recovered {len(found)}")
    assert attacker.withheld > 400  # the attack is on the issue where it matters
    assert found == []


def test_table_by_table_protection_is_recovered_by_the_same_attack(reports: dict) -> None:
    """The control: the same fifteen reports with each output protected on its own give cells away."""
    attacker = _attack(reports, _table_by_table(reports), one_pattern=False)
    ranges = attacker.bounds()
    found = attacker.recovered(ranges)
    print(f"\nroll-up attack, table by table (control): {attacker.withheld} withheld cells, "
          f"{attacker.lp_runs} LP runs, recovered {len(found)}")
    assert len(found) > 0
