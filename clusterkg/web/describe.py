"""Describing the service and the dataset: SPARQL Service Description and VoID.

Both are built as RDF from statistics that are themselves SPARQL queries run through the
QueryService (so they obey the same limits as everyone's queries), cached per published
build (or for a few minutes on a remote or writable store, which has no build id).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

import pyoxigraph as ox

from clusterkg.store import current_build
from clusterkg.web.context import queries, settings

SD = "http://www.w3.org/ns/sparql-service-description#"
VOID = "http://rdfs.org/ns/void#"
FORMATS = "http://www.w3.org/ns/formats/"
DCT = "http://purl.org/dc/terms/"
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
RDFS_SEEALSO = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#seeAlso")
XSD_INTEGER = ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer")

PREFIXES = {
    "sd": SD,
    "void": VOID,
    "formats": FORMATS,
    "dct": DCT,
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "ckg": "https://w3id.org/clusterkg/def/",
    "ckgr": "https://w3id.org/clusterkg/graph/",
}

RESULT_FORMATS = (
    "SPARQL_Results_JSON",
    "SPARQL_Results_XML",
    "SPARQL_Results_CSV",
    "SPARQL_Results_TSV",
    "Turtle",
    "N-Triples",
    "JSON-LD",
    "RDF_XML",
)


@dataclass
class Stats:
    """Counts describing the published dataset."""

    triples: int = 0
    graphs: dict[str, int] = field(default_factory=dict)
    classes: dict[str, int] = field(default_factory=dict)
    properties: dict[str, int] = field(default_factory=dict)
    subjects: int = 0
    objects: int = 0


_cache_lock = threading.Lock()
_cache: dict[str, tuple[object, float, Stats]] = {}


def _int(row: dict[str, object], key: str) -> int:
    term = row.get(key)
    return int(term.value) if isinstance(term, ox.Literal) else 0


def dataset_stats() -> Stats:
    """Counts from the store, cached per build (see the module docstring)."""
    s = settings()
    key = None if (s.is_remote or s.writable) else current_build(s.store_dir)
    with _cache_lock:
        hit = _cache.get(s.store)
        if hit and hit[0] == key and (key is not None or time.monotonic() < hit[1]):
            return hit[2]
    q = queries()
    stats = Stats()
    for row in q.select(
        "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g ORDER BY ?g",
        max_rows=None,
    ).rows:
        stats.graphs[row["g"].value] = _int(row, "n")
    stats.triples = sum(stats.graphs.values())
    for row in q.select(
        "SELECT ?c (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s a ?c FILTER(isIRI(?c)) } "
        "GROUP BY ?c ORDER BY DESC(?n) ?c",
        max_rows=None,
    ).rows:
        stats.classes[row["c"].value] = _int(row, "n")
    for row in q.select(
        "SELECT ?p (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?p ORDER BY ?p",
        max_rows=None,
    ).rows:
        stats.properties[row["p"].value] = _int(row, "n")
    row = q.select(
        "SELECT (COUNT(DISTINCT ?s) AS ?s_n) (COUNT(DISTINCT ?o) AS ?o_n) "
        "WHERE { GRAPH ?g { ?s ?p ?o } }"
    ).rows
    if row:
        stats.subjects, stats.objects = _int(row[0], "s_n"), _int(row[0], "o_n")
    with _cache_lock:
        _cache[s.store] = (key, time.monotonic() + 300.0, stats)
    return stats


def _n(value: int) -> ox.Literal:
    return ox.Literal(str(value), datatype=XSD_INTEGER)


class _Triples(list[ox.Triple]):
    """The triples of a self-description, added with predicate IRIs given as strings."""

    def add(
        self,
        sub: ox.NamedNode | ox.BlankNode,
        pred: str,
        obj: ox.NamedNode | ox.BlankNode | ox.Literal,
    ) -> None:
        self.append(ox.Triple(sub, ox.NamedNode(pred), obj))


def void_triples(root: str, stats: Stats) -> list[ox.Triple]:
    """The VoID description of the dataset, served at ``/.well-known/void``."""
    s = settings()
    ds = ox.NamedNode(root + ".well-known/void#clusterkg")
    t = _Triples()
    add = t.add

    add(ds, RDF_TYPE.value, ox.NamedNode(VOID + "Dataset"))
    add(ds, DCT + "title", ox.Literal("clusterkg", language="en"))
    add(
        ds,
        DCT + "description",
        ox.Literal(
            "A knowledge graph of research on industrial clusters, SME networks and global "
            "value chains, each fact with the paper and lines it comes from.",
            language="en",
        ),
    )
    add(ds, DCT + "license", ox.NamedNode("https://creativecommons.org/licenses/by/4.0/"))
    add(ds, VOID + "sparqlEndpoint", ox.NamedNode(root + "sparql"))
    add(ds, VOID + "uriSpace", ox.Literal(s.base_iri))
    add(ds, VOID + "rootResource", ox.NamedNode(root))
    add(ds, VOID + "triples", _n(stats.triples))
    add(ds, VOID + "classes", _n(len(stats.classes)))
    add(ds, VOID + "properties", _n(len(stats.properties)))
    add(ds, VOID + "distinctSubjects", _n(stats.subjects))
    add(ds, VOID + "distinctObjects", _n(stats.objects))
    for vocab in (
        "https://w3id.org/clusterkg/def/",
        "http://www.w3.org/ns/prov#",
        "http://www.w3.org/2004/02/skos/core#",
        "http://purl.org/spar/cito/",
    ):
        add(ds, VOID + "vocabulary", ox.NamedNode(vocab))
    for cls, n in stats.classes.items():
        part = ox.BlankNode()
        add(ds, VOID + "classPartition", part)
        add(part, VOID + "class", ox.NamedNode(cls))
        add(part, VOID + "entities", _n(n))
    for prop, n in stats.properties.items():
        part = ox.BlankNode()
        add(ds, VOID + "propertyPartition", part)
        add(part, VOID + "property", ox.NamedNode(prop))
        add(part, VOID + "triples", _n(n))
    for graph, n in stats.graphs.items():
        sub = ox.NamedNode(graph)
        add(ds, VOID + "subset", sub)
        add(sub, RDF_TYPE.value, ox.NamedNode(VOID + "Dataset"))
        add(sub, SD + "name", ox.NamedNode(graph))
        add(sub, VOID + "triples", _n(n))
    return t


def service_triples(root: str, stats: Stats) -> list[ox.Triple]:
    """The SPARQL 1.1 Service Description, served at ``/sparql`` when called with no query."""
    s = settings()
    svc = ox.NamedNode(root + "sparql#service")
    t = _Triples()
    add = t.add

    add(svc, RDF_TYPE.value, ox.NamedNode(SD + "Service"))
    add(svc, SD + "endpoint", ox.NamedNode(root + "sparql"))
    add(svc, SD + "supportedLanguage", ox.NamedNode(SD + "SPARQL11Query"))
    if s.writes_enabled:
        add(svc, SD + "supportedLanguage", ox.NamedNode(SD + "SPARQL11Update"))
    for name in RESULT_FORMATS:
        add(svc, SD + "resultFormat", ox.NamedNode(FORMATS + name))
    add(svc, SD + "feature", ox.NamedNode(SD + "UnionDefaultGraph"))
    if s.service_allowlist:
        add(svc, SD + "feature", ox.NamedNode(SD + "BasicFederatedQuery"))
    add(svc, RDFS_SEEALSO.value, ox.NamedNode(root + ".well-known/void"))
    dataset = ox.NamedNode(root + ".well-known/void#clusterkg")
    add(svc, SD + "defaultDataset", dataset)
    add(dataset, RDF_TYPE.value, ox.NamedNode(SD + "Dataset"))
    default = ox.BlankNode()
    add(dataset, SD + "defaultGraph", default)
    add(default, RDF_TYPE.value, ox.NamedNode(SD + "Graph"))
    add(default, VOID + "triples", _n(stats.triples))
    for graph, n in stats.graphs.items():
        named = ox.BlankNode()
        inner = ox.BlankNode()
        add(dataset, SD + "namedGraph", named)
        add(named, RDF_TYPE.value, ox.NamedNode(SD + "NamedGraph"))
        add(named, SD + "name", ox.NamedNode(graph))
        add(named, SD + "graph", inner)
        add(inner, RDF_TYPE.value, ox.NamedNode(SD + "Graph"))
        add(inner, VOID + "triples", _n(n))
    return t


def serialize_triples(triples: list[ox.Triple], key: str) -> bytes:
    """Write triples in a graph format key (ttl, nt, jsonld, rdfxml)."""
    from clusterkg.results import GRAPH_FORMATS

    fmt = GRAPH_FORMATS[key]
    prefixes = PREFIXES if fmt in (ox.RdfFormat.TURTLE, ox.RdfFormat.RDF_XML) else None
    return ox.serialize(triples, format=fmt, prefixes=prefixes) or b""
