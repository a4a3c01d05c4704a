"""Repeat places: the police.uk map points that hold most of an issue, with their share of it.

police.uk moves every record to the nearest of about 750,000 anonymous map points, each chosen to cover
at least eight postal addresses (or none, such as a park or a car park). A "repeat place" is a map point,
not an address: a busy point may be one problem premises or several neighbours' records pooled by the
snapping. The list says where to look, not what is there.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from safer_communities.errors import InputError, NoDataError

SNAP_CAVEAT = (
    "A police.uk map point covers at least eight addresses (or none, such as a park): records at one "
    "point may come from several neighbouring premises, and the street text is police.uk's own label "
    "('On or near ...'), not an address."
)


def repeat_places(points: pd.DataFrame, *, top: int = 20) -> pd.DataFrame:
    """The ``top`` map points with most records: ``rank``, ``easting``, ``northing``, ``location``
    (police.uk's street text, when given), ``lsoa_code`` (when given), ``count``, ``share`` of all
    located records and ``cumulative_share``. ``attrs``: ``points`` (map points with a record),
    ``records``, ``repeat_share`` (share of records at points with two or more), caveat.
    """
    if not isinstance(top, int) or top < 1:
        raise InputError(
            "top must be a positive whole number.", found=repr(top), hint="Use for example top=20."
        )
    if not {"easting", "northing"} <= set(points.columns):
        raise InputError(
            "Repeat places need 'easting' and 'northing' columns (the police.uk map points).",
            found=f"columns {sorted(map(str, points.columns))}",
            hint="Pass the located records of the issue (EPSG:27700).",
        )
    located = points.dropna(subset=["easting", "northing"])
    if located.empty:
        raise NoDataError("No located records.", found=f"{len(points):,} records", hint="Check the period.")
    keys = ["easting", "northing"]
    grouped = located.groupby(keys, sort=False)
    table = grouped.size().rename("count").reset_index()
    for column in ("location", "lsoa_code"):
        if column in located.columns:  # the most common label at the point (they agree in police.uk)
            # Vectorised mode (a per-point lambda took two minutes on a county's year): count each label
            # at each point, keep the most frequent, ties to the first in sort order as Series.mode does.
            labelled = located.dropna(subset=[column]).groupby([*keys, column], sort=False).size()
            labelled = labelled.rename("n").reset_index().sort_values(
                [*keys, "n", column], ascending=[True, True, False, True], kind="stable")
            labels = labelled.drop_duplicates(keys)[[*keys, column]]
            table = table.merge(labels, on=keys, how="left")
    total = int(table["count"].sum())
    table = table.sort_values(["count", "easting", "northing"], ascending=[False, True, True], kind="stable")
    table["share"] = table["count"] / total
    table["cumulative_share"] = table["share"].cumsum()
    repeat = float(table.loc[table["count"] >= 2, "count"].sum() / total)
    out = table.head(top).reset_index(drop=True)
    out.insert(0, "rank", np.arange(1, len(out) + 1))
    columns = [
        "rank",
        "easting",
        "northing",
        *[c for c in ("location", "lsoa_code") if c in out],
        "count",
        "share",
        "cumulative_share",
    ]
    out = out[columns]
    out.attrs.update(
        method="police.uk map points ranked by records",
        points=len(table),
        records=total,
        repeat_share=repeat,
        caveat=SNAP_CAVEAT,
    )
    return out
