"""Issue 10 on the demo store (Lancashire's 14 districts, a whole police force area, 2021-04..2022-03):
every figure here is recomputed independently from the raw police.uk archive and ONS files in demo/data.

Before the fix the county count was the sum of the districts (61,355 violence records, 40.5 per 1,000):
the 8,142 records Lancashire Constabulary published without a location vanished, the county's monthly
chart rose 17% from September to October 2021 when they stopped, and all 14 districts were flagged
outside the funnel limits.

Contains public sector information licensed under the Open Government Licence v3.0 (police.uk, ONS).
"""

from __future__ import annotations

import gzip
import json
import zipfile
from collections.abc import Iterator
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from safer_communities.analysis import placement, trends
from safer_communities.analysis.peers import focus_areas, funnel
from safer_communities.analysis.periods import Period
from safer_communities.analysis.quality import quality_report
from safer_communities.analysis.rates import issue_rates
from safer_communities.store.evidence import connect

DEMO = Path(__file__).resolve().parents[2] / "demo" / "data"
PERIOD = "2021-04..2022-03"
LANCASHIRE = "E23000003"
VIOLENCE = "Violence and sexual offences"


@pytest.fixture(scope="module")
def raw() -> pd.DataFrame:
    """Every street-level row of the archive, as published, with the study area's 2011 LSOAs marked."""
    with zipfile.ZipFile(DEMO / "police-uk" / "police-uk-lancashire-2021-04_2022-03.zip") as z:
        frames = [pd.read_csv(z.open(n), dtype=str) for n in sorted(z.namelist()) if n.endswith("street.csv")]
    rows = pd.concat(frames, ignore_index=True)
    lsoas: dict[str, str] = {}
    for path in sorted((DEMO / "geography").glob("E0*.json.gz")):
        for feature in json.loads(gzip.decompress(path.read_bytes()))["features"]:
            lsoas[feature["properties"]["LSOA11CD"]] = path.name[:9]
    rows["district"] = rows["LSOA code"].map(lsoas)
    return rows


@pytest.fixture(scope="module")
def population_2020() -> pd.Series:
    pop = pd.read_csv(DEMO / "population" / "lancashire_population_2014_2020.csv.gz", thousands=",")
    return pop[pop["Year"] == 2020].set_index("LSOA Code")["Population"]


@pytest.fixture
def con(force_area_store: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    c = connect(force_area_store, read_only=True)
    yield c
    c.close()


def test_county_counts_every_record_the_force_published(con, raw, population_2020) -> None:
    violence = raw[raw["Crime type"] == VIOLENCE]
    placed = int(violence["district"].notna().sum())
    unlocated = int(violence["LSOA code"].isna().sum())
    assert (len(violence), unlocated) == (69_869, 8_142)  # the figures of the issue
    county = issue_rates(con, "violence", area_level="county", period=PERIOD)
    assert county["count"].tolist() == [placed + unlocated] == [69_497]
    pop = int(population_2020.sum())
    assert county["rate_per_1000"].iloc[0] == pytest.approx((placed + unlocated) / pop * 1000)
    assert round(county["rate_per_1000"].iloc[0], 1) == 45.9  # was 40.5 (61,355 records)
    assert county.attrs["unlocated"] == {"records": 8_142, "total": 69_869, "share": 0.1165,
                                         "included": True, "force_area": LANCASHIRE,
                                         "anomalous_months": [f"2021-{m:02d}-01" for m in range(5, 11)]}
    assert any("include 8,142 of 69,869 records (11.7%)" in c for c in county.attrs["caveats"])


def test_district_figures_say_how_many_records_could_not_be_placed(con, raw) -> None:
    violence = raw[raw["Crime type"] == VIOLENCE]
    districts = issue_rates(con, "violence", area_level="district", period=PERIOD)
    expected = violence.groupby("district").size()
    assert districts.set_index("area_code")["count"].to_dict() == expected.to_dict()
    assert int(districts["count"].sum()) == 61_355
    assert not districts.attrs["unlocated"]["included"]
    assert any("8,142 of 69,869 records (11.7%) had no location and cannot be placed in a district" in c
               for c in districts.attrs["caveats"])


def test_county_monthly_chart_has_no_false_october_rise(con, raw) -> None:
    violence = raw[raw["Crime type"] == VIOLENCE]
    in_force = violence["district"].notna() | violence["LSOA code"].isna()
    force_month = violence[in_force].groupby("Month").size()
    placed_month = violence[violence["district"].notna()].groupby("Month").size()
    series = trends.monthly_series(con, "violence", area_level="county", period=PERIOD)
    got = dict(zip(series["month"].dt.strftime("%Y-%m"), series["count"].astype(int), strict=True))
    assert got == force_month.to_dict()
    rise = placed_month["2021-10"] / placed_month["2021-09"] - 1  # what the chart showed before
    assert rise == pytest.approx(0.171, abs=0.001)
    assert abs(got["2021-10"] / got["2021-09"] - 1) < 0.07
    assert any("unusual share of records without a location" in c for c in series.attrs["caveats"])


def test_anomalous_unlocated_months_by_crime_type(con, raw) -> None:
    report = quality_report(con)
    by_type = report.unlocated_by_type["by_crime_type"]
    violence = raw[raw["Crime type"] == VIOLENCE]
    share = violence["LSOA code"].isna().groupby(violence["Month"]).mean()
    assert by_type[VIOLENCE]["share_by_month"] == {m: round(v, 4) for m, v in share.items()}
    usual = np.quantile(share.to_numpy(), 0.25)
    flagged = [m for m, v in share.items() if v >= 2 * usual and v - usual >= 0.05]
    assert by_type[VIOLENCE]["anomalous_months"] == flagged == [f"2021-{m:02d}" for m in range(5, 11)]
    assert by_type["Anti-social behaviour"]["anomalous_months"] == []
    assert not any("They count in totals" in w.hint for w in report.warnings)
    assert any("unusual share of rows without a location" in w.message for w in report.warnings)


def test_a_part_of_a_force_area_reports_unlocated_records_beside_the_figures(force_area_store, tmp_path, raw
                                                                             ) -> None:
    """Without Blackpool and Blackburn with Darwen the study area is not the force area: the unlocated
    records cannot be placed in it, so nothing is added, and every result says how many there are."""
    import shutil

    path = tmp_path / "part.duckdb"
    shutil.copyfile(force_area_store, path)
    c = connect(path)
    c.execute("DELETE FROM areas WHERE district_code IN ('E06000008', 'E06000009')")
    assert placement.force_area(c) is None
    county = issue_rates(c, "violence", area_level="county", period=PERIOD)
    districts = issue_rates(c, "violence", area_level="district", period=PERIOD)
    c.close()
    violence = raw[(raw["Crime type"] == VIOLENCE) & raw["district"].notna()]
    placed = int((~violence["district"].isin(["E06000008", "E06000009"])).sum())
    assert county["count"].iloc[0] == districts["count"].sum() == placed
    assert county.attrs["unlocated"] == {"records": 8_142, "total": 69_869, "share": 0.1165,
                                         "included": False, "force_area": None,
                                         "anomalous_months": [f"2021-{m:02d}-01" for m in range(5, 11)]}
    assert any("8,142 of 69,869 records (11.7%) published without a location are not in these figures: "
               "the study area is not a whole police force area" in x for x in county.attrs["caveats"])


def test_funnel_allows_for_overdispersion_on_the_demo(con, raw, population_2020) -> None:
    fun = funnel(con, "violence", period=PERIOD)
    assert (fun["flag_poisson"] != "within").all()  # before: all 14 districts "significant"
    # phi recomputed from the raw files: 10%-winsorised z-scores around the overall district rate
    violence = raw[(raw["Crime type"] == VIOLENCE) & raw["district"].notna()]
    observed = violence.groupby("district").size().sort_index()
    pop = _district_population(population_2020).loc[observed.index]
    theta = observed.sum() / pop.sum()
    z = np.sort(((observed - theta * pop) / np.sqrt(theta * pop)).to_numpy())
    z[0], z[-1] = z[1], z[-2]  # 10% of 14 areas: one at each end
    phi = float(np.mean(z**2))
    assert fun.attrs["overdispersion"]["phi"] == pytest.approx(phi)
    assert round(phi, 1) == 381.4
    assert fun.loc[fun["flag"] == "above", "area_name"].tolist() == ["Blackpool"]
    assert (fun["flag"] != "within").sum() == 1
    assert "phi = 381.4" in fun.attrs["method"]


def test_focus_areas_are_ordered_by_the_strength_of_the_evidence(con) -> None:
    """Before: the first three districts above the limit in list (alphabetical) order, so Preston (7,420
    records, 51.5 per 1,000) was left out behind Blackburn with Darwen, Blackpool and Burnley."""
    fun = funnel(con, "violence", period=PERIOD, overdispersion_method="none")
    above = fun[fun["flag"] == "above"]
    assert above["area_name"].tolist()[:3] == ["Blackburn with Darwen", "Blackpool", "Burnley"]
    limit = above["limit_998_high"] * above["population"].astype(float) / 1000
    expected = (above["count"] - limit).sort_values(ascending=False)
    order = fun.loc[expected.index, "area_name"].tolist()
    assert focus_areas(fun) == order and order[:2] == ["Blackpool", "Preston"]
    adjusted = funnel(con, "violence", period=PERIOD)
    assert focus_areas(adjusted) == ["Blackpool"]


def _district_population(population_2020: pd.Series) -> pd.Series:
    lsoas: dict[str, str] = {}
    for path in sorted((DEMO / "geography").glob("E0*.json.gz")):
        for feature in json.loads(gzip.decompress(path.read_bytes()))["features"]:
            lsoas[feature["properties"]["LSOA11CD"]] = path.name[:9]
    frame = population_2020.rename("population").to_frame()
    frame["district"] = frame.index.map(lsoas)
    return frame.groupby("district")["population"].sum()


def test_a_year_with_no_data_is_refused(con) -> None:
    from safer_communities.errors import NoDataError

    with pytest.raises(NoDataError, match="No data for this period") as info:
        issue_rates(con, "violence", period="2019")
    assert "2021-04..2022-03" in (info.value.found or "")
    month = pd.Timestamp("2019-01-01").date()
    with pytest.raises(NoDataError):
        trends.monthly_series(con, "violence", period=Period.from_months(month, month))
