"""Helpers for the strategy tests: area codes, a minimal valid strategy, and indicator values recomputed
from the raw CSV slices with pandas alone (no DuckDB, no analysis code), so the strategy's figures are
checked against an independent count. (Imported by name, not from conftest, so it cannot clash with
another test package's conftest.)"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

EVIDENCE = Path(__file__).resolve().parents[1] / "data" / "evidence"
EXAMPLE = Path(__file__).resolve().parents[2] / "src" / "safer_communities" / "strategy" / "data" / \
    "lancashire-example.yaml"
FYLDE, RIBBLE_VALLEY, ROSSENDALE, COUNTY = "E07000119", "E07000124", "E07000125", "E23000003"


def minimal() -> dict[str, Any]:
    """A small valid strategy on the fixture store (Fylde violence, rolling 3 months)."""
    return {"strategies": [{
        "id": "test-plan", "name": "Test partnership plan", "kind": "partnership-plan", "area": COUNTY,
        "period": {"start": "2021-04-01", "end": "2024-03-31"}, "published": "2021-07-01",
        "next_review": "2022-07-01",
        "objectives": [{
            "id": "violence", "title": "Reduce violence", "issues": ["violence"],
            "duties": ["community-safety-partnership-strategy"],
            "actions": [
                {"id": "hubs", "title": "Family hub outreach", "owner": "family-hubs", "start": "2021-04-01",
                 "due": "2022-03-31", "status": "in-progress", "activities": ["family-hubs-community"]},
                {"id": "unowned", "title": "Nobody owns this", "start": "2021-04-01", "due": "2021-12-31"},
                {"id": "done", "title": "Done on time", "owner": "lancashire-constabulary",
                 "start": "2021-04-01", "due": "2021-06-30", "status": "complete"},
            ],
            "indicators": [{
                "id": "fylde-violence", "title": "Violence in Fylde", "issue": "violence", "measure": "count",
                "area": FYLDE, "period_rule": "rolling-3-months", "baseline_period": "2021-04..2021-06",
                "direction": "decrease", "target": {"change_pct": -10}, "amber_tolerance_pct": 5,
            }],
        }],
    }]}


def street() -> pd.DataFrame:
    frames = [pd.read_csv(p, dtype=str, keep_default_na=False)
              for p in sorted((EVIDENCE / "street").glob("*.gz"))]
    return pd.concat(frames, ignore_index=True)


def district_lsoas(district: str) -> set[str]:
    lookup = pd.read_csv(EVIDENCE / "lookup.csv", dtype=str)
    return set(lookup.loc[lookup["LAD17CD"] == district, "LSOA11CD"])


def count(district: str, crime_types: list[str], first: str, last: str) -> int:
    frame = street()
    keep = (frame["LSOA code"].isin(district_lsoas(district)) & frame["Crime type"].isin(crime_types)
            & (frame["Month"] >= first) & (frame["Month"] <= last))
    return int(keep.sum())


def population(district: str, year: int) -> int:
    pop = pd.read_csv(EVIDENCE / "population.csv", dtype={"LSOA Code": str})
    pop = pop[(pop["Year"] == year) & pop["LSOA Code"].isin(district_lsoas(district))]
    return int(pop["Population"].sum())


def ksi(district: str) -> int:
    collisions = pd.read_csv(EVIDENCE / "collisions-2023.csv", dtype=str)
    keep = ((collisions["local_authority_ons_district"] == district)
            & collisions["accident_severity"].isin(["1", "2"]))
    return int(keep.sum())
