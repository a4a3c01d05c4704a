"""DDL of the evidence store. Table and column names are a public interface (docs/data-dictionary.md).

Each table's DDL is its own constant so each ingest module owns the tables it writes.
Coordinates are kept as published (WGS84) and in British National Grid (EPSG:27700) for distances.
"""

from __future__ import annotations

SCHEMA_VERSION = 6  # 2: crime_monthly_counts; 3: crime_force_months; 4: repeated_crime_ids;
# 5: crime_lsoa_months, crime_type_months; 6: crime_lsoa_totals, crime_lsoa_months in force order,
# police_force_months, repeated_crime_id_totals

INGESTS = """
CREATE TABLE IF NOT EXISTS ingests (
    ingest_id      BIGINT PRIMARY KEY,
    command_id     VARCHAR NOT NULL,     -- one per CLI command run: all its files commit together
    path           VARCHAR NOT NULL,     -- the file as given (for a zip: archive.zip!member)
    sha256         VARCHAR NOT NULL,
    kind           VARCHAR NOT NULL,     -- street | outcomes | stop_search | stats19 | geography ...
    force          VARCHAR,              -- police.uk force slug, e.g. 'lancashire'
    month          DATE,                 -- first of the month the file covers, when it covers one
    rows_read      BIGINT NOT NULL,
    rows_loaded    BIGINT NOT NULL,
    rows_rejected  BIGINT NOT NULL,
    rows_replaced  BIGINT NOT NULL,
    status         VARCHAR NOT NULL,     -- loaded | unchanged (identical file already loaded)
    loaded_at      TIMESTAMP NOT NULL,
    software_version VARCHAR NOT NULL
);
CREATE SEQUENCE IF NOT EXISTS ingest_id_seq START 1;
"""

REJECTS = """
CREATE TABLE IF NOT EXISTS rejects (
    ingest_id    BIGINT NOT NULL,
    source_file  VARCHAR NOT NULL,
    line_number  BIGINT,                -- physical line in the file, header is line 1
    field        VARCHAR,               -- column name, or NULL when the whole row is malformed
    reason       VARCHAR NOT NULL,
    raw_line     VARCHAR
);
"""

CRIMES = """
CREATE TABLE IF NOT EXISTS crimes (
    crime_id              VARCHAR,      -- NULL for anti-social behaviour
    month                 DATE NOT NULL,
    reported_by           VARCHAR,
    falls_within          VARCHAR,
    longitude             DOUBLE,       -- NULL for 'No Location' rows
    latitude              DOUBLE,
    easting               DOUBLE,       -- British National Grid
    northing              DOUBLE,
    location              VARCHAR,
    lsoa_code             VARCHAR,
    lsoa_name             VARCHAR,
    crime_type            VARCHAR NOT NULL,
    last_outcome_category VARCHAR,
    context               VARCHAR,
    force                 VARCHAR NOT NULL,
    source_file           VARCHAR NOT NULL,
    ingest_id             BIGINT NOT NULL
);
"""

# A roll-up of crimes kept by the police.uk ingest (rebuilt for every force-month a command touches),
# so area x month x crime-type questions over a national store take milliseconds, not a 70M-row scan.
CRIME_MONTHLY_COUNTS = """
CREATE TABLE IF NOT EXISTS crime_monthly_counts (
    force       VARCHAR NOT NULL,
    month       DATE NOT NULL,
    lsoa_code   VARCHAR,               -- as published; NULL for rows with no LSOA
    crime_type  VARCHAR NOT NULL,
    records     BIGINT NOT NULL         -- rows of crimes, ASB included, repeated Crime IDs included
);
"""

# One row per force and month of crimes, kept in step with it by the same refresh as
# crime_monthly_counts: what `safer quality` needs beyond the LSOA roll-up (rows without coordinates and
# the force's name as its rows give it), so the report reads roll-ups, not a 70M-row scan.
CRIME_FORCE_MONTHS = """
CREATE TABLE IF NOT EXISTS crime_force_months (
    force        VARCHAR NOT NULL,
    month        DATE NOT NULL,
    records      BIGINT NOT NULL,      -- rows of crimes for the force-month
    unlocated    BIGINT NOT NULL,      -- of which with no longitude or no latitude
    reported_by  VARCHAR               -- the commonest 'Reported by' of those rows (the force's name)
);
"""

# Two smaller roll-ups of crime_monthly_counts, rebuilt from it by the same refresh: what `safer quality`
# counts per LSOA code (study area, Wales, malformed codes) and per crime type (rows without an LSOA),
# from about a quarter and a three-hundredth of its rows. crime_lsoa_months is written in force order,
# so the study area's forces are read without the others' row groups.
CRIME_LSOA_MONTHS = """
CREATE TABLE IF NOT EXISTS crime_lsoa_months (
    force       VARCHAR NOT NULL,
    month       DATE NOT NULL,
    lsoa_code   VARCHAR,               -- as published; NULL for rows with no LSOA
    records     BIGINT NOT NULL         -- rows of crimes, every crime type
);
"""
# Force x LSOA code over every month (rebuilt from crime_lsoa_months for each force a refresh touches):
# the codes `safer quality` checks (outside the study area, Welsh, malformed) and which forces have rows
# in the study area, from tens of thousands of rows on a national store instead of millions.
CRIME_LSOA_TOTALS = """
CREATE TABLE IF NOT EXISTS crime_lsoa_totals (
    force       VARCHAR NOT NULL,
    lsoa_code   VARCHAR,               -- as published; NULL for rows with no LSOA
    records     BIGINT NOT NULL         -- rows of crimes, every month and crime type
);
"""
CRIME_TYPE_MONTHS = """
CREATE TABLE IF NOT EXISTS crime_type_months (
    force       VARCHAR NOT NULL,
    month       DATE NOT NULL,
    crime_type  VARCHAR NOT NULL,
    records     BIGINT NOT NULL,        -- rows of crimes
    no_lsoa     BIGINT NOT NULL         -- of which with no LSOA
);
"""

# Every Crime ID on more than one row of crimes, per force-month it appears in, kept in step by the same
# refresh (store/repeats.py): what `safer quality` counts of repeated IDs, without grouping 70M IDs.
REPEATED_CRIME_IDS = """
CREATE TABLE IF NOT EXISTS repeated_crime_ids (
    crime_id  VARCHAR NOT NULL,
    force     VARCHAR NOT NULL,
    month     DATE NOT NULL,
    records   BIGINT NOT NULL           -- rows of crimes with this ID in the force-month
);
"""

# One row per kind (outcomes, stop_search), force and month of those tables, rebuilt by the police.uk
# ingest for every force-month a command loads or replaces: the coverage `safer quality` reports for
# them, without scanning tens of millions of outcome rows on a national store.
POLICE_FORCE_MONTHS = """
CREATE TABLE IF NOT EXISTS police_force_months (
    kind         VARCHAR NOT NULL,     -- outcomes | stop_search
    force        VARCHAR NOT NULL,
    month        DATE NOT NULL,
    records      BIGINT NOT NULL,      -- rows of the kind's table for the force-month
    reported_by  VARCHAR               -- the commonest 'Reported by' (outcomes); NULL for stop and search
);
"""

# The figures `safer quality` reports of repeated Crime IDs, from repeated_crime_ids, rewritten by the same
# refresh (store/repeats.py): one row, so the report does not group 235,000 IDs twice on a national store.
REPEATED_CRIME_ID_TOTALS = """
CREATE TABLE IF NOT EXISTS repeated_crime_id_totals (
    ids                      BIGINT NOT NULL,  -- Crime IDs on more than one row
    rows                     BIGINT NOT NULL,  -- rows carrying them
    extra_rows               BIGINT NOT NULL,  -- rows beyond the first of each ID
    within_month_ids         BIGINT NOT NULL,  -- ID-months with more than one row
    within_month_extra_rows  BIGINT NOT NULL,  -- rows beyond the first of each ID in each month
    across_months_ids        BIGINT NOT NULL   -- IDs in more than one month
);
"""

OUTCOMES = """
CREATE TABLE IF NOT EXISTS outcomes (
    crime_id      VARCHAR,
    month         DATE NOT NULL,
    reported_by   VARCHAR,
    falls_within  VARCHAR,
    longitude     DOUBLE,
    latitude      DOUBLE,
    easting       DOUBLE,
    northing      DOUBLE,
    location      VARCHAR,
    lsoa_code     VARCHAR,
    lsoa_name     VARCHAR,
    outcome_type  VARCHAR NOT NULL,
    force         VARCHAR NOT NULL,
    source_file   VARCHAR NOT NULL,
    ingest_id     BIGINT NOT NULL
);
"""

STOP_SEARCH = """
CREATE TABLE IF NOT EXISTS stop_search (
    type                              VARCHAR,
    datetime                          TIMESTAMPTZ,  -- as published (UTC)
    month                             DATE NOT NULL,  -- the month of the file it was published in
    part_of_policing_operation        BOOLEAN,
    policing_operation                VARCHAR,
    latitude                          DOUBLE,
    longitude                         DOUBLE,
    easting                           DOUBLE,
    northing                          DOUBLE,
    gender                            VARCHAR,
    age_range                         VARCHAR,
    self_defined_ethnicity            VARCHAR,
    officer_defined_ethnicity         VARCHAR,
    legislation                       VARCHAR,
    object_of_search                  VARCHAR,
    outcome                           VARCHAR,
    outcome_linked_to_object_of_search BOOLEAN,
    removal_of_more_than_outer_clothing BOOLEAN,
    force                             VARCHAR NOT NULL,
    source_file                       VARCHAR NOT NULL,
    ingest_id                         BIGINT NOT NULL
);
"""

COLLISIONS = """
CREATE TABLE IF NOT EXISTS collisions (
    accident_index               VARCHAR NOT NULL,
    accident_year                INTEGER NOT NULL,
    accident_reference           VARCHAR,
    date                         DATE NOT NULL,
    time                         VARCHAR,       -- HH:MM local time as published
    hour                         SMALLINT,
    day_of_week                  SMALLINT,      -- DfT code: 1 Sunday .. 7 Saturday
    easting                      DOUBLE,
    northing                     DOUBLE,
    longitude                    DOUBLE,
    latitude                     DOUBLE,
    police_force                 SMALLINT,
    accident_severity            SMALLINT NOT NULL,  -- 1 fatal, 2 serious, 3 slight
    number_of_vehicles           SMALLINT,
    number_of_casualties         SMALLINT,
    local_authority_ons_district VARCHAR,
    local_authority_highway      VARCHAR,
    first_road_class             SMALLINT,
    road_type                    SMALLINT,
    speed_limit                  SMALLINT,
    light_conditions             SMALLINT,
    weather_conditions           SMALLINT,
    road_surface_conditions      SMALLINT,
    urban_or_rural_area          SMALLINT,
    lsoa_code                    VARCHAR,       -- lsoa_of_accident_location
    source_file                  VARCHAR NOT NULL,
    ingest_id                    BIGINT NOT NULL
);
"""

AREAS = """
CREATE TABLE IF NOT EXISTS areas (
    lsoa_code        VARCHAR PRIMARY KEY,  -- 2011 and 2021 codes each have a row
    lsoa_name        VARCHAR,
    lsoa_vintage     SMALLINT NOT NULL,    -- 2011 or 2021
    lsoa11_code      VARCHAR NOT NULL,     -- the 2011 LSOA it counts under (itself, or best fit)
    district_code    VARCHAR NOT NULL,     -- E06/E07/E08/E09 GSS code
    district_name    VARCHAR NOT NULL,
    upper_tier_code  VARCHAR NOT NULL,     -- county council (E10) or the unitary itself
    upper_tier_name  VARCHAR NOT NULL,
    county_code      VARCHAR NOT NULL,     -- the strategic area districts roll up to
    county_name      VARCHAR NOT NULL
);
"""

AREA_BOUNDARIES = """
CREATE TABLE IF NOT EXISTS area_boundaries (
    area_code   VARCHAR NOT NULL,
    area_level  VARCHAR NOT NULL,   -- lsoa | district | county
    area_name   VARCHAR,
    area_m2     DOUBLE,
    geometry    BLOB NOT NULL,      -- WKB, British National Grid (EPSG:27700)
    PRIMARY KEY (area_code, area_level)
);
"""

POPULATION = """
CREATE TABLE IF NOT EXISTS population (
    area_code   VARCHAR NOT NULL,   -- LSOA 2011 code
    year        INTEGER NOT NULL,   -- mid-year estimate
    population  BIGINT NOT NULL,
    source      VARCHAR NOT NULL,
    PRIMARY KEY (area_code, year)
);
"""

DEPRIVATION = """
CREATE TABLE IF NOT EXISTS deprivation (
    lsoa_code                  VARCHAR PRIMARY KEY,  -- LSOA 2011
    imd_version                VARCHAR NOT NULL,     -- 'IMD2019'
    imd_rank                   INTEGER NOT NULL,     -- 1 = most deprived in England
    imd_decile                 SMALLINT NOT NULL,    -- 1 = most deprived 10%
    income_rank                INTEGER,
    income_decile              SMALLINT,
    employment_rank            INTEGER,
    employment_decile          SMALLINT,
    education_rank             INTEGER,
    education_decile           SMALLINT,
    health_rank                INTEGER,
    health_decile              SMALLINT,
    crime_rank                 INTEGER,
    crime_decile               SMALLINT,
    barriers_rank              INTEGER,
    barriers_decile            SMALLINT,
    living_environment_rank    INTEGER,
    living_environment_decile  SMALLINT
);
"""

META = """
CREATE TABLE IF NOT EXISTS store_meta (
    key    VARCHAR PRIMARY KEY,
    value  VARCHAR NOT NULL
);
"""

# Views analysts use directly: repeated Crime IDs are flagged here, never dropped from crimes.
VIEWS = """
CREATE OR REPLACE VIEW crime_id_repeats AS
SELECT crime_id,
       count(*)              AS n_rows,
       count(DISTINCT month) AS n_months,
       min(month)            AS first_month,
       max(month)            AS last_month
FROM crimes
WHERE crime_id IS NOT NULL
GROUP BY crime_id
HAVING count(*) > 1;
"""

ALL_TABLES = [
    META, INGESTS, REJECTS, CRIMES, CRIME_MONTHLY_COUNTS, CRIME_FORCE_MONTHS, CRIME_LSOA_MONTHS,
    CRIME_LSOA_TOTALS, CRIME_TYPE_MONTHS, REPEATED_CRIME_IDS, REPEATED_CRIME_ID_TOTALS, POLICE_FORCE_MONTHS,
    OUTCOMES, STOP_SEARCH,
    COLLISIONS, AREAS, AREA_BOUNDARIES, POPULATION, DEPRIVATION, VIEWS,
]

PUBLIC_TABLES = (
    "crimes", "crime_monthly_counts", "crime_force_months", "crime_lsoa_months", "crime_lsoa_totals",
    "crime_type_months",
    "repeated_crime_ids", "repeated_crime_id_totals", "police_force_months", "outcomes", "stop_search",
    "collisions",
    "areas", "area_boundaries", "population", "deprivation", "ingests", "rejects",
)

# Published partner statistics (issue 12): one row per indicator, area, period and breakdown. A value
# the publisher withheld is NULL with its marker ('c', 'x', '-', ...), never a zero.
INDICATOR_VALUES = """
CREATE TABLE IF NOT EXISTS indicator_values (
    indicator_id        VARCHAR NOT NULL,   -- e.g. fingertips-90284, lait-firstyjs (see indicators)
    area_code           VARCHAR NOT NULL,   -- GSS code
    area_name           VARCHAR,
    area_level          VARCHAR NOT NULL,   -- lsoa | district | upper_tier | police_force_area | region ..
    parent_code         VARCHAR,            -- the region (or nation) the file places the area in
    period_label        VARCHAR NOT NULL,   -- '2023/24', '2014-16', 'YE Dec 2019', '2014/15-2016/17'
    period_start        DATE NOT NULL,
    period_end          DATE NOT NULL,
    breakdown           VARCHAR NOT NULL,   -- 'Persons', 'Male' ... or 'all'
    value               DOUBLE,
    unit                VARCHAR,
    lower_ci_95         DOUBLE,
    upper_ci_95         DOUBLE,
    count               DOUBLE,             -- numerator as published (DfE apportioned counts are not whole)
    denominator         DOUBLE,
    marker              VARCHAR,            -- publisher's symbol when value is NULL: c x z u - .. : blank ...
    marker_note         VARCHAR,            -- Fingertips' 'Value note', or the marker's meaning
    compared_to_england VARCHAR,            -- the publisher's own comparison, as published
    source_file         VARCHAR NOT NULL,
    ingest_id           BIGINT NOT NULL
);
"""

INDICATORS = """
CREATE TABLE IF NOT EXISTS indicators (
    indicator_id  VARCHAR PRIMARY KEY,
    name          VARCHAR NOT NULL,
    publisher     VARCHAR NOT NULL,
    source        VARCHAR,
    licence       VARCHAR NOT NULL,
    unit          VARCHAR,
    value_type    VARCHAR,              -- rate | percent | count
    polarity      VARCHAR NOT NULL,     -- low (lower is better) | high | none
    description   VARCHAR,
    issues        VARCHAR,              -- space-separated framework issue ids it informs
    source_file   VARCHAR NOT NULL,
    ingest_id     BIGINT NOT NULL
);
"""

ALL_TABLES += [INDICATOR_VALUES, INDICATORS]
PUBLIC_TABLES += ("indicator_values", "indicators")

# Record-level partner feeds (issue 12), loaded only under an information-sharing agreement (app DB).
# Identifiers are keyed hashes (HMAC-SHA256, key from SAFER_PSEUDONYM_KEY, never stored here); free text
# is NULL unless the ingest kept it for analysts. Never published record by record.
_FEED_TAIL = """
    record_date     DATE NOT NULL,      -- the date retention is counted from
    agreement_id    VARCHAR NOT NULL,   -- the information-sharing agreement it was loaded under
    synthetic       BOOLEAN NOT NULL,   -- TRUE for the generated SYNTHETIC demo samples
    schema_version  INTEGER NOT NULL,
    source_file     VARCHAR NOT NULL,
    ingest_id       BIGINT NOT NULL
);
"""
PARTNER_ISTV = """
CREATE TABLE IF NOT EXISTS partner_istv (
    attendance_id        VARCHAR NOT NULL,
    site_code            VARCHAR NOT NULL,
    arrival_at           TIMESTAMP,
    assault_at           TIMESTAMP NOT NULL,
    assault_method       VARCHAR NOT NULL,
    assault_method_other VARCHAR,
    location_type        VARCHAR NOT NULL,
    location_description VARCHAR,
    lsoa_code            VARCHAR,
    age_band             VARCHAR,
    sex                  VARCHAR,""" + _FEED_TAIL
PARTNER_FORCE_CRIMES = """
CREATE TABLE IF NOT EXISTS partner_force_crimes (
    crime_ref            VARCHAR NOT NULL,
    ho_offence_code      VARCHAR NOT NULL,
    offence_description  VARCHAR,
    committed_at         TIMESTAMP NOT NULL,
    easting              DOUBLE,
    northing             DOUBLE,
    lsoa_code            VARCHAR,
    domestic_abuse       BOOLEAN NOT NULL,
    hate_crime           BOOLEAN NOT NULL,
    victim_id            VARCHAR,
    victim_age_band      VARCHAR,
    victim_sex           VARCHAR,
    suspect_id           VARCHAR,
    suspect_age_band     VARCHAR,
    suspect_sex          VARCHAR,
    weapon               VARCHAR,
    description          VARCHAR,""" + _FEED_TAIL
PARTNER_COUNCIL_ASB = """
CREATE TABLE IF NOT EXISTS partner_council_asb (
    incident_ref         VARCHAR NOT NULL,
    reported_at          TIMESTAMP NOT NULL,
    category             VARCHAR NOT NULL,
    easting              DOUBLE,
    northing             DOUBLE,
    lsoa_code            VARCHAR,
    reporter_id          VARCHAR,
    description          VARCHAR,""" + _FEED_TAIL

ALL_TABLES += [PARTNER_ISTV, PARTNER_FORCE_CRIMES, PARTNER_COUNCIL_ASB]
PUBLIC_TABLES += ("partner_istv", "partner_force_crimes", "partner_council_asb")
