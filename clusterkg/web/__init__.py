"""The web layer: the SPARQL endpoint and the linked-data browser, as a Flask app factory.

Nothing happens at import time; ``create_app(settings)`` builds an app over one store, so
tests make as many apps as they like over temporary stores. Templates and static files live
in the top-level ``server/`` folder. Modules:

- ``sparql``: the SPARQL 1.1 Protocol endpoint, Service Description, VoID;
- ``entity``: dereferencing the project's IRIs (HTML or RDF by content negotiation);
- ``pages``: home, classes, papers, topics, search, comparison, network, charts, editor,
  ontology documentation;
- ``conneg``, ``links``, ``labels``, ``describe``: the helpers they share.

Safety for a public server is set here once for every response: CORS for read-only use
(``*``, never with credentials), ``nosniff``, a Content-Security-Policy that allows scripts
only from this server, the request-size limit (413), and error pages that escape everything.
"""

from __future__ import annotations

from flask import Flask, Response, render_template, request
from werkzeug.exceptions import HTTPException

from clusterkg.config import REPO_ROOT, Settings
from clusterkg.query import QueryService

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
DOCS_CSP = (
    "default-src 'self' 'unsafe-inline'; img-src 'self' data:; object-src 'none'; "
    "base-uri 'none'; frame-ancestors 'none'"
)
EXPOSED_HEADERS = "X-Clusterkg-Row-Limit, X-Clusterkg-Truncated, Content-Type"


def create_app(settings: Settings | None = None) -> Flask:
    settings = settings or Settings.from_env()
    app = Flask(
        __name__,
        template_folder=str(REPO_ROOT / "server" / "templates"),
        static_folder=str(REPO_ROOT / "server" / "static"),
    )
    app.config["MAX_CONTENT_LENGTH"] = settings.max_request_bytes
    app.config["MAX_FORM_MEMORY_SIZE"] = settings.max_request_bytes
    app.extensions["clusterkg"] = {"settings": settings, "queries": QueryService(settings)}

    from clusterkg.web import entity, labels, links, mapview, pages, sparql

    app.extensions["clusterkg"]["label_index"] = labels.LabelIndex()
    app.register_blueprint(sparql.bp)
    app.register_blueprint(pages.bp)
    app.register_blueprint(entity.bp)
    app.register_blueprint(mapview.bp)
    app.jinja_env.globals.update(short=links.short, settings=settings)

    @app.before_request
    def _limit_url() -> Response | None:
        # MAX_CONTENT_LENGTH covers bodies; a query string is capped the same way.
        if len(request.query_string) > settings.max_request_bytes:
            return sparql.text_response("the request is too large", 413)
        return None

    @app.after_request
    def _headers(response: Response) -> Response:
        response.headers["Access-Control-Allow-Origin"] = "*"
        response.headers["Access-Control-Expose-Headers"] = EXPOSED_HEADERS
        if request.method == "OPTIONS":
            response.headers["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
            response.headers["Access-Control-Allow-Headers"] = "Accept, Content-Type"
            response.headers["Access-Control-Max-Age"] = "86400"
        response.headers.pop("Access-Control-Allow-Credentials", None)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "strict-origin-when-cross-origin"
        if response.mimetype == "text/html":
            # The ontology documentation is generated elsewhere and may use inline scripts.
            docs = request.path.startswith("/ontology/")
            response.headers["Content-Security-Policy"] = DOCS_CSP if docs else CSP
        return response

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> Response:
        from clusterkg.web.conneg import prefers_html

        status = exc.code or 500
        message = {
            404: "There is nothing at this address.",
            405: f"This address does not accept {request.method} requests.",
            413: f"The request is larger than this server accepts "
            f"({settings.max_request_bytes} bytes).",
        }.get(status, exc.description or exc.name)
        if prefers_html():
            body = render_template("error.html", status=status, title=exc.name, message=message)
            response = Response(body, status=status, mimetype="text/html")
        else:
            response = sparql.text_response(message, status)
        if status == 405 and exc.get_response().headers.get("Allow"):
            response.headers["Allow"] = exc.get_response().headers["Allow"]
        return response

    return app
