"""The application built from the environment (``SAFER_*``): what uvicorn workers import."""

from __future__ import annotations

from safer_communities.config import Settings
from safer_communities.web import collector
from safer_communities.web.app import create_app

app = create_app(Settings())
collector.enable()  # a serving worker: long-lived objects frozen, full collections short
