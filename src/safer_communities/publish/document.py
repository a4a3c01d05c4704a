"""The report as data: Report -> Sections -> blocks. Every renderer (HTML, PDF, Word, tables) reads this.

Tables enter the model only through :meth:`Table.from_published`, that is, after disclosure control;
figures only as rendered charts with alt text. So no renderer can publish an unprotected number.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

import pandas as pd

from safer_communities.publish.disclosure import PublishedTable
from safer_communities.publish.style import Chart


def slugify(text: str) -> str:
    """Stable ids for anchors and file names: lower case, hyphens, ASCII."""
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return slug or "item"


@dataclass
class Paragraph:
    text: str
    kind: str = "text"  # text | note | warning | lead


@dataclass
class BulletList:
    items: list[str]


@dataclass
class Table:
    """A disclosure-controlled table: header labels, rows of strings, footnotes.

    ``key`` names the CSV file and Excel sheet; the first column is the row header.
    """

    title: str
    key: str
    headers: list[str]
    rows: list[list[str]]
    notes: list[str] = field(default_factory=list)

    @classmethod
    def from_published(
        cls,
        title: str,
        table: PublishedTable,
        *,
        columns: dict[str, str],
        key: str | None = None,
        notes: list[str] | None = None,
        drop_rows: list[object] | None = None,
    ) -> Table:
        """``columns`` maps the published columns to show onto their header labels, in order."""
        frame = table.published
        if drop_rows:
            frame = frame.drop(index=[r for r in drop_rows if r in frame.index])
        rows = frame[list(columns)].astype(str).to_numpy().tolist()
        return cls(title=title, key=key or slugify(title), headers=list(columns.values()), rows=rows,
                   notes=[*table.notes, *(notes or [])])

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.rows, columns=self.headers)


@dataclass
class Figure:
    chart: Chart
    caption: str
    key: str = ""

    def __post_init__(self) -> None:
        self.key = self.key or slugify(self.chart.name)


Block = Paragraph | BulletList | Table | Figure


@dataclass
class Section:
    title: str
    blocks: list[Block] = field(default_factory=list)
    subsections: list[Section] = field(default_factory=list)
    id: str = ""

    def add(self, *blocks: Block) -> Section:
        self.blocks.extend(blocks)
        return self

    def sub(self, title: str, *, id_prefix: str = "") -> Section:
        child = Section(title, id=f"{id_prefix or self.id}-{slugify(title)}")
        self.subsections.append(child)
        return child

    def __post_init__(self) -> None:
        self.id = self.id or slugify(self.title)


@dataclass
class Report:
    title: str
    subtitle: str
    area_name: str
    period_label: str
    sections: list[Section] = field(default_factory=list)
    generated_at: datetime = field(default_factory=datetime.now)
    attribution: str = ""
    software_version: str = ""
    # What kind of document this is, on the cover, in the PDF's subject and the Word core properties.
    kind_label: str = "Strategic needs assessment"
    # Area name -> (GSS code, level), so exported tables carry codes beside names.
    areas: dict[str, tuple[str, str]] = field(default_factory=dict)

    @property
    def document_title(self) -> str:
        """The title with the area named once (report titles usually name it already) and the period."""
        title = self.title if self.title.endswith(self.area_name) else f"{self.title}: {self.area_name}"
        return f"{title}, {self.period_label}"

    def section(self, title: str) -> Section:
        section = Section(title)
        ids = {s.id for s in self.sections}
        if section.id in ids:
            section.id = f"{section.id}-{len(self.sections)}"
        self.sections.append(section)
        return section

    def walk(self) -> list[tuple[int, Section]]:
        """Every section with its depth (1 = top), in reading order."""
        out: list[tuple[int, Section]] = []

        def visit(section: Section, depth: int) -> None:
            out.append((depth, section))
            for child in section.subsections:
                visit(child, depth + 1)

        for s in self.sections:
            visit(s, 1)
        return out

    def tables(self) -> list[Table]:
        return [b for _, s in self.walk() for b in s.blocks if isinstance(b, Table)]

    def figures(self) -> list[Figure]:
        return [b for _, s in self.walk() for b in s.blocks if isinstance(b, Figure)]

    def unique_table_keys(self) -> None:
        """Make table keys unique (they name files and sheets)."""
        seen: dict[str, int] = {}
        for table in self.tables():
            base = table.key
            if base in seen:
                seen[base] += 1
                table.key = f"{base}-{seen[base]}"
            else:
                seen[base] = 1
