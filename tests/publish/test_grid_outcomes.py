"""The outcome cube (issue 11): the county and its districts by outcome, protected together, checked on a
table small enough to reason about by hand."""

from __future__ import annotations

import pandas as pd

from safer_communities.config import Settings
from safer_communities.publish.disclosure import suppress_table
from safer_communities.publish.grid_outcomes import TOTAL, protect_outcomes

DISTRICTS = ["D1", "D2", "D3"]


def _summary() -> pd.DataFrame:
    # "Suspect charged": 2 in D1 (a small count), 30 and 40 elsewhere; the county (72) is their sum.
    rows = [("D1", "Suspect charged", 2), ("D2", "Suspect charged", 30), ("D3", "Suspect charged", 40),
            ("D1", "Local resolution", 20), ("D2", "Local resolution", 25), ("D3", "Local resolution", 35),
            ("D1", "Investigation complete; no suspect identified", 50),
            ("D2", "Investigation complete; no suspect identified", 60),
            ("D3", "Investigation complete; no suspect identified", 70)]
    frame = pd.DataFrame(rows, columns=["area_code", "outcome", "crimes"])
    frame["area_name"] = frame["area_code"]
    return frame


def _cell(out: pd.DataFrame, area: str, outcome: str) -> str:
    return out.loc[(out["area_code"] == area) & (out["outcome"] == outcome), "crimes_published"].item()


def test_a_small_district_count_cannot_be_read_off_the_county() -> None:
    """Table by table, D1's chart withholds its 2 and the county's chart shows 72: 72 - 30 - 40 = 2. In
    the cube a second district's count goes too, and every area's total keeps its outcomes honest."""
    out = protect_outcomes(_summary(), "C", DISTRICTS, withheld_areas=[], settings=Settings())
    charged = [_cell(out, a, "Suspect charged") for a in ["C", *DISTRICTS]]
    assert charged[1] == "<5"
    assert sum(v in ("<5", "[c]") for v in charged) >= 2  # never one withheld cell in a sum
    for area in ["C", *DISTRICTS]:  # each area: its total and its outcomes, never one withheld alone
        row = [_cell(out, area, o) for o in [*sorted(set(_summary()["outcome"])), TOTAL]]
        assert sum(v in ("<5", "[c]") for v in row) != 1
    # Table by table (the county's chart protected on its own) the county's 72 is shown, so D1 = 2.
    county = suppress_table(pd.DataFrame({"k": ["Suspect charged", "Local resolution", "total"],
                                          "count": [72, 80, 152]}),
                            count_columns=["count"], key_column="k", total_row="total", settings=Settings())
    assert county.published["count"].iloc[0] == "72"


def test_an_area_withheld_on_the_grid_has_every_outcome_withheld_and_no_shares() -> None:
    out = protect_outcomes(_summary(), "C", DISTRICTS, withheld_areas=["D2"], settings=Settings())
    assert out.loc[out["area_code"] == "D2", "withheld"].all()
    assert out.loc[out["area_code"] == "D2", "crimes"].isna().all()
    assert out.attrs["shares"]["D2"] == {"no_suspect_share": None, "charged_share": None}
    shares = out.attrs["shares"]["D3"]  # every cell it rests on is published: 70 of 145, 40 of 145
    assert shares["no_suspect_share"] == 70 / 145 and shares["charged_share"] == 40 / 145
    assert out.attrs["shares"]["D1"]["charged_share"] is None  # rests on a withheld cell
