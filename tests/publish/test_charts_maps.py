"""Charts and maps: PNG bytes, alt text written from the data, withheld values never drawn as values."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from safer_communities.config import Settings
from safer_communities.publish import charts, maps
from safer_communities.publish.style import Chart

PNG = b"\x89PNG\r\n\x1a\n"
SETTINGS = Settings()


def _is_png(chart: Chart) -> bool:
    return chart.png.startswith(PNG) and len(chart.png) > 5_000


def test_bar_chart_withholds_small_counts_and_says_so() -> None:
    chart = charts.bar_chart(["Violence", "Drugs", "Robbery", "Shoplifting"], [120, 3, 40, 0],
                             title="Crimes by type", name="bar", source="police.uk", settings=SETTINGS)
    assert _is_png(chart)
    assert "Largest: Violence (120)" in chart.alt
    assert "2 values withheld" in chart.alt  # the 3 and, to protect it against the total, the 40
    assert "Total: 163" in chart.alt


def test_trend_chart_shows_missing_month_as_gap_not_zero() -> None:
    months = pd.date_range("2021-01-01", periods=6, freq="MS")
    chart = charts.trend_chart(months, [30, 25, np.nan, 28, 40, 33], title="Violence per month", name="t",
                               source="police.uk", settings=SETTINGS)
    assert _is_png(chart)
    assert "No data for March 2021: shown as a gap, not as zero" in chart.alt
    assert "Highest month: May 2021 (40)" in chart.alt
    assert "lowest: February 2021 (25)" in chart.alt


def test_rate_chart_does_not_draw_rates_on_few_records() -> None:
    frame = pd.DataFrame({"area": ["A", "B", "C"], "n": [100, 6, 40], "rate": [10.0, 0.6, 4.0],
                          "lo": [8.1, 0.2, 2.9], "hi": [12.2, 1.3, 5.4]})
    chart = charts.rate_chart(frame, label_column="area", rate_column="rate", low_column="lo",
                              high_column="hi", count_column="n", title="Rate", name="r", source="x",
                              value_label="per 1,000", reference=6.2, settings=SETTINGS)
    assert "Highest: A (10.0); lowest: C (4.0)" in chart.alt
    assert "1 rate withheld" in chart.alt
    assert "B (" not in chart.alt


def test_heatmap_alt_text_names_busiest_day_and_hour() -> None:
    table = pd.DataFrame(10, index=charts.DAY_NAMES, columns=range(24))
    table.loc["Friday", 17] = 60
    chart = charts.heatmap_chart(table, title="Collisions", name="h", source="DfT", settings=SETTINGS)
    assert _is_png(chart)
    assert "Busiest day: Friday" in chart.alt
    assert "Busiest hour starts at 17:00" in chart.alt


def test_decile_chart_png_and_alt() -> None:
    frame = pd.DataFrame({"decile": range(1, 11), "count": [300, 200, 150, 100, 80, 60, 50, 9, 30, 20]})
    frame["rate"] = frame["count"] / 10
    frame["lo"], frame["hi"] = frame["rate"] * 0.8, frame["rate"] * 1.2
    chart = charts.decile_chart(frame, decile_column="decile", rate_column="rate", low_column="lo",
                                high_column="hi", count_column="count", title="By decile", name="d",
                                source="x", value_label="per 1,000", settings=SETTINGS)
    assert _is_png(chart)
    assert "Highest: decile 1 (30.0)" in chart.alt
    assert "1 decile withheld" in chart.alt


def test_chart_without_alt_text_is_refused() -> None:
    with pytest.raises(ValueError, match="alternative text"):
        Chart(name="x", png=PNG, alt="  ", title="x")


def test_choropleth_hatches_small_numerators_and_lists_highest() -> None:
    cells = [box(x * 1000, 0, x * 1000 + 1000, 1000) for x in range(4)]
    areas = gpd.GeoDataFrame({"area_code": list("abcd")}, geometry=cells, crs="EPSG:27700")
    rates = pd.DataFrame({"area_code": list("abc"), "area_name": ["North", "South", "East"],
                          "count": [50, 4, 20], "rate": [25.0, 2.0, 10.0]})
    chart = maps.choropleth_map(areas, rates, rate_column="rate", count_column="count", title="Test map",
                                name="m", source="police.uk", value_label="Per 1,000", settings=SETTINGS)
    assert _is_png(chart)
    assert "Highest: North (25.0); East (10.0)" in chart.alt
    assert "1 area withheld (hatched) because the rate rests on fewer than 10 records" in chart.alt


def test_hotspot_map_counts_classes() -> None:
    xs, ys = np.meshgrid(np.arange(10) * 250 + 125, np.arange(8) * 250 + 125)
    grid = gpd.GeoDataFrame({"x": xs.ravel(), "y": ys.ravel(), "class": 0},
                            geometry=[box(x - 125, y - 125, x + 125, y + 125) for x, y in zip(xs.ravel(),
                                                                                             ys.ravel(),
                                                                                             strict=True)],
                            crs="EPSG:27700")
    grid.loc[:4, "class"] = 3
    grid.loc[5:6, "class"] = 2
    grid.loc[70:, "class"] = -1
    grid.attrs["cell_size_m"] = 250.0
    chart = maps.hotspot_map(grid, title="Hot spots", name="h", source="police.uk")
    assert _is_png(chart)
    assert "7 grid cells are statistically significant hot spots (5 at 99% confidence)" in chart.alt
    assert "and 10 are cold spots" in chart.alt
