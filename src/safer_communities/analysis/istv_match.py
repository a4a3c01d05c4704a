"""ISTV against police records: which emergency department assaults have no matching police record.

Most assaults treated in emergency departments are never reported to the police (the reason for the ISTV
minimum data set). The share with no matching police record, by area and month, shows where and when.

The matching rule (stated in every result and in docs/partner-analysis.md). An ISTV attendance matches
when at least one force extract record has:

1. an assault-type offence code: Home Office classes 1 (murder), 2 (attempted murder), 4 (manslaughter
   and other homicide), 5 (wounding with intent, endangering life), 8 (assault with injury), 105 (assault
   without injury: police may record an injury the hospital treats as common assault), 19 (rape) and 34
   (robbery);
2. a committed date within ``window_days`` days of the ISTV assault date (default 1: the day before, the
   same day or the day after, for assaults near midnight and recording lags);
3. the same LSOA, or a nearby one: the police record's grid reference (or its LSOA's centroid) within
   ``nearby_m`` metres (default 1,000) of the centroid of the ISTV record's LSOA.

An attendance whose LSOA is blank or outside the study area cannot be tested and is counted apart, never
as unmatched. One police record may match several attendances (several victims of one incident).
"""

from __future__ import annotations

import duckdb
import pandas as pd
import shapely

from safer_communities.analysis.partner_records import (
    CTE,
    OUTSIDE,
    feed_period,
    mark,
    period_bounds,
    require_feed,
)
from safer_communities.analysis.periods import Period
from safer_communities.errors import InputError

ASSAULT_CLASSES = (1, 2, 4, 5, 8, 19, 34, 105)
MIXES = ("assault_method", "location_type")


def rule_text(window_days: int, nearby_m: float) -> str:
    return (
        f"Matched: a force extract record of an assault-type offence (Home Office classes "
        f"{', '.join(map(str, ASSAULT_CLASSES))}) committed within {window_days} day(s) of the assault "
        f"date, in the same LSOA or within {nearby_m:,.0f} m of the ISTV LSOA's centroid. ISTV records "
        "with no LSOA in the study area are not tested."
    )


def lsoa_centroids(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """lsoa11_code, x, y: the centroid of each study-area LSOA boundary (British National Grid)."""
    rows = con.execute("SELECT area_code, geometry FROM area_boundaries WHERE area_level = 'lsoa'").fetchall()
    if not rows:
        return pd.DataFrame(
            {"lsoa11_code": pd.Series(dtype=str), "x": pd.Series(dtype=float), "y": pd.Series(dtype=float)}
        )
    points = shapely.centroid(shapely.from_wkb([bytes(g) for _, g in rows]))
    return pd.DataFrame(
        {"lsoa11_code": [c for c, _ in rows], "x": shapely.get_x(points), "y": shapely.get_y(points)}
    )


def matched_attendances(
    con: duckdb.DuckDBPyConnection, p: Period, *, window_days: int = 1, nearby_m: float = 1000.0
) -> pd.DataFrame:
    """One row per ISTV attendance of the period (internal: never returned to a reader) with its district,
    month, method, location type, ``tested`` and ``matched``."""
    from safer_communities.analysis.partner_sv import parse_code

    if window_days < 0 or nearby_m < 0:
        raise InputError(
            "The window and distance cannot be negative.",
            found=f"{window_days} days, {nearby_m} m",
            hint="For example --window-days 1 --nearby-m 1000.",
        )
    codes = [
        r[0] for r in con.execute("SELECT DISTINCT ho_offence_code FROM partner_force_crimes").fetchall()
    ]
    assault = pd.DataFrame(
        {"ho_offence_code": [c for c in codes if parse_code(c)[0] in ASSAULT_CLASSES]}, dtype=object
    )
    con.register("_assault_codes", assault)
    con.register("_centroids", lsoa_centroids(con))
    try:
        return con.execute(
            f"""WITH {CTE},
            ed AS (SELECT r.attendance_id, r.assault_at::DATE AS d, r.assault_method, r.location_type,
                          a.lsoa11_code AS l11, a.district_code, a.district_name,
                          date_trunc('month', r.assault_at)::DATE AS month
                   FROM partner_istv r LEFT JOIN areas x ON r.lsoa_code = x.lsoa_code
                   LEFT JOIN study a ON a.lsoa11_code = x.lsoa11_code
                   WHERE r.assault_at >= ? AND r.assault_at < ?),
            pol AS (SELECT r.committed_at::DATE AS d, x.lsoa11_code AS l11,
                           coalesce(r.easting, c.x) AS px, coalesce(r.northing, c.y) AS py
                    FROM partner_force_crimes r JOIN _assault_codes USING (ho_offence_code)
                    LEFT JOIN areas x ON r.lsoa_code = x.lsoa_code
                    LEFT JOIN _centroids c ON c.lsoa11_code = x.lsoa11_code),
            span AS (SELECT ed.attendance_id, ed.l11, ce.x, ce.y, ed.d + CAST(k AS INTEGER) AS pd
                     FROM ed JOIN _centroids ce ON ce.lsoa11_code = ed.l11,
                     range(-{int(window_days)}, {int(window_days) + 1}) t(k)),
            hits AS (SELECT DISTINCT w.attendance_id FROM span w JOIN pol ON pol.d = w.pd
                     WHERE w.l11 = pol.l11
                        OR (pol.px - w.x) * (pol.px - w.x) + (pol.py - w.y) * (pol.py - w.y) <= ?)
            SELECT ed.attendance_id, ed.district_code, ed.district_name, ed.month, ed.assault_method,
                   ed.location_type, ed.l11 IS NOT NULL AS tested, h.attendance_id IS NOT NULL AS matched
            FROM ed LEFT JOIN hits h USING (attendance_id)""",
            [*period_bounds(p), float(nearby_m) ** 2],
        ).fetch_df()
    finally:
        con.unregister("_assault_codes")
        con.unregister("_centroids")


def istv_unmatched(
    con: duckdb.DuckDBPyConnection,
    *,
    by: str = "area",
    period: str | Period | None = None,
    window_days: int = 1,
    nearby_m: float = 1000.0,
) -> pd.DataFrame:
    """ED assaults with no matching police record, per district (``by="area"``: then records not placed,
    then the total) or month: istv_assaults, not_tested, tested, matched, unmatched, unmatched_pct."""
    istv = require_feed(con, "istv")
    force = require_feed(con, "force-crimes")
    p = feed_period(istv, period)
    if by not in ("area", "month"):
        raise InputError("--by must be area or month.", found=repr(by), hint="Use area or month.")
    rows = matched_attendances(con, p, window_days=window_days, nearby_m=nearby_m)
    rows["not_tested"] = ~rows["tested"]
    rows["unmatched"] = rows["tested"] & ~rows["matched"]
    if by == "area":
        from safer_communities.analysis.queries import area_list

        rows["area_code"] = rows["district_code"].fillna("outside")
        grouped = rows.groupby("area_code")
        frame = area_list(con, "district")
        if (rows["area_code"] == "outside").any():
            frame = pd.concat(
                [frame, pd.DataFrame([{"area_code": "outside", "area_name": OUTSIDE}])], ignore_index=True
            )
    else:
        grouped = rows.groupby("month")
        frame = pd.DataFrame({"month": p.months})
    counts = pd.DataFrame(
        {
            "istv_assaults": grouped.size(),
            "not_tested": grouped["not_tested"].sum(),
            "tested": grouped["tested"].sum(),
            "matched": grouped["matched"].sum(),
            "unmatched": grouped["unmatched"].sum(),
        }
    )
    key = "area_code" if by == "area" else "month"
    counts.index = counts.index.map(lambda k: k if by == "area" else pd.Timestamp(k).date())
    frame = frame.merge(counts.rename_axis(key).reset_index(), on=key, how="left")
    columns = ["istv_assaults", "not_tested", "tested", "matched", "unmatched"]
    frame[columns] = frame[columns].fillna(0).astype("int64")
    total = {key: "total" if by == "area" else "Total", **{c: int(frame[c].sum()) for c in columns}}
    if by == "area":
        total["area_name"] = "Total"
    frame = pd.concat([frame, pd.DataFrame([total])], ignore_index=True)
    frame["unmatched_pct"] = frame["unmatched"] / frame["tested"].where(frame["tested"] > 0) * 100
    frame.attrs["caveats"] = [rule_text(window_days, nearby_m), "unmatched_pct = unmatched / tested x 100."]
    frame.attrs["rule"] = rule_text(window_days, nearby_m)
    return mark(frame, [istv, force], period=p, method="ISTV attendances matched to force extract records")


def istv_mix(
    con: duckdb.DuckDBPyConnection,
    *,
    of: str = "assault_method",
    period: str | Period | None = None,
    window_days: int = 1,
    nearby_m: float = 1000.0,
) -> pd.DataFrame:
    """The weapon (``assault_method``) or location-type mix of ED assaults: every attendance, those with no
    matching police record, and the share unmatched per category; the last row is the total."""
    if of not in MIXES:
        raise InputError("Unknown mix.", found=repr(of), hint=f"Use one of {', '.join(MIXES)}.")
    istv = require_feed(con, "istv")
    force = require_feed(con, "force-crimes")
    p = feed_period(istv, period)
    rows = matched_attendances(con, p, window_days=window_days, nearby_m=nearby_m)
    rows["unmatched"] = rows["tested"] & ~rows["matched"]
    grouped = rows.groupby(of)
    frame = pd.DataFrame(
        {
            "istv_assaults": grouped.size(),
            "tested": grouped["tested"].sum(),
            "unmatched": grouped["unmatched"].sum(),
        }
    ).astype("int64")
    frame = frame.sort_values("istv_assaults", ascending=False, kind="stable").rename_axis(of).reset_index()
    total = {of: "Total", **{c: int(frame[c].sum()) for c in ("istv_assaults", "tested", "unmatched")}}
    frame = pd.concat([frame, pd.DataFrame([total])], ignore_index=True)
    frame["share_pct"] = frame["istv_assaults"] / max(int(total["istv_assaults"]), 1) * 100
    frame["unmatched_pct"] = frame["unmatched"] / frame["tested"].where(frame["tested"] > 0) * 100
    frame.attrs["caveats"] = [rule_text(window_days, nearby_m)]
    frame.attrs["rule"] = rule_text(window_days, nearby_m)
    return mark(frame, [istv, force], period=p, method=f"ISTV attendances by {of.replace('_', ' ')}")
