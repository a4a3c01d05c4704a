"""Read and write the register as YAML (one file per kind), refusing a broken set as a whole.

A problem names the file, the entry and the field, so an officer editing YAML by hand can fix it.
The writer is canonical: loading a file it wrote and writing again gives identical bytes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from safer_communities.errors import InputError
from safer_communities.framework.model import KINDS, OPTIONAL_KINDS, REFERENCES, Framework

HEADER = ("# Stronger and Safer Communities Framework register: {kind}.\n"
          "# Schema: framework/schema/{kind}.schema.json. Written by 'safer framework export'; edit, then\n"
          "# 'safer framework load'. Entries with source type 'proposed' are not the council's "
          "adopted text.\n")


@dataclass(frozen=True)
class Problem:
    """One reason a register cannot be loaded."""

    file: str
    entry: str
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: entry '{self.entry}', field '{self.field}': {self.message}"


class FrameworkInvalidError(InputError):
    """The register files (or an amendment) would make an invalid register: nothing was loaded."""

    code = "framework_invalid"

    def __init__(self, problems: Sequence[Problem], *, hint: str | None = None) -> None:
        self.problems = list(problems)
        shown = "\n    ".join(str(p) for p in self.problems[:25])
        more = f"\n    ... and {len(self.problems) - 25} more" if len(self.problems) > 25 else ""
        super().__init__(
            f"The framework register is invalid ({len(self.problems)} problem(s)); nothing was loaded.",
            found="\n    " + shown + more,
            hint=hint or "Fix each entry named above (see docs/framework.md for every field), then load "
                         "again.",
        )


def file_name(kind: str) -> str:
    return f"{kind}.yaml"


def _entry_label(raw: Any, position: int) -> str:
    """The entry's id, or its position ('#3') when the id is missing, blank or not text."""
    if isinstance(raw, Mapping) and isinstance(raw.get("id"), str) and raw["id"].strip():
        return raw["id"]
    return f"#{position + 1}"


def read_raw(folder: Path) -> dict[str, Any]:
    """The parsed YAML of each kind's file; a missing or unreadable file is a problem."""
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError("The framework register is a folder of YAML files, one per kind.",
                         found=f"{folder} is not a folder",
                         hint=f"Pass the folder holding {', '.join(file_name(k) for k in KINDS)}.")
    problems: list[Problem] = []
    raw: dict[str, Any] = {}
    for kind in KINDS:
        path = folder / file_name(kind)
        if not path.exists():
            if kind in OPTIONAL_KINDS:
                continue
            problems.append(Problem(path.name, "-", "-", "file is missing"))
            continue
        try:
            raw[kind] = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (yaml.YAMLError, UnicodeDecodeError) as exc:
            problems.append(Problem(path.name, "-", "-", f"not valid YAML: {exc}".replace("\n", " ")))
    extra = sorted(p.name for p in folder.glob("*.y*ml") if p.stem not in KINDS)
    for name in extra:
        problems.append(Problem(name, "-", "-", f"unknown file: expected only {', '.join(KINDS)}"))
    if problems:
        raise FrameworkInvalidError(problems)
    return raw


def validate(raw: Mapping[str, Any], origin: Mapping[str, str] | None = None) -> Framework:
    """Build a register from parsed data, or raise every problem at once (file, entry, field)."""
    origin = origin or {kind: file_name(kind) for kind in KINDS}
    problems: list[Problem] = []
    built: dict[str, list[Any]] = {}
    for kind, model in KINDS.items():
        label = origin.get(kind, kind)
        items = raw.get(kind)
        if items is None:
            items = []
        if not isinstance(items, list):
            problems.append(Problem(label, "-", "-",
                                    f"must be a list of entries, found {type(items).__name__}"))
            continue
        seen: set[str] = set()
        built[kind] = []
        for position, item in enumerate(items):
            entry = _entry_label(item, position)
            if not isinstance(item, Mapping):
                problems.append(Problem(label, entry, "-", "each entry must be a mapping of field: value"))
                continue
            try:
                built[kind].append(model.model_validate(dict(item)))
            except ValidationError as exc:
                for err in exc.errors():
                    field = ".".join(str(part) for part in err["loc"]) or "-"
                    problems.append(Problem(label, entry, field, err["msg"]))
            if entry in seen:
                problems.append(Problem(label, entry, "id", "duplicate id: each id may appear once"))
            seen.add(entry)
    if not problems:
        problems.extend(_reference_problems(built, origin))
    if problems:
        raise FrameworkInvalidError(problems)
    return Framework(**built)


def _reference_problems(built: Mapping[str, list[Any]], origin: Mapping[str, str]) -> list[Problem]:
    ids = {kind: {e.id for e in entries} for kind, entries in built.items()}
    problems: list[Problem] = []
    for (kind, field), target in REFERENCES.items():
        for entry in built.get(kind, []):
            value = getattr(entry, field)
            refs = value if isinstance(value, list) else ([] if value is None else [value])
            for ref in refs:
                if ref not in ids.get(target, set()):
                    problems.append(Problem(origin.get(kind, kind), entry.id, field,
                                            f"'{ref}' is not an id in {file_name(target)}"))
    return problems


def read_framework(folder: Path) -> Framework:
    """Read and validate a register folder; nothing is returned unless every file is valid."""
    return validate(read_raw(folder))


def entry_data(entry: Any) -> dict[str, Any]:
    """An entry as plain data in field order, without unset optional fields (the canonical form)."""
    return entry.model_dump(mode="python", exclude_none=True, exclude_defaults=False)


def to_raw(framework: Framework) -> dict[str, list[dict[str, Any]]]:
    return {kind: [entry_data(e) for e in framework.entries(kind)] for kind in KINDS}


def dump_kind(framework: Framework, kind: str) -> str:
    """The canonical YAML text of one kind's file."""
    body = yaml.safe_dump(to_raw(framework)[kind], sort_keys=False, allow_unicode=True, width=100,
                          default_flow_style=False, indent=2)
    return HEADER.format(kind=kind) + body


def write_framework(framework: Framework, folder: Path) -> list[Path]:
    """Write one canonical YAML file per kind; returns the paths written."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for kind in KINDS:
        path = folder / file_name(kind)
        path.write_text(dump_kind(framework, kind), encoding="utf-8")
        written.append(path)
    return written


def shipped_path(area: str = "lancashire") -> Path:
    """The register shipped with the package (Lancashire's, as the first user's)."""
    return Path(__file__).with_name("data") / area
