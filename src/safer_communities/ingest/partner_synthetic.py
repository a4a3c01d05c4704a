"""SYNTHETIC record-level partner feeds for the demo, built from real police.uk rows.

No real ISTV, force or council record-level data is open. For the demo, each synthetic record takes the
month, LSOA and anonymised map point of a real police.uk record (violence, robbery and weapons for ISTV and
the force extract; anti-social behaviour for the council feed) and draws a day, a plausible time of day
(evening and night peaks, weekends heavier), codes and flags from stated distributions. Every row says
SYNTHETIC in its ``synthetic`` column and every reference starts ``SYN-``; the same seed gives the same file.
Nothing here describes real people or real incidents.
"""

from __future__ import annotations

import calendar
import csv
import io
from datetime import datetime, timedelta

import duckdb
import numpy as np

from safer_communities.errors import NoDataError
from safer_communities.ingest.partner_feed import schema_of

# Share of violence by hour of day (0..23): low in the morning, rising through the evening, peak 22-01.
HOUR_WEIGHTS = np.array(
    [6, 5, 4, 3, 2, 1, 1, 1.5, 2, 2.5, 3, 3.5, 4, 4, 4, 4.5, 5, 5.5, 6, 6.5, 7, 7.5, 8, 7.5]
)
ASB_HOUR_WEIGHTS = np.array(
    [3, 2, 1.5, 1, 0.5, 0.5, 0.5, 1, 1.5, 2, 2.5, 3, 3.5, 3.5, 4, 5, 6, 7, 7.5, 8, 8, 7, 6, 4.5]
)
DAY_WEIGHTS = np.array([1.0, 0.9, 0.9, 1.0, 1.3, 1.7, 1.5])  # Monday .. Sunday
HO_CODES = [  # (code, description, weight, weapon) - a plausible mix for the demo, not real proportions
    ("105/01", "Common assault", 30, "none"),
    ("008/06", "Assault occasioning actual bodily harm", 25, "none"),
    ("008/01", "Wounding or inflicting grievous bodily harm", 6, "knife-or-sharp-object"),
    ("005/01", "Wounding with intent to do grievous bodily harm", 3, "knife-or-sharp-object"),
    ("034/01", "Robbery of personal property", 6, "knife-or-sharp-object"),
    ("010/01", "Possession of article with blade or point", 5, "knife-or-sharp-object"),
    ("019/07", "Rape of a female aged 16 and over", 2, "none"),
    ("002/00", "Attempted murder", 0.3, "knife-or-sharp-object"),
    ("001/00", "Murder", 0.1, "knife-or-sharp-object"),
]
AGE_BANDS = ["10-17", "18-24", "25-34", "35-44", "45-54", "55-64", "65+", "unknown"]
AGE_WEIGHTS = np.array([10, 22, 24, 18, 12, 6, 3, 5])
SITES = ["RXN01", "RXL01", "RXR01"]  # acute trusts' ED sites serving the county (SYNTHETIC attribution)
METHODS = [
    "body-part",
    "blunt-object",
    "knife-or-sharp-object",
    "glass-or-bottle",
    "firearm",
    "other",
    "unknown",
]
METHOD_WEIGHTS = np.array([55, 12, 9, 6, 0.5, 7.5, 10])
LOCATIONS = [
    "street-or-public-place",
    "licensed-premises",
    "home",
    "school-or-college",
    "workplace",
    "transport",
    "other",
    "unknown",
]
LOCATION_WEIGHTS = np.array([40, 18, 22, 3, 4, 3, 5, 5])
ASB_CATEGORIES = [
    "noise",
    "nuisance-neighbours",
    "rowdy-behaviour",
    "street-drinking",
    "drug-related",
    "vehicle-nuisance",
    "fly-tipping",
    "graffiti",
    "other",
]
ASB_WEIGHTS = np.array([25, 20, 18, 5, 8, 8, 8, 3, 5])
_SOURCE = {
    "istv": ("Violence and sexual offences", "Robbery", "Possession of weapons"),
    "force-crimes": ("Violence and sexual offences", "Robbery", "Possession of weapons"),
    "council-asb": ("Anti-social behaviour",),
}


def _p(weights: np.ndarray) -> np.ndarray:
    return weights / weights.sum()


def _when(rng: np.random.Generator, month: datetime, hours: np.ndarray) -> datetime:
    days = calendar.monthrange(month.year, month.month)[1]
    weekday = np.array([(month.replace(day=d).weekday()) for d in range(1, days + 1)])
    day = int(rng.choice(np.arange(1, days + 1), p=_p(DAY_WEIGHTS[weekday])))
    hour = int(rng.choice(24, p=_p(hours)))
    return datetime(month.year, month.month, day, hour, int(rng.integers(0, 60)))


def generate(con: duckdb.DuckDBPyConnection, schema: str, *, rows: int, seed: int) -> str:
    """A SYNTHETIC CSV of ``rows`` records of ``schema``, drawn with ``seed`` from police.uk rows."""
    spec = schema_of(schema)
    source = con.execute(
        "SELECT month, lsoa_code, easting, northing FROM crimes "
        "WHERE crime_type IN (SELECT unnest(?::VARCHAR[])) "
        "AND lsoa_code IS NOT NULL AND easting IS NOT NULL "
        "ORDER BY month, lsoa_code, easting, northing, crime_type, crime_id NULLS FIRST",
        [list(_SOURCE[schema])],
    ).fetchall()
    if not source:
        raise NoDataError(
            "There are no police.uk rows to build SYNTHETIC records from.",
            found=f"no {', '.join(_SOURCE[schema])} rows with a location in crimes",
            hint="Load police.uk data first ('safer ingest police-uk').",
        )
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, len(source), size=rows)
    columns = [f["names"][0] for f in spec["fields"]] + ["synthetic"]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    codes = [c for c, *_ in HO_CODES]
    code_p = _p(np.array([w for _, _, w, _ in HO_CODES]))
    for n, pick in enumerate(picks, start=1):
        month, lsoa, easting, northing = source[int(pick)]
        month = datetime(month.year, month.month, 1)
        if schema == "council-asb":
            at = _when(rng, month, ASB_HOUR_WEIGHTS)
            record = {
                "incident_ref": f"SYN-ASB-{n:06d}",
                "reported_at": at.strftime("%Y-%m-%d %H:%M"),
                "category": rng.choice(ASB_CATEGORIES, p=_p(ASB_WEIGHTS)),
                "easting": f"{easting:.0f}",
                "northing": f"{northing:.0f}",
                "lsoa_code": lsoa,
                "reporter_id": f"SYN-P{int(rng.integers(1, rows // 3 + 2)):06d}",
                "description": "SYNTHETIC record for the demo",
            }
        elif schema == "force-crimes":
            at = _when(rng, month, HOUR_WEIGHTS)
            index = int(rng.choice(len(codes), p=code_p))
            code, description, _, weapon = HO_CODES[index]
            if weapon == "knife-or-sharp-object" and code in {"008/01", "034/01"} and rng.random() < 0.5:
                weapon = "none"
            domestic = code not in {"034/01", "010/01"} and rng.random() < 0.33
            record = {
                "crime_ref": f"SYN-CR-{n:06d}",
                "ho_offence_code": code,
                "offence_description": description,
                "committed_at": at.strftime("%Y-%m-%d %H:%M"),
                "easting": f"{easting:.0f}",
                "northing": f"{northing:.0f}",
                "lsoa_code": lsoa,
                "domestic_abuse": "Y" if domestic else "N",
                "hate_crime": "Y" if rng.random() < 0.03 else "N",
                "victim_id": f"SYN-V{int(rng.integers(1, rows + 1)):06d}",
                "victim_age_band": rng.choice(AGE_BANDS, p=_p(AGE_WEIGHTS)),
                "victim_sex": "female"
                if (domestic or code == "019/07") and rng.random() < 0.8
                else rng.choice(["male", "female", "unknown"], p=[0.6, 0.35, 0.05]),
                "suspect_id": f"SYN-S{int(rng.integers(1, rows // 2 + 2)):06d}",
                "suspect_age_band": rng.choice(AGE_BANDS, p=_p(AGE_WEIGHTS)),
                "suspect_sex": rng.choice(["male", "female", "unknown"], p=[0.78, 0.17, 0.05]),
                "weapon": weapon,
                "description": "SYNTHETIC record for the demo",
            }
        else:
            at = _when(rng, month, HOUR_WEIGHTS)
            arrival = at + timedelta(minutes=int(rng.integers(20, 240)))
            record = {
                "attendance_id": f"SYN-ED-{n:06d}",
                "site_code": rng.choice(SITES),
                "arrival_at": arrival.strftime("%Y-%m-%d %H:%M"),
                "assault_at": at.strftime("%Y-%m-%d %H:%M"),
                "assault_method": rng.choice(METHODS, p=_p(METHOD_WEIGHTS)),
                "assault_method_other_description": "",
                "location_type": rng.choice(LOCATIONS, p=_p(LOCATION_WEIGHTS)),
                "location_description": "SYNTHETIC record for the demo",
                "lsoa_code": lsoa if rng.random() < 0.85 else "",
                "age_band": rng.choice(AGE_BANDS, p=_p(AGE_WEIGHTS)),
                "sex": rng.choice(["male", "female", "unknown"], p=[0.68, 0.3, 0.02]),
            }
        writer.writerow([record.get(f["column"], "") for f in spec["fields"]] + ["SYNTHETIC"])
    return out.getvalue()
