"""Record-level partner feeds (ISTV, a force crime extract, council ASB) -> ``partner_*`` tables.

Each row is validated against the feed's declared, versioned schema (``data/partner/feeds.yaml``) and
refused with its line, field and reason; identifiers are replaced at ingest by a keyed hash
(HMAC-SHA256 with ``SAFER_PSEUDONYM_KEY``), so the store never holds them or the key; free text is
dropped unless the caller keeps it for analysts. The agreement is checked by the caller (the CLI) before
this runs: a feed without a valid agreement never reaches here.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Sequence
from datetime import datetime
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from safer_communities.errors import InputError
from safer_communities.ingest.common import IngestReport, NullProgress, Progress
from safer_communities.ingest.csv_tools import (
    LSOA_CODE,
    close_report,
    decode_text,
    list_files,
    normalise_header,
    open_report,
    read_bytes,
    read_csv,
)

KIND = "partner-feed"
_TIME = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M", "%d/%m/%Y %H:%M")
_FLAGS = {
    "y": True,
    "yes": True,
    "true": True,
    "1": True,
    "n": False,
    "no": False,
    "false": False,
    "0": False,
}
_HO_CODE = re.compile(r"^\d{1,3}[A-Z]?(/\d{1,3}[A-Z]?)?$")
MIN_KEY_LENGTH = 16


@cache
def feed_schemas() -> dict[str, Any]:
    """The declared feed schemas (``data/partner/feeds.yaml``)."""
    import yaml

    text = resources.files("safer_communities.data").joinpath("partner/feeds.yaml").read_text("utf-8")
    return dict(yaml.safe_load(text))


def schema_of(name: str) -> dict[str, Any]:
    schemas = feed_schemas()["schemas"]
    if name not in schemas:
        raise InputError(
            f"Unknown partner feed schema '{name}'.", found=name, hint=f"Use one of: {', '.join(schemas)}."
        )
    return dict(schemas[name])


def pseudonymise(value: str, key: str) -> str:
    """A keyed hash of an identifier: the same key and identifier give the same pseudonym."""
    return hmac.new(key.encode("utf-8"), value.strip().encode("utf-8"), hashlib.sha256).hexdigest()[:32]


def check_key(key: str | None) -> str:
    if not key or len(key) < MIN_KEY_LENGTH:
        raise InputError(
            "Record-level feeds are pseudonymised at ingest, and no usable key is set.",
            found="SAFER_PSEUDONYM_KEY is " + ("not set" if not key else f"{len(key)} characters"),
            hint=f"Set SAFER_PSEUDONYM_KEY to a secret of at least {MIN_KEY_LENGTH} characters, "
            "kept in a secrets store (never with the data).",
        )
    return key


class _Problem(Exception):
    def __init__(self, field: str, reason: str) -> None:
        super().__init__(reason)
        self.field, self.reason = field, reason


def _parse(field: dict[str, Any], text: str, key: str, keep_free_text: bool) -> Any:
    kind = field["type"]
    lists = feed_schemas()
    if kind == "id":
        return pseudonymise(text, key)
    if kind == "text":
        return text if keep_free_text else None
    if kind in {"code", "age_band", "sex"}:
        allowed = field.get("values") or lists["age_bands" if kind == "age_band" else "sexes"]
        value = text.strip().lower()
        if value not in allowed:
            raise ValueError(f"{text!r} is not one of {', '.join(allowed)}")
        return value
    if kind == "code_free":
        return text.strip()
    if kind == "ho_code":
        if not _HO_CODE.match(text.strip()):
            raise ValueError(f"not a Home Office offence code (e.g. 008/01): {text!r}")
        return text.strip()
    if kind == "datetime":
        for pattern in _TIME:
            try:
                return datetime.strptime(text.strip(), pattern)
            except ValueError:
                continue
        raise ValueError(f"not a date and time (YYYY-MM-DD HH:MM): {text!r}")
    if kind == "lsoa":
        if not LSOA_CODE.match(text.strip()):
            raise ValueError(f"not an LSOA code: {text!r}")
        return text.strip()
    if kind in {"easting", "northing"}:
        number = float(text)
        high = 700000.0 if kind == "easting" else 1300000.0
        if not 0 <= number <= high:
            raise ValueError(f"{number} is outside Great Britain (0..{high:.0f})")
        return number
    if kind == "flag":
        value = _FLAGS.get(text.strip().lower())
        if value is None:
            raise ValueError(f"not Y/N: {text!r}")
        return value
    raise ValueError(f"unknown field type {kind!r} in the schema")


def read_feed(
    path: Path, data: bytes, schema: str, *, key: str, keep_free_text: bool = False
) -> tuple[pd.DataFrame, list[tuple[int | None, str | None, str, str | None]], bool]:
    """Validate and pseudonymise one feed file: (rows, rejects, synthetic)."""
    spec = schema_of(schema)
    table = read_csv(path, decode_text(read_bytes(path, data), path))
    columns = table.columns
    positions: dict[str, int] = {}
    missing = []
    for field in spec["fields"]:
        position = next(
            (columns[normalise_header(n)] for n in field["names"] if normalise_header(n) in columns), None
        )
        if position is None and field["required"]:
            missing.append(field["column"])
        elif position is not None:
            positions[field["column"]] = position
    if missing:
        raise InputError(
            f"{path.name} is not a '{schema}' feed (schema version {spec['version']}): required "
            "column(s) missing; nothing from it was loaded.",
            found=f"missing {missing}; columns {table.header[:12]}",
            hint="See docs/partner-data.md for the columns of each feed schema.",
        )
    synthetic_column = columns.get("synthetic")
    rows: list[dict[str, Any]] = []
    rejects = list(table.rejects)
    flags: set[bool] = set()
    for row in table.rows:
        record: dict[str, Any] = {}
        try:
            for field in spec["fields"]:
                position = positions.get(field["column"])
                text = row.fields[position].strip() if position is not None else ""
                if not text:
                    if field["required"]:
                        raise _Problem(
                            table.header[position] if position is not None else field["column"],
                            "required value is blank",
                        )
                    record[field["column"]] = None
                    continue
                try:
                    record[field["column"]] = _parse(field, text, key, keep_free_text)
                except ValueError as exc:
                    raise _Problem(table.header[position], str(exc)) from None
        except _Problem as problem:
            rejects.append((row.line, problem.field, problem.reason, None))  # raw line holds identifiers
            continue
        flags.add(
            synthetic_column is not None and row.fields[synthetic_column].strip().upper() == "SYNTHETIC"
        )
        record["record_date"] = record[spec["date_field"]].date()
        rows.append(record)
    if len(flags) > 1:
        raise InputError(
            f"{path.name} mixes SYNTHETIC and real rows.",
            found="both kinds in one file",
            hint="Keep the generated SYNTHETIC samples in their own files.",
        )
    frame = pd.DataFrame(rows, columns=[f["column"] for f in spec["fields"]] + ["record_date"])
    return frame, rejects, flags == {True}


def ingest_partner_feed(
    con: duckdb.DuckDBPyConnection,
    paths: Sequence[Path],
    *,
    schema: str,
    agreement: str,
    key: str | None,
    keep_free_text: bool = False,
    progress: Progress | None = None,
) -> IngestReport:
    """Load feed files of one schema under one (already checked) agreement; a record loaded again (same
    pseudonymised reference) replaces the earlier one."""
    spec = schema_of(schema)
    key = check_key(key)
    progress = progress or NullProgress()
    files = list_files(paths, (".csv", ".csv.gz"))
    if not files:
        raise InputError(
            "No feed files found.",
            found=", ".join(str(p) for p in paths),
            hint="Give the CSV files of the feed (or their folder).",
        )
    report = IngestReport(source=KIND)
    progress.start(len(files), schema)
    table = spec["table"]
    ident = spec["fields"][0]["column"]
    for path in files:
        file_report, raw = open_report(con, path, f"{KIND}:{schema}")
        rejects: list[Any] = []
        if raw is not None:
            frame, rejects, synthetic = read_feed(path, raw, schema, key=key, keep_free_text=keep_free_text)
            frame["agreement_id"] = agreement
            frame["synthetic"] = synthetic
            frame["schema_version"] = spec["version"]
            frame["source_file"] = str(path)
            frame["ingest_id"] = file_report.ingest_id
            if synthetic:
                file_report.warnings.append(
                    f"{path.name}: SYNTHETIC rows (generated for the demo, not real)."
                )
            con.register("_feed_new", frame)
            try:
                file_report.rows_replaced = int(
                    con.execute(
                        f"SELECT count(*) FROM {table} t JOIN _feed_new n USING ({ident})"
                    ).fetchall()[0][0]
                )
                con.execute(f"DELETE FROM {table} t USING _feed_new n WHERE t.{ident} = n.{ident}")
                cols = ", ".join(frame.columns)
                con.execute(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM _feed_new")
            finally:
                con.unregister("_feed_new")
            file_report.rows_read = len(frame) + len(rejects)
            file_report.rows_loaded = len(frame)
        close_report(con, file_report, rejects, command_id=report.command_id)
        report.files.append(file_report)
        progress.advance(path.name)
    return report


def purge_expired(
    con: duckdb.DuckDBPyConnection, retention: dict[str, int], *, on: datetime
) -> dict[str, int]:
    """Delete partner records older than their agreement's retention; returns rows deleted per table.

    ``retention`` maps agreement id -> retention days; records of an agreement not in it are kept (the
    register is the authority, and an unknown agreement is reported by ``safer sharing check``)."""
    deleted: dict[str, int] = {}
    con.register(
        "_retention",
        pd.DataFrame({"agreement_id": list(retention), "days": [int(d) for d in retention.values()]}),
    )
    try:
        for spec in feed_schemas()["schemas"].values():
            table = spec["table"]
            where = (
                f"FROM {table} t USING _retention r WHERE t.agreement_id = r.agreement_id "
                f"AND t.record_date < CAST(? AS DATE) - r.days * INTERVAL 1 DAY"
            )
            count = con.execute(
                f"SELECT count(*) FROM {table} t JOIN _retention r USING (agreement_id) WHERE "
                f"t.record_date < CAST(? AS DATE) - r.days * INTERVAL 1 DAY",
                [on.date()],
            ).fetchall()[0][0]
            con.execute(f"DELETE {where}", [on.date()])
            deleted[table] = int(count)
    finally:
        con.unregister("_retention")
    return deleted


def purge_store(db: Path, retention: dict[str, int], *, on: datetime) -> dict[str, int]:
    """``purge_expired`` on the evidence store at ``db`` in one transaction, then checkpointed so the
    deleted records leave the file (the ingest's own write path, not the CLI's)."""
    from safer_communities.store.evidence import connect, transaction

    con = connect(db)
    try:
        with transaction(con):
            deleted = purge_expired(con, retention, on=on)
        con.execute("CHECKPOINT")
    finally:
        con.close()
    return deleted
