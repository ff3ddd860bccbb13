"""The SPARQL 1.1 Protocol endpoint at ``/sparql``.

- Queries: GET ``?query=``, POST form-encoded ``query=``, POST ``application/sparql-query``;
  ``default-graph-uri``/``named-graph-uri`` set the dataset (and replace the query's FROM).
- Answers by content negotiation (``Vary: Accept``; ``format=`` for links; 406 when nothing
  fits): JSON/XML/CSV/TSV for SELECT and ASK, Turtle/N-Triples/JSON-LD/RDF-XML for
  CONSTRUCT and DESCRIBE, and an HTML table for browsers.
- No query: the Service Description (RDF), or the query editor for a browser.
- Updates: refused (403) unless the operator set ``CLUSTERKG_WRITE_TOKEN`` on a store that can
  take writes, and then only with ``Authorization: Bearer <token>`` (else 401).
- Every query passes the guard (no SERVICE outside the allowlist), the time limit (503) and
  the row cap (``X-Clusterkg-Row-Limit``, ``X-Clusterkg-Truncated``).
"""

from __future__ import annotations

import hmac
import json

import pyoxigraph as ox
from flask import Blueprint, Response, render_template, request

from clusterkg import guard
from clusterkg.guard import QueryRefused, QuerySyntaxError
from clusterkg.query import QueryFailed, QueryTimeout, json_term
from clusterkg.web import conneg, describe
from clusterkg.web.context import queries, settings
from clusterkg.web.labels import Labeller
from clusterkg.web.links import short

bp = Blueprint("sparql", __name__)

QUERY_TYPES = ("application/sparql-query",)
UPDATE_TYPES = ("application/sparql-update",)
FORM_TYPE = "application/x-www-form-urlencoded"


class ProtocolError(Exception):
    """A request the protocol does not allow; ``status`` is the HTTP answer."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def _refusal(exc: Exception, failed: str) -> Response:
    """The HTTP answer to a query or update that did not run: 400 for syntax (with the
    parser's position), the guard's status for a refusal, 503 at the time limit, 500 when the
    engine failed."""
    if isinstance(exc, QuerySyntaxError):
        return text_response(str(exc), 400)
    if isinstance(exc, QueryRefused):
        return text_response(str(exc), exc.status)
    if isinstance(exc, QueryTimeout):
        return text_response(str(exc), 503, **{"Retry-After": "10"})
    return text_response(f"{failed}: {exc}", 500)


def text_response(message: str, status: int, **headers: str) -> Response:
    response = Response(message.rstrip("\n") + "\n", status=status, mimetype="text/plain")
    response.headers.update(headers)
    return response


def _body_text() -> str:
    charset = request.mimetype_params.get("charset", "utf-8").lower()
    if charset not in ("utf-8", "utf8"):
        raise ProtocolError(f"the request body must be UTF-8, not {charset}", 415)
    try:
        return request.get_data(cache=True).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ProtocolError(f"the request body is not valid UTF-8: {exc}", 400) from None


def _one(values: list[str], name: str) -> str | None:
    if len(values) > 1:
        raise ProtocolError(f"send exactly one '{name}' parameter, not {len(values)}")
    return values[0] if values else None


def read_operation() -> tuple[str, str] | None:
    """``("query"|"update", text)`` from the request, or None when it carries neither."""
    if request.method == "GET":
        if "update" in request.args:
            raise ProtocolError("SPARQL Update must be sent with POST, never GET")
        text = _one(request.args.getlist("query"), "query")
        return ("query", text) if text is not None else None
    mimetype = request.mimetype
    if mimetype == FORM_TYPE:
        query = _one(request.form.getlist("query"), "query")
        update = _one(request.form.getlist("update"), "update")
        if query is not None and update is not None:
            raise ProtocolError("send either 'query' or 'update', not both")
        if query is None and update is None:
            raise ProtocolError("the form carries no 'query' or 'update' parameter")
        return ("query", query) if query is not None else ("update", update)  # type: ignore[return-value]
    if mimetype in QUERY_TYPES:
        return "query", _body_text()
    if mimetype in UPDATE_TYPES:
        return "update", _body_text()
    if not mimetype:
        raise ProtocolError(
            "a POST needs a Content-Type: application/x-www-form-urlencoded, "
            "application/sparql-query or application/sparql-update"
        )
    raise ProtocolError(
        f"unsupported Content-Type {mimetype!r}: use application/x-www-form-urlencoded, "
        "application/sparql-query or application/sparql-update",
        415,
    )


def _params(name: str) -> list[str]:
    values = request.args.getlist(name)
    if request.method == "POST" and request.mimetype == FORM_TYPE:
        values += request.form.getlist(name)
    return values


def _root() -> str:
    public = settings().public_base
    return public if public else request.host_url


def _not_acceptable(offers: dict[str, str]) -> Response:
    listed = ", ".join(dict.fromkeys(t for t in offers if t != "text/html"))
    return text_response(f"none of the requested media types is available here; try {listed}", 406)


@bp.route("/sparql", methods=["GET", "POST"])
def endpoint() -> Response | str:
    try:
        operation = read_operation()
    except ProtocolError as exc:
        return text_response(str(exc), exc.status)
    if operation is None:
        if request.method == "POST":
            return text_response("send a SPARQL query in the 'query' parameter", 400)
        return service_description()
    kind, text = operation
    if kind == "update":
        return run_update(text)
    return run_query(text)


def run_query(text: str) -> Response | str:
    s = settings()
    try:
        info = guard.inspect(text)
    except QuerySyntaxError as exc:
        return text_response(str(exc), 400)
    if info.is_update:
        if s.writes_enabled:
            return text_response("send SPARQL Update as 'update' (POST), not as 'query'", 400)
        return text_response(
            "this endpoint is read-only: SPARQL Update is refused. Send a SELECT, ASK, "
            "CONSTRUCT or DESCRIBE query.",
            403,
        )
    kind = "graph" if info.form in ("CONSTRUCT", "DESCRIBE") else "bindings"
    offers = conneg.offers_for(kind)
    key = conneg.negotiate(offers)
    if key is None:
        return _not_acceptable(offers)
    wire = "json" if key == "html" else key
    try:
        _, answer = queries().execute(
            text,
            bindings_format=wire,
            graph_format="ttl" if key == "html" else wire,
            default_graphs=_params("default-graph-uri"),
            named_graphs=_params("named-graph-uri"),
            base_iri=request.base_url,
        )
    except (QuerySyntaxError, QueryRefused, QueryTimeout, QueryFailed) as exc:
        return _refusal(exc, "the query could not be answered")
    if key == "html":
        response = Response(_results_page(text, answer), mimetype="text/html")
    else:
        mimetype = answer.media_type
        if mimetype.startswith("text/"):
            mimetype += "; charset=utf-8"
        response = Response(answer.body, content_type=mimetype)
        if request.args.get("download"):
            ext = {"ttl": "ttl", "nt": "nt", "jsonld": "jsonld", "rdfxml": "rdf"}.get(key, key)
            response.headers["Content-Disposition"] = f'attachment; filename="results.{ext}"'
    response.headers["X-Clusterkg-Row-Limit"] = str(s.max_rows)
    if answer.truncated:
        response.headers["X-Clusterkg-Truncated"] = "true"
    response.vary.add("Accept")
    return response


def _results_page(text: str, answer: object) -> str:
    """An HTML rendering of an answer, for a browser that follows a query link."""
    body = answer.body  # type: ignore[attr-defined]
    labeller = Labeller()
    if answer.kind == "graph":  # type: ignore[attr-defined]
        return render_template(
            "results.html", query=text, graph=body.decode("utf-8"), answer=answer, rows=None
        )
    doc = json.loads(body)
    if "boolean" in doc:
        return render_template("results.html", query=text, boolean=doc["boolean"], answer=answer)
    variables = doc["head"]["vars"]
    raw = [{k: json_term(v) for k, v in b.items()} for b in doc["results"]["bindings"]]
    labeller.fetch(t.value for r in raw for t in r.values() if isinstance(t, ox.NamedNode))
    rows = [[labeller.value(r[v]) if v in r else None for v in variables] for r in raw]
    return render_template(
        "results.html",
        query=text,
        variables=variables,
        rows=rows,
        answer=answer,
        max_rows=settings().max_rows,
    )


def run_update(text: str) -> Response:
    s = settings()
    if not s.writes_enabled:
        return text_response(
            "this endpoint is read-only: SPARQL Update is refused (the operator can enable an "
            "authenticated write path with CLUSTERKG_WRITE_TOKEN).",
            403,
        )
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(
        token.strip().encode(), (s.write_token or "").encode()
    ):
        return text_response(
            "SPARQL Update needs 'Authorization: Bearer <token>' with the operator's token",
            401,
            **{"WWW-Authenticate": 'Bearer realm="clusterkg"'},
        )
    try:
        queries().update(
            text,
            using_graphs=_params("using-graph-uri"),
            using_named_graphs=_params("using-named-graph-uri"),
            base_iri=request.base_url,
        )
    except (QuerySyntaxError, QueryRefused, QueryTimeout, QueryFailed) as exc:
        return _refusal(exc, "the update failed")
    return text_response("update applied", 200)


def service_description() -> Response | str:
    offers = conneg.offers_for("graph")
    key = conneg.negotiate(offers)
    if key is None:
        return _not_acceptable(offers)
    if key == "html":
        from clusterkg.web.pages import editor_page

        response = Response(editor_page(), mimetype="text/html")
        response.vary.add("Accept")
        return response
    root = _root()
    try:
        stats = describe.dataset_stats()
    except (QueryTimeout, QueryFailed) as exc:
        return text_response(f"the service description could not be computed: {exc}", 503)
    body = describe.serialize_triples(describe.service_triples(root, stats), key)
    response = Response(body, content_type=conneg.media_type(key))
    response.vary.add("Accept")
    return response


@bp.route("/.well-known/void")
def void() -> Response | str:
    offers = conneg.offers_for("graph")
    key = conneg.negotiate(offers)
    if key is None:
        return _not_acceptable(offers)
    try:
        stats = describe.dataset_stats()
    except (QueryTimeout, QueryFailed) as exc:
        return text_response(f"the dataset description could not be computed: {exc}", 503)
    triples = describe.void_triples(_root(), stats)
    if key == "html":
        text = describe.serialize_triples(triples, "ttl").decode("utf-8")
        page = render_template(
            "rdf_source.html",
            title="VoID description of the dataset",
            text=text,
            formats=["ttl", "nt", "jsonld", "rdfxml"],
            short=short,
        )
        response = Response(page, mimetype="text/html")
    else:
        body = describe.serialize_triples(triples, key)
        response = Response(body, content_type=conneg.media_type(key))
    response.vary.add("Accept")
    return response
