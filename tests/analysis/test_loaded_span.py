"""``queries.loaded_span``: what ``period=None`` means for every analysis (first to last month loaded)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from safer_communities.analysis.queries import POLICE_SOURCE, STATS19_SOURCE, loaded_span
from safer_communities.errors import NoDataError
from safer_communities.store.evidence import connect


def test_the_span_is_the_first_to_the_last_month_in_the_raw_tables(demo_store: Path) -> None:
    con = connect(demo_store, read_only=True)
    try:
        first, last = con.execute("SELECT min(month), max(month) FROM crimes").fetchone()
        years = con.execute("SELECT min(accident_year), max(accident_year) FROM collisions").fetchone()
        police, stats19 = loaded_span(con, POLICE_SOURCE), loaded_span(con, STATS19_SOURCE)
    finally:
        con.close()
    assert (police.start, police.end) == (first, last) == (date(2021, 4, 1), date(2022, 3, 1))
    # STATS19 files cover whole calendar years
    assert (stats19.start, stats19.end) == (date(years[0], 1, 1), date(years[1], 12, 1))


@pytest.mark.parametrize(("source", "message", "hint"), [
    (POLICE_SOURCE, "No police.uk records are loaded.", "safer ingest police-uk"),
    (STATS19_SOURCE, "No STATS19 collisions are loaded.", "safer ingest stats19"),
])
def test_an_empty_store_is_refused_with_how_to_load_it(store_path: Path, source: str, message: str,
                                                      hint: str) -> None:
    con = connect(store_path)
    try:
        with pytest.raises(NoDataError, match=message) as info:
            loaded_span(con, source)
    finally:
        con.close()
    assert hint in (info.value.hint or "")
