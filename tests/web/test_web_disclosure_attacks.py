"""The three attacks of issue 11 on the public API over the real demo data (Lancashire police.uk
2021-04..2022-03), each run by an attacker written here, apart from the library: it reads only what the
public API returns, knows every sum a reader knows (a period is the sum of its months, the county the sum
of its districts, a district the sum of its LSOAs), and bounds each withheld cell with linear programmes.

A withheld cell is recovered when its feasible interval is pinned to one value, or when a ``<5`` cell's
upper end is brought under 4 (the reader learns "at most 3"). The counts of requests and LP runs are
printed (``pytest -s``) for the closing note.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import numpy as np
import pytest
import scipy.sparse as sp
from fastapi.testclient import TestClient
from scipy.optimize import linprog

from safer_communities.analysis.periods import add_months

ISSUE = "serious-organised-crime"  # the issue of the report: nearly every LSOA count is small
FY = "2021-04..2022-03"
MONTHS = [add_months(date(2021, 4, 1), k) for k in range(12)]
QUARTERS = [f"{m:%Y-%m}..{add_months(m, 2):%Y-%m}" for m in MONTHS[::3]]
T = 5


@pytest.fixture(scope="module")
def public(app_factory_module: Callable[..., object]) -> TestClient:
    return TestClient(app_factory_module(public_mode=True))


@pytest.fixture(scope="module")
def app_factory_module(tmp_path_factory: pytest.TempPathFactory, demo_store, template_app_db):
    import shutil

    from web_helpers import SECRET

    from safer_communities.config import Settings
    from safer_communities.web.app import create_app

    def make(**overrides: object):
        copy = tmp_path_factory.mktemp("attack") / "app.sqlite"
        shutil.copy(template_app_db, copy)
        return create_app(Settings(db=demo_store, app_db_url=f"sqlite:///{copy}", secret_key=SECRET,
                                   **overrides))

    return make


class Attacker:
    """Everything the public API told us, as cells, and the sums linking them."""

    def __init__(self) -> None:
        self.cells: dict[tuple, str] = {}
        self.relations: list[tuple[tuple, list[tuple]]] = []
        self.lp_runs = 0

    def see(self, key: tuple, published: str) -> None:
        before = self.cells.setdefault(key, published)
        assert before == published, f"{key} published as {before!r} and as {published!r}: two patterns"

    def bounds(self, extra_rows: list | None = None) -> dict[tuple, tuple[float, float]]:
        """The feasible interval of every withheld cell (two LPs each), given all published cells."""
        unknown = [k for k, v in self.cells.items() if v in (f"<{T}", "[c]")]
        pos = {k: i for i, k in enumerate(unknown)}
        rows, cols, data, rhs = [], [], [], []
        for r, (total, members) in enumerate(self.relations):
            b = 0.0
            for key, sign in [(total, 1.0), *[(m, -1.0) for m in members]]:
                text = self.cells[key]
                if key in pos:
                    rows.append(r), cols.append(pos[key]), data.append(sign)
                elif text != "[x]":
                    b -= sign * float(text.replace(",", ""))
            rhs.append(b)
        a_eq = sp.csr_array((data, (rows, cols)), shape=(len(self.relations), len(unknown)))
        box = [(1, T - 1) if self.cells[k] == f"<{T}" else (T, None) for k in unknown]
        a_ub, b_ub = extra_rows if extra_rows else (None, None)
        out = {}
        for i, key in enumerate(unknown):
            c = np.zeros(len(unknown))
            c[i] = 1.0
            lo = linprog(c, A_eq=a_eq, b_eq=rhs, A_ub=a_ub, b_ub=b_ub, bounds=box, method="highs")
            hi = linprog(-c, A_eq=a_eq, b_eq=rhs, A_ub=a_ub, b_ub=b_ub, bounds=box, method="highs")
            self.lp_runs += 2
            if lo.status == 2:
                return {}  # infeasible: the published figures fit no such truth, nothing is learnt
            out[key] = (lo.fun, -hi.fun if hi.status == 0 else np.inf)
        return out

    def recovered(self, ranges: dict[tuple, tuple[float, float]]) -> list[tuple]:
        found = []
        for key, (lo, hi) in ranges.items():
            pinned = np.floor(hi + 1e-6) - np.ceil(lo - 1e-6) < 1
            narrowed = self.cells[key] == f"<{T}" and hi < T - 1 - 1e-6
            if pinned or narrowed:
                found.append(key)
        return found


def _unplaced(body: dict) -> str | None:
    """What the county's answer says of its records without a location (the county counts them, no
    district does): their count, or the withheld cell's symbol; None where the county has none."""
    meta = body["meta"].get("unlocated")
    if not meta or not meta.get("force_area"):
        return None
    return meta["published"] if meta.get("records") is None else f"{meta['records']:,}"


def _get(client: TestClient, path: str, counter: list[int], **params: str) -> dict:
    counter[0] += 1
    response = client.get(path, params={"issue": ISSUE, **params})
    assert response.status_code == 200, response.text
    return response.json()


def test_differencing_windows_of_months_recovers_nothing(public: TestClient) -> None:
    """Attack 1: ask for every window; off-grid ones are refused, the grid's cells add up to nothing."""
    requests = [0]
    areas = _get(public, "/api/v1/areas", requests)["areas"]
    county = next(a["code"] for a in areas if a["level"] == "county")
    districts = [a["code"] for a in areas if a["level"] == "district"]
    refused = 0
    for start in range(12):  # every run of months that is not a month, a quarter or the year
        for end in range(start + 1, 12):
            label = f"{MONTHS[start]:%Y-%m}..{MONTHS[end]:%Y-%m}"
            if label in QUARTERS or label == FY:
                continue
            requests[0] += 1
            response = public.get("/api/v1/evidence/trend",
                                  params={"issue": ISSUE, "area": districts[0], "period": label})
            assert response.status_code == 422 and response.json()["error"] == "off_grid", label
            refused += 1
    attacker = Attacker()
    for code in [county, *districts]:
        for period in [*(f"{m:%Y-%m}" for m in MONTHS), *QUARTERS, FY]:
            body = _get(public, "/api/v1/evidence/trend", requests, area=code, period=period)
            months = [p["month"] for p in body["months"]]
            for p in body["months"]:
                attacker.see((code, p["month"]), p["published"])
            attacker.see((code, period), body["total"]["published"])
            if len(months) > 1:
                attacker.relations.append(((code, period), [(code, m) for m in months]))
    for period in [*(f"{m:%Y-%m}" for m in MONTHS), *QUARTERS, FY]:
        body = _get(public, "/api/v1/evidence/rates", requests, area=county, period=period)
        for unit in body["units"]:
            attacker.see((unit["area_code"], period), unit["count_published"])
        attacker.see((county, period), body["headline"]["count_published"])
        unplaced = _unplaced(body)  # the county = its districts + the records it cannot place
        if unplaced is not None:
            attacker.see(("unplaced", period), unplaced)
        attacker.relations.append(((county, period), [(d, period) for d in districts]
                                   + ([("unplaced", period)] if unplaced is not None else [])))
    for period in [*QUARTERS, FY]:  # the records without a location add up over months too
        start, end = (date.fromisoformat(f"{x}-01") for x in period.split(".."))
        months = [f"{m:%Y-%m}" for m in MONTHS if start <= m <= end]
        if all(("unplaced", m) in attacker.cells for m in [period, *months]):
            attacker.relations.append((("unplaced", period), [("unplaced", m) for m in months]))
    withheld = sum(v in (f"<{T}", "[c]") for v in attacker.cells.values())
    ranges = attacker.bounds()
    print(f"\nattack 1: {requests[0]} requests ({refused} off-grid windows refused), {withheld} withheld "
          f"cells, {attacker.lp_runs} LP runs, recovered {len(attacker.recovered(ranges))}")
    assert withheld > 0 and ranges
    assert attacker.recovered(ranges) == []


def _lsoa_layers(public: TestClient, requests: list[int]) -> tuple[Attacker, dict, list[str]]:
    """The district LSOA tables, the county LSOA hotspot layer and the county table, all for the year."""
    areas = _get(public, "/api/v1/areas", requests)["areas"]
    county = next(a["code"] for a in areas if a["level"] == "county")
    districts = [a["code"] for a in areas if a["level"] == "district"]
    attacker = Attacker()
    for code in districts:
        body = _get(public, "/api/v1/evidence/rates", requests, area=code, period=FY)
        attacker.see((code,), body["headline"]["count_published"])
        members = []
        for unit in body["units"]:
            attacker.see((unit["area_code"],), unit["count_published"])
            members.append((unit["area_code"],))
        attacker.relations.append(((code,), members))
    body = _get(public, "/api/v1/evidence/rates", requests, area=county, period=FY)
    attacker.see((county,), body["headline"]["count_published"])
    unplaced = _unplaced(body)  # the county = its districts + the records it cannot place
    if unplaced is not None:
        attacker.see(("unplaced",), unplaced)
    attacker.relations.append(((county,), [(d,) for d in districts]
                               + ([("unplaced",)] if unplaced is not None else [])))
    layer = _get(public, "/api/v1/evidence/hotspots", requests, area=county, period=FY)
    for feature in layer["features"]:
        attacker.see((feature["properties"]["area_code"],), feature["properties"]["count_published"])
    return attacker, layer, [county, *districts]


def test_district_tables_and_county_layer_agree_and_recover_nothing(public: TestClient) -> None:
    """Attack 2: the same LSOA cells in two outputs carry one pattern (``see`` asserts it), so
    combining the district tables with the county layer pins nothing."""
    requests = [0]
    attacker, layer, _ = _lsoa_layers(public, requests)
    withheld = sum(v in (f"<{T}", "[c]") for v in attacker.cells.values())
    ranges = attacker.bounds()
    print(f"\nattack 2: {requests[0]} requests, {len(layer['features'])} LSOAs in both outputs, {withheld} "
          f"withheld cells, {attacker.lp_runs} LP runs, recovered {len(attacker.recovered(ranges))}")
    assert withheld > 400  # the attack is on the issue where it matters
    assert attacker.recovered(ranges) == []


_WEIGHTS: dict[tuple, object] = {}


def _neighbours(con, codes: list[str]):
    """The attacker's own neighbours of the public LSOA boundaries: polygons within 2 m (as the method
    note of the layer says), built with libpysal directly; no diagonal."""
    import warnings

    from libpysal.weights import fuzzy_contiguity

    from safer_communities.analysis.results import area_geometries

    key = tuple(codes)
    if key not in _WEIGHTS:
        geoms = area_geometries(con, "lsoa").set_index("area_code").loc[codes].reset_index()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            w = fuzzy_contiguity(geoms, buffering=True, buffer=2.0, silence_warnings=True).sparse.tocsr()
        w.setdiag(0)
        w.eliminate_zeros()
        w.data[:] = 1.0
        _WEIGHTS[key] = w
    return _WEIGHTS[key]


def _gistar_rows(layer: dict, attacker: Attacker, con, sd: float, total: float) -> tuple:
    """``z_i`` (published to 1 decimal) as two inequalities on the withheld counts, given ``sd``."""
    codes = sorted(f["properties"]["area_code"] for f in layer["features"])
    z = {f["properties"]["area_code"]: f["properties"]["gistar_z"] for f in layer["features"]}
    w = _neighbours(con, codes).tolil()
    w.setdiag(1)
    w = w.tocsr()
    n = len(codes)
    unknown = [k for k, v in attacker.cells.items() if v in (f"<{T}", "[c]")]
    pos = {k: i for i, k in enumerate(unknown)}
    known = np.array([0.0 if attacker.cells[(c,)] in (f"<{T}", "[c]") else
                      float(attacker.cells[(c,)].replace(",", "")) for c in codes])
    mean = total / n
    rows, rhs = [], []
    for i, code in enumerate(codes):
        if z[code] is None:
            continue
        nbrs = w.indices[w.indptr[i]:w.indptr[i + 1]]
        weight = float(len(nbrs))
        scale = sd * np.sqrt((n * weight - weight * weight) / (n - 1))
        row = np.zeros(len(unknown))
        for j in nbrs:
            if (codes[j],) in pos:
                row[pos[(codes[j],)]] = 1.0
        fixed = known[nbrs].sum() - mean * weight
        rows.append(row), rhs.append((z[code] + 0.05) * scale - fixed)  # lag <= (z + 0.05) s ...
        rows.append(-row), rhs.append(-((z[code] - 0.05) * scale - fixed))
    return (np.array(rows), np.array(rhs)), codes


def test_gistar_z_scores_recover_nothing(public: TestClient, demo_store) -> None:
    """Attack 3: solve for withheld LSOA counts from the published Gi* z-scores, the county and district
    totals and the bands, with a linear programme; and show the same attack pins cells when z is
    computed from the true counts (what the issue found), so this test can fail."""
    from safer_communities.analysis.gistar import local_gistar
    from safer_communities.config import Settings
    from safer_communities.publish.grid import protect_issue
    from safer_communities.store.evidence import connect

    requests = [0]
    attacker, layer, areas = _lsoa_layers(public, requests)
    # Gi* is over the LSOAs: their total is the county's less the records it cannot place (published)
    unplaced = attacker.cells.get(("unplaced",), "0")
    total = float(attacker.cells[(areas[0],)].replace(",", "")) - float(unplaced.replace(",", ""))
    con = connect(demo_store, read_only=True)
    try:
        protected = protect_issue(con, ISSUE, settings=Settings())
        gp = protected.period(FY, "lsoa")
        codes_all = sorted(f["properties"]["area_code"] for f in layer["features"])
        true = np.array([protected.counts[protected._row(c), protected.periods.index(gp)] for c in codes_all])
        stand_in = protected.protected_counts(codes_all, gp)
        # The attacker does not know the standard deviation; give it both candidates (the true one too).
        results = {}
        for name, sd in (("true sd", float(true.std())), ("stand-in sd", float(stand_in.std()))):
            ub, _ = _gistar_rows(layer, attacker, con, sd, total)
            ranges = attacker.bounds(list(ub))
            results[name] = attacker.recovered(ranges)
        # The same attack on z from the true counts (the build before the fix).
        w_layer = {"features": [dict(f) for f in layer["features"]]}
        w = _neighbours(con, codes_all)
        assert np.diff(w.indptr).min() > 0  # every LSOA has neighbours: z mixes its neighbourhood's counts
        z_true, _ = local_gistar(true, w)
        by_code = dict(zip(codes_all, np.round(z_true, 1), strict=True))
        w_layer["features"] = [{"properties": {**f["properties"], "gistar_z": float(by_code[
            f["properties"]["area_code"]])}} for f in layer["features"]]
        ub, _ = _gistar_rows(w_layer, attacker, con, float(true.std()), total)
        before = attacker.recovered(attacker.bounds(list(ub)))
        # Why nothing is learnt: the published z is that of the published counts with the stand-ins
        # (1 to 4 -> 2.5), recomputed here from the public layer alone.
        public_counts = []
        for code in codes_all:
            text = attacker.cells[(code,)]
            public_counts.append(2.5 if text == f"<{T}" else np.nan if text == "[c]" else float(text))
        public_counts = np.array(public_counts)
        secondary = np.isnan(public_counts)
        public_counts[secondary] = stand_in[secondary]  # [c]: its district's remainder, from published totals
        z_public, _ = local_gistar(public_counts, w)
        shown_z = {f["properties"]["area_code"]: f["properties"]["gistar_z"] for f in layer["features"]}
        published_z = np.array([shown_z[c] for c in codes_all], dtype=float)
        np.testing.assert_allclose(np.round(z_public, 1), published_z, atol=0.051)
    finally:
        con.close()
    withheld = sum(v in (f"<{T}", "[c]") for v in attacker.cells.values())
    print(f"\nattack 3: {requests[0]} requests, {withheld} withheld cells, {attacker.lp_runs} LP runs; "
          f"recovered {[len(v) for v in results.values()]} (true sd, stand-in sd); "
          f"z from true counts (before the fix) recovers {len(before)}")
    assert len(before) > 100  # the attack works on z computed from the true counts
    assert all(v == [] for v in results.values())
