"""The data-quality report an analyst reads before trusting any figure from the evidence store.

Everything is counted in SQL on the store. A force-month that is absent is reported as a gap, never
as a zero: a trend line or a rate that silently treats it as zero would be wrong.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import duckdb

from safer_communities.analysis import quality_rollup as rollups
from safer_communities.store import repeats

KIND_TABLES: dict[str, str] = {"street": "crimes", "outcomes": "outcomes", "stop_search": "stop_search"}
"""police.uk file kind -> the store table holding its rows."""

_GAP_HINT = (
    "Do not read these months as zero: leave them out of trends and rates (or mark them as gaps), "
    "or load a later police.uk archive release that includes them."
)


@dataclass
class QualityWarning:
    """One thing the analyst should know, and what to do about it."""

    message: str
    hint: str


@dataclass
class QualityReport:
    """Counts that describe what is in the store and what is wrong or missing in it.

    Street-level crime (``crimes``) is the basis of the location, LSOA and Crime ID checks; month
    coverage is given for every police.uk kind.
    """

    study_area_loaded: bool
    forces: dict[str, dict[str, Any]]
    months: dict[str, list[str]]
    missing_months: dict[str, list[str]]
    missing_months_by_kind: dict[str, dict[str, list[str]]]
    stop_search_months: dict[str, list[str]]
    total_rows: dict[str, int]
    unlocated_rows: dict[str, Any]
    no_lsoa_rows: dict[str, Any]
    outside_area_rows: dict[str, Any] | None
    unresolved_lsoa_codes: dict[str, Any] | None
    malformed_lsoa_codes: dict[str, Any]
    duplicate_crime_ids: dict[str, Any]
    rejected_rows: dict[str, Any]
    warnings: list[QualityWarning] = field(default_factory=list)
    unlocated_by_type: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data (``safer quality --json``)."""
        return asdict(self)


def quality_report(con: duckdb.DuckDBPyConnection, *, scan: bool = False) -> QualityReport:
    """Measure the quality of everything loaded in the evidence store.

    Parameters
    ----------
    con
        A connection to the evidence store (read-only is enough).
    scan
        Count rows by scanning ``crimes``, ``outcomes`` and ``stop_search`` even where the store has
        their roll-ups (``quality_rollup``; the same report, much faster on a large store). A store
        without them (written by an older version and not yet opened by a writer) is always scanned.

    Returns
    -------
    QualityReport
        Coverage by force and month, gaps, rows without location or LSOA, rows outside the study area,
        repeated Crime IDs, unresolved LSOA codes and rejected rows, with warnings and hints.
    """
    with rollups.one_report():  # each pass over the LSOA roll-up runs once for the whole report
        return _report(con, scan)


def reads_rollups(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether ``quality_report`` will answer from the roll-ups (they are in step with ``crimes``): then
    every query reads at most tens of thousands of rows, and one DuckDB thread answers as fast as two."""
    return rollups.available(con)


def _report(con: duckdb.DuckDBPyConnection, scan: bool) -> QualityReport:
    study_area_loaded = _scalar(con, "SELECT count(*) FROM areas") > 0
    rollup = not scan and rollups.available(con)
    kinds = frozenset(kind for kind, table in KIND_TABLES.items()
                      if table != "crimes" and not scan and rollups.kind_available(con, kind, table))
    forces, months, totals = _coverage(con, rollup, kinds)
    missing_by_kind = {kind: _missing_months(con, table, rollup, kind if kind in kinds else None)
                       for kind, table in KIND_TABLES.items()}
    report = QualityReport(
        study_area_loaded=study_area_loaded,
        forces=forces,
        months=months,
        missing_months=missing_by_kind["street"],
        missing_months_by_kind=missing_by_kind,
        stop_search_months={
            force: kinds["stop_search"]["months"] for force, kinds in forces.items() if "stop_search" in kinds
        },
        total_rows=totals,
        unlocated_rows=_unlocated(con, rollup),
        no_lsoa_rows=_no_lsoa(con, rollup),
        outside_area_rows=_outside_area(con, rollup) if study_area_loaded else None,
        unresolved_lsoa_codes=_unresolved(con, rollup) if study_area_loaded else None,
        malformed_lsoa_codes=_malformed(con, rollup),
        duplicate_crime_ids=_duplicates(con, not scan and rollups.repeats_available(con)),
        rejected_rows=_rejected(con),
        unlocated_by_type=_unlocated_by_type(con, rollup),
    )
    report.warnings = _warnings(report)
    return report


def _scalar(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None) -> int:
    rows = con.execute(sql, params or []).fetchall()  # fetch fully: DuckDB 2 forbids unfinished results
    return int(rows[0][0] or 0) if rows else 0


def _coverage(
    con: duckdb.DuckDBPyConnection, rollup: bool = False, kinds: frozenset[str] = frozenset(),
) -> tuple[dict[str, dict[str, Any]], dict[str, list[str]], dict[str, int]]:
    """Per force and kind: its name, the months present, first and last month, rows (street-level crime
    from its roll-up with ``rollup``, the ``kinds`` named from ``police_force_months``)."""
    forces: dict[str, dict[str, Any]] = {}
    months: dict[str, list[str]] = {}
    totals: dict[str, int] = {}
    for kind, table in KIND_TABLES.items():
        name_sql = "mode(reported_by)" if table != "stop_search" else "NULL"
        rows = rollups.street_coverage(con) if rollup and table == "crimes" else rollups.kind_coverage(
            con, kind) if kind in kinds else con.execute(
            f"""
            SELECT force, strftime(month, '%Y-%m') AS m, count(*) AS n, {name_sql} AS name
            FROM {table} GROUP BY force, month ORDER BY force, month
            """
        ).fetchall()
        present: set[str] = set()
        for force, month, n, name in rows:
            entry = forces.setdefault(force, {"name": None})
            if name and not entry["name"]:
                entry["name"] = name
            kind_entry = entry.setdefault(kind, {"months": [], "rows": 0, "rows_by_month": {}})
            kind_entry["months"].append(month)
            kind_entry["rows"] += int(n)
            kind_entry["rows_by_month"][month] = int(n)
            present.add(month)
        months[kind] = sorted(present)
        totals[kind] = sum(int(r[2]) for r in rows)
    for slug, entry in forces.items():
        if not entry["name"]:
            entry["name"] = slug.replace("-", " ").title()
        for kind in KIND_TABLES:
            if kind in entry:
                entry[kind]["first_month"] = entry[kind]["months"][0]
                entry[kind]["last_month"] = entry[kind]["months"][-1]
    return dict(sorted(forces.items())), months, totals


def _missing_months(con: duckdb.DuckDBPyConnection, table: str, rollup: bool = False,
                    kind: str | None = None) -> dict[str, list[str]]:
    """Months absent for a force inside the range the store covers for this kind.

    The range is the first to the last month of any force of this kind: an archive covers the same
    months for every force, so a force absent from some month folders (Cumbria 2024-03 here, Greater
    Manchester from 2019-07 in the real archive) has a gap there, at the ends of the range too.
    """
    rows = con.execute(
        f"""
        WITH present AS {rollups.present_months(table, kind) if rollup or kind else
                         f"(SELECT DISTINCT force, month FROM {table})"},
        expected AS (
            SELECT f.force, CAST(g.month AS DATE) AS month
            FROM (SELECT DISTINCT force FROM present) AS f
            CROSS JOIN (
                SELECT unnest(generate_series(min(month), max(month), INTERVAL 1 MONTH)) AS month
                FROM present
            ) AS g
        )
        SELECT e.force, strftime(e.month, '%Y-%m')
        FROM expected AS e ANTI JOIN present AS p ON e.force = p.force AND e.month = p.month
        ORDER BY 1, 2
        """
    ).fetchall()
    missing: dict[str, list[str]] = {}
    for force, month in rows:
        missing.setdefault(force, []).append(month)
    return missing


def _by_month(con: duckdb.DuckDBPyConnection, condition: str, rollup: bool = False,
              on_rollup: str | None = None) -> dict[str, Any]:
    """Street-level rows meeting a condition: total, share of all rows, by month and by force.

    With ``rollup``, ``on_rollup`` names the same measure in ``quality_rollup.by_month_rows``.
    """
    if rollup:
        return rollups.summary(rollups.by_month_rows(con, on_rollup))
    rows = con.execute(
        f"""
        SELECT strftime(month, '%Y-%m'), force, count(*) FILTER (WHERE {condition}), count(*)
        FROM crimes GROUP BY ALL ORDER BY 1, 2
        """
    ).fetchall()
    by_month: dict[str, int] = {}
    by_force: dict[str, int] = {}
    for month, force, n, _ in rows:
        by_month[month] = by_month.get(month, 0) + int(n)
        by_force[force] = by_force.get(force, 0) + int(n)
    total = sum(by_month.values())
    all_rows = sum(int(r[3]) for r in rows)
    return {
        "total": total,
        "share": round(total / all_rows, 4) if all_rows else None,
        "by_month": by_month,
        "by_force": by_force,
    }


def _unlocated(con: duckdb.DuckDBPyConnection, rollup: bool = False) -> dict[str, Any]:
    return _by_month(con, "longitude IS NULL OR latitude IS NULL", rollup, None)


def _unlocated_by_type(con: duckdb.DuckDBPyConnection, rollup: bool = False) -> dict[str, Any]:
    """Rows without a location by crime type and month, with their share and the anomalous months
    (``unlocated_rule.ANOMALY_RULE``, as ``placement``, without numpy); ``"All crime types"`` first."""
    from safer_communities.analysis.unlocated_rule import ANOMALY_RULE, anomalous

    rows = rollups.unlocated_by_type_rows(con) if rollup else con.execute(
        """
        SELECT coalesce(crime_type, 'All crime types'), strftime(month, '%Y-%m'),
               count(*) FILTER (WHERE lsoa_code IS NULL), count(*)
        FROM crimes GROUP BY GROUPING SETS ((crime_type, month), (month)) ORDER BY 1, 2
        """
    ).fetchall()
    grouped: dict[str, list[tuple[str, int, int]]] = {}
    for crime_type, month, n, total in rows:
        grouped.setdefault(crime_type, []).append((month, int(n), int(total)))
    out: dict[str, Any] = {}
    for crime_type in sorted(grouped, key=lambda c: (c != "All crime types", c)):
        months = grouped[crime_type]
        flags = anomalous([m[1] for m in months], [m[2] for m in months])
        out[crime_type] = {
            "rows": sum(m[1] for m in months),
            "share": round(sum(m[1] for m in months) / sum(m[2] for m in months), 4),
            "by_month": {m[0]: m[1] for m in months},
            "share_by_month": {m[0]: round(m[1] / m[2], 4) for m in months},
            "anomalous_months": [m[0] for m, f in zip(months, flags, strict=True) if f],
        }
    return {"rule": ANOMALY_RULE, "by_crime_type": out} if out else {}


def _no_lsoa(con: duckdb.DuckDBPyConnection, rollup: bool = False) -> dict[str, Any]:
    return _by_month(con, "lsoa_code IS NULL", rollup, "no_lsoa")


_OUTSIDE = "lsoa_code IS NOT NULL AND lsoa_code NOT IN (SELECT lsoa_code FROM areas)"


def _outside_area(con: duckdb.DuckDBPyConnection, rollup: bool = False) -> dict[str, Any]:
    """Rows with an LSOA that is not in the study area (areas holds its 2011 and 2021 codes)."""
    result = _by_month(con, _OUTSIDE, rollup, "outside")
    wales = f"{_OUTSIDE} AND lsoa_code LIKE 'W%'"
    result["in_wales"] = rollups.in_wales(con) if rollup else _scalar(
        con, f"SELECT count(*) FROM crimes WHERE {wales}")
    return result


def _unresolved(con: duckdb.DuckDBPyConnection, rollup: bool = False) -> dict[str, Any]:
    """Distinct LSOA codes in crimes that do not resolve to the areas table, by nation."""
    if rollup:
        rows, top = rollups.unresolved(con)
    else:
        rows, top = _unresolved_scan(con)
    by_nation = {nation: {"codes": int(codes), "rows": int(n)} for nation, codes, n in rows}
    return {
        "codes": sum(v["codes"] for v in by_nation.values()),
        "rows": sum(v["rows"] for v in by_nation.values()),
        "by_nation": by_nation,
        "most_frequent": [{"lsoa_code": c, "lsoa_name": name, "rows": int(n)} for c, name, n in top],
    }


def _unresolved_scan(con: duckdb.DuckDBPyConnection) -> tuple[list[Any], list[Any]]:
    rows = con.execute(
        f"""
        SELECT CASE WHEN lsoa_code LIKE 'E01%' THEN 'england'
                    WHEN lsoa_code LIKE 'W01%' THEN 'wales' ELSE 'other' END AS nation,
               count(DISTINCT lsoa_code) AS codes, count(*) AS n
        FROM crimes WHERE {_OUTSIDE} GROUP BY 1 ORDER BY 1
        """
    ).fetchall()
    top = con.execute(
        f"""
        SELECT lsoa_code, any_value(lsoa_name) AS lsoa_name, count(*) AS n
        FROM crimes WHERE {_OUTSIDE} GROUP BY lsoa_code ORDER BY n DESC, lsoa_code LIMIT 10
        """
    ).fetchall()
    return rows, top


def _malformed(con: duckdb.DuckDBPyConnection, rollup: bool = False) -> dict[str, Any]:
    """LSOA codes that are not GSS LSOA codes at all (E01/W01 and six digits)."""
    rows = rollups.malformed(con) if rollup else con.execute(
        """
        SELECT lsoa_code, count(*) FROM crimes
        WHERE lsoa_code IS NOT NULL AND NOT regexp_full_match(lsoa_code, '[EW]01[0-9]{6}')
        GROUP BY 1 ORDER BY 2 DESC, 1
        """
    ).fetchall()
    return {
        "codes": len(rows),
        "rows": sum(int(n) for _, n in rows),
        "examples": [code for code, _ in rows[:10]],
    }


def _duplicates(con: duckdb.DuckDBPyConnection, rollup: bool = False) -> dict[str, Any]:
    """Repeated Crime IDs (kept as published): the same figures as the crime_id_repeats view.

    With ``rollup``, from ``repeated_crime_id_totals`` (rewritten by the ingest with
    ``repeated_crime_ids``), or counted from ``repeated_crime_ids``; otherwise by scanning ``crimes`` with
    the query that builds that table (``store.repeats.repeated_sql``: repeated 64-bit hashes first, then
    their real IDs). All three count with ``store.repeats.totals_sql``.
    """
    totals = rollups.repeat_totals(con) if rollup else None
    if totals is None:
        scanned = repeats.repeated_sql(repeats.REPEATED_HASHES)
        per_month = rollups.duplicate_ids_sql() if rollup else (
            f"SELECT crime_id, month, sum(records) AS n FROM ({scanned}) GROUP BY crime_id, month")
        [totals] = con.execute(repeats.totals_sql(per_month)).fetchall()
    ids, rows, extra, within_ids, within_extra, ids_across = (int(v) for v in totals)
    return {
        "ids": ids,
        "rows": rows,
        "extra_rows": extra,
        "within_month_ids": within_ids,
        "within_month_extra_rows": within_extra,
        "across_months_ids": ids_across,
    }


def _rejected(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    """Rejected rows per file and reason, from the rejects table."""
    rows = con.execute(
        """
        SELECT r.source_file, any_value(i.kind), r.reason, count(*)
        FROM rejects AS r LEFT JOIN ingests AS i USING (ingest_id)
        GROUP BY r.source_file, r.reason ORDER BY r.source_file, count(*) DESC, r.reason
        """
    ).fetchall()
    by_file: dict[str, dict[str, Any]] = {}
    for source_file, kind, reason, n in rows:
        entry = by_file.setdefault(source_file, {"kind": kind, "rows": 0, "reasons": {}})
        entry["rows"] += int(n)
        entry["reasons"][reason] = int(n)
    return {"total": sum(e["rows"] for e in by_file.values()), "by_file": by_file}


def month_runs(months: list[str]) -> str:
    """'2024-03, 2024-04' or, for three or more consecutive months, '2019-07..2024-04 (58 months)'."""

    def index(month: str) -> int:
        return int(month[:4]) * 12 + int(month[5:7]) - 1

    runs: list[list[str]] = []
    for month in sorted(months):
        if runs and index(month) == index(runs[-1][-1]) + 1:
            runs[-1].append(month)
        else:
            runs.append([month])
    parts = [f"{run[0]}..{run[-1]} ({len(run)} months)" if len(run) >= 3 else ", ".join(run) for run in runs]
    return ", ".join(parts)


def _warnings(report: QualityReport) -> list[QualityWarning]:
    """What the analyst must know before using the figures, each with what to do about it."""
    warnings: list[QualityWarning] = []
    if not any(report.total_rows.values()):
        warnings.append(
            QualityWarning(
                "No police.uk data is loaded, so there is nothing to check.",
                "Load an archive first: 'safer ingest police-uk ARCHIVE.zip'.",
            )
        )
    for kind, missing in report.missing_months_by_kind.items():
        label = {"street": "street-level crime", "outcomes": "outcomes", "stop_search": "stop and search"}[
            kind
        ]
        for force, months in missing.items():
            name = report.forces[force]["name"]
            message = f"{name} ({label}): {month_runs(months)} missing - a gap, not zero."
            warnings.append(QualityWarning(message, _GAP_HINT))
    if not report.study_area_loaded:
        warnings.append(
            QualityWarning(
                "No study area is loaded, so rows outside it and unresolved LSOA codes cannot be counted.",
                "Load the LSOA boundaries and lookups of your area: 'safer ingest geography PATH'.",
            )
        )
    elif report.outside_area_rows and report.outside_area_rows["total"]:
        outside = report.outside_area_rows
        warnings.append(
            QualityWarning(
                f"{outside['total']:,} street-level rows ({outside['share']:.1%}) have an LSOA outside the "
                f"study area ({outside['in_wales']:,} in Wales).",
                "police.uk files hold everything a force reported, wherever it happened: clip analysis to "
                "the study area deliberately and say so when publishing.",
            )
        )
    unlocated = report.unlocated_rows
    if unlocated["total"]:
        warnings.append(
            QualityWarning(
                f"{unlocated['total']:,} street-level rows ({unlocated['share']:.1%}) have no location.",
                "Where the study area is a whole police force area they count in force-level (county) "
                "figures; they cannot be placed in a district or LSOA, so district and LSOA figures leave "
                "them out and say how many. Otherwise they are reported beside the figures.",
            )
        )
    by_type = report.unlocated_by_type.get("by_crime_type", {})
    every = by_type.get("All crime types", {})
    others = {
        c: e["anomalous_months"]
        for c, e in by_type.items()
        if c != "All crime types" and e["anomalous_months"]
    }
    if every.get("anomalous_months") or others:
        shares = every.get("share_by_month", {})
        months = ", ".join(f"{m} ({shares[m]:.1%})" for m in every.get("anomalous_months", []))
        kinds = "; ".join(f"{c}: {month_runs(m)}" for c, m in others.items())
        warnings.append(
            QualityWarning(
                "An unusual share of rows without a location"
                + (f" in {months}" if months else "")
                + (f" (by crime type - {kinds})" if kinds else "")
                + ".",
                f"The rule: {report.unlocated_by_type['rule']}. District and LSOA counts dip in those "
                "months: do not read the dip as a fall; compare force-level figures, which count these rows.",
            )
        )
    no_lsoa = report.no_lsoa_rows
    if no_lsoa["total"]:
        warnings.append(
            QualityWarning(
                f"{no_lsoa['total']:,} street-level rows ({no_lsoa['share']:.1%}) have no LSOA code.",
                "Area counts and rates leave them out; report them as 'location unknown'.",
            )
        )
    if report.malformed_lsoa_codes["codes"]:
        bad = report.malformed_lsoa_codes
        warnings.append(
            QualityWarning(
                f"{bad['rows']:,} rows carry {bad['codes']} LSOA code(s) that are not GSS LSOA codes, "
                f"e.g. {', '.join(bad['examples'][:3])}.",
                "Check the source files; these rows cannot be given an area.",
            )
        )
    dup = report.duplicate_crime_ids
    if dup["ids"]:
        warnings.append(
            QualityWarning(
                f"{dup['ids']:,} Crime IDs repeat ({dup['within_month_ids']:,} within one month, "
                f"{dup['across_months_ids']:,} across months; {dup['extra_rows']:,} extra rows).",
                "Repeats are kept as police.uk publishes them; count DISTINCT crime_id for crimes rather "
                "than records, and see the crime_id_repeats view.",
            )
        )
    rejected = report.rejected_rows
    if rejected["total"]:
        warnings.append(
            QualityWarning(
                f"{rejected['total']:,} rows were rejected from {len(rejected['by_file'])} file(s).",
                "See the rejects table for file, line, field and reason; fix the file and load it again.",
            )
        )
    return warnings
