"""police.uk ingest on real slices (tests/data/police-uk): layouts, quirks, idempotence, releases."""

from __future__ import annotations

import gzip
import shutil
from datetime import date
from pathlib import Path

import numpy as np
import pytest
from police_uk_helpers import DATA, FEB, JAN, load, query, scalar
from pyproj import Transformer

from safer_communities.ingest.bng import _project, to_bng
from safer_communities.ingest.police_uk_read import force_slug, name_parts

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


def test_archive_folder_loads_every_row_of_each_kind(store_path: Path) -> None:
    report = load(store_path, DATA / "archive")
    files = [(Path(f.path).name, f.kind, f.force, f.month, f.rows_read, f.rows_loaded) for f in report.files]
    assert files == [
        ("2021-01-lancashire-street.csv", "street", "lancashire", date(2021, 1, 1), 171, 171),
        ("2021-02-lancashire-street.csv", "street", "lancashire", date(2021, 2, 1), 174, 174),
        ("2021-03-lancashire-outcomes.csv", "outcomes", "lancashire", date(2021, 3, 1), 100, 100),
    ]
    assert (report.rows_read, report.rows_loaded, report.rows_rejected) == (445, 445, 0)
    assert scalar(store_path, "SELECT count(*) FROM crimes") == 345
    assert scalar(store_path, "SELECT count(*) FROM outcomes") == 100
    assert query(store_path, "SELECT DISTINCT month FROM crimes ORDER BY 1") == [
        (date(2021, 1, 1),), (date(2021, 2, 1),)]
    # the outcome kind keeps its own columns
    assert query(store_path, "SELECT crime_id, outcome_type FROM outcomes ORDER BY crime_id LIMIT 1") == [
        ("067d4f051e0750769d67d6deb3ee56de0469d076b0a0d6be4e367206f3c40f1d",
         "Investigation complete; no suspect identified")]


def test_zip_archive_gives_the_same_store_as_the_folder(store_path: Path, tmp_path: Path) -> None:
    from_zip = load(store_path, DATA / "archive.zip")
    folder_store = tmp_path / "folder.duckdb"
    load(folder_store, DATA / "archive")
    assert from_zip.rows_loaded == 445
    assert from_zip.files[0].path.endswith("archive.zip!2021-01/2021-01-lancashire-street.csv")
    columns = "crime_id, month, longitude, latitude, easting, crime_type, last_outcome_category"
    assert query(store_path, f"SELECT {columns} FROM crimes ORDER BY ALL") == query(
        folder_store, f"SELECT {columns} FROM crimes ORDER BY ALL")


def test_asb_rows_kept_with_null_crime_id_and_outcome(store_path: Path) -> None:
    load(store_path, JAN)
    rows = query(store_path, "SELECT count(*), count(crime_id), count(last_outcome_category) FROM crimes "
                             "WHERE crime_type = 'Anti-social behaviour'")
    assert rows == [(72, 0, 0)]
    assert scalar(store_path, "SELECT count(*) FROM crimes WHERE crime_id IS NULL") == 72


def test_no_location_rows_kept_without_coordinates(store_path: Path) -> None:
    load(store_path, JAN)
    rows = query(store_path, "SELECT count(*), count(longitude), count(easting), count(lsoa_code) "
                             "FROM crimes WHERE location = 'No Location'")
    assert rows == [(15, 0, 0, 0)]
    # every located row has a grid reference
    assert scalar(store_path, "SELECT count(*) FROM crimes "
                              "WHERE longitude IS NOT NULL AND easting IS NULL") == 0


def test_context_and_blank_strings_are_null(store_path: Path) -> None:
    load(store_path, JAN)
    assert scalar(store_path, "SELECT count(context) FROM crimes") == 0
    assert scalar(store_path, "SELECT count(*) FROM crimes WHERE lsoa_code = '' OR crime_id = ''") == 0


def test_rows_reported_by_lancashire_outside_the_county_are_kept(store_path: Path) -> None:
    """Reported by Lancashire but in Derbyshire, Cumbria and Wales: kept as published (clip later)."""
    load(store_path, JAN)
    welsh = query(store_path, "SELECT lsoa_name FROM crimes WHERE lsoa_code LIKE 'W01%'")
    assert welsh == [("Denbighshire 009C",)]
    assert scalar(store_path, "SELECT lsoa_name FROM crimes ORDER BY rowid LIMIT 1") == "Amber Valley 007A"


def test_repeated_crime_ids_kept_and_flagged(store_path: Path) -> None:
    load(store_path, JAN, FEB)
    repeats = query(store_path, "SELECT n_rows, n_months FROM crime_id_repeats ORDER BY ALL")
    # 2 IDs repeated inside the February file, 5 repeated across January and February
    assert repeats == [(2, 1), (2, 1), (2, 2), (2, 2), (2, 2), (2, 2), (2, 2)]
    assert scalar(store_path, "SELECT count(*) FROM crimes") == 345


def test_crlf_and_lf_files(store_path: Path) -> None:
    assert b"\r\n" in JAN.read_bytes()
    lsoa21 = DATA / "lsoa21/2025-01/2025-01-lancashire-street.csv"
    assert b"\r\n" not in lsoa21.read_bytes()
    report = load(store_path, JAN, lsoa21)
    assert [f.rows_loaded for f in report.files] == [171, 120]
    assert scalar(store_path, "SELECT count(*) FROM crimes WHERE crime_type LIKE '%\r%'") == 0


def test_lsoa_2021_codes_kept_as_published(store_path: Path) -> None:
    load(store_path, DATA / "lsoa21")
    assert scalar(store_path, "SELECT count(*) FROM crimes WHERE month = DATE '2025-01-01'") == 120
    assert scalar(store_path, "SELECT count(DISTINCT lsoa_code) FROM crimes") == 12
    assert scalar(store_path, "SELECT count(*) FROM crimes WHERE lsoa_code NOT LIKE 'E01%'") == 0


def test_bom_and_gzip_accepted(store_path: Path, tmp_path: Path) -> None:
    folder = tmp_path / "2021-01"
    folder.mkdir()
    bom = folder / "2021-01-lancashire-street.csv"
    bom.write_bytes(b"\xef\xbb\xbf" + JAN.read_bytes())
    gz = tmp_path / "2021-02-lancashire-street.csv.gz"
    gz.write_bytes(gzip.compress(FEB.read_bytes()))
    report = load(store_path, bom, gz)
    assert [(f.month, f.rows_loaded) for f in report.files] == [
        (date(2021, 1, 1), 171), (date(2021, 2, 1), 174)]
    assert scalar(store_path, "SELECT count(*) FROM crimes WHERE crime_id IS NULL") == 72 + 92


def test_several_forces_per_month_and_a_missing_force_month(store_path: Path) -> None:
    report = load(store_path, DATA / "multi-force")
    assert len(report.files) == 10
    assert query(store_path, "SELECT force, count(DISTINCT month), count(*) FROM crimes "
                             "GROUP BY 1 ORDER BY 1") == [
        ("city-of-london", 4, 160), ("cumbria", 2, 80), ("lancashire", 4, 160)]
    # Cumbria 2024-03 and 2024-04 are absent: a gap, never a zero row
    assert query(store_path, "SELECT month FROM crimes WHERE force = 'cumbria' GROUP BY 1 ORDER BY 1") == [
        (date(2024, 1, 1),), (date(2024, 2, 1),)]
    assert scalar(store_path, "SELECT DISTINCT reported_by FROM crimes WHERE force = 'city-of-london'") == (
        "City of London Police")


def test_reingest_identical_files_is_unchanged(store_path: Path) -> None:
    load(store_path, DATA / "archive")
    again = load(store_path, DATA / "archive.zip")  # same bytes, other container
    assert [f.status for f in again.files] == ["unchanged"] * 3
    assert (again.rows_loaded, again.rows_replaced) == (0, 0)
    assert scalar(store_path, "SELECT count(*) FROM crimes") == 345
    assert scalar(store_path, "SELECT count(*) FROM outcomes") == 100
    assert scalar(store_path, "SELECT count(*) FROM ingests WHERE status = 'unchanged'") == 3


def test_later_release_replaces_month_and_counts_replaced_rows(store_path: Path) -> None:
    first = load(store_path, DATA / "release-a")
    assert (first.rows_loaded, first.rows_replaced) == (171, 0)
    second = load(store_path, DATA / "release-b")
    assert (second.rows_loaded, second.rows_replaced) == (161, 171)
    assert second.files[0].status == "loaded"
    assert scalar(store_path, "SELECT count(*) FROM crimes") == 161
    assert scalar(store_path, "SELECT count(*) FROM crimes WHERE last_outcome_category = "
                              "'Status update unavailable'") == 0
    assert scalar(store_path, "SELECT count(*) FROM crimes WHERE last_outcome_category = "
                              "'Unable to prosecute suspect'") == 46  # grep -c of release-b
    # going back to the earlier release is a real change again, not 'unchanged'
    back = load(store_path, DATA / "release-a")
    assert (back.files[0].status, back.rows_loaded, back.rows_replaced) == ("loaded", 171, 161)


def test_overlapping_archives_never_double_count(store_path: Path, tmp_path: Path) -> None:
    overlap = tmp_path / "overlap"
    for src in (FEB, DATA / "release-b/2021-01/2021-01-lancashire-street.csv"):
        target = overlap / src.parent.name / src.name
        target.parent.mkdir(parents=True)
        shutil.copy(src, target)
    load(store_path, DATA / "archive")
    report = load(store_path, overlap)
    assert [(f.month, f.status, f.rows_loaded, f.rows_replaced) for f in report.files] == [
        (date(2021, 1, 1), "loaded", 161, 171), (date(2021, 2, 1), "unchanged", 0, 0)]
    assert query(store_path, "SELECT month, count(*) FROM crimes GROUP BY 1 ORDER BY 1") == [
        (date(2021, 1, 1), 161), (date(2021, 2, 1), 174)]


def test_two_releases_in_one_command_the_later_wins(store_path: Path) -> None:
    report = load(store_path, DATA / "release-a", DATA / "release-b")
    assert [(f.rows_loaded, f.rows_replaced) for f in report.files] == [(171, 0), (161, 171)]
    assert scalar(store_path, "SELECT count(*) FROM crimes") == 161


def test_multi_month_single_csv_replaces_per_month(store_path: Path, tmp_path: Path) -> None:
    combined = tmp_path / "lancashire-extract.csv"
    combined.write_bytes(JAN.read_bytes() + b"".join(FEB.read_bytes().splitlines(keepends=True)[1:]))
    first = load(store_path, combined)
    assert (first.files[0].force, first.files[0].month, first.rows_loaded) == ("lancashire", None, 345)
    assert "force set to 'lancashire' from 'Reported by'" in first.warnings[0]
    second = load(store_path, DATA / "release-b")
    assert second.rows_replaced == 171  # only January is replaced
    assert query(store_path, "SELECT month, count(*) FROM crimes GROUP BY 1 ORDER BY 1") == [
        (date(2021, 1, 1), 161), (date(2021, 2, 1), 174)]


def test_kind_comes_from_the_columns_not_the_name(store_path: Path, tmp_path: Path) -> None:
    misnamed = tmp_path / "2021-01" / "2021-01-lancashire-outcomes.csv"
    misnamed.parent.mkdir()
    shutil.copy(JAN, misnamed)
    report = load(store_path, misnamed)
    assert (report.files[0].kind, report.rows_loaded) == ("street", 171)
    assert "named as outcomes but its columns are street" in report.warnings[0]
    assert scalar(store_path, "SELECT count(*) FROM outcomes") == 0


def test_columns_in_another_order_and_extra_columns(store_path: Path, tmp_path: Path) -> None:
    import csv
    import io

    rows = list(csv.reader(io.StringIO(JAN.read_text(encoding="utf-8"), newline="")))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    for i, row in enumerate(rows):
        writer.writerow([row[9], *row[:9], *row[10:], "Note" if i == 0 else "x"])
    target = tmp_path / "2021-01-lancashire-street.csv"
    target.write_text(out.getvalue(), encoding="utf-8")
    report = load(store_path, target)
    assert report.rows_loaded == 171
    assert "columns not used: ['Note']" in report.warnings[0]
    assert scalar(store_path, "SELECT count(*) FROM crimes WHERE crime_type = 'Anti-social behaviour'") == 72


def test_force_option_names_a_renamed_file(store_path: Path, tmp_path: Path) -> None:
    renamed = tmp_path / "my-download.csv"
    shutil.copy(JAN, renamed)
    report = load(store_path, renamed, force="Lancashire")
    assert (report.files[0].force, report.files[0].month) == ("lancashire", date(2021, 1, 1))
    assert report.warnings == []


def test_stop_and_search_month_is_the_files_month(store_path: Path) -> None:
    report = load(store_path, DATA / "stop-search")
    assert [(f.force, f.month, f.rows_loaded, f.rows_rejected) for f in report.files] == [
        ("durham", date(2019, 12, 1), 40, 0),
        ("cheshire", date(2025, 6, 1), 60, 0),
        ("merseyside", date(2025, 6, 1), 40, 0),
    ]
    # Cheshire's June file starts the evening before in UTC (June in UK time); Merseyside's ends
    # with rows that are already July in UK time: both stay in the June file's month.
    rows = query(store_path, "SELECT force, strftime(datetime AT TIME ZONE 'UTC', '%Y-%m-%dT%H:%M'), month "
                             "FROM stop_search WHERE month = DATE '2025-06-01' AND (datetime < "
                             "TIMESTAMPTZ '2025-06-01 00:00:00+00' OR datetime >= TIMESTAMPTZ "
                             "'2025-06-30 23:00:00+00') ORDER BY 2")
    assert rows[0] == ("cheshire", "2025-05-31T23:45", date(2025, 6, 1))
    assert {r[0] for r in rows[1:]} == {"merseyside"}
    assert scalar(store_path, "SELECT count(part_of_policing_operation) + count(policing_operation) "
                              "FROM stop_search") == 0
    assert scalar(store_path, "SELECT count(*) FROM stop_search WHERE easting IS NULL "
                              "AND latitude IS NOT NULL") == 0
    assert query(store_path, "SELECT outcome_linked_to_object_of_search, count(*) FROM stop_search "
                             "WHERE force = 'durham' GROUP BY 1 ORDER BY 1 NULLS LAST") == [
        (False, 1), (True, 15), (None, 24)]


def test_bng_matches_pyproj_and_the_ordnance_survey_worked_example() -> None:
    # OS "A guide to coordinate systems in Great Britain", projection worked example (Airy 1830).
    phi = np.radians(52 + 39 / 60 + 27.2531 / 3600)
    lam = np.radians(1 + 43 / 60 + 4.5177 / 3600)
    easting, northing = _project(np.array([phi]), np.array([lam]))
    assert easting[0] == pytest.approx(651409.903, abs=0.001)
    assert northing[0] == pytest.approx(313177.270, abs=0.001)
    # Full WGS84 -> OSGB36 on real police.uk points, against pyproj's own Helmert (no grid).
    lon = np.array([-1.544565, -3.191527, -2.704814, -3.0195170, -0.106220])
    lat = np.array([53.072929, 54.115796, 53.759020, 53.831383, 51.518275])
    ours = to_bng(lon, lat)
    theirs = Transformer.from_crs(4326, 27700, always_xy=True).transform(lon, lat)
    assert np.abs(ours[0] - theirs[0]).max() < 0.05
    assert np.abs(ours[1] - theirs[1]).max() < 0.05


def test_bng_within_a_centimetre_of_pyproj_across_the_uk() -> None:
    rng = np.random.default_rng(2026)
    lon, lat = rng.uniform(-8.7, 1.8, 100_000), rng.uniform(49.9, 60.9, 100_000)
    ours = to_bng(lon, lat)
    theirs = Transformer.from_crs(4326, 27700, always_xy=True).transform(lon, lat)
    assert np.hypot(ours[0] - theirs[0], ours[1] - theirs[1]).max() < 0.01


def test_stored_grid_reference_of_a_known_point(store_path: Path) -> None:
    load(store_path, JAN)
    (easting, northing), = query(
        store_path, "SELECT easting, northing FROM crimes WHERE crime_id = "
                    "'83c69c5a0b5382a10e1d975ba469d9efa5d30b974c711f108d294f4b7d133bcd'")
    ref_e, ref_n = Transformer.from_crs(4326, 27700, always_xy=True).transform(-1.544565, 53.072929)
    assert (easting, northing) == pytest.approx((ref_e, ref_n), abs=0.05)
    assert (easting, northing) == pytest.approx((430611, 352952), abs=5)


@pytest.mark.parametrize(("name", "parent", "expected"), [
    ("2024-01-city-of-london-street.csv", None, (date(2024, 1, 1), "city-of-london", "street")),
    ("2025-06-cheshire-stop-and-search.csv.gz", None, (date(2025, 6, 1), "cheshire", "stop_search")),
    ("2021-03-lancashire-outcomes.csv", "2021-03", (date(2021, 3, 1), "lancashire", "outcomes")),
    ("street.csv", "2021-03", (date(2021, 3, 1), None, None)),
    ("extract.csv", "downloads", (None, None, None)),
    ("2021-13-lancashire-street.csv", None, (None, None, None)),
])
def test_name_parts(name: str, parent: str | None, expected: tuple[object, ...]) -> None:
    assert name_parts(name, parent) == expected


@pytest.mark.parametrize(("reported_by", "slug"), [
    ("Lancashire Constabulary", "lancashire"), ("City of London Police", "city-of-london"),
    ("Metropolitan Police Service", "metropolitan"), ("Devon & Cornwall Police", "devon-and-cornwall"),
    ("Police Service of Northern Ireland", "northern-ireland"), ("Dyfed-Powys Police", "dyfed-powys"),
])
def test_force_slug(reported_by: str, slug: str) -> None:
    assert force_slug(reported_by) == slug
