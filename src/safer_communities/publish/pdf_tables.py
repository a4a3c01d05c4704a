"""Column widths for the PDF's tables, worked out here so WeasyPrint can lay them out as fixed tables.

With ``table-layout: auto`` WeasyPrint measures every cell twice before it lays a table out (its
narrowest and its widest line, each a Pango layout of the cell's text): a sixth of the county
report's page layout. The report's tables are plain text in one font, so the same widths can be
had from the font's advance widths, without a layout: :func:`column_widths` follows CSS's automatic
table layout (css-tables-3, as WeasyPrint implements it) on widths measured from DejaVu Sans' metrics,
and the PDF's page hands them to WeasyPrint as ``<col>`` widths of a ``table-layout: fixed`` table.

The widths are estimates (no kerning, breaks only at spaces and after hyphens): a column may come out
a fraction of a point wider or narrower than the automatic layout made it, never so that a number
wraps (a column is never narrower than its widest unbreakable word). The HTML page is unchanged.
"""

from __future__ import annotations

from functools import cache

from safer_communities.publish.document import Table

CELL_PT = 8.5
"""The table's text size in the print stylesheet (``table { font-size: 0.85rem }``, ``html { 10pt }``)."""
PADDING_PT = 10.0
"""A cell's left and right padding together (``th, td { padding: 0.25rem 0.5rem }``)."""
CONTENT_WIDTH_PT = (210 - 32) / 25.4 * 72
"""The width of the A4 page inside its margins (``@page { margin: 18mm 16mm 20mm }``): a table's width."""


@cache
def _advances(bold: bool) -> tuple[dict[int, float], float]:
    """Advance width per code point of DejaVu Sans (regular or bold), in ems, and a fallback width."""
    from fontTools.ttLib import TTFont
    from matplotlib import font_manager

    path = font_manager.findfont(font_manager.FontProperties(family="DejaVu Sans",
                                                             weight="bold" if bold else "normal"),
                                 fallback_to_default=False)
    font = TTFont(path, lazy=True)
    per_em = font["head"].unitsPerEm
    metrics = font["hmtx"].metrics
    widths = {code: metrics[glyph][0] / per_em for code, glyph in font.getBestCmap().items()}
    return widths, widths.get(ord("0"), 0.6)


def text_width(text: str, *, bold: bool = False) -> float:
    """The width of ``text`` on one line, in points at the tables' size."""
    widths, fallback = _advances(bold)
    return sum(widths.get(ord(ch), fallback) for ch in text) * CELL_PT


def _words(text: str) -> list[str]:
    """The pieces a line may not be broken within: words, split after hyphens too."""
    return [piece for word in text.split() for piece in word.replace("-", "-\n").split("\n") if piece]


def _cell(text: str, *, bold: bool) -> tuple[float, float]:
    """A cell's min-content and max-content width (text plus padding), in points."""
    words = _words(text)
    widest = max((text_width(word, bold=bold) for word in words), default=0.0)
    return widest + PADDING_PT, text_width(" ".join(text.split()), bold=bold) + PADDING_PT


def column_widths(table: Table, width: float = CONTENT_WIDTH_PT) -> list[float]:
    """Each column's width as a percentage of the table's ``width``, as the automatic layout shares it.

    Columns get their max-content width and the rest of the table's width in proportion to it when
    everything fits on one line; otherwise each gets its min-content width plus a share of the room
    left in proportion to what it would need to reach its max-content width.
    """
    columns = len(table.headers)
    minimum, maximum = [0.0] * columns, [0.0] * columns
    rows = [(True, table.headers), *((False, row) for row in table.rows)]
    for header, row in rows:
        for i, cell in enumerate(row[:columns]):
            low, high = _cell(str(cell), bold=header)
            minimum[i], maximum[i] = max(minimum[i], low), max(maximum[i], high)
    if sum(maximum) <= width:
        total = sum(maximum)
        shares = [m + (width - total) * m / total for m in maximum] if total else [width / columns] * columns
    elif sum(minimum) >= width:
        shares = minimum
    else:
        room = [high - low for low, high in zip(minimum, maximum, strict=True)]
        ratio = (width - sum(minimum)) / sum(room)
        shares = [low + extra * ratio for low, extra in zip(minimum, room, strict=True)]
    return [round(100 * share / width, 3) for share in shares]
