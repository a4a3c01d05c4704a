"""QGIS styles (QML) for the GeoPackage layers, so a layer opens in QGIS as it looks in the report.

Stored in the GeoPackage's ``layer_styles`` table (the table QGIS itself writes), one default style
per layer. Only the renderer is written: QGIS fills in every other setting with its defaults.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from xml.sax.saxutils import quoteattr

from matplotlib.colors import to_rgba


@dataclass(frozen=True)
class Category:
    """One class of a categorised style: the field value, its legend label, fill and fill pattern."""

    value: object
    label: str
    colour: str
    pattern: str = "solid"  # QGIS SimpleFill style: solid, no, b_diagonal, dense5 ...


def _rgba(colour: str) -> str:
    r, g, b, a = (round(255 * c) for c in to_rgba(colour))
    return f"{r},{g},{b},{a}"


def _fill_symbol(name: str, colour: str, *, pattern: str = "solid", outline: str = "#FFFFFF",
                 outline_width_mm: float = 0.1) -> str:
    options = {"color": _rgba(colour), "style": pattern, "outline_color": _rgba(outline),
               "outline_style": "solid", "outline_width": f"{outline_width_mm:g}",
               "outline_width_unit": "MM", "joinstyle": "bevel"}
    option_xml = "".join(f'<Option type="QString" name="{k}" value={quoteattr(v)}/>'
                         for k, v in options.items())
    return (f'<symbol type="fill" name="{name}" alpha="1" clip_to_extent="1" force_rhr="0">'
            f'<layer class="SimpleFill" enabled="1" locked="0" pass="0"><Option type="Map">{option_xml}'
            "</Option></layer></symbol>")


def _document(renderer: str, labeling: str = "") -> str:
    return ("<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n"
            f'<qgis version="3.28.0" styleCategories="Symbology|Labeling">{renderer}{labeling}</qgis>\n')


def categorised(field: str, categories: Sequence[Category], *, outline: str = "#FFFFFF") -> str:
    """A categorised fill style on ``field`` (hot-spot classes, rate bands)."""
    cats = "".join(f'<category value={quoteattr(str(c.value))} label={quoteattr(c.label)} symbol="{i}" '
                   'render="true"/>' for i, c in enumerate(categories))
    symbols = "".join(_fill_symbol(str(i), c.colour, pattern=c.pattern, outline=outline)
                      for i, c in enumerate(categories))
    renderer = (f'<renderer-v2 type="categorizedSymbol" attr={quoteattr(field)} symbollevels="0" '
                f'enableorderby="0" forceraster="0"><categories>{cats}</categories>'
                f"<symbols>{symbols}</symbols></renderer-v2>")
    return _document(renderer)


def outline(*, colour: str = "#000000", width_mm: float = 0.5, label_field: str | None = None) -> str:
    """Outlines only (no fill), optionally labelled by a name field: for district and county boundaries."""
    symbol = _fill_symbol("0", "#FFFFFF00", pattern="no", outline=colour, outline_width_mm=width_mm)
    renderer = (f'<renderer-v2 type="singleSymbol" symbollevels="0" enableorderby="0" forceraster="0">'
                f"<symbols>{symbol}</symbols></renderer-v2>")
    labeling = ""
    if label_field:
        labeling = (f'<labeling type="simple"><settings calloutType="simple"><text-style fieldName='
                    f'{quoteattr(label_field)} fontSize="9" fontSizeUnit="Point" textColor="26,26,26,255" '
                    'fontFamily="DejaVu Sans"><text-buffer bufferDraw="1" bufferSize="1" '
                    'bufferColor="255,255,255,255"/></text-style><placement placement="0"/>'
                    "</settings></labeling>")
    return _document(renderer, labeling)
