"""The web layer: the SPARQL endpoint and the linked-data browser, as a Flask app factory.

Nothing happens at import time; ``create_app(settings)`` builds an app over one store, so
tests make as many apps as they like over temporary stores. Templates and static files live
in the top-level ``server/`` folder.
"""

from __future__ import annotations

from flask import Flask

from clusterkg.config import REPO_ROOT, Settings
from clusterkg.query import QueryService


def create_app(settings: Settings | None = None) -> Flask:
    settings = settings or Settings.from_env()
    app = Flask(
        __name__,
        template_folder=str(REPO_ROOT / "server" / "templates"),
        static_folder=str(REPO_ROOT / "server" / "static"),
    )
    app.config["MAX_CONTENT_LENGTH"] = settings.max_request_bytes
    app.extensions["clusterkg"] = {"settings": settings, "queries": QueryService(settings)}

    from clusterkg.web import pages, sparql

    app.register_blueprint(sparql.bp)
    app.register_blueprint(pages.bp)
    return app
