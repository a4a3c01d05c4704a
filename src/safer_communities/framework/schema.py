"""The published JSON Schema of each register file, generated from the Pydantic models.

The generated schemas are also shipped in ``framework/schema/`` so editors (VS Code, IntelliJ) and
other councils' tools can validate YAML without Python; a test keeps the two identical.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter

from safer_communities.framework.model import KINDS

SCHEMA_DIR = Path(__file__).with_name("schema")
SCHEMA_BASE = "https://safer-communities.org/schema/framework/"


def generate(kind: str) -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of one kind's YAML file: a list of entries."""
    model = KINDS[kind]
    schema = TypeAdapter(list[model]).json_schema(mode="validation")  # type: ignore[valid-type]
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"{SCHEMA_BASE}{kind}.schema.json",
        "title": f"Framework register: {kind}",
        "description": f"{kind}.yaml of a Stronger and Safer Communities Framework register: a list of "
                       f"{model.__name__} entries. Generated from safer_communities.framework.model.",
        **schema,
    }


def render(kind: str) -> str:
    """The schema as the text shipped in the package (stable key order, trailing newline)."""
    return json.dumps(generate(kind), indent=2, ensure_ascii=False) + "\n"


def shipped(kind: str) -> str:
    return (SCHEMA_DIR / f"{kind}.schema.json").read_text(encoding="utf-8")


def write_all(folder: Path = SCHEMA_DIR) -> list[Path]:
    """Regenerate the shipped schemas (run after changing the models: python -m ...framework.schema)."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for kind in KINDS:
        path = folder / f"{kind}.schema.json"
        path.write_text(render(kind), encoding="utf-8")
        paths.append(path)
    return paths


if __name__ == "__main__":
    for written in write_all():
        print(written)
