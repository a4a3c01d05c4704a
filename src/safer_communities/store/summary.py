"""What is in the evidence store, in a few lines: for `safer summary` and the end of `make demo`."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import duckdb

from safer_communities.store.evidence import table_counts


@dataclass
class StoreSummary:
    """Row counts and coverage of the public tables."""

    tables: dict[str, int]
    police_months: dict[str, dict[str, tuple[date, date, int]]] = field(default_factory=dict)
    districts: list[tuple[str, str, int]] = field(default_factory=list)
    population_years: list[int] = field(default_factory=list)
    collision_years: list[int] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "tables": self.tables,
            "police_months": {
                kind: {
                    force: {"first": first.strftime("%Y-%m"), "last": last.strftime("%Y-%m"), "months": n}
                    for force, (first, last, n) in forces.items()
                }
                for kind, forces in self.police_months.items()
            },
            "districts": [{"code": c, "name": n, "lsoas": k} for c, n, k in self.districts],
            "population_years": self.population_years,
            "collision_years": self.collision_years,
        }


def store_summary(con: duckdb.DuckDBPyConnection) -> StoreSummary:
    """Summarise the store without reading more than aggregates."""
    summary = StoreSummary(tables=table_counts(con))
    for kind, table in (("street", "crimes"), ("outcomes", "outcomes"), ("stop_search", "stop_search")):
        rows = con.execute(
            f"SELECT force, min(month), max(month), count(DISTINCT month) FROM {table} "
            "GROUP BY force ORDER BY force"
        ).fetchall()
        if rows:
            summary.police_months[kind] = {force: (first, last, n) for force, first, last, n in rows}
    summary.districts = [
        (code, name, int(n))
        for code, name, n in con.execute(
            "SELECT district_code, any_value(district_name), count(*) FROM areas "
            "WHERE lsoa_vintage = 2011 GROUP BY district_code ORDER BY district_code"
        ).fetchall()
    ]
    summary.population_years = [
        int(y) for (y,) in con.execute("SELECT DISTINCT year FROM population ORDER BY year").fetchall()
    ]
    summary.collision_years = [
        int(y)
        for (y,) in con.execute("SELECT DISTINCT accident_year FROM collisions ORDER BY 1").fetchall()
    ]
    return summary
