"""Moving terms between pyoxigraph (the store, the fast parser) and rdflib (pySHACL, owlready2
input, serialisers that need it).

Files are parsed once, by pyoxigraph; the reasoner and the validator get rdflib graphs built
from those quads, so no file goes through rdflib's slower parser.
"""

from __future__ import annotations

from collections.abc import Iterable

import pyoxigraph as ox
import rdflib
from rdflib.term import BNode, Literal, Node, URIRef

XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"


def to_rdflib(term: object) -> Node:
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if isinstance(term, ox.Literal):
        if term.language:
            return Literal(term.value, lang=term.language)
        if term.datatype.value == XSD_STRING:
            # A plain literal, as rdflib's own parser would give it: an explicit xsd:string
            # makes pySHACL's sh:in compare unequal to the shapes' plain values.
            return Literal(term.value)
        return Literal(term.value, datatype=URIRef(term.datatype.value))
    raise TypeError(f"cannot convert {term!r} to rdflib")


def to_oxigraph(term: Node) -> ox.NamedNode | ox.BlankNode | ox.Literal:
    if isinstance(term, URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, BNode):
        return ox.BlankNode(str(term))
    if isinstance(term, Literal):
        if term.language:
            return ox.Literal(str(term), language=term.language)
        if term.datatype is not None:
            return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype)))
        return ox.Literal(str(term))
    raise TypeError(f"cannot convert {term!r} to pyoxigraph")


def graph_from_quads(
    quads: Iterable[ox.Quad | ox.Triple], graph: rdflib.Graph | None = None
) -> rdflib.Graph:
    """Add the triples of ``quads`` (graph names dropped) to an rdflib graph."""
    out = rdflib.Graph() if graph is None else graph
    add = out.add
    for q in quads:
        add((to_rdflib(q.subject), to_rdflib(q.predicate), to_rdflib(q.object)))
    return out


def quads_from_graph(graph: rdflib.Graph, graph_name: str) -> list[ox.Quad]:
    name = ox.NamedNode(graph_name)
    return [
        ox.Quad(to_oxigraph(s), to_oxigraph(p), to_oxigraph(o), name)  # type: ignore[arg-type]
        for s, p, o in graph
    ]
