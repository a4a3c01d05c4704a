"""Settings: the one configuration object. Built by the caller and passed down, never at import."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from safer_communities.store_location import DEFAULT_DB, ENV_PREFIX


class Settings(BaseSettings):
    """Every setting can be given as an environment variable with the prefix ``SAFER_``."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="ignore")

    db: Path = Field(
        default=DEFAULT_DB,
        description="Path of the DuckDB evidence store (crimes, outcomes, areas...).",
    )
    app_db_url: str = Field(
        default="sqlite:///safer-app.sqlite",
        description=(
            "SQLAlchemy URL of the application database (framework register, strategy, users, "
            "audit). SQLite by default; postgresql+psycopg://... in deployment."
        ),
    )
    suppress_below: int = Field(
        default=5,
        description="Disclosure control: published counts from 1 to this value minus 1 are shown as '<N'.",
    )
    rate_numerator_min: int = Field(
        default=10,
        description="Disclosure control: rates and percentages whose numerator is below this are suppressed.",
    )
    publication_years: int = Field(
        default=5, ge=1,
        description="Disclosure control: the publication grid covers the latest this many financial years "
                    "(April to March) of the months loaded; older months are for signed-in analysts only.",
    )
    tile_url: str | None = Field(
        default=None,
        description="Optional map tile URL template for the web map; boundaries only when unset.",
    )
    secret_key: str = Field(
        default="change-me-in-deployment",
        description="Secret used to sign web session cookies and CSRF tokens.",
    )
    session_max_age_s: int = Field(
        default=8 * 3600, description="Web session lifetime in seconds."
    )
    reports_dir: Path | None = Field(
        default=None,
        description="Folder for needs assessments built from the web (default: 'reports' beside the store).",
    )
    public_mode: bool = Field(
        default=False,
        description="Serve disclosure-controlled aggregates without login.",
    )
    compliance_amber_days: int = Field(
        default=60, ge=0,
        description="Compliance ratings: a duty or case review deadline due within this many days is amber.",
    )
    pseudonym_key: str | None = Field(
        default=None,
        description=(
            "Key of the keyed hash (HMAC-SHA256) that pseudonymises identifiers in record-level partner "
            "feeds at ingest; required to load a feed, never stored with the data."
        ),
    )
