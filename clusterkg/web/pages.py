"""The browser's HTML pages."""

from __future__ import annotations

from flask import Blueprint, render_template

from clusterkg.web.context import queries

bp = Blueprint("pages", __name__)

PAPERS_QUERY = """
SELECT ?paper ?label ?graph (COUNT(?s) AS ?triples) WHERE {
  ?paper a ckg:SourcePaper ; rdfs:label ?label ; ckg:namedGraph ?graph .
  OPTIONAL { GRAPH ?graph { ?s ?p ?o } }
} GROUP BY ?paper ?label ?graph ORDER BY ?graph
"""


@bp.route("/")
def home() -> str:
    papers = queries().select(PAPERS_QUERY).rows
    total = queries().select("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }").rows
    return render_template("home.html", papers=papers, total=total[0]["n"].value if total else 0)
