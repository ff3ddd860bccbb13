"""Dereferencing the project's IRIs: one page (or RDF document) per entity.

``/id/...``, ``/def/...``, ``/graph/...`` and ``/work/...`` stand for the IRIs under
``Settings.base_iri`` (``https://w3id.org/clusterkg/``); ``/resource?iri=`` for any other IRI
the data mentions. Browsers get HTML, other clients Turtle, N-Triples, JSON-LD or RDF/XML
(``Vary: Accept``; ``format=`` for links).

The page groups every fact about the entity by property, outgoing and incoming, with labels,
and puts each fact's provenance beside it: the paper and lines of the fact node that states
it (``ckg:statedIn``/``ckg:lines`` of the triple's subject in the triple's named graph), or
else the paper whose graph holds it, or the curated graph's name. A fact found only in
``ckgr:inferred`` is marked as inferred.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from urllib.parse import quote

import pyoxigraph as ox
from flask import Blueprint, Response, abort, render_template, request

from clusterkg.query import QueryFailed, QueryTimeout
from clusterkg.sources import EXTERNAL_GRAPH, INFERRED_GRAPH, ONTOLOGY_GRAPH, REFERENCE_GRAPH
from clusterkg.web import conneg
from clusterkg.web.context import queries, settings
from clusterkg.web.labels import Labeller, Value
from clusterkg.web.links import iri_for_path, local_path, short, valid_iri
from clusterkg.web.sparql import text_response

bp = Blueprint("entity", __name__)

CKG = "https://w3id.org/clusterkg/def/"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
STATED_IN = CKG + "statedIn"
LINES = CKG + "lines"
OBSERVED = CKG + "observedEntity"
EXTERNAL_LINKS = (
    "http://www.w3.org/2002/07/owl#sameAs",
    "http://www.w3.org/2004/02/skos/core#exactMatch",
    "http://www.w3.org/2004/02/skos/core#closeMatch",
)
GRAPH_NAMES = {
    INFERRED_GRAPH: "inferred by the reasoner",
    REFERENCE_GRAPH: "curated reference records",
    EXTERNAL_GRAPH: "external sources (Wikidata, GeoNames, DBpedia)",
    ONTOLOGY_GRAPH: "the clusterkg ontology",
}
MAX_FACTS = 3000
PAGE_SIZE = 50


@dataclass
class Source:
    """Where one fact comes from: a paper and lines, or a named graph."""

    label: str
    href: str | None
    lines: str = ""
    inferred: bool = False


@dataclass
class Fact:
    value: Value
    sources: list[Source] = field(default_factory=list)
    nested: list[tuple[Value, Value]] = field(default_factory=list)

    @property
    def inferred(self) -> bool:
        return bool(self.sources) and all(s.inferred for s in self.sources)


@dataclass
class Group:
    prop: Value
    facts: list[Fact]
    incoming: bool = False


def _iri(term: object) -> str | None:
    return term.value if isinstance(term, ox.NamedNode) else None


class Provenance:
    """Maps (subject, graph) to the fact's source, from fact-node locators and graph names."""

    def __init__(self, labeller: Labeller) -> None:
        self.labeller = labeller
        self.paper_of_graph: dict[str, str] = {}
        self.locators: dict[tuple[str, str], list[tuple[str, str]]] = defaultdict(list)
        base = settings().base_iri
        self.base = base
        for row in (
            queries()
            .select("SELECT ?paper ?g WHERE { ?paper ckg:namedGraph ?g }", max_rows=None)
            .rows
        ):
            self.paper_of_graph[row["g"].value] = row["paper"].value

    def load(self, subjects: set[str]) -> None:
        todo = sorted(s for s in subjects if valid_iri(s))
        for start in range(0, len(todo), 300):
            values = " ".join(f"<{s}>" for s in todo[start : start + 300])
            rows = (
                queries()
                .select(
                    f"SELECT ?s ?g ?paper ?lines WHERE {{ VALUES ?s {{ {values} }} "
                    f"GRAPH ?g {{ ?s ckg:statedIn ?paper OPTIONAL {{ ?s ckg:lines ?lines }} }} }}",
                    max_rows=None,
                )
                .rows
            )
            for row in rows:
                lines = row["lines"].value if "lines" in row else ""
                self.locators[(row["s"].value, row["g"].value)].append((row["paper"].value, lines))
        self.labeller.fetch(
            [p for locs in self.locators.values() for p, _ in locs]
            + list(self.paper_of_graph.values())
            + list(self.paper_of_graph)
        )

    def of(self, subject: str | None, graph: str) -> list[Source]:
        if graph == INFERRED_GRAPH:
            return [Source(GRAPH_NAMES[graph], local_path(graph, self.base), inferred=True)]
        found = self.locators.get((subject or "", graph))
        if found:
            return [
                Source(self.labeller.label(paper), local_path(paper, self.base), lines)
                for paper, lines in sorted(set(found))
            ]
        paper = self.paper_of_graph.get(graph)
        if paper:
            return [Source(self.labeller.label(paper), local_path(paper, self.base))]
        name = GRAPH_NAMES.get(graph) or short(graph)
        return [Source(name, local_path(graph, self.base))]


def _values(iri: str) -> str:
    return f"<{iri}>"


def entity_exists(iri: str) -> bool:
    i = _values(iri)
    rows = (
        queries()
        .select(
            f"SELECT ?x WHERE {{ {{ {i} ?p ?o }} UNION {{ ?s ?p {i} }} UNION {{ ?s {i} ?o }} "
            f"UNION {{ GRAPH {i} {{ ?s ?p ?o }} }} BIND(1 AS ?x) }} LIMIT 1"
        )
        .rows
    )
    return bool(rows)


def describe_facts(iri: str, labeller: Labeller) -> dict[str, object]:
    """Everything the entity page shows, gathered with a handful of queries."""
    i = _values(iri)
    q = queries()
    out = q.select(
        f"SELECT ?p ?o ?g WHERE {{ GRAPH ?g {{ {i} ?p ?o }} }} LIMIT {MAX_FACTS}", max_rows=None
    ).rows
    nested_rows = q.select(
        f"SELECT ?o ?p2 ?o2 WHERE {{ GRAPH ?g {{ {i} ?p ?o FILTER(isBlank(?o)) ?o ?p2 ?o2 }} }} "
        f"LIMIT {MAX_FACTS}",
        max_rows=None,
    ).rows
    inc = q.select(
        f"SELECT ?s ?p ?g WHERE {{ GRAPH ?g {{ ?s ?p {i} }} }} LIMIT {MAX_FACTS}", max_rows=None
    ).rows
    observations = q.select(
        f"""SELECT ?obs ?measure ?value ?unit ?year ?start ?end ?period ?size ?sectordim
                   ?row ?col ?paper ?lines WHERE {{
          ?obs ckg:observedEntity {i} ; ckg:value ?value .
          OPTIONAL {{ ?obs ckg:measure ?measure }} OPTIONAL {{ ?obs ckg:unit ?unit }}
          OPTIONAL {{ ?obs ckg:refYear ?year }} OPTIONAL {{ ?obs ckg:startYear ?start }}
          OPTIONAL {{ ?obs ckg:endYear ?end }} OPTIONAL {{ ?obs ckg:periodLabel ?period }}
          OPTIONAL {{ ?obs ckg:sizeClass ?size }} OPTIONAL {{ ?obs ckg:sectorDimension ?sectordim }}
          OPTIONAL {{ ?obs ckg:rowLabel ?row }} OPTIONAL {{ ?obs ckg:columnLabel ?col }}
          OPTIONAL {{ ?obs ckg:statedIn ?paper }} OPTIONAL {{ ?obs ckg:lines ?lines }}
        }} ORDER BY ?measure ?unit ?year ?start ?period LIMIT {MAX_FACTS}""",
        max_rows=None,
    ).rows

    iris: set[str] = {iri}
    for row in out:
        iris.update(x for x in (_iri(row["p"]), _iri(row["o"])) if x)
    for row in inc:
        iris.update(x for x in (_iri(row["s"]), _iri(row["p"])) if x)
    for row in nested_rows:
        iris.update(x for x in (_iri(row["p2"]), _iri(row["o2"])) if x)
    for row in observations:
        iris.update(
            x for k in ("obs", "measure", "unit", "sectordim", "paper") if (x := _iri(row.get(k)))
        )
    labeller.fetch(iris)
    prov = Provenance(labeller)
    prov.load({iri} | {row["s"].value for row in inc if isinstance(row["s"], ox.NamedNode)})

    nested: dict[str, list[tuple[Value, Value]]] = defaultdict(list)
    for row in nested_rows:
        pair = (labeller.value(row["p2"]), labeller.value(row["o2"]))
        if pair not in nested[row["o"].value]:
            nested[row["o"].value].append(pair)

    types: dict[str, list[Source]] = {}
    described_in: list[Source] = []
    external: list[Value] = []
    groups: dict[tuple[str, bool], dict[str, Fact]] = defaultdict(dict)
    for row in out:
        p, o, g = row["p"].value, row["o"], row["g"].value
        if p == RDF_TYPE and isinstance(o, ox.NamedNode):
            types.setdefault(o.value, []).extend(prov.of(iri, g))
            continue
        if p in (STATED_IN, LINES):
            if p == STATED_IN:
                for src in prov.of(iri, g):
                    if src not in described_in:
                        described_in.append(src)
            continue
        if p in EXTERNAL_LINKS and isinstance(o, ox.NamedNode):
            value = labeller.value(o)
            if value not in external:
                external.append(value)
        key = f"{type(o).__name__}:{o.value if hasattr(o, 'value') else o}"
        fact = groups[(p, False)].get(key)
        if fact is None:
            fact = groups[(p, False)][key] = Fact(labeller.value(o))
            if isinstance(o, ox.BlankNode):
                fact.nested = nested.get(o.value, [])
        fact.sources.extend(s for s in prov.of(iri, g) if s not in fact.sources)
    show_observations = bool(observations)
    for row in inc:
        s, p, g = row["s"], row["p"].value, row["g"].value
        if show_observations and p == OBSERVED:
            continue
        key = f"{type(s).__name__}:{s.value}"
        fact = groups[(p, True)].get(key)
        if fact is None:
            fact = groups[(p, True)][key] = Fact(labeller.value(s))
        fact.sources.extend(x for x in prov.of(_iri(s), g) if x not in fact.sources)

    ordered = sorted(groups.items(), key=lambda kv: (kv[0][1], labeller.label(kv[0][0]).lower()))
    group_list = [
        Group(
            labeller.value(ox.NamedNode(p)),
            sorted(facts.values(), key=lambda f: (f.value.text.lower(), f.value.iri or "")),
            incoming,
        )
        for (p, incoming), facts in ordered
    ]
    type_values = [
        (labeller.value(ox.NamedNode(t)), all(s.inferred for s in srcs))
        for t, srcs in sorted(types.items(), key=lambda kv: labeller.label(kv[0]).lower())
    ]
    obs_rows, charts = _observations(observations, labeller)
    return {
        "groups": group_list,
        "types": type_values,
        "described_in": described_in,
        "external": external,
        "observations": obs_rows,
        "charts": charts,
        "truncated": len(out) >= MAX_FACTS or len(inc) >= MAX_FACTS,
    }


def _text(row: dict[str, object], key: str) -> str:
    term = row.get(key)
    return term.value if isinstance(term, ox.Literal | ox.NamedNode) else ""


def _observations(rows: list[dict[str, object]], labeller: Labeller) -> tuple[list, list]:
    """Observation rows for the table, and one chart per series with two or more years."""
    table = []
    series: dict[tuple[str, ...], dict[str, float]] = defaultdict(dict)
    names: dict[tuple[str, ...], str] = {}
    for row in rows:
        when = (
            _text(row, "year")
            or "–".join(x for x in (_text(row, "start"), _text(row, "end")) if x)
            or _text(row, "period")
        )
        dims = ", ".join(
            x
            for x in (
                _text(row, "size"),
                labeller.label(_text(row, "sectordim")) if _text(row, "sectordim") else "",
            )
            if x
        )
        table.append(
            {
                "obs": labeller.value(row["obs"]),
                "measure": labeller.value(row["measure"]) if "measure" in row else None,
                "value": _text(row, "value"),
                "unit": labeller.value(row["unit"]) if "unit" in row else None,
                "when": when,
                "dims": dims,
                "cell": " / ".join(x for x in (_text(row, "row"), _text(row, "col")) if x),
                "paper": labeller.value(row["paper"]) if "paper" in row else None,
                "lines": _text(row, "lines"),
            }
        )
        year = _text(row, "year")
        try:
            number = float(_text(row, "value"))
        except ValueError:
            continue
        if year[:4].isdigit():
            key = (_text(row, "measure"), _text(row, "unit"), dims)
            series[key][year[:4]] = number
            unit = labeller.label(key[1]) if key[1] else ""
            measure = labeller.label(key[0]) if key[0] else "value"
            names[key] = measure + (f" ({unit})" if unit else "") + (f", {dims}" if dims else "")
    charts = []
    for key, points in series.items():
        if len(points) >= 2:
            years = sorted(points)
            charts.append(
                {"title": names[key], "labels": years, "values": [points[y] for y in years]}
            )
    return table, charts


def instances(cls: str, page: int, labeller: Labeller) -> tuple[list[tuple[Value, bool]], int]:
    """One page of a class's instances (label order) and the total; True marks inferred."""
    c = _values(cls)
    q = queries()
    total_rows = q.select(f"SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE {{ ?s a {c} }}").rows
    total = int(total_rows[0]["n"].value) if total_rows else 0
    rows = q.select(
        f"""SELECT ?s (SAMPLE(?l) AS ?label) (GROUP_CONCAT(DISTINCT STR(?g); separator=" ") AS ?gs)
        WHERE {{ GRAPH ?g {{ ?s a {c} }} OPTIONAL {{ ?s rdfs:label ?l }} }}
        GROUP BY ?s ORDER BY LCASE(STR(?label)) STR(?s)
        LIMIT {PAGE_SIZE} OFFSET {max(page - 1, 0) * PAGE_SIZE}""",
        max_rows=None,
    ).rows
    labeller.fetch(r["s"].value for r in rows if isinstance(r["s"], ox.NamedNode))
    return [
        (labeller.value(r["s"]), _text(r, "gs").split() == [INFERRED_GRAPH]) for r in rows
    ], total


def _paper_extras(iri: str, labeller: Labeller) -> dict[str, object] | None:
    """For a source paper: what its graph describes, by class, and what it cites."""
    q = queries()
    graphs = q.select(f"SELECT ?g WHERE {{ <{iri}> ckg:namedGraph ?g }}").rows
    if not graphs:
        return None
    graph = graphs[0]["g"].value
    rows = q.select(
        f"""SELECT ?s (SAMPLE(?c) AS ?cls) (SAMPLE(?lines) AS ?l) WHERE {{
          GRAPH <{graph}> {{ ?s ckg:statedIn <{iri}> OPTIONAL {{ ?s a ?c }}
                             OPTIONAL {{ ?s ckg:lines ?lines }} }}
        }} GROUP BY ?s LIMIT 5000""",
        max_rows=None,
    ).rows
    cites = q.select(
        f"SELECT DISTINCT ?work WHERE {{ <{iri}> cito:cites ?work }} LIMIT 2000", max_rows=None
    ).rows
    labeller.fetch(
        [r["s"].value for r in rows if isinstance(r["s"], ox.NamedNode)]
        + [_text(r, "cls") for r in rows if _text(r, "cls")]
        + [r["work"].value for r in cites if isinstance(r["work"], ox.NamedNode)]
    )
    by_class: dict[str, list[tuple[Value, str]]] = defaultdict(list)
    for r in rows:
        by_class[_text(r, "cls")].append((labeller.value(r["s"]), _text(r, "l")))

    def first_line(lines: str) -> int:
        head = lines.split(",")[0].split("-")[0].strip()
        return int(head) if head.isdigit() else 10**9

    sections = [
        (
            labeller.value(ox.NamedNode(c)) if c else Value("literal", "Other"),
            sorted(items, key=lambda it: (first_line(it[1]), it[0].text.lower())),
        )
        for c, items in sorted(by_class.items(), key=lambda kv: labeller.label(kv[0]).lower())
    ]
    return {
        "graph": labeller.value(ox.NamedNode(graph)),
        "graph_iri": graph,
        "sections": sections,
        "count": len(rows),
        "cites": sorted((labeller.value(r["work"]) for r in cites), key=lambda v: v.text.lower()),
    }


def _graph_extras(iri: str, labeller: Labeller) -> dict[str, object] | None:
    q = queries()
    count = q.select(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{iri}> {{ ?s ?p ?o }} }}").rows
    n = int(count[0]["n"].value) if count else 0
    if not n:
        return None
    classes = q.select(
        f"SELECT ?c (COUNT(DISTINCT ?s) AS ?k) WHERE {{ GRAPH <{iri}> {{ ?s a ?c }} }} "
        f"GROUP BY ?c ORDER BY DESC(?k) LIMIT 200",
        max_rows=None,
    ).rows
    labeller.fetch(r["c"].value for r in classes if isinstance(r["c"], ox.NamedNode))
    return {
        "triples": n,
        "classes": [(labeller.value(r["c"]), _text(r, "k"), r["c"].value) for r in classes],
        "name": GRAPH_NAMES.get(iri, ""),
    }


def entity_response(iri: str) -> Response | str:
    """The page or RDF document for ``iri`` (404 when the store knows nothing of it)."""
    if not valid_iri(iri):
        abort(404)
    offers = conneg.offers_for("graph")
    key = conneg.negotiate(offers)
    if key is None:
        listed = ", ".join(dict.fromkeys(t for t in offers if t != "text/html"))
        return text_response(f"not available in the requested media type; try {listed}", 406)
    try:
        if key != "html":
            return _data_response(iri, key)
        if not entity_exists(iri):
            abort(404)
        labeller = Labeller()
        facts = describe_facts(iri, labeller)
        type_iris = {v.iri for v, _ in facts["types"]}  # type: ignore[attr-defined]
        page = (
            max(int(request.args.get("page", "1") or 1), 1)
            if request.args.get("page", "1").isdigit()
            else 1
        )
        members, total = instances(iri, page, labeller)
        paper = _paper_extras(iri, labeller) if CKG + "SourcePaper" in type_iris else None
        graph = _graph_extras(iri, labeller)
        labeller.fetch([iri])
    except (QueryTimeout, QueryFailed) as exc:
        return text_response(f"this page could not be computed in time: {exc}", 503)
    body = render_template(
        "entity.html",
        iri=iri,
        title=labeller.label(iri),
        short_name=short(iri),
        members=members,
        member_total=total,
        page=page,
        page_size=PAGE_SIZE,
        paper=paper,
        graph=graph,
        data_links=[
            ("ttl", "Turtle"),
            ("jsonld", "JSON-LD"),
            ("rdfxml", "RDF/XML"),
            ("nt", "N-Triples"),
        ],
        here=request.path
        if request.path != "/resource"
        else "/resource?iri=" + quote(iri, safe=""),
        **facts,
    )
    response = Response(body, mimetype="text/html")
    response.vary.add("Accept")
    return response


def _data_response(iri: str, key: str) -> Response:
    i = _values(iri)
    _, answer = queries().execute(
        f"""CONSTRUCT {{ {i} ?p ?o . ?o ?p2 ?o2 . ?s ?q {i} }} WHERE {{
          {{ {i} ?p ?o OPTIONAL {{ FILTER(isBlank(?o)) ?o ?p2 ?o2 }} }}
          UNION {{ ?s ?q {i} }}
        }}""",
        graph_format=key,
        max_rows=None,
    )
    if answer.rows == 0 and not entity_exists(iri):
        abort(404)
    response = Response(answer.body, content_type=conneg.media_type(key))
    response.vary.add("Accept")
    return response


@bp.route("/id/<path:rest>")
@bp.route("/def/<path:rest>")
@bp.route("/graph/<path:rest>")
@bp.route("/work/<path:rest>")
def local_entity(rest: str) -> Response | str:
    space = request.path.split("/", 2)[1]
    return entity_response(iri_for_path(f"{space}/{rest}", settings().base_iri))


@bp.route("/resource")
def any_resource() -> Response | str:
    iri = request.args.get("iri", "")
    if not valid_iri(iri):
        abort(404)
    return entity_response(iri)
