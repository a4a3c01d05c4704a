"""Definitions: which records measure each priority issue, stored as versioned data (YAML).

The ids are those of the framework register. An area edits a copy of the default file (the Serious
Violence Duty lets partnerships agree their own definition) and every result records id and version.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from safer_communities.errors import InputError, NoDataError, NotFoundError

SOURCES = ("police_uk_street", "stats19", "force_extract")
# Home Office offence codes as forces record them: "1", "8N", "105A", "37/1", "003/01" (classification and
# optional subdivision). A force crime extract carries them; police.uk does not.
OFFENCE_CODE = re.compile(r"^[0-9]{1,3}[A-Z]{0,2}(/[0-9]{1,3})?$")
POLICE_UK_CRIME_TYPES = frozenset(
    {
        "Anti-social behaviour",
        "Bicycle theft",
        "Burglary",
        "Criminal damage and arson",
        "Drugs",
        "Other crime",
        "Other theft",
        "Possession of weapons",
        "Public order",
        "Robbery",
        "Shoplifting",
        "Theft from the person",
        "Vehicle crime",
        "Violence and sexual offences",
        "Public disorder and weapons",  # the pre-2013 category, still in old archives
    }
)
STATS19_SEVERITIES = {1: "fatal", 2: "serious", 3: "slight"}
_HINT = "See docs/definitions.md for the file layout; start from `safer evidence definitions --json`."


@dataclass(frozen=True)
class Definition:
    """How one priority issue is measured (or that it cannot be, from open data)."""

    issue: str
    version: str
    label: str
    source: str | None
    crime_types: tuple[str, ...] = ()
    severity: tuple[int, ...] = ()
    description: str = ""
    caveat: str = ""
    proxy: bool = False
    offence_codes: tuple[str, ...] = ()

    @property
    def has_data(self) -> bool:
        """Whether an open source measures this issue."""
        return self.source is not None

    def require_source(self, *, expected: str | None = None) -> str:
        """The source, or ``NoDataError`` (an issue without data is never answered with a zero)."""
        if self.source == "force_extract":
            raise NoDataError(
                f"No force crime extract is loaded for {self.label.lower()}.",
                found=f"definition '{self.issue}' (version {self.version}) counts Home Office offence codes "
                f"{', '.join(self.offence_codes)} from a force crime extract",
                hint="Load the force's crime extract (a record-level partner feed) to measure it; until then "
                "it is a gap, not a zero.",
            )
        if self.source is None:
            raise NoDataError(
                f"No data source loaded for {self.label.lower()}.",
                found=f"definition '{self.issue}' (version {self.version}) has no source",
                hint=self.caveat or "Load partner data and add a source to the definition.",
            )
        if expected is not None and self.source != expected:
            hint = f"This analysis needs an issue measured from {expected}."
            if self.source == "stats19":
                hint = (
                    "Road collisions have their own analysis: safer evidence road-safety (collision_rates)."
                )
            raise InputError(
                f"'{self.issue}' is measured from {self.source}, which this analysis does not use.",
                found=f"source {self.source}",
                hint=hint,
            )
        return self.source

    def to_dict(self) -> dict[str, Any]:
        """A plain mapping (JSON output, result metadata)."""
        return {
            "issue": self.issue,
            "version": self.version,
            "label": self.label,
            "source": self.source,
            "crime_types": list(self.crime_types),
            "severity": list(self.severity),
            "description": self.description,
            "caveat": self.caveat,
            "proxy": self.proxy,
            "offence_codes": list(self.offence_codes),
        }


@dataclass(frozen=True)
class Definitions:
    """Every issue's definition, from one versioned file."""

    version: str
    path: str
    items: dict[str, Definition] = field(default_factory=dict)

    def get(self, issue_id: str) -> Definition:
        """The definition of ``issue_id``; ``NotFoundError`` naming the known ids otherwise."""
        try:
            return self.items[issue_id]
        except KeyError:
            raise NotFoundError(
                f"There is no definition for the issue '{issue_id}'.",
                found=f"known issues: {', '.join(sorted(self.items))}",
                hint="Use one of the known ids, or add the issue to your definitions file.",
            ) from None

    def __iter__(self):
        return iter(self.items.values())

    def __len__(self) -> int:
        return len(self.items)


def _as_tuple(value: Any, *, issue: str, key: str, path: str) -> tuple[Any, ...]:
    if value is None:
        return ()
    if isinstance(value, str | int):
        return (value,)
    if isinstance(value, list):
        return tuple(value)
    raise InputError(f"'{key}' of issue '{issue}' must be a list.", found=f"{path}: {value!r}", hint=_HINT)


def _definition(issue: str, raw: Any, version: str, path: str) -> Definition:
    if not isinstance(raw, dict):
        raise InputError(
            f"Issue '{issue}' must be a mapping of settings.", found=f"{path}: {raw!r}", hint=_HINT
        )
    unknown = set(raw) - {
        "label",
        "source",
        "crime_types",
        "severity",
        "description",
        "caveat",
        "proxy",
        "version",
        "offence_codes",
    }
    if unknown:
        raise InputError(
            f"Issue '{issue}' has settings this version does not know.",
            found=f"{path}: {sorted(unknown)}",
            hint=_HINT,
        )
    source = raw.get("source")
    if source is not None and source not in SOURCES:
        raise InputError(
            f"Issue '{issue}' names an unknown source.",
            found=f"{path}: {source!r}",
            hint=f"Use one of {', '.join(SOURCES)}, or null when no open data exists.",
        )
    crime_types = tuple(
        str(c) for c in _as_tuple(raw.get("crime_types"), issue=issue, key="crime_types", path=path)
    )
    bad = [c for c in crime_types if c not in POLICE_UK_CRIME_TYPES]
    if bad:
        raise InputError(
            f"Issue '{issue}' names crime types police.uk does not publish.",
            found=f"{path}: {bad}",
            hint=f"police.uk types: {', '.join(sorted(POLICE_UK_CRIME_TYPES))}.",
        )
    if source == "police_uk_street" and not crime_types:
        raise InputError(
            f"Issue '{issue}' is measured from police.uk but lists no crime types.",
            found=path,
            hint="Add crime_types: [...].",
        )
    codes = tuple(
        str(c).strip().upper()
        for c in _as_tuple(raw.get("offence_codes"), issue=issue, key="offence_codes", path=path)
    )
    bad_codes = [c for c in codes if not OFFENCE_CODE.match(c)]
    if bad_codes:
        raise InputError(
            f"Issue '{issue}' has offence codes that are not Home Office offence codes.",
            found=f"{path}: {bad_codes}",
            hint="Write codes as the Home Office Counting Rules do: 1, 8N, 105A, 37/1 or 003/01.",
        )
    if codes and source != "force_extract":
        raise InputError(
            f"Issue '{issue}' lists offence codes but its source is {source!r}.",
            found=f"{path}: offence_codes {list(codes)}",
            hint="Offence codes need source: force_extract (police.uk records carry no offence code).",
        )
    if source == "force_extract" and not codes:
        raise InputError(
            f"Issue '{issue}' is measured from a force extract but lists no offence codes.",
            found=path,
            hint="Add offence_codes: [...] (Home Office offence codes).",
        )
    severity = tuple(int(s) for s in _as_tuple(raw.get("severity"), issue=issue, key="severity", path=path))
    if source == "stats19":
        severity = severity or (1, 2)
        if any(s not in STATS19_SEVERITIES for s in severity):
            raise InputError(
                f"Issue '{issue}' has a STATS19 severity outside 1-3.",
                found=f"{path}: {severity}",
                hint="Severity codes: 1 fatal, 2 serious, 3 slight.",
            )
    return Definition(
        issue=issue,
        version=str(raw.get("version", version)),
        label=str(raw.get("label", issue)),
        source=source,
        crime_types=crime_types,
        severity=severity,
        description=str(raw.get("description", "") or "").strip(),
        caveat=str(raw.get("caveat", "") or "").strip(),
        proxy=bool(raw.get("proxy", False)),
        offence_codes=codes,
    )


def load_definitions(path: Path | str | None = None) -> Definitions:
    """Read a definitions file; ``None`` means the bundled defaults."""
    if path is None:
        resource = resources.files("safer_communities") / "data" / "definitions" / "default.yaml"
        text, where = resource.read_text(encoding="utf-8"), "default.yaml (bundled)"
    else:
        p = Path(path)
        if not p.is_file():
            raise InputError("The definitions file does not exist.", found=str(p), hint=_HINT)
        text, where = p.read_text(encoding="utf-8"), str(p)
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise InputError(
            "The definitions file is not valid YAML.", found=f"{where}: {exc}", hint=_HINT
        ) from exc
    if not isinstance(data, dict) or not isinstance(data.get("issues"), dict) or "version" not in data:
        raise InputError(
            "A definitions file needs a 'version' and an 'issues' mapping.", found=where, hint=_HINT
        )
    version = str(data["version"])
    items = {str(k): _definition(str(k), v, version, where) for k, v in data["issues"].items()}
    return Definitions(version=version, path=where, items=items)


def resolve(definitions: Definitions | Path | str | None) -> Definitions:
    """Accept loaded definitions, a path, or ``None`` for the defaults."""
    if isinstance(definitions, Definitions):
        return definitions
    return load_definitions(definitions)
