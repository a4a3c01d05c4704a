"""The report as one self-contained, accessible ``index.html`` (Jinja2; images as data URIs).

No external URL of any kind is written into ``src`` or ``href``: the page works offline, on an
intranet, or attached to an e-mail. Citations stay as plain text.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from functools import cache
from importlib import resources
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from safer_communities.publish.document import Figure, Report, Table

TEMPLATES = Path(str(resources.files("safer_communities.publish") / "templates"))
LONG_TABLE_LINES = 40
"""A table estimated at more printed lines than this may run on across pages (its header row repeated,
no row split); a shorter one is kept whole. A table taller than a page cannot be kept whole, and pushing
it to the next page had left its heading, or its caption, alone on the page before (14 of the county
report's 111 pages). Height is not known before layout, so it is estimated: each row as many lines as
its longest cell needs at ``CELL_CHARACTERS`` a line (the partner tables' indicator names wrap to six)."""
CELL_CHARACTERS = 24


def runs_on(table: Table) -> bool:
    """Whether ``table`` may break across printed pages (see ``LONG_TABLE_LINES``)."""
    lines = sum(max([1, *(-(-len(str(cell)) // CELL_CHARACTERS) for cell in row)]) for row in table.rows)
    return lines > LONG_TABLE_LINES


@cache
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=select_autoescape(["html", "j2"]),
        undefined=StrictUndefined,
        trim_blocks=False,
        lstrip_blocks=False,
    )
    env.globals["image_src"] = image_src
    env.globals["runs_on"] = runs_on
    env.globals["table_columns"] = no_columns
    return env


def image_src(figure: Figure) -> str:
    """A figure as a ``data:`` URI so the page needs no other file."""
    return "data:image/png;base64," + base64.b64encode(figure.chart.png).decode("ascii")


def no_columns(table: Table) -> None:
    """No column widths: the page's tables take the browser's automatic layout."""
    return None


def css() -> str:
    return (TEMPLATES / "report.css").read_text(encoding="utf-8")


def html_string(report: Report, *, figure_src: Callable[[Figure], str] | None = None,
                table_columns: Callable[[Table], list[float] | None] | None = None) -> str:
    """The page as text (also the input of the PDF renderer). ``figure_src`` gives each figure's
    ``src`` instead of a ``data:`` URI (the PDF renderer hands WeasyPrint the image bytes directly);
    ``table_columns`` gives a table's column widths in per cent, making it a fixed-layout table."""
    extra: dict[str, object] = {"image_src": figure_src} if figure_src is not None else {}
    if table_columns is not None:
        extra["table_columns"] = table_columns
    return environment().get_template("report.html.j2").render(report=report, css=css(), **extra)


def render_html(report: Report, out_dir: Path) -> Path:
    """Write ``index.html`` into ``out_dir`` and return its path."""
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "index.html"
    path.write_text(html_string(report), encoding="utf-8")
    return path
