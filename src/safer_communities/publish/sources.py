"""Which disclosure rule applies to which source: each source declares whether its publisher already
publishes it record by record.

Suppressing a count that anyone can recompute from the publisher's own record-level release protects
no one and withholds public evidence: the Department for Transport publishes every STATS19 collision
with its date, time, severity and coordinates, so STATS19 counts are published as they are. police.uk
publishes records too, but at snapped anonymous points and months only, so counts of police.uk records
by area keep small-number suppression; partner data (record-level feeds) is never published record by
record and always gets the full rules.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SourceDisclosure:
    """One source's publication status and the disclosure rule that follows from it."""

    source: str
    label: str
    published_record_level: bool  # counts are not suppressed when True
    publication: str
    rule: str


SOURCES: dict[str, SourceDisclosure] = {
    s.source: s
    for s in (
        SourceDisclosure(
            "stats19", "STATS19 road collisions (DfT)", True,
            "every collision, with date, time, severity and coordinates",
            "counts are published as they are (no small-number suppression); rates on few collisions are "
            "still marked as unreliable",
        ),
        SourceDisclosure(
            "police_uk_street", "police.uk street-level crime", False,
            "record by record, but at snapped anonymous map points and months only",
            "small counts are withheld, with secondary suppression wherever a total would reveal them",
        ),
        SourceDisclosure(
            "partner", "partner agencies' record-level data", False,
            "never published record by record",
            "small counts are withheld, with secondary suppression; record-level data is never published",
        ),
    )
}


def published_record_level(source: str | None) -> bool:
    """Whether counts from ``source`` need no suppression (``None``: unknown, so they do)."""
    entry = SOURCES.get(source or "")
    return bool(entry and entry.published_record_level)


def methods_lines() -> list[str]:
    """One line per source for the methods section: which rule applies to what, and why."""
    return [f"{s.label}: published {s.publication}; {s.rule}." for s in SOURCES.values()]
