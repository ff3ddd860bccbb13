"""Access to the per-app settings and query service from inside a request."""

from __future__ import annotations

from flask import current_app

from clusterkg.config import Settings
from clusterkg.query import QueryService


def settings() -> Settings:
    return current_app.extensions["clusterkg"]["settings"]


def queries() -> QueryService:
    return current_app.extensions["clusterkg"]["queries"]
