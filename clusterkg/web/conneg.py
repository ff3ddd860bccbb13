"""Content negotiation: which serialisation a client gets, from its Accept header or ``format``.

Werkzeug parses Accept (q-values, lists, wildcards) into ``request.accept_mimetypes``; this
module only says which media types each kind of answer can be written in and picks one.
``format`` (a short name or a media type) wins over Accept, so that plain links can ask for
a download. ``None`` means nothing acceptable: the caller answers 406.
"""

from __future__ import annotations

from collections.abc import Sequence

from flask import request

#: SELECT and ASK answers: media type -> results writer key (clusterkg.results).
BINDINGS_TYPES: dict[str, str] = {
    "application/sparql-results+json": "json",
    "application/sparql-results+xml": "xml",
    "text/csv": "csv",
    "text/tab-separated-values": "tsv",
    "application/json": "json",
    "application/xml": "xml",
    "text/xml": "xml",
    "text/html": "html",
}
#: CONSTRUCT/DESCRIBE answers and RDF documents: media type -> graph writer key.
GRAPH_TYPES: dict[str, str] = {
    "text/turtle": "ttl",
    "application/n-triples": "nt",
    "application/ld+json": "jsonld",
    "application/rdf+xml": "rdfxml",
    "application/x-turtle": "ttl",
    "text/plain": "nt",  # N-Triples is plain text; old clients ask for it so
    "application/json": "jsonld",
    "application/xml": "rdfxml",
    "text/xml": "rdfxml",
    "text/html": "html",
}
#: Short names accepted in ``format`` (and what they mean).
FORMAT_ALIASES: dict[str, str] = {
    "json": "json",
    "srj": "json",
    "xml": "xml",
    "srx": "xml",
    "csv": "csv",
    "tsv": "tsv",
    "html": "html",
    "ttl": "ttl",
    "turtle": "ttl",
    "nt": "nt",
    "ntriples": "nt",
    "n-triples": "nt",
    "jsonld": "jsonld",
    "json-ld": "jsonld",
    "rdfxml": "rdfxml",
    "rdf": "rdfxml",
    "rdf+xml": "rdfxml",
}
#: The media type each writer key is sent as.
MEDIA_TYPES: dict[str, str] = {
    "json": "application/sparql-results+json",
    "xml": "application/sparql-results+xml",
    "csv": "text/csv",
    "tsv": "text/tab-separated-values",
    "html": "text/html",
    "ttl": "text/turtle",
    "nt": "application/n-triples",
    "jsonld": "application/ld+json",
    "rdfxml": "application/rdf+xml",
}


def negotiate(
    offers: dict[str, str], *, html: bool = True, prefer: str | None = None
) -> str | None:
    """The writer key for this request among ``offers`` (media type -> key), or None.

    Offers are tried in their dict order, so with ``*/*`` or no Accept header the first one
    wins (JSON results, Turtle graphs). HTML is chosen only when the client ranks it above
    every other offer, as browsers do, unless ``prefer`` is "html".
    """
    keys = set(offers.values()) if html else {k for k in offers.values() if k != "html"}
    wanted = request.args.get("format")
    if not wanted and _has_form():
        wanted = request.form.get("format")
    if wanted:
        key = FORMAT_ALIASES.get(wanted.lower()) or offers.get(wanted.split(";")[0].strip())
        # Clients such as SPARQLWrapper send format=xml/json whatever the query form: for a
        # graph that means RDF/XML or JSON-LD.
        if key not in keys and "ttl" in keys:
            key = {"xml": "rdfxml", "json": "jsonld"}.get(key or "", key)
        return key if key in keys else None
    types = [t for t, k in offers.items() if k in keys]
    accept = request.accept_mimetypes
    if not accept:  # no Accept header: the default
        return prefer if prefer in keys else offers[types[0]]
    # Browsers name text/html first and others (application/xml;q=0.9, */*;q=0.8) after:
    # a page for them, unless they rank another offer higher.
    if (
        "text/html" in types
        and _explicit("text/html")
        and accept.quality("text/html") >= max(accept.quality(t) for t in types)
    ):
        return "html"
    best = accept.best_match([t for t in types if t != "text/html"] or types)
    return offers[best] if best is not None else None


def _has_form() -> bool:
    return request.method == "POST" and request.mimetype == "application/x-www-form-urlencoded"


def _explicit(media_type: str) -> bool:
    return any(value == media_type for value, _ in request.accept_mimetypes)


def prefers_html() -> bool:
    """Whether the client is a browser asking for a page (for error pages and the editor)."""
    accept = request.accept_mimetypes
    return _explicit("text/html") and accept.quality("text/html") >= max(
        (q for _, q in accept), default=0
    )


def media_type(key: str) -> str:
    return MEDIA_TYPES[key]


def offers_for(kind: str, keys: Sequence[str] | None = None) -> dict[str, str]:
    """The offers for an answer kind: ``bindings``/``boolean`` or ``graph``."""
    table = GRAPH_TYPES if kind == "graph" else BINDINGS_TYPES
    if kind == "boolean":
        table = dict(BINDINGS_TYPES)
    return {t: k for t, k in table.items() if keys is None or k in keys}
