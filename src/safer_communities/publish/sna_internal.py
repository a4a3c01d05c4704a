"""A needs assessment off the publication grid: refused for publication, or built INTERNAL with --internal.

Why: every figure of a published report comes from the publication grid (``publish.grid``), whose
periods are fixed (months, calendar quarters, financial and calendar years, 12 months ending on a month).
A report for any other window (2021-07..2022-03, say) would protect its tables on their own, and a
reader could difference it against published grid periods to recover withheld cells. So such a period
is refused for publication, naming the grid periods that would serve; with ``internal`` the report is
built for the partnership's own use and every page, file and the manifest say so.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb

from safer_communities.analysis.periods import Period
from safer_communities.config import Settings
from safer_communities.publish.grid import (
    CALENDAR,
    FINANCIAL,
    KIND_LABELS,
    MONTH,
    ROLLING,
    GridPeriod,
    OffGridError,
    find_period,
    grid_periods,
)
from safer_communities.publish.grid_window import loaded_window

INTERNAL_LABEL = "INTERNAL - not for publication"
INTERNAL_TEXT = ("INTERNAL - not for publication. This report was built with --internal, for the "
                 "partnership's own use: {why} Its tables are protected one by one, not on the publication "
                 "grid, so figures in it could be differenced against published ones. Do not publish or "
                 "share it outside the partnership.")


def report_is_internal(con: duckdb.DuckDBPyConnection, period: Period, *, internal: bool,
                       settings: Settings) -> bool:
    """Whether the report must be marked internal; ``OffGridError`` for a period off the grid without
    ``internal`` (naming the grid periods that would serve). The grid is the publication window's."""
    months = loaded_window(con, settings)
    periods = grid_periods(min(months), max(months)) if months else []
    try:
        find_period(periods, period, "district")
    except OffGridError as exc:
        if internal:
            return True
        if periods and period.start < periods[0].period.start:  # before the publication window
            raise OffGridError("A report for publication must be for a period on the publication grid.",
                               found=f"--period {exc.found}", hint=f"{exc.hint} Or add --internal for a "
                               "report for the partnership's own use, marked INTERNAL on every page and "
                               "file.") from None
        serve = nearest_grid_periods(periods, period)
        raise OffGridError(
            "A report for publication must be for a period on the publication grid.",
            found=f"--period {period.label}: not a month, a calendar quarter, a financial or calendar "
                  "year, or 12 months ending on a month",
            hint=("Periods on the grid that would serve: "
                  + "; ".join(f"{gp.label}, {' and '.join(KIND_LABELS[k] for k in gp.kinds)}" for gp in serve)
                  + ". Or add --internal for a report for the partnership's own use, marked INTERNAL "
                    "(not for publication) on every page and file.")) from None
    return internal


def nearest_grid_periods(periods: list[GridPeriod], period: Period, *, count: int = 3) -> list[GridPeriod]:
    """The best grid period of each kind (financial year, calendar year, rolling 12 months, quarter) for
    ``period``: most months shared, then fewest months beyond it; the best ``count`` of those."""
    wanted = set(period.months)
    best: dict[str, tuple[tuple[int, int], GridPeriod]] = {}
    for gp in periods:
        if gp.kinds == (MONTH,):
            continue
        shared = len(wanted & set(gp.months))
        if not shared:
            continue
        score = (shared, -(len(gp.months) - shared))
        kind = gp.kinds[0]
        if kind not in best or score > best[kind][0]:
            best[kind] = (score, gp)
    order = {FINANCIAL: 3, CALENDAR: 2, ROLLING: 1}  # ties: the years a partnership reports on first
    ranked = sorted(best.values(), key=lambda item: (*item[0], order.get(item[1].kinds[0], 0)), reverse=True)
    out: list[GridPeriod] = []
    for _, gp in ranked:
        if all(gp.period != o.period for o in out):
            out.append(gp)
    return out[:count]


def why(period: Period, on_grid: bool) -> str:
    return ("its period is on the publication grid, but it was asked for as internal." if on_grid else
            f"its period, {period.label}, is not on the publication grid.")


def mark_html(html: str) -> str:
    """A banner at the top of the page and, printed (the PDF), on every page."""
    style = ("<style>@media print { @page { @top-center { content: \"" + INTERNAL_LABEL + "\"; "
             "font-size: 9pt; font-weight: bold; color: #b00020; } } }"
             " .internal-banner { background: #b00020; color: #fff; font-weight: bold; padding: 0.5rem 1rem; "
             "margin: 0 0 1rem; }</style>")
    banner = f'<div class="internal-banner" role="alert">{INTERNAL_LABEL}</div>'
    return html.replace("</head>", style + "</head>", 1).replace("<body>", "<body>" + banner, 1)


def mark_files(folder: Path, outputs: list[Path]) -> None:
    """The Word file's page header, a stamp on every map, a column on every CSV (and its CSVW)."""
    for path in outputs:
        if path.suffix == ".docx":
            _mark_docx(path)
        elif path.suffix == ".png":
            _mark_png(path)
        elif path.suffix == ".csv":
            _mark_csv(path)


def mark_manifest(folder: Path, text: str) -> None:
    path = folder / "manifest.json"
    manifest = json.loads(path.read_text(encoding="utf-8"))
    manifest = {"publication": INTERNAL_LABEL, "internal": True, "notice": text, **manifest}
    path.write_text(json.dumps(manifest, indent=2, ensure_ascii=False, default=str) + "\n", encoding="utf-8")


def _mark_docx(path: Path) -> None:
    from docx import Document
    from docx.shared import Pt, RGBColor

    doc = Document(str(path))
    for section in doc.sections:
        header = section.header
        paragraph = header.paragraphs[0] if header.paragraphs else header.add_paragraph()
        run = paragraph.add_run(INTERNAL_LABEL)
        run.bold, run.font.size, run.font.color.rgb = True, Pt(9), RGBColor(0xB0, 0x00, 0x20)
    doc.core_properties.keywords = INTERNAL_LABEL
    doc.save(str(path))


def _mark_png(path: Path) -> None:
    """A red band above the map (the map itself untouched) saying it is internal."""
    from PIL import Image, ImageDraw, ImageFont

    with Image.open(path) as image:
        original = image.convert("RGB")
    font = ImageFont.load_default(size=max(14, original.width // 60))
    band = font.getbbox(INTERNAL_LABEL)[3] + 12
    stamped = Image.new("RGB", (original.width, original.height + band), (176, 0, 32))
    stamped.paste(original, (0, band))
    ImageDraw.Draw(stamped).text((8, 6), INTERNAL_LABEL, fill=(255, 255, 255), font=font)
    stamped.save(path)


def _mark_csv(path: Path) -> None:
    import pandas as pd

    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame["publication"] = INTERNAL_LABEL.lower()
    frame.to_csv(path, index=False)
    sidecar = path.with_name(path.name + "-metadata.json")
    if sidecar.exists():
        meta = json.loads(sidecar.read_text(encoding="utf-8"))
        meta["dc:title"] = f"{INTERNAL_LABEL}: {meta.get('dc:title', '')}"
        columns = meta.get("tableSchema", {}).get("columns")
        if isinstance(columns, list):
            columns.append({"titles": "publication", "datatype": "string"})
        sidecar.write_text(json.dumps(meta, indent=2, ensure_ascii=False), encoding="utf-8")
