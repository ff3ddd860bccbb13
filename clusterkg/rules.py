"""Reasoning and validation for graphs too large for HermiT and pySHACL: rules run in the store.

HermiT (``clusterkg.reason``) is complete for OWL 2 DL but works on an in-memory copy of the
data and grows badly with it: fine for the real graph (10^4 triples), hopeless at 10^6. The
ontology's logic that matters for the data is small, though, and most of it is rules:

* class hierarchy: ``rdfs:subClassOf`` and named ``owl:equivalentClass``, closed once in
  Python and applied in one query (a ``VALUES`` table of sub/super pairs);
* property hierarchy: ``rdfs:subPropertyOf``, ``owl:equivalentProperty``, ``owl:inverseOf``,
  ``owl:SymmetricProperty``, likewise one query each;
* ``owl:TransitiveProperty`` (a ``p+`` path), ``owl:propertyChainAxiom`` (a join);
* ``rdfs:domain`` and ``rdfs:range`` (named classes only);
* defined classes: ``owl:equivalentClass`` to an ``owl:intersectionOf`` / ``owl:unionOf`` of
  named classes and ``owl:someValuesFrom`` / ``owl:hasValue`` restrictions, compiled to a
  SPARQL pattern that recognises the members (the sufficient direction), and the necessary
  direction (``C ⊑ D``, ``C ⊑ ∃p.{v}``) applied as type and value rules; ``owl:oneOf``
  fillers become a ``VALUES`` table.

:func:`compile_rules` derives these rules from the ontology graph (the TBox is small: that
part stays in rdflib), and :func:`apply_rules` runs them in the Oxigraph store as bulk
``CONSTRUCT`` queries over the union of the graphs, inserting what is new into the inferred
graph, round after round until a round adds nothing (a fixpoint). Each rule is one scan in
Rust; Python only carries the new triples into the store.

The rules see what HermiT sees (``clusterkg.reason``): declared classes and object
properties, never the provenance links; and they report what it reports: new memberships in
declared named classes and new values of declared object properties, nothing already
asserted. What the rules cannot do (``owl:allValuesFrom``, cardinalities, ``owl:complementOf``,
reasoning by cases) is listed by :attr:`RuleSet.skipped`; ``owl:disjointWith`` is checked
after the fixpoint (:func:`disjoint_clashes`), so an inconsistent graph still fails the
build; ``tests/test_rules.py`` compares both paths on the real data.

The second half compiles SHACL shapes to SPARQL queries that return the violating focus nodes
(:func:`compile_shapes`, :func:`validate_store`), for the same reason: pySHACL walks an
in-memory rdflib graph node by node, minutes at 10^6 triples, where one SPARQL query per
constraint answers in about a second. Constraint kinds the compiler does not know are checked
by pySHACL on the focus nodes' neighbourhood, in batches (:func:`_fallback_validate`).
"""

from __future__ import annotations

import re
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

import pyoxigraph as ox
import rdflib
from rdflib import BNode, Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS
from rdflib.term import Node

from clusterkg.sources import INFERRED_GRAPH

CKG = rdflib.Namespace("https://w3id.org/clusterkg/def/")

#: Links that record provenance or layout: HermiT never sees them (``clusterkg.reason``), so
#: neither do the rules, and nothing is inferred about them.
PROVENANCE_PROPERTIES = frozenset(
    {CKG.statedIn, CKG.originalSource, CKG.namedGraph, CKG.inTable, CKG.inFigure}
)
NOISE_TYPES = frozenset({OWL.Thing, OWL.NamedIndividual, OWL.Nothing})
RDF_TYPE = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"


@dataclass(frozen=True)
class Rule:
    """One rule: derive ``head`` where ``body`` holds, as a CONSTRUCT of what is new.

    A rule with ``rows`` is a family of rules in one query (a ``VALUES`` table over
    ``names``; the first column is the class or property the body reads). ``reads`` are the
    keys (``p:<iri>`` for a predicate, ``c:<iri>`` for a class) of what the body reads: after
    the first round a rule runs again only if the last round added triples it reads, and a
    table only with the rows whose key was touched (semi-naive evaluation, by key).
    """

    name: str
    kind: str
    head: str
    body: str
    reads: frozenset[str] = frozenset()
    rows: tuple[tuple[Node, Node], ...] = ()
    names: tuple[str, str] = ("", "")
    row_key: str = "p"

    def construct(self, delta: set[str] | None = None) -> str | None:
        """The query for this round (``delta`` None: the first), or None if it can add nothing."""
        if self.rows:
            rows = [r for r in self.rows if delta is None or f"{self.row_key}:{r[0]}" in delta]
            if not rows:
                return None
            table = " ".join(f"({a.n3()} {b.n3()})" for a, b in rows)
            values = f"VALUES (?{self.names[0]} ?{self.names[1]}) {{ {table} }}"
            return _construct(self.head, f"{values} {self.body}")
        if delta is not None and not (self.reads & delta):
            return None
        return _construct(self.head, self.body)


@dataclass
class RuleSet:
    """The rules compiled from one ontology, and what could not be turned into rules."""

    rules: list[Rule] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    classes: frozenset[URIRef] = frozenset()
    object_properties: frozenset[URIRef] = frozenset()


@dataclass
class RulesReport:
    """What :func:`apply_rules` did: triples added, rounds, seconds and triples per rule."""

    inferred: int = 0
    rounds: int = 0
    seconds: float = 0.0
    per_rule: dict[str, tuple[float, int]] = field(default_factory=dict)


def _n3(node: Node) -> str:
    if isinstance(node, Literal) and node.datatype is None and node.language is None:
        return Literal(str(node), datatype=rdflib.XSD.string).n3()
    return node.n3()


# -- compiling the ontology to rules -------------------------------------------------------


class _Compiler:
    """Walks the ontology graph once and writes the rules (see the module docstring)."""

    def __init__(self, ontology: rdflib.Graph) -> None:
        self.g = ontology
        self.classes = frozenset(
            s for s in ontology.subjects(RDF.type, OWL.Class) if isinstance(s, URIRef)
        )
        self.object_properties = frozenset(
            s for s in ontology.subjects(RDF.type, OWL.ObjectProperty) if isinstance(s, URIRef)
        )
        self.datatype_properties = frozenset(
            s for s in ontology.subjects(RDF.type, OWL.DatatypeProperty) if isinstance(s, URIRef)
        )
        self.usable = (self.object_properties - PROVENANCE_PROPERTIES) | self.datatype_properties
        self.out = RuleSet(classes=self.classes, object_properties=self.object_properties)

    def class_ok(self, c: Node) -> bool:
        return c in self.classes and c not in NOISE_TYPES

    def prop_ok(self, p: Node) -> bool:
        return p in self.object_properties and p not in PROVENANCE_PROPERTIES

    # -- class expressions -----------------------------------------------------------------
    def pattern(self, expr: Node, var: str, fresh: Iterator[int]) -> str | None:
        """A SPARQL group matching members ``var`` of ``expr``, or None if not expressible."""
        g = self.g
        if isinstance(expr, URIRef):
            if expr == OWL.Thing:
                return ""
            return f"{var} {RDF_TYPE} {expr.n3()} ." if self.class_ok(expr) else None
        if (members := g.value(expr, OWL.intersectionOf)) is not None:
            parts = [self.pattern(m, var, fresh) for m in g.items(members)]
            return None if any(p is None for p in parts) else " ".join(p for p in parts if p)
        if (members := g.value(expr, OWL.unionOf)) is not None:
            parts = [self.pattern(m, var, fresh) for m in g.items(members)]
            if any(p is None or p == "" for p in parts):
                return None if any(p is None for p in parts) else ""
            return " UNION ".join("{ " + p + " }" for p in parts)  # type: ignore[operator]
        if (members := g.value(expr, OWL.oneOf)) is not None:
            return f"VALUES {var} {{ {' '.join(_n3(m) for m in g.items(members))} }}"
        prop = g.value(expr, OWL.onProperty)
        if prop is None:
            return None
        step = self.step(prop)
        if step is None:
            return None
        if (filler := g.value(expr, OWL.someValuesFrom)) is not None:
            node = f"?v{next(fresh)}"
            inner = self.pattern(filler, node, fresh)
            if inner is None:
                return None
            return f"{var} {step} {node} . {inner}".strip()
        if (value := g.value(expr, OWL.hasValue)) is not None:
            return f"{var} {step} {_n3(value)} ."
        return None

    def step(self, prop: Node) -> str | None:
        """A predicate (or ``^inverse``) usable in a pattern; None for what HermiT never sees."""
        if isinstance(prop, BNode):
            inner = self.g.value(prop, OWL.inverseOf)
            return f"^{inner.n3()}" if isinstance(inner, URIRef) and inner in self.usable else None
        return prop.n3() if prop in self.usable else None

    def consequences(self, expr: Node) -> tuple[set[URIRef], set[tuple[str, Node]]]:
        """What membership in ``expr`` says about a member: named types and (step, value)s."""
        g = self.g
        if isinstance(expr, URIRef):
            return ({expr} if self.class_ok(expr) else set()), set()
        types: set[URIRef] = set()
        values: set[tuple[str, Node]] = set()
        if (members := g.value(expr, OWL.intersectionOf)) is not None:
            for m in g.items(members):
                t, v = self.consequences(m)
                types |= t
                values |= v
        elif (value := g.value(expr, OWL.hasValue)) is not None:
            prop = g.value(expr, OWL.onProperty)
            if prop is not None and (step := self.step(prop)) is not None:
                values.add((step, value))
        return types, values

    # -- the rules -------------------------------------------------------------------------
    def compile(self) -> RuleSet:
        g, rules = self.g, self.out.rules
        fresh = iter(range(10**9))

        # property hierarchy (sub/equivalent), closed here so one query applies it
        direct: dict[Node, set[Node]] = defaultdict(set)
        for p, q in g.subject_objects(RDFS.subPropertyOf):
            direct[p].add(q)
        for p, q in g.subject_objects(OWL.equivalentProperty):
            direct[p].add(q)
            direct[q].add(p)
        pairs = sorted(
            (p, q)
            for p in list(direct)
            if self.prop_ok(p)
            for q in _closure(direct, p)
            if q != p and self.prop_ok(q)
        )
        if pairs:
            rules.append(
                _values_rule(
                    "subproperty",
                    ("p", "q"),
                    pairs,
                    "?x ?q ?y",
                    "?x ?p ?y . FILTER (!isLiteral(?y))",
                )
            )
        inverse = sorted(
            {
                (p, q)
                for p, q in g.subject_objects(OWL.inverseOf)
                if self.prop_ok(p) and self.prop_ok(q)
            }
            | {
                (q, p)
                for p, q in g.subject_objects(OWL.inverseOf)
                if self.prop_ok(p) and self.prop_ok(q)
            }
        )
        inverse += [
            (p, p) for p in sorted(g.subjects(RDF.type, OWL.SymmetricProperty)) if self.prop_ok(p)
        ]
        if inverse:
            rules.append(
                _values_rule(
                    "inverse", ("p", "q"), inverse, "?y ?q ?x", "?x ?p ?y . FILTER (!isLiteral(?y))"
                )
            )
        for p in sorted(g.subjects(RDF.type, OWL.TransitiveProperty)):
            if self.prop_ok(p):
                rules.append(
                    _rule(
                        f"transitive {p}",
                        "transitive",
                        f"?x {p.n3()} ?z",
                        f"?x {p.n3()} ?y . ?y {p.n3()}+ ?z .",
                    )
                )
        for prop, chain in sorted(g.subject_objects(OWL.propertyChainAxiom)):
            steps = [self.step(s) for s in g.items(chain)]
            if not self.prop_ok(prop) or any(s is None for s in steps):
                self.out.skipped.append(f"property chain of {prop}: a step HermiT does not see")
                continue
            names = ["?x"] + [f"?c{i}" for i in range(1, len(steps))] + ["?y"]
            body = " ".join(f"{names[i]} {s} {names[i + 1]} ." for i, s in enumerate(steps))
            rules.append(_rule(f"chain {prop}", "chain", f"?x {prop.n3()} ?y", body))

        # domain and range (named classes)
        domains = sorted(
            (p, c)
            for p, c in g.subject_objects(RDFS.domain)
            if p in self.usable and self.class_ok(c)
        )
        if domains:
            rules.append(
                _values_rule("domain", ("p", "c"), domains, f"?x {RDF_TYPE} ?c", "?x ?p ?y .")
            )
        ranges = sorted(
            (p, c) for p, c in g.subject_objects(RDFS.range) if self.prop_ok(p) and self.class_ok(c)
        )
        if ranges:
            rules.append(
                _values_rule(
                    "range",
                    ("p", "c"),
                    ranges,
                    f"?y {RDF_TYPE} ?c",
                    "?x ?p ?y . FILTER (!isLiteral(?y))",
                )
            )

        # defined classes: the sufficient direction, one query per definition
        supers: dict[Node, set[Node]] = defaultdict(set)
        values: list[tuple[URIRef, str, Node]] = []
        for c, d in g.subject_objects(RDFS.subClassOf):
            if not self.class_ok(c):
                continue
            types, vals = self.consequences(d)
            supers[c] |= types
            values += [(c, s, v) for s, v in vals]
        for c, d in sorted(g.subject_objects(OWL.equivalentClass)):
            for a, b in ((c, d), (d, c)):
                if not self.class_ok(a):
                    continue
                types, vals = self.consequences(b)
                supers[a] |= types
                values += [(a, s, v) for s, v in vals]
                if isinstance(b, BNode):
                    body = self.pattern(b, "?x", fresh)
                    if body:
                        rules.append(
                            _rule(f"definition {a}", "definition", f"?x {RDF_TYPE} {a.n3()}", body)
                        )
                    else:
                        self.out.skipped.append(
                            f"definition of {a}: uses a construct the rules do not cover"
                        )
        for c, step, v in sorted(set(values), key=str):
            head = f"?x {step} {_n3(v)}" if not step.startswith("^") else f"{_n3(v)} {step[1:]} ?x"
            rules.append(
                _rule(f"has-value {c} {step}", "has-value", head, f"?x {RDF_TYPE} {c.n3()} .")
            )

        # class hierarchy, closed here, applied last in each round
        pairs_c = sorted(
            (c, d) for c in list(supers) for d in _closure(supers, c) if d != c and self.class_ok(d)
        )
        if pairs_c:
            rules.append(
                _values_rule(
                    "subclass", ("c", "d"), pairs_c, f"?x {RDF_TYPE} ?d", f"?x {RDF_TYPE} ?c .", "c"
                )
            )
        for kind in (
            "allValuesFrom",
            "cardinality",
            "minCardinality",
            "maxCardinality",
            "qualifiedCardinality",
            "complementOf",
        ):
            if any(True for _ in g.triples((None, OWL[kind], None))):
                self.out.skipped.append(f"owl:{kind} axioms are not applied by the rules")
        return self.out


def _closure(direct: dict[Node, set[Node]], start: Node) -> set[Node]:
    seen, todo = {start}, [start]
    while todo:
        for nxt in direct.get(todo.pop(), ()):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


def _construct(head: str, body: str) -> str:
    """A CONSTRUCT of ``head`` where ``body`` holds and ``head`` is not yet anywhere."""
    return f"CONSTRUCT {{ {head} }} WHERE {{ {body} FILTER NOT EXISTS {{ {head} }} }}"


def _values_rule(
    kind: str,
    names: tuple[str, str],
    rows: Iterable[tuple[Node, Node]],
    head: str,
    body: str,
    row_key: str = "p",
) -> Rule:
    return Rule(kind, kind, head, body, rows=tuple(rows), names=names, row_key=row_key)


def _rule(name: str, kind: str, head: str, body: str) -> Rule:
    iris = {i for i in re.findall(r"<([^>]+)>", body)} - {RDF_TYPE[1:-1]}
    reads = frozenset(f"{k}:{i}" for i in iris for k in ("p", "c"))
    return Rule(name, kind, head, body, reads=reads)


def compile_rules(ontology: rdflib.Graph) -> RuleSet:
    """The rules the ontology's axioms amount to (see the module docstring)."""
    return _Compiler(ontology).compile()


def apply_rules(
    store: ox.Store,
    rules: RuleSet,
    graph: str = INFERRED_GRAPH,
    max_rounds: int = 50,
    bulk: bool = False,
) -> RulesReport:
    """Run ``rules`` over the union of ``store``'s graphs until nothing new; write to ``graph``.

    Each rule's answer is read in full before it is written (a store must not change under a
    running query), then added in one transaction, or with ``bulk`` without one (faster on
    disk; for a store nobody reads yet, such as a build's).
    """
    report = RulesReport()
    started = time.perf_counter()
    target = ox.NamedNode(graph)
    rdf_type = ox.NamedNode(RDF_TYPE[1:-1])
    delta: set[str] | None = None
    for _ in range(max_rounds):
        report.rounds += 1
        touched: set[str] = set()
        for rule in rules.rules:
            query = rule.construct(delta)
            if query is None:
                continue
            t0 = time.perf_counter()
            found = {
                ox.Quad(t.subject, t.predicate, t.object, target)
                for t in store.query(query, use_default_graph_as_union=True)
            }
            if found:
                (store.bulk_extend if bulk else store.extend)(found)
                touched |= {
                    f"c:{q.object.value}" if q.predicate == rdf_type else f"p:{q.predicate.value}"
                    for q in found
                }
                report.inferred += len(found)
            secs, count = report.per_rule.get(rule.name, (0.0, 0))
            report.per_rule[rule.name] = (secs + time.perf_counter() - t0, count + len(found))
        if not touched:
            break
        delta = touched
    report.seconds = time.perf_counter() - started
    return report


def infer(ontology: rdflib.Graph, data: rdflib.Graph) -> rdflib.Graph:
    """The triples the rules add to ontology + data, as :func:`clusterkg.reason.infer` returns
    HermiT's (for comparing the two and for small inputs; the build runs rules in its store)."""
    from clusterkg import convert

    store = ox.Store()
    asserted = ox.NamedNode("urn:clusterkg:asserted")
    store.extend(
        ox.Quad(convert.to_oxigraph(s), convert.to_oxigraph(p), convert.to_oxigraph(o), asserted)
        for g in (ontology, data)
        for s, p, o in g
    )
    apply_rules(store, compile_rules(ontology))
    out = rdflib.Graph()
    for q in store.quads_for_pattern(None, None, None, ox.NamedNode(INFERRED_GRAPH)):
        out.add(
            (
                convert.to_rdflib(q.subject),
                convert.to_rdflib(q.predicate),
                convert.to_rdflib(q.object),
            )
        )
    return out


def disjoint_clashes(
    store: ox.Store, ontology: rdflib.Graph, limit: int = 50
) -> list[tuple[str, str, str]]:
    """Individuals typed (asserted or inferred) with two disjoint classes: ``(node, a, b)``.

    HermiT reports these as an inconsistency; the rules cannot derive from a contradiction,
    so the build runs this check after the fixpoint and refuses to publish if it finds any.
    """
    pairs = {(a, b) for a, b in ontology.subject_objects(OWL.disjointWith)}
    for axiom in ontology.subjects(RDF.type, OWL.AllDisjointClasses):
        for members in ontology.objects(axiom, OWL.members):
            items = list(ontology.items(members))
            pairs |= {(a, b) for i, a in enumerate(items) for b in items[i + 1 :]}
    rows = " ".join(
        f"({a.n3()} {b.n3()})"
        for a, b in sorted(pairs)
        if isinstance(a, URIRef) and isinstance(b, URIRef)
    )
    if not rows:
        return []
    query = (
        f"SELECT DISTINCT ?x ?a ?b WHERE {{ VALUES (?a ?b) {{ {rows} }} "
        f"?x {RDF_TYPE} ?a . ?x {RDF_TYPE} ?b . }} LIMIT {limit}"
    )
    return [
        (str(s["x"].value), str(s["a"].value), str(s["b"].value))
        for s in store.query(query, use_default_graph_as_union=True)
    ]


# -- validation: SHACL shapes compiled to SPARQL -------------------------------------------

SH = rdflib.Namespace("http://www.w3.org/ns/shacl#")
_NODE_KIND_OK = {
    SH.IRI: "isIRI({v})",
    SH.Literal: "isLiteral({v})",
    SH.BlankNode: "isBlank({v})",
    SH.BlankNodeOrIRI: "!isLiteral({v})",
    SH.BlankNodeOrLiteral: "!isIRI({v})",
    SH.IRIOrLiteral: "!isBlank({v})",
}
_COMPARISONS = {
    SH.minInclusive: ">=",
    SH.maxInclusive: "<=",
    SH.minExclusive: ">",
    SH.maxExclusive: "<",
}
#: Parameters that say nothing about conformance.
_METADATA = {
    RDF.type,
    SH.message,
    SH.severity,
    SH.name,
    SH.description,
    SH.order,
    SH.group,
    SH.deactivated,
    RDFS.label,
    RDFS.comment,
}
#: Constraints on each value node (the focus node itself for a node shape).
_VALUE_PARAMS = {
    SH.datatype,
    SH["class"],
    SH.nodeKind,
    SH["in"],
    SH.pattern,
    SH.flags,
    SH.languageIn,
    SH["and"],
    SH["or"],
    SH["not"],
    SH.xone,
    SH.node,
    SH.minLength,
    SH.maxLength,
    *_COMPARISONS,
}
#: Parameters that make a shape go to pySHACL (by batch) instead of being compiled.
_FALLBACK = {SH.equals, SH.disjoint, SH.closed, SH.qualifiedMaxCount}


@dataclass(frozen=True)
class ShapeResult:
    """One failed check, with the attributes the build's error text reads (as pySHACL's)."""

    focus_node: str
    path: str | None
    value: str | None
    component: str
    shape: str
    message: str
    severity: str
    source: str | None = None


@dataclass
class ShapesReport:
    """All results of a bulk validation, split by severity, and how it was done."""

    violations: list[ShapeResult] = field(default_factory=list)
    warnings: list[ShapeResult] = field(default_factory=list)
    infos: list[ShapeResult] = field(default_factory=list)
    queries: int = 0
    fallback_shapes: list[str] = field(default_factory=list)
    seconds: float = 0.0
    per_check: list[tuple[str, str, float]] = field(default_factory=list)

    @property
    def conforms(self) -> bool:
        return not self.violations


@dataclass(frozen=True)
class ShapeCheck:
    """One compiled constraint: a SELECT of the ``?this`` (and ``?v``) that fail it."""

    shape: str
    component: str
    path: str | None
    severity: str
    message: str
    query: str


class _ShapeCompiler:
    """SHACL Core constraints and SHACL-SPARQL constraints to SELECT queries.

    Class targets and ``sh:class`` use the ontology's subclass closure as a ``VALUES`` table
    of class IRIs (what ``rdf:type/rdfs:subClassOf*`` means, without walking the path per
    node). SHACL-SPARQL constraints are inlined after the target pattern, so ``$this`` is
    bound as SHACL's pre-binding requires.
    """

    def __init__(self, shapes: rdflib.Graph, ontology: rdflib.Graph | None) -> None:
        self.g = shapes
        self.sub: dict[Node, set[Node]] = defaultdict(set)
        for graph in (shapes, ontology) if ontology is not None else (shapes,):
            for c, d in graph.subject_objects(RDFS.subClassOf):
                self.sub[d].add(c)
            for c, d in graph.subject_objects(OWL.equivalentClass):
                if isinstance(c, URIRef) and isinstance(d, URIRef):
                    self.sub[d].add(c)
                    self.sub[c].add(d)
        self.fresh = iter(range(10**9))

    def subclasses(self, classes: Iterable[Node]) -> str:
        found: set[Node] = set()
        for c in classes:
            found |= {x for x in _closure(self.sub, c) if isinstance(x, URIRef)}
        return " ".join(sorted(x.n3() for x in found))

    def has_class(self, var: str, classes: Iterable[Node]) -> str:
        c = f"?c{next(self.fresh)}"
        return f"VALUES {c} {{ {self.subclasses(classes)} }} {var} {RDF_TYPE} {c} ."

    def targets(self, shape: Node) -> str | None:
        g = self.g
        classes = list(g.objects(shape, SH.targetClass))
        if (shape, RDF.type, RDFS.Class) in g or (shape, RDF.type, OWL.Class) in g:
            classes.append(shape)
        groups = [self.has_class("?this", classes)] if classes else []
        nodes = [_n3(n) for n in g.objects(shape, SH.targetNode)]
        if nodes:
            groups.append(f"VALUES ?this {{ {' '.join(nodes)} }}")
        groups += [f"?this {p.n3()} ?t_ ." for p in g.objects(shape, SH.targetSubjectsOf)]
        groups += [f"?t_ {p.n3()} ?this ." for p in g.objects(shape, SH.targetObjectsOf)]
        if not groups:
            return None
        return (
            "{ SELECT DISTINCT ?this WHERE { "
            + " UNION ".join("{ " + grp + " }" for grp in groups)
            + " } }"
        )

    def conforms(self, node: Node, var: str) -> str | None:
        """A SPARQL expression true when ``var`` conforms to shape ``node``; None if unknown.

        Used for the members of ``sh:or``/``sh:and``/``sh:not``/``sh:xone``/``sh:node``: value
        constraints, and property shapes with counts (``sh:minCount`` 0/1, ``sh:maxCount``
        0/1), ``sh:hasValue`` and value constraints on the path's values.
        """
        g = self.g
        params = set(g.predicates(node, None)) - _METADATA
        path_node = g.value(node, SH.path)
        if path_node is None:
            return self.value_conforms(node, var, params)
        path = _sparql_path(g, path_node)
        if path is None:
            return None
        terms: list[str] = []
        for n in g.objects(node, SH.minCount):
            if int(n) == 1:
                terms.append(f"EXISTS {{ {var} {path} ?o{next(self.fresh)} }}")
            elif int(n) > 1:
                return None
        for n in g.objects(node, SH.maxCount):
            a, b = f"?o{next(self.fresh)}", f"?o{next(self.fresh)}"
            if int(n) == 0:
                terms.append(f"NOT EXISTS {{ {var} {path} {a} }}")
            elif int(n) == 1:
                terms.append(f"NOT EXISTS {{ {var} {path} {a}, {b} FILTER ({a} != {b}) }}")
            else:
                return None
        for value in g.objects(node, SH.hasValue):
            terms.append(f"EXISTS {{ {var} {path} {_n3(value)} }}")
        rest = params - {SH.path, SH.minCount, SH.maxCount, SH.hasValue}
        if rest:
            o = f"?o{next(self.fresh)}"
            cond = self.value_conforms(node, o, rest)
            if cond is None:
                return None
            terms.append(f"NOT EXISTS {{ {var} {path} {o} FILTER (!({cond})) }}")
        return " && ".join(terms) or "true"

    def value_conforms(self, node: Node, var: str, params: set[Node]) -> str | None:
        """The value constraints of ``node`` (those in ``params``) as one expression on ``var``."""
        g = self.g
        terms: list[str] = []
        for p in params:
            for value in g.objects(node, p):
                if p == SH.datatype:
                    terms.append(f"(isLiteral({var}) && datatype({var}) = {value.n3()})")
                elif p == SH["class"]:
                    terms.append(f"EXISTS {{ {self.has_class(var, [value])} }}")
                elif p == SH.nodeKind and value in _NODE_KIND_OK:
                    terms.append(_NODE_KIND_OK[value].format(v=var))
                elif p == SH["in"]:
                    items = ", ".join(_n3(m) for m in g.items(value))
                    terms.append(f"({var} IN ({items}))")
                elif p == SH.hasValue:
                    terms.append(f"({var} = {_n3(value)})")
                elif p == SH.pattern:
                    flags = g.value(node, SH.flags)
                    extra = f", {_n3(Literal(str(flags)))}" if flags is not None else ""
                    terms.append(
                        f"(!isBlank({var}) && REGEX(STR({var}), {_n3(Literal(str(value)))}{extra}))"
                    )
                elif p == SH.flags:
                    continue
                elif p in (SH.minLength, SH.maxLength):
                    op = ">=" if p == SH.minLength else "<="
                    terms.append(f"(!isBlank({var}) && STRLEN(STR({var})) {op} {int(value)})")
                elif p in _COMPARISONS:
                    terms.append(f"({var} {_COMPARISONS[p]} {_n3(value)})")
                elif p == SH.languageIn:
                    tests = " || ".join(
                        f"langMatches(lang({var}), {_n3(Literal(str(x)))})" for x in g.items(value)
                    )
                    terms.append(f"({tests or 'false'})")
                elif p in (SH["and"], SH["or"], SH.xone):
                    conds = [self.conforms(m, var) for m in g.items(value)]
                    if any(c is None for c in conds):
                        return None
                    if p == SH.xone:
                        total = " + ".join(f"IF({c}, 1, 0)" for c in conds)
                        terms.append(f"(({total}) = 1)")
                    else:
                        joiner = " && " if p == SH["and"] else " || "
                        terms.append("(" + joiner.join(f"({c})" for c in conds) + ")")
                elif p in (SH["not"], SH.node):
                    cond = self.conforms(value, var)
                    if cond is None:
                        return None
                    terms.append(f"!({cond})" if p == SH["not"] else f"({cond})")
                else:
                    return None
        return " && ".join(terms) or "true"

    def value_failures(self, node: Node) -> list[tuple[str, str]] | None:
        """(component, FILTER true when ?v fails) for each value constraint of ``node``."""
        g = self.g
        checks: list[tuple[str, str]] = []
        for p in set(g.predicates(node, None)) & _VALUE_PARAMS:
            if p == SH.flags:
                continue
            cond = self.value_conforms(node, "?v", {p} | ({SH.flags} if p == SH.pattern else set()))
            if cond is None:
                return None
            name = _local(p)
            component = name[0].upper() + name[1:] + "ConstraintComponent"
            checks.append((component, f"!({cond})"))
        return checks

    def sparql(self, constraint: Node, target: str) -> str | None:
        """A SHACL-SPARQL constraint's SELECT, inlined after the target pattern."""
        g = self.g
        select = g.value(constraint, SH.select)
        if select is None:
            return None
        text = re.sub(r"\$this\b", "?this", str(select))
        match = re.search(r"(?is)\bWHERE\s*\{", text) or re.search(r"\{", text)
        end = text.rfind("}")
        if match is None or end < match.end():
            return None
        prologue = "".join(f"PREFIX {p}: <{iri}>\n" for p, iri in self.prefixes(constraint))
        body = text[match.end() : end]
        return f"{prologue}SELECT DISTINCT ?this WHERE {{ {target} {body} }}"

    def prefixes(self, constraint: Node) -> list[tuple[str, str]]:
        from clusterkg.sources import PREFIXES

        found = dict(PREFIXES)
        for holder in self.g.objects(constraint, SH.prefixes):
            for decl in self.g.objects(holder, SH.declare):
                prefix, ns = self.g.value(decl, SH.prefix), self.g.value(decl, SH.namespace)
                if prefix is not None and ns is not None:
                    found[str(prefix)] = str(ns)
        return sorted(found.items())

    def compile(self) -> tuple[list[ShapeCheck], list[Node]]:
        g = self.g
        checks: list[ShapeCheck] = []
        fallback: list[Node] = []
        node_shapes = (
            set(g.subjects(RDF.type, SH.NodeShape))
            | set(g.subjects(SH.targetClass, None))
            | set(g.subjects(SH.targetNode, None))
            | set(g.subjects(SH.targetSubjectsOf, None))
            | set(g.subjects(SH.targetObjectsOf, None))
        )
        for shape in sorted(node_shapes, key=str):
            if g.value(shape, SH.deactivated) == Literal(True):
                continue
            target = self.targets(shape)
            if target is None:
                continue  # used only through sh:node from another shape: checked there
            compiled = self.shape_checks(shape, target)
            if compiled is None:
                fallback.append(shape)
            else:
                checks += compiled
        return checks, fallback

    def shape_checks(self, shape: Node, target: str) -> list[ShapeCheck] | None:
        g = self.g
        if set(g.predicates(shape, None)) & _FALLBACK:
            return None
        severity = _local(g.value(shape, SH.severity) or SH.Violation)
        message = str(g.value(shape, SH.message) or "")
        out: list[ShapeCheck] = []
        node_checks = self.value_failures(shape)
        if node_checks is None:
            return None
        for component, expr in node_checks:
            out.append(
                ShapeCheck(
                    str(shape),
                    component,
                    None,
                    severity,
                    message,
                    f"SELECT ?this ?v WHERE {{ {target} BIND (?this AS ?v) FILTER ({expr}) }}",
                )
            )
        for constraint in g.objects(shape, SH.sparql):
            if g.value(constraint, SH.deactivated) == Literal(True):
                continue
            query = self.sparql(constraint, target)
            if query is None:
                return None
            # Severity belongs to the shape, not to the constraint node (SHACL 5.3; pySHACL
            # does the same): an sh:severity on the sh:SPARQLConstraint is ignored.
            out.append(
                ShapeCheck(
                    str(shape),
                    "SPARQLConstraintComponent",
                    None,
                    severity,
                    str(g.value(constraint, SH.message) or message),
                    query,
                )
            )
        for prop in g.objects(shape, SH.property):
            if g.value(prop, SH.deactivated) == Literal(True):
                continue
            made = self.property_checks(shape, prop, target, severity, message)
            if made is None:
                return None
            out += made
        return out

    def property_checks(
        self, shape: Node, prop: Node, target: str, severity: str, message: str
    ) -> list[ShapeCheck] | None:
        g = self.g
        path_node = g.value(prop, SH.path)
        path = _sparql_path(g, path_node) if path_node is not None else None
        if path is None or set(g.predicates(prop, None)) & (_FALLBACK | {SH.sparql}):
            return None
        sev = _local(g.value(prop, SH.severity) or severity)
        msg = str(g.value(prop, SH.message) or message)
        shown = str(path_node) if isinstance(path_node, URIRef) else path
        out: list[ShapeCheck] = []

        def add(component: str, query: str) -> None:
            out.append(ShapeCheck(str(shape), component, shown, sev, msg, query))

        for n in g.objects(prop, SH.minCount):
            if int(n) == 1:
                add(
                    "MinCountConstraintComponent",
                    f"SELECT ?this WHERE {{ {target} FILTER NOT EXISTS {{ ?this {path} ?v }} }}",
                )
            elif int(n) > 1:
                add(
                    "MinCountConstraintComponent",
                    f"SELECT ?this WHERE {{ {target} OPTIONAL {{ ?this {path} ?v }} }} "
                    f"GROUP BY ?this HAVING (COUNT(DISTINCT ?v) < {int(n)})",
                )
        for n in g.objects(prop, SH.maxCount):
            add(
                "MaxCountConstraintComponent",
                f"SELECT ?this WHERE {{ {target} ?this {path} ?v }} "
                f"GROUP BY ?this HAVING (COUNT(DISTINCT ?v) > {int(n)})",
            )
        for value in g.objects(prop, SH.hasValue):
            add(
                "HasValueConstraintComponent",
                f"SELECT ?this WHERE {{ {target} "
                f"FILTER NOT EXISTS {{ ?this {path} {_n3(value)} }} }}",
            )
        if g.value(prop, SH.uniqueLang) == Literal(True):
            add(
                "UniqueLangConstraintComponent",
                f'SELECT ?this WHERE {{ {target} ?this {path} ?v FILTER (lang(?v) != "") }} '
                f"GROUP BY ?this (lang(?v) AS ?lang_) HAVING (COUNT(?v) > 1)",
            )
        for shape_node in g.objects(prop, SH.qualifiedValueShape):
            cond = self.conforms(shape_node, "?v")
            least = g.value(prop, SH.qualifiedMinCount)
            if cond is None or least is None or int(least) > 1:
                return None
            if int(least) == 1:
                add(
                    "QualifiedMinCountConstraintComponent",
                    f"SELECT ?this WHERE {{ {target} "
                    f"FILTER NOT EXISTS {{ ?this {path} ?v FILTER ({cond}) }} }}",
                )
        for param, op in ((SH.lessThan, "<"), (SH.lessThanOrEquals, "<=")):
            for other in g.objects(prop, param):
                add(
                    _local(param)[0].upper() + _local(param)[1:] + "ConstraintComponent",
                    f"SELECT DISTINCT ?this ?v WHERE {{ {target} ?this {path} ?v . "
                    f"?this {other.n3()} ?w FILTER (!(?v {op} ?w)) }}",
                )
        value_checks = self.value_failures(prop)
        if value_checks is None:
            return None
        for component, expr in value_checks:
            add(
                component,
                f"SELECT DISTINCT ?this ?v WHERE {{ {target} ?this {path} ?v FILTER ({expr}) }}",
            )
        return out


def _local(iri: Node) -> str:
    return str(iri).rsplit("#", 1)[-1]


def _sparql_path(g: rdflib.Graph, path: Node | None) -> str | None:
    if path is None:
        return None
    if isinstance(path, URIRef):
        return path.n3()
    if g.value(path, RDF.first) is not None:
        parts = [_sparql_path(g, p) for p in g.items(path)]
        return None if any(p is None for p in parts) else "/".join(f"({p})" for p in parts)
    for prop, fmt in (
        (SH.inversePath, "^({})"),
        (SH.zeroOrMorePath, "({})*"),
        (SH.oneOrMorePath, "({})+"),
        (SH.zeroOrOnePath, "({})?"),
    ):
        if (inner := g.value(path, prop)) is not None:
            sub = _sparql_path(g, inner)
            return None if sub is None else fmt.format(sub)
    if (alts := g.value(path, SH.alternativePath)) is not None:
        parts = [_sparql_path(g, p) for p in g.items(alts)]
        return None if any(p is None for p in parts) else "|".join(f"({p})" for p in parts)
    return None


def compile_shapes(
    shapes: rdflib.Graph, ontology: rdflib.Graph | None = None
) -> tuple[list[ShapeCheck], list[Node]]:
    """Compile the shapes to checks; also return the shapes left to pySHACL (fallback)."""
    return _ShapeCompiler(shapes, ontology).compile()


def validate_store(
    store: ox.Store,
    shapes: rdflib.Graph,
    ontology: rdflib.Graph | None = None,
    *,
    max_results: int = 1000,
    batch: int = 2000,
) -> ShapesReport:
    """Check the union of ``store``'s graphs against ``shapes`` in bulk (see module docstring).

    ``max_results`` caps the results kept per check (a broken generator can fail every node;
    the first thousand say what is wrong). Shapes with constraints the compiler does not
    handle are validated by pySHACL over their focus nodes' neighbourhood, ``batch`` nodes
    at a time.
    """
    started = time.perf_counter()
    report = ShapesReport()
    checks, fallback = compile_shapes(shapes, ontology)
    for check in checks:
        report.queries += 1
        t0 = time.perf_counter()
        rows = store.query(check.query, use_default_graph_as_union=True)
        names = [v.value for v in rows.variables]
        for i, sol in enumerate(rows):
            if i >= max_results:
                break
            value = sol["v"] if "v" in names else None
            _add(
                report,
                ShapeResult(
                    str(sol["this"].value),
                    check.path,
                    None if value is None else str(value.value),
                    check.component,
                    check.shape,
                    check.message or f"{check.component} failed",
                    check.severity,
                ),
            )
        report.per_check.append(
            (check.shape, f"{check.component} {check.path or ''}", time.perf_counter() - t0)
        )
    for shape in fallback:
        report.fallback_shapes.append(str(shape))
        for result in _fallback_validate(store, shapes, shape, ontology, batch):
            _add(report, result)
    if report.violations:
        _add_sources(store, report.violations)
    report.seconds = time.perf_counter() - started
    return report


def _add(report: ShapesReport, result: ShapeResult) -> None:
    {"Violation": report.violations, "Warning": report.warnings}.get(
        result.severity, report.infos
    ).append(result)


def _add_sources(store: ox.Store, results: list[ShapeResult]) -> None:
    """Fill ``source`` (the paper and lines a failing node is stated in), as the build does."""
    ckg = str(CKG)
    for i, r in enumerate(list(results[:200])):
        if r.focus_node.startswith("_:") or "://" not in r.focus_node:
            continue
        q = (
            f"SELECT ?paper ?lines WHERE {{ <{r.focus_node}> <{ckg}statedIn> ?paper . "
            f"OPTIONAL {{ <{r.focus_node}> <{ckg}lines> ?lines }} }} LIMIT 1"
        )
        rows = list(store.query(q, use_default_graph_as_union=True))
        if rows:
            lines = rows[0]["lines"]
            where = rows[0]["paper"].value + (f", lines {lines.value}" if lines else "")
            results[i] = ShapeResult(**{**r.__dict__, "source": where})


def _shape_closure(shapes: rdflib.Graph, shape: Node) -> rdflib.Graph:
    """The triples describing ``shape`` and everything it reaches (nested and sh:node shapes)."""
    out = rdflib.Graph()
    for prefix, ns in shapes.namespaces():
        out.bind(prefix, ns)
    todo, seen = [shape], set()
    while todo:
        node = todo.pop()
        if node in seen:
            continue
        seen.add(node)
        for p, o in shapes.predicate_objects(node):
            out.add((node, p, o))
            if isinstance(o, BNode) or p in (
                SH.node,
                SH.qualifiedValueShape,
                SH.property,
                SH.prefixes,
            ):
                todo.append(o)
    return out


def _fallback_validate(
    store: ox.Store,
    shapes: rdflib.Graph,
    shape: Node,
    ontology: rdflib.Graph | None,
    batch: int,
) -> Iterator[ShapeResult]:
    """pySHACL on one shape, over its focus nodes and their values' descriptions, by batch."""
    import pyshacl

    from clusterkg import convert

    target = _ShapeCompiler(shapes, ontology).targets(shape)
    if target is None:
        return
    focus = [
        s["this"]
        for s in store.query(f"SELECT ?this WHERE {{ {target} }}", use_default_graph_as_union=True)
    ]
    sub_shapes = _shape_closure(shapes, shape)
    for start in range(0, len(focus), batch):
        nodes = " ".join(
            str(n) for n in focus[start : start + batch] if not isinstance(n, ox.BlankNode)
        )
        if not nodes:
            continue
        data = convert.graph_from_quads(
            store.query(
                f"CONSTRUCT {{ ?s ?p ?o . ?o ?p2 ?o2 }} WHERE {{ VALUES ?s {{ {nodes} }} "
                f"?s ?p ?o OPTIONAL {{ ?o ?p2 ?o2 FILTER (!isLiteral(?o)) }} }}",
                use_default_graph_as_union=True,
            )
        )
        conforms, graph, _ = pyshacl.validate(
            data, shacl_graph=sub_shapes, ont_graph=ontology, inference="none", allow_warnings=True
        )
        if conforms:
            continue
        for result in graph.subjects(RDF.type, SH.ValidationResult):

            def val(p: URIRef, r: Node = result, g: rdflib.Graph = graph) -> str | None:
                v = g.value(r, p)
                return None if v is None else str(v)

            yield ShapeResult(
                val(SH.focusNode) or "",
                val(SH.resultPath),
                val(SH.value),
                _local(val(SH.sourceConstraintComponent) or ""),
                str(shape),
                val(SH.resultMessage) or "",
                _local(val(SH.resultSeverity) or str(SH.Violation)),
            )
