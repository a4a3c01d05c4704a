"""Names beside LSOA codes: the electoral ward each LSOA lies in, so that a reader can place
"Preston 007A" ("Preston 007A, Brookfield ward") without a map. ONS names LSOAs by district and number
only; the wards come from the shipped lookup ``data/places/lsoa_wards.csv`` (2013 wards of the 14
Lancashire districts, rebuilt by ``build_lsoa_wards.py``), so an LSOA it does not cover keeps its name
alone."""

from __future__ import annotations

from functools import cache
from importlib import resources

import pandas as pd


@cache
def lsoa_wards() -> dict[str, str]:
    """LSOA 2011 code -> the name of the (2013) ward that contains it."""
    path = resources.files("safer_communities") / "data" / "places" / "lsoa_wards.csv"
    with path.open("r", encoding="utf-8") as handle:
        table = pd.read_csv(handle, dtype=str)
    return dict(zip(table["lsoa11_code"], table["ward_name"], strict=True))


def lsoa_place(code: str) -> str | None:
    """"Brookfield ward" for an LSOA the lookup covers, else None."""
    ward = lsoa_wards().get(code)
    return f"{ward} ward" if ward else None
