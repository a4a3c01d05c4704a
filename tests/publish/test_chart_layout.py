"""Chart and map text never clips or collides: checked on the rendered boxes of every chart type.

Each chart is drawn with the longest real labels the reports carry (district names such as "Blackburn
with Darwen", police.uk outcome names, long titles) and a funnel whose districts crowd together as
Lancashire's do (Wyre, South Ribble, Chorley and Blackpool). Before the figure is closed, the test
reads matplotlib's rendered extent of every text and legend and checks that no text leaves the figure,
no two texts overlap and no text outside a legend overlaps that legend.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure
from matplotlib.transforms import Bbox
from shapely.geometry import box

from safer_communities.config import Settings
from safer_communities.publish import charts, layout, maps, style

SETTINGS = Settings()
# Lancashire's 14 districts with mid-2020 populations (ONS), the funnel's crowded middle included.
DISTRICTS = {"Blackburn with Darwen": 150_030, "Blackpool": 138_381, "Burnley": 89_344, "Chorley": 118_216,
             "Fylde": 80_780, "Hyndburn": 81_043, "Lancaster": 146_038, "Pendle": 92_112, "Preston": 143_135,
             "Ribble Valley": 61_217, "Rossendale": 71_482, "South Ribble": 111_086,
             "West Lancashire": 114_306, "Wyre": 112_091}
OUTCOMES = ["Investigation complete; no suspect identified", "Unable to prosecute suspect",
            "Status update unavailable", "Awaiting court outcome",
            "Action to be taken by another organisation",
            "Formal action is not in the public interest", "Local resolution", "Offender given a caution"]


@pytest.fixture
def drawn(monkeypatch: pytest.MonkeyPatch) -> list[tuple[Figure, list[tuple[str, Bbox]], list[Bbox]]]:
    """Every figure rendered in the test, with its text boxes and legend boxes read before closing."""
    seen: list[tuple[Figure, list[tuple[str, Bbox]], list[Bbox]]] = []
    original = style.render

    def spy(fig: Figure, **kwargs: object) -> style.Chart:
        chart = original(fig, **kwargs)
        renderer = fig.canvas.get_renderer()
        legends = [leg.get_window_extent(renderer) for leg in fig.legends]
        legends += [ax.get_legend().get_window_extent(renderer) for ax in fig.axes if ax.get_legend()]
        seen.append((fig, layout.text_boxes(fig), legends))
        return chart

    monkeypatch.setattr(style, "render", spy)
    return seen


def _check(fig: Figure, texts: list[tuple[str, Bbox]], legends: list[Bbox]) -> None:
    frame = fig.bbox
    for text, bb in texts:
        assert frame.x0 - 1 <= bb.x0 and bb.x1 <= frame.x1 + 1 and frame.y0 - 1 <= bb.y0 \
            and bb.y1 <= frame.y1 + 1, f"{text!r} leaves the figure: {bb} outside {frame}"
    for i, (a, box_a) in enumerate(texts):
        for b, box_b in texts[i + 1:]:
            overlap = Bbox.intersection(box_a, box_b)
            assert overlap is None or overlap.width < 1 or overlap.height < 1, f"{a!r} overlaps {b!r}"
    for text, bb in texts:
        for legend in legends:
            inside = legend.x0 - 1 <= bb.x0 and bb.x1 <= legend.x1 + 1 and legend.y0 - 1 <= bb.y0 \
                and bb.y1 <= legend.y1 + 1
            overlap = Bbox.intersection(bb, legend)
            assert inside or overlap is None or overlap.width < 1 or overlap.height < 1, \
                f"{text!r} runs into the legend"


def _funnel_frame() -> tuple[pd.DataFrame, pd.DataFrame, float]:
    pop = np.array(list(DISTRICTS.values()), dtype=float)
    rate = np.array([38.1, 52.3, 41.0, 24.9, 22.0, 33.5, 29.8, 31.2, 40.6, 17.9, 30.1, 25.3, 24.2, 25.6])
    frame = pd.DataFrame({"area_name": list(DISTRICTS), "population": pop,
                          "count": np.round(rate * pop / 1000).astype(int), "rate_per_1000": rate})
    overall = float(frame["count"].sum() / frame["population"].sum() * 1000)
    grid = np.linspace(50_000, 160_000, 50)
    sd = np.sqrt(overall / 1000 / grid) * 1000
    limits = pd.DataFrame({"population": grid, "upper_95": overall + 1.96 * sd,
                           "lower_95": overall - 1.96 * sd,
                           "upper_998": overall + 3.09 * sd, "lower_998": overall - 3.09 * sd})
    return frame, limits, overall


def test_every_chart_keeps_its_text_inside_and_apart(drawn: list) -> None:
    long_title = ("Serious violence: districts against the Lancashire rate of recorded crime per 1,000 "
                  "residents, November 2021 to October 2022")
    charts.bar_chart(OUTCOMES, [1200, 640, 300, 120, 60, 30, 9, 3],
                     title="Violence and sexual offences: latest outcome, Blackburn with Darwen",
                     name="outcomes", source="police.uk outcomes", value_label="Crimes", settings=SETTINGS)
    charts.trend_chart(pd.date_range("2020-10-01", periods=25, freq="MS"),
                       [300 + 20 * np.sin(k) if k != 7 else np.nan for k in range(25)], title=long_title,
                       name="trend", source="police.uk", settings=SETTINGS)
    frame, limits, overall = _funnel_frame()
    charts.funnel_chart(frame, label_column="area_name", count_column="count", population_column="population",
                        rate_column="rate_per_1000", limits=limits, overall_rate=overall, title=long_title,
                        name="funnel", source="police.uk", value_label="Rate per 1,000 residents",
                        settings=SETTINGS)
    rates = frame.assign(lo=frame["rate_per_1000"] * 0.9, hi=frame["rate_per_1000"] * 1.1)
    charts.rate_chart(rates, label_column="area_name", rate_column="rate_per_1000", low_column="lo",
                      high_column="hi", count_column="count", title=long_title, name="rates", source="DfT",
                      value_label="Per 100,000 residents", reference=overall, reference_label="Lancashire",
                      settings=SETTINGS)
    deciles = pd.DataFrame({"decile": range(1, 11), "count": [900, 700, 500, 400, 300, 250, 200, 4, 100, 90]})
    deciles["rate"] = deciles["count"] / 10
    deciles["lo"], deciles["hi"] = deciles["rate"] * 0.9, deciles["rate"] * 1.1
    charts.decile_chart(deciles, decile_column="decile", rate_column="rate", low_column="lo",
                        high_column="hi", count_column="count", title=long_title, name="deciles",
                        source="police.uk; IMD",
                        value_label="Rate per 1,000 residents", settings=SETTINGS)
    grid = pd.DataFrame(np.arange(168).reshape(7, 24) % 13 + 2, index=charts.DAY_NAMES, columns=range(24))
    charts.heatmap_chart(grid, title="Injury collisions by hour and day, Blackburn with Darwen",
                         name="times", source="DfT STATS19", settings=SETTINGS)
    assert len(drawn) == 6
    for fig, texts, legends in drawn:
        _check(fig, texts, legends)


def test_funnel_labels_every_crowded_district(drawn: list) -> None:
    frame, limits, overall = _funnel_frame()
    chart = charts.funnel_chart(frame, label_column="area_name", count_column="count",
                                population_column="population", rate_column="rate_per_1000", limits=limits,
                                overall_rate=overall, title="Funnel", name="funnel", source="police.uk",
                                value_label="Rate per 1,000 residents", settings=SETTINGS)
    labels = {text for text, _ in drawn[0][1]}
    for name in ("Wyre", "South Ribble", "Chorley", "Blackpool"):
        assert name in labels, f"{name} not labelled"
    assert "Not labelled" not in chart.alt


def _lancashire_like_areas() -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, pd.DataFrame]:
    rng = np.random.default_rng(7)
    cells, names, codes = [], [], []
    for k, name in enumerate(DISTRICTS):
        x0, y0 = 330_000 + (k % 4) * 12_000, 410_000 + (k // 4) * 14_000
        for i in range(6):
            cells.append(box(x0 + (i % 3) * 4_000, y0 + (i // 3) * 7_000, x0 + (i % 3 + 1) * 4_000,
                             y0 + (i // 3 + 1) * 7_000))
            names.append(name)
            codes.append(f"E01{k:03d}{i:03d}")
    lsoa = gpd.GeoDataFrame({"area_code": codes, "district": names}, geometry=cells, crs="EPSG:27700")
    districts = lsoa.dissolve(by="district", as_index=False).rename(columns={"district": "area_name"})
    counts = rng.integers(0, 60, len(lsoa))
    population = rng.integers(900, 2_500, len(lsoa))
    rates = pd.DataFrame({"area_code": codes, "area_name": [f"{n} 00{i % 6}A" for i, n in enumerate(names)],
                          "count": counts, "population": population,
                          "rate_per_1000": counts / population * 1000})
    return lsoa, districts, rates


def test_maps_keep_title_legend_names_and_map_apart(drawn: list) -> None:
    lsoa, districts, rates = _lancashire_like_areas()
    chart = maps.choropleth_map(lsoa, rates, rate_column="rate_per_1000", count_column="count",
                                title="Serious organised crime: rate per 1,000 residents by LSOA, Lancashire",
                                name="lsoa", source="police.uk", value_label="Per 1,000 residents",
                                outlines=districts, settings=SETTINGS)
    xs, ys = np.meshgrid(np.arange(40) * 500 + 330_250, np.arange(40) * 500 + 410_250)
    grid = gpd.GeoDataFrame({"x": xs.ravel(), "y": ys.ravel(), "class": (xs.ravel() // 500) % 7 - 3},
                            geometry=gpd.points_from_xy(xs.ravel(), ys.ravel()), crs="EPSG:27700")
    grid.attrs["cell_size_m"] = 500.0
    maps.hotspot_map(grid, title="Violence and sexual offences: hot spots (Getis-Ord Gi*), Lancashire",
                     name="hot", source="police.uk", outlines=districts)
    for fig, texts, legends in drawn:
        _check(fig, texts, legends)
    shown = {text for text, _ in drawn[0][1]}
    assert sum(name in shown for name in DISTRICTS) >= 10, "most district names are drawn"
    assert "quantile classes of empirical-Bayes smoothed rates (equal numbers of LSOAs)" in chart.alt
    assert chart.data is not None and len(chart.data.rows) == len(lsoa)


def test_the_check_catches_clipping_overlap_and_legend_collisions() -> None:
    """The checker itself: a title running off the figure, two labels on one spot, a label on a legend."""
    with style.figure(height_in=3.0) as fig:
        ax = fig.add_subplot()
        ax.set_position((0.1, 0.1, 0.6, 0.8))
        fig.text(0.5, 0.95, "A title far too long to fit in the width that is left of it", fontsize=11)
        fig.canvas.draw()
        with pytest.raises(AssertionError, match="leaves the figure"):
            _check(fig, layout.text_boxes(fig), [])
    with style.figure(height_in=3.0) as fig:
        ax = fig.add_subplot()
        ax.text(0.5, 0.5, "Wyre")
        ax.text(0.52, 0.5, "South Ribble")
        fig.canvas.draw()
        with pytest.raises(AssertionError, match="overlaps"):
            _check(fig, layout.text_boxes(fig), [])
    with style.figure(height_in=3.0) as fig:
        ax = fig.add_subplot()
        ax.plot([0, 1], [0, 1], label="Overall rate")
        legend = ax.legend(loc="upper left")
        ax.text(0.02, 0.95, "Blackpool", transform=ax.transAxes)
        fig.canvas.draw()
        boxes = [(t, b) for t, b in layout.text_boxes(fig) if t == "Blackpool"]
        with pytest.raises(AssertionError, match="runs into the legend"):
            _check(fig, boxes, [legend.get_window_extent(fig.canvas.get_renderer())])
