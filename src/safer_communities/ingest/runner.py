"""Run one ingest command as one transaction against the evidence store."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from safer_communities.ingest.common import IngestReport, NullProgress, Progress
from safer_communities.store.evidence import connect, transaction


def _ingesters() -> dict[str, Any]:
    # Imported here so `safer --help` stays fast and each source module loads only when used.
    from safer_communities.ingest import geography, imd, police_uk, population, stats19

    return {
        "police-uk": police_uk.ingest_police_uk,
        "geography": geography.ingest_geography,
        "population": population.ingest_population,
        "deprivation": imd.ingest_deprivation,
        "stats19": stats19.ingest_stats19,
    }


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
    ingest = _ingesters()[source]
    con = connect(db)
    try:
        with transaction(con):
            report = ingest(con, list(paths), progress=progress or NullProgress(), **options)
        con.execute("CHECKPOINT")
    finally:
        con.close()
    return report
