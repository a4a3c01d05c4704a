"""Build src/safer_communities/data/partner/dfe_la_codes.csv from the DfE files in ../shared/data/partner.

The old DfE three-digit LA numbers (LAIT's ``LA Number``) map to GSS codes through the pairs the DfE
Explore Education Statistics files themselves publish (``old_la_code``, ``new_la_code``); the latest
pair wins, earlier GSS codes of the same number are kept (North Yorkshire 815: E10000023 then E06000065).
England (970) and the regions (980-990) are LAIT's own aggregate numbers.
Run: python tests/data/partner/make_dfe_la_codes.py /work/shared/data/partner
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

FILES = {
    "children_in_need_assessment_factors/c3_factors_identified_at_end_of_assessment_2018_to_2025.csv":
        "time_period",
    "children_looked_after_outcomes/la_conviction_health_outcome_cla.csv": "time_period",
    "exclusions/permanent_exclusions_and_suspensions_la.csv": "time_period",
    "exclusions/SFR35_2017_reason_for_exclusion.csv": "year",
}
AGGREGATES = [
    ("970", "E92000001", "England", "", "", "england"),
    ("980", "E12000001", "North East", "", "", "region"),
    ("981", "E12000002", "North West", "", "", "region"),
    ("982", "E12000003", "Yorkshire and The Humber", "", "", "region"),
    ("983", "E12000004", "East Midlands", "", "", "region"),
    ("984", "E12000005", "West Midlands", "", "", "region"),
    ("985", "E12000006", "East of England", "", "", "region"),
    ("986", "E12000007", "London", "", "", "region"),
    ("987", "E13000001", "Inner London", "E12000007", "London", "london_part"),
    ("988", "E13000002", "Outer London", "E12000007", "London", "london_part"),
    ("989", "E12000008", "South East", "", "", "region"),
    ("990", "E12000009", "South West", "", "", "region"),
]


def _year(text: str) -> int:
    return int(text[:4])


def main(root: Path, out: Path) -> None:
    frames = []
    for name, column in FILES.items():
        frame = pd.read_csv(root / name, dtype=str, keep_default_na=False)
        frame["year"] = frame[column].map(_year)
        frames.append(frame[["old_la_code", "new_la_code", "la_name", "region_code", "region_name", "year"]])
    pairs = pd.concat(frames)
    pairs = pairs[(pairs.old_la_code != "") & (pairs.new_la_code != "")]
    rows = []
    for old, group in pairs.groupby("old_la_code"):
        group = group.sort_values("year")
        latest = group.iloc[-1]
        earlier = [c for c in dict.fromkeys(group.new_la_code) if c != latest.new_la_code]
        rows.append((old, latest.new_la_code, latest.la_name, latest.region_code, latest.region_name,
                     "upper_tier", " ".join(earlier)))
    rows += [(*a, "") for a in AGGREGATES]
    table = pd.DataFrame(rows, columns=["old_la_code", "gss_code", "name", "region_code", "region_name",
                                        "level", "earlier_gss_codes"])
    table["sort"] = table.old_la_code.astype(int)
    table.sort_values("sort").drop(columns="sort").to_csv(out, index=False, lineterminator="\n")


if __name__ == "__main__":
    here = Path(__file__).resolve().parents[3]
    main(Path(sys.argv[1]), here / "src/safer_communities/data/partner/dfe_la_codes.csv")
