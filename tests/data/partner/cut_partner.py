"""Cut the small real extracts of ../shared/data/partner and ../shared/data/health used by the tests.

Rows are copied unchanged (bytes of each kept line as published); only rows are dropped. The LAIT
parquet slice is rewritten with pyarrow (same columns and string values). Contains public sector
information licensed under the Open Government Licence v3.0 (DfE, OHID, ONS, MoJ/YJB).
Run: python tests/data/partner/cut_partner.py /work/shared/data
"""

from __future__ import annotations

import csv
import io
import sys
from collections.abc import Callable
from pathlib import Path

import pandas as pd

HERE = Path(__file__).parent
LANCS = {"E06000008", "E06000009", "E10000017"}


def _cut(source: Path, target: Path, keep: Callable[[dict[str, str]], bool]) -> None:
    data = source.read_bytes()
    text = data.decode("utf-8-sig")
    bom = data.startswith(b"\xef\xbb\xbf")
    newline = "\r\n" if "\r\n" in text[:2000] else "\n"
    lines = io.StringIO(text, newline="")
    reader = csv.reader(lines)
    header = next(reader)
    out = [newline.join([",".join(header)])]
    buffer = io.StringIO(text, newline="")
    raw_lines = buffer.read().split(newline)
    # Re-read line by line so each kept row keeps its exact published text (no field has a newline here).
    for raw in raw_lines[1:]:
        if not raw:
            continue
        row = dict(zip(header, next(csv.reader([raw])), strict=False))
        if keep(row):
            out.append(raw)
    target.write_bytes((b"\xef\xbb\xbf" if bom else b"") + (newline.join(out) + newline).encode("utf-8"))


def main(root: Path) -> None:
    partner, health = root / "partner", root / "health"
    fingertips_notes = [0]

    def keep_fingertips(row: dict[str, str]) -> bool:
        if row["Area Code"] in LANCS:
            return True
        if row["Area Code"] == "E92000001":  # England's deprivation-decile duplicates: one year of them
            return row["Category Type"] == "" or row["Time period"] == "2023/24"
        if row["Value"] == "" and fingertips_notes[0] < 8:
            fingertips_notes[0] += 1
            return True
        return row["Area Code"] in {"E10000006", "E06000010"} and row["Time period"] == "2023/24"

    _cut(
        partner / "fingertips_child_injury_admissions/la_hospital_admissions_2324.csv",
        HERE / "fingertips_90284_slice.csv",
        keep_fingertips,
    )
    districts = {f"E070001{n}" for n in range(17, 29)} | {"E06000008", "E06000009", "E92000001", "E47000001"}
    _cut(
        health / "alcohol_related_admissions.csv",
        HERE / "alcohol_related_admissions_slice.csv",
        lambda r: r["area_code"] in districts,
    )
    _cut(
        health / "admissions_self_harm_young_people.csv",
        HERE / "self_harm_10_24_slice.csv",
        lambda r: r["area_code"] in districts or r["value"] == "NA",
    )
    _cut(
        partner
        / "children_in_need_assessment_factors/c3_factors_identified_at_end_of_assessment_2018_to_2025.csv",
        HERE / "c3_factors_slice.csv",
        lambda r: r["time_period"] in {"2024", "2025"},
    )
    _cut(
        partner / "children_looked_after_outcomes/la_conviction_health_outcome_cla.csv",
        HERE / "cla_convictions_slice.csv",
        lambda r: r["characteristic"].startswith("Convictions") and r["time_period"] in {"2024", "2025"},
    )
    _cut(
        partner / "exclusions/permanent_exclusions_and_suspensions_la.csv",
        HERE / "cin_exclusions_slice.csv",
        lambda r: r["time_period"] == "202021",
    )
    _cut(
        partner / "exclusions/SFR35_2017_reason_for_exclusion.csv",
        HERE / "sfr35_slice.csv",
        lambda r: (r["year"] == "201516" and r["school_type"] == "Total") or r["new_la_code"] == ".",
    )
    for source, name in (
        (partner / "homicide/homicide-offences.csv", "homicide-offences.csv"),
        (partner / "homicide/homicide-offences.json", "homicide-offences.json"),
        (partner / "police_force_area_tables_knife/pfatablesdec19.xlsx", "pfatablesdec19.xlsx"),
    ):
        (HERE / name).unlink(missing_ok=True)
        (HERE / name).write_bytes(source.read_bytes())
    lait = HERE / "lait"
    lait.mkdir(exist_ok=True)
    measures = [
        "FirstYJS",
        "HospAd0-14",
        "TotPermEx",
        "LAC_Convictions",
        "LAC_ceased_SGO",
        "LAC_ceased_SGO%",
        "RTA",
    ]
    frame = pd.read_parquet(partner / "children_young_people_lait/bds_long_0.parquet")
    frame[frame["Short Desc"].isin(measures)].to_parquet(lait / "bds_long_0.parquet", index=False)
    dictionary = pd.read_csv(
        partner / "children_young_people_lait/lait_data_dictionary.csv", dtype=str, keep_default_na=False
    )
    dictionary[dictionary["Measure_short"].isin(measures)].to_csv(
        lait / "lait_data_dictionary.csv", index=False, lineterminator="\r\n"
    )


if __name__ == "__main__":
    main(Path(sys.argv[1]))
