"""Run one ingest command as one transaction against the evidence store."""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from safer_communities.errors import InputError
from safer_communities.ingest.common import IngestReport, NullProgress, Progress
from safer_communities.store.evidence import connect, transaction

# Each source's module and function, imported only when used: `safer --help` stays fast and a police.uk
# ingest does not pay for importing GeoPandas.
INGESTERS: dict[str, tuple[str, str]] = {
    "police-uk": ("safer_communities.ingest.police_uk", "ingest_police_uk"),
    "geography": ("safer_communities.ingest.geography", "ingest_geography"),
    "population": ("safer_communities.ingest.population", "ingest_population"),
    "deprivation": ("safer_communities.ingest.imd", "ingest_deprivation"),
    "stats19": ("safer_communities.ingest.stats19", "ingest_stats19"),
    "indicators": ("safer_communities.ingest.indicators", "ingest_indicators"),
    "partner-feed": ("safer_communities.ingest.partner_feed", "ingest_partner_feed"),
}


def _ingester(source: str) -> Any:
    if source not in INGESTERS:
        raise InputError(f"Unknown source '{source}'.", found=source,
                         hint=f"Use one of: {', '.join(INGESTERS)}.")
    module, function = INGESTERS[source]
    return getattr(importlib.import_module(module), function)


def run_ingest(
    db: Path,
    source: str,
    paths: Sequence[Path],
    *,
    progress: Progress | None = None,
    **options: Any,
) -> IngestReport:
    """Open the store for writing, run one source's ingester in one transaction, commit.

    If anything fails (a refused file, Ctrl-C, a killed process) nothing from this command stays.
    """
    ingest = _ingester(source)
    con = connect(db)
    try:
        with transaction(con):
            report = ingest(con, list(paths), progress=progress or NullProgress(), **options)
        con.execute("CHECKPOINT")
    finally:
        con.close()
    return report
