"""Records that cannot be placed: police.uk rows published without a location ("No Location", no LSOA).

They are still crimes the force recorded. In Lancashire 2021-04..2022-03 they are 11.7% of violence and
cluster in May-October 2021, so leaving them out of a force-wide figure invents a rise when they stop.
Where the study area is a whole police force area (declared in ``data/force_areas.csv``), the county
(force-level) figures count them; district and LSOA figures cannot, and say how many are missing.
Where the study area is not a whole force area, they are reported beside the figures, never dropped
silently.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from datetime import date
from importlib import resources
from typing import TYPE_CHECKING

import duckdb
import numpy as np

if TYPE_CHECKING:  # pandas loads only where a table is built (not for `safer quality`)
    import pandas as pd

from safer_communities.analysis.periods import Period
from safer_communities.analysis.run_cache import per_run
from safer_communities.analysis.unlocated_rule import (
    ANOMALY_MIN_MONTHS,
    ANOMALY_POINTS,
    ANOMALY_RATIO,
    ANOMALY_RULE,
)


@dataclass(frozen=True)
class ForceArea:
    """A study area that is exactly one police force area: its GSS code (E23), name and police.uk slug."""

    code: str
    name: str
    force: str


def _declared() -> dict[str, tuple[str, str, frozenset[str]]]:
    text = (resources.files("safer_communities") / "data" / "force_areas.csv").read_text(encoding="utf-8")
    out: dict[str, tuple[str, str, set[str]]] = {}
    for row in csv.DictReader(text.splitlines()):
        entry = out.setdefault(row["pfa_code"], (row["pfa_name"], row["force"], set()))
        entry[2].add(row["district_code"])
    return {k: (name, force, frozenset(d)) for k, (name, force, d) in out.items()}


@per_run
def force_area(con: duckdb.DuckDBPyConnection) -> ForceArea | None:
    """The force area the study area covers exactly, or ``None`` (part of a force, or several)."""
    rows = con.execute("SELECT DISTINCT county_code, district_code FROM areas").fetchall()
    counties = {r[0] for r in rows}
    if len(counties) != 1:
        return None
    (code,) = counties
    declared = _declared().get(code)
    if declared is None or {r[1] for r in rows} != declared[2]:
        return None
    return ForceArea(code=code, name=declared[0], force=declared[1])


@dataclass(frozen=True)
class Unlocated:
    """Records of an issue in a period published without a location, and how many were published."""

    records: int
    total: int
    by_month: dict[date, int]
    force_area: ForceArea | None
    anomalous: dict[date, float] = field(default_factory=dict)  # month -> unlocated share
    totals_by_month: dict[date, int] = field(default_factory=dict)  # month -> records published

    def within(self, period: Period) -> Unlocated:
        """The same records restricted to ``period`` (as :func:`unlocated` for that period would give)."""
        months = [m for m in self.totals_by_month if period.start <= m <= period.end]
        return Unlocated(
            records=sum(self.by_month.get(m, 0) for m in months),
            total=sum(self.totals_by_month[m] for m in months),
            by_month={m: self.by_month.get(m, 0) for m in months},
            force_area=self.force_area,
            anomalous={m: s for m, s in self.anomalous.items() if period.start <= m <= period.end},
            totals_by_month={m: self.totals_by_month[m] for m in months},
        )

    @property
    def share(self) -> float | None:
        return self.records / self.total if self.total else None

    def included(self, area_level: str) -> bool:
        """Whether figures at ``area_level`` count these records (county level of a whole force area)."""
        return self.force_area is not None and area_level == "county"

    def caveat(self, area_level: str) -> str:
        if not self.records:
            return ""
        share = f"{self.records:,} of {self.total:,} records ({self.share:.1%})"
        if self.included(area_level):
            return (
                f"The {self.force_area.name} figures include {share} that the force published without a "
                "location: they happened in the force area but cannot be placed in a district or LSOA."
            )
        if self.force_area is not None:
            return (
                f"{share} had no location and cannot be placed in a {area_level}: {area_level} figures "
                f"leave them out, so they add up to less than the {self.force_area.name} figure, which "
                "includes them."
            )
        return (
            f"{share} published without a location are not in these figures: the study area is not a whole "
            "police force area, so they cannot be placed in it."
        )

    def anomaly_caveat(self) -> str:
        if not self.anomalous:
            return ""
        months = ", ".join(f"{m:%Y-%m} ({s:.1%})" for m, s in sorted(self.anomalous.items()))
        return (
            f"Months with an unusual share of records without a location: {months} ({ANOMALY_RULE}). "
            "District and LSOA counts dip in those months and trends across them are distorted."
        )

    def to_dict(self, area_level: str) -> dict[str, object]:
        return {
            "records": self.records,
            "total": self.total,
            "share": round(self.share, 4) if self.share is not None else None,
            "included": self.included(area_level),
            "force_area": self.force_area.code if self.force_area else None,
            "anomalous_months": [m.isoformat() for m in sorted(self.anomalous)],
        }


def _filter(crime_types: tuple[str, ...], fa: ForceArea | None) -> tuple[str, list[object]]:
    marks = ", ".join("?" for _ in crime_types)
    where, params = f"crime_type IN ({marks})", list(crime_types)
    if fa is not None:
        where, params = f"{where} AND force = ?", [*params, fa.force]
    return where, params


def anomalous_months(unlocated: np.ndarray, totals: np.ndarray) -> np.ndarray:
    """Which months' unlocated share is anomalous (see ``ANOMALY_RULE``); all False under 6 months."""
    totals = np.asarray(totals, dtype=float)
    share = np.divide(unlocated, totals, out=np.zeros_like(totals), where=totals > 0)
    if (totals > 0).sum() < ANOMALY_MIN_MONTHS:
        return np.zeros(share.shape, dtype=bool)
    usual = float(np.quantile(share[totals > 0], 0.25))
    return (share >= ANOMALY_RATIO * usual) & (share - usual >= ANOMALY_POINTS)


@per_run
def unlocated(con: duckdb.DuckDBPyConnection, crime_types: tuple[str, ...], period: Period) -> Unlocated:
    """Records of ``crime_types`` in ``period`` without a location: of the force when the study area is a
    force area, else of every force in the store. Anomalous months are judged over every month loaded."""
    from safer_communities.analysis.crime_rollup import unlocated_counted  # a roll-up, or crimes

    fa = force_area(con)
    where, params = _filter(crime_types, fa)
    relation, no_lsoa, n = unlocated_counted(con)
    rows = con.execute(
        f"SELECT month, CAST(coalesce({no_lsoa}, 0) AS BIGINT), CAST({n} AS BIGINT) FROM {relation} "
        f"WHERE {where} GROUP BY month ORDER BY month",
        params,
    ).fetchall()
    flags = anomalous_months(np.array([r[1] for r in rows], float), np.array([r[2] for r in rows], float))
    inside = [
        (m, n, t, f) for (m, n, t), f in zip(rows, flags, strict=True) if period.start <= m <= period.end
    ]
    return Unlocated(
        records=sum(int(n) for _, n, _, _ in inside),
        total=sum(int(t) for _, _, t, _ in inside),
        by_month={m: int(n) for m, n, _, _ in inside},
        force_area=fa,
        anomalous={m: n / t for m, n, t, f in inside if f},
        totals_by_month={m: int(t) for m, _, t, _ in inside},
    )


UNPLACED_CODE = "unplaced"
UNPLACED_NAME = "Not placed in a district (published without a location)"


def with_unplaced_row(units: pd.DataFrame, total: pd.DataFrame) -> pd.DataFrame:
    """``units`` plus one row for the records a force-level ``total`` counts but no unit can hold.

    A table whose total row includes the unlocated records must show them as a part, or its parts would
    not add up to its total (and disclosure control could not reason about it). Columns other than
    area_code, area_name and the count columns are left empty (no population: no rate).
    """
    import pandas as pd

    counts = [c for c in ("count", "harm_days") if c in units.columns and c in total.columns]
    gap = {c: float(total[c].sum()) - float(units[c].sum()) for c in counts}
    if not counts or gap[counts[0]] <= 0:
        return units
    row = {"area_code": UNPLACED_CODE, "area_name": UNPLACED_NAME, **gap}
    extra = pd.DataFrame([row]).astype({c: units[c].dtype for c in counts if c == "count"})
    out = pd.concat([units, extra], ignore_index=True)
    out.attrs = dict(units.attrs)
    return out
