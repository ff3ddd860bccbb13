"""The SPARQL 1.1 Protocol endpoint at ``/sparql``."""

from __future__ import annotations

from flask import Blueprint, Response, request

from clusterkg.guard import QueryRefused, QuerySyntaxError
from clusterkg.query import QueryFailed, QueryTimeout
from clusterkg.web.context import queries

bp = Blueprint("sparql", __name__)


def _text(message: str, status: int) -> Response:
    return Response(message + "\n", status=status, mimetype="text/plain")


@bp.route("/sparql", methods=["GET", "POST"])
def endpoint() -> Response:
    if request.method == "GET":
        text = request.args.get("query")
    elif request.mimetype == "application/sparql-query":
        text = request.get_data(as_text=True)
    else:
        text = request.form.get("query")
    if not text:
        return _text("send a SPARQL query in the 'query' parameter", 400)
    try:
        _, answer = queries().execute(text, bindings_format="json", graph_format="ttl")
    except QuerySyntaxError as exc:
        return _text(str(exc), 400)
    except QueryRefused as exc:
        return _text(str(exc), exc.status)
    except QueryTimeout as exc:
        return _text(str(exc), 503)
    except QueryFailed as exc:
        return _text(str(exc), 500)
    response = Response(answer.body, mimetype=answer.media_type)
    if answer.truncated:
        response.headers["X-Clusterkg-Truncated"] = "true"
    return response
