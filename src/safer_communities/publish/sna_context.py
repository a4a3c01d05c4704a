"""What one needs-assessment run shares: the store, the area, the period, cached analysis results, findings.

Analysis results that do not depend on the report's area (district rates, funnels, boundaries) are
cached for the whole run, so ``--all-districts`` computes them once for fifteen reports.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import geopandas as gpd
import pandas as pd

from safer_communities.analysis.definitions import Definition, Definitions
from safer_communities.analysis.periods import Period
from safer_communities.config import Settings
from safer_communities.errors import SaferError
from safer_communities.publish.document import Figure, Paragraph
from safer_communities.publish.style import Chart

POLICE_SOURCE_TEXT = "police.uk street-level crime and anti-social behaviour"
STATS19_SOURCE_TEXT = "Department for Transport STATS19 road collisions"


@dataclass
class Finding:
    """One numbered fact the summary and the 'what the evidence suggests' prompts are built from."""

    issue: str
    kind: str  # change | funnel | hotspot | deprivation | gap | concentration | volume
    text: str
    prompt: str = ""
    weight: float = 0.0


@dataclass
class Shared:
    """Per-run cache (area-independent results) and settings."""

    con: duckdb.DuckDBPyConnection
    settings: Settings
    definitions: Definitions
    period: Period
    county_code: str
    county_name: str
    districts: pd.DataFrame
    # The loaded strategies' objectives and actions per issue (``strategy.links.by_issue``); None when the
    # caller gave no strategy register, so the report says nothing about delivery.
    strategy: dict[str, list[dict[str, Any]]] | None = None
    # Built with --internal (a period off the publication grid, or asked for): marked on every page and file.
    internal: bool = False
    cache: dict[tuple, Any] = field(default_factory=dict)

    def memo(self, key: tuple, compute: Callable[[], Any]) -> Any:
        """Compute once per run; a SaferError is cached too, so a missing source is reported once."""
        if key not in self.cache:
            try:
                self.cache[key] = compute()
            except SaferError as exc:
                self.cache[key] = exc
        value = self.cache[key]
        if isinstance(value, SaferError):
            raise value
        return value


@dataclass
class Context:
    """One report: its area and what it has found so far."""

    shared: Shared
    area_code: str
    area_name: str
    area_level: str  # county | district
    out_dir: Path
    findings: list[Finding] = field(default_factory=list)
    maps: list[Chart] = field(default_factory=list)
    hotspot_layers: dict[str, gpd.GeoDataFrame] = field(default_factory=dict)
    gis_layers: list[Any] = field(default_factory=list)  # publish.gpkg.Layer, for evidence.gpkg

    @property
    def con(self) -> duckdb.DuckDBPyConnection:
        return self.shared.con

    @property
    def settings(self) -> Settings:
        return self.shared.settings

    @property
    def period(self) -> Period:
        return self.shared.period

    @property
    def is_county(self) -> bool:
        return self.area_level == "county"

    def figure(self, chart: Chart, caption: str, *, is_map: bool = False) -> Figure:
        if is_map:
            self.maps.append(chart)
        return Figure(chart=chart, caption=caption, key=chart.name)

    def find(self, finding: Finding) -> None:
        self.findings.append(finding)


def gap(exc: SaferError) -> Paragraph:
    """A missing source or too-small table said plainly (never drawn as zero)."""
    text = exc.what
    if exc.hint:
        text += f" {exc.hint}"
    return Paragraph(text, kind="warning")


def guarded(fn: Callable[[], list], *, on_error: Callable[[SaferError], list] | None = None) -> list:
    """Blocks from ``fn``; when the data cannot answer (no source, nothing loaded, too small to publish),
    the reason as a visible paragraph instead of a zero or a crash."""
    try:
        return fn()
    except SaferError as exc:
        return on_error(exc) if on_error else [gap(exc)]


def label(definition: Definition) -> str:
    return definition.label
