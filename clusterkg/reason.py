"""OWL reasoning for clusterkg with owlready2 and HermiT.

`infer(ontology, data)` hands the logical part of the ontology and the matching part of the data
to HermiT (through owlready2) and returns only the triples HermiT adds: class memberships of
individuals in named classes (with all their named superclasses) and inferred object-property
values (property chains, inverses, transitivity, sub-properties). The caller stores them in the
`ckgr:inferred` named graph (the build marks it as `ckg:InferredGraph`).

Why it works the way it does:

* owlready2 loads files, so the input is written as N-Triples into a temporary directory and
  loaded into a fresh `owlready2.World`; nothing is shared between calls.
* Only what can change a named-class membership or an object-property value reaches HermiT:
  OWL axioms, class assertions on declared classes, object-property assertions on declared
  object properties, and the datatype assertions whose property is used in a class expression.
  Labels, comments, SKOS annotations, line locators and provenance links (`ckg:statedIn` and
  the others in `PROVENANCE_PROPERTIES`) are left out. That keeps HermiT fast (it scales badly
  with data values it has to check) and avoids datatypes HermiT does not support (xsd:gYear).
  The provenance links only entail their PROV super-properties, which any RDFS-aware query can
  get from the ontology's `rdfs:subPropertyOf` axioms.
* Blank nodes in the data are replaced by IRIs before reasoning (HermiT reports only named
  individuals) and mapped back afterwards, so inferences about blank-node relation nodes are
  returned about the caller's own `BNode` objects.
* owlready2 drops an inferred property value when the inverse triple is asserted and keeps
  only the most specific types; we therefore close the results under `owl:inverseOf` and under
  the (inferred) named-class hierarchy ourselves.
* Timing (2-core machine shared with other jobs): the test fixture takes about 3 s (mostly
  JVM start-up); the real data at the time of writing (3,077 subjects, 27.8k triples) 15 s;
  synthetic data of 2,600 individuals 5-12 s depending on load.
* The result is a set of triples computed from sets, so the same input always gives the same
  output regardless of owlready2's internal identifiers or HermiT's print order; the
  N-Triples input is written in sorted order so HermiT's work is reproducible too.
"""

from __future__ import annotations

import logging
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator
from pathlib import Path

import owlready2
from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.collection import Collection
from rdflib.namespace import OWL, RDF, RDFS, XSD
from rdflib.term import Node

log = logging.getLogger(__name__)

CKG = Namespace("https://w3id.org/clusterkg/def/")
SKOLEM_PREFIX = "urn:clusterkg:skolem:"

#: Object properties that only record provenance or layout. They take part in no class
#: definition; leaving them out spares HermiT thousands of assertions.
PROVENANCE_PROPERTIES = frozenset(
    {CKG.statedIn, CKG.originalSource, CKG.namedGraph, CKG.inTable, CKG.inFigure}
)

#: Predicates of OWL/RDFS axioms that are passed to the reasoner as they are.
AXIOM_PREDICATES = frozenset(
    {
        RDFS.subClassOf,
        RDFS.subPropertyOf,
        RDFS.domain,
        RDFS.range,
        OWL.equivalentClass,
        OWL.equivalentProperty,
        OWL.disjointWith,
        OWL.inverseOf,
        OWL.propertyChainAxiom,
        OWL.onProperty,
        OWL.someValuesFrom,
        OWL.allValuesFrom,
        OWL.hasValue,
        OWL.intersectionOf,
        OWL.unionOf,
        OWL.oneOf,
        OWL.complementOf,
        OWL.members,
        OWL.distinctMembers,
        OWL.onClass,
        OWL.onDataRange,
        OWL.cardinality,
        OWL.minCardinality,
        OWL.maxCardinality,
        OWL.qualifiedCardinality,
        OWL.minQualifiedCardinality,
        OWL.maxQualifiedCardinality,
        OWL.hasSelf,
        OWL.propertyDisjointWith,
        OWL.sameAs,
        OWL.differentFrom,
        RDF.first,
        RDF.rest,
    }
)

#: Types that are never reported as inferences.
NOISE_TYPES = frozenset({OWL.Thing, OWL.NamedIndividual, OWL.Nothing})

_INFERENCES_ONTOLOGY = "http://inferrences/"  # owlready2's name for the reasoner's output


class InconsistencyError(RuntimeError):
    """The ontology plus data has no model (or the ontology defines unsatisfiable classes).

    `individuals` and `classes` name the suspects found by the diagnosis.
    """

    def __init__(
        self, message: str, individuals: Iterable[Node] = (), classes: Iterable[Node] = ()
    ):
        super().__init__(message)
        self.individuals = sorted(individuals, key=str)
        self.classes = sorted(classes, key=str)


class ReasonerError(RuntimeError):
    """HermiT could not run (no Java, out of memory, unsupported input)."""


class _Vocabulary:
    """The declared terms of the ontology, which decide what the reasoner gets to see."""

    def __init__(self, ontology: Graph):
        self.classes = _subjects_of_type(ontology, OWL.Class)
        self.object_properties = _subjects_of_type(ontology, OWL.ObjectProperty)
        self.datatype_properties = _subjects_of_type(ontology, OWL.DatatypeProperty)
        self.annotation_properties = _subjects_of_type(ontology, OWL.AnnotationProperty)
        self.restricted_data_properties = {
            p for p in ontology.objects(None, OWL.onProperty) if p in self.datatype_properties
        } | {p for p in ontology.subjects(RDFS.domain, None) if p in self.datatype_properties}
        self.inverse_pairs = _inverse_pairs(ontology)

    def owl_builtin(self, node: Node) -> bool:
        return isinstance(node, URIRef) and str(node).startswith(str(OWL))


def _subjects_of_type(graph: Graph, rdf_type: URIRef) -> set[URIRef]:
    return {s for s in graph.subjects(RDF.type, rdf_type) if isinstance(s, URIRef)}


def _inverse_pairs(ontology: Graph) -> dict[URIRef, set[URIRef]]:
    pairs: dict[URIRef, set[URIRef]] = defaultdict(set)
    for p, q in ontology.subject_objects(OWL.inverseOf):
        if isinstance(p, URIRef) and isinstance(q, URIRef):
            pairs[p].add(q)
            pairs[q].add(p)
    return pairs


# --------------------------------------------------------------------------- input selection


def _annotation_nodes(ontology: Graph, vocab: _Vocabulary) -> set[Node]:
    """Blank nodes that hang off annotations (e.g. ckg:definedFrom sources): never axioms."""
    found: set[Node] = set()
    todo = [
        o
        for p in vocab.annotation_properties
        for o in ontology.objects(None, p)
        if isinstance(o, BNode)
    ]
    while todo:
        node = todo.pop()
        if node in found:
            continue
        found.add(node)
        todo.extend(o for o in ontology.objects(node, None) if isinstance(o, BNode))
    return found


def _tbox_triples(ontology: Graph, vocab: _Vocabulary) -> Iterator[tuple[Node, Node, Node]]:
    """The logical part of the ontology: axioms, declarations, and facts about its individuals."""
    skip_subjects = _annotation_nodes(ontology, vocab)
    for s, p, o in ontology:
        if s in skip_subjects or p in vocab.annotation_properties:
            continue
        if p == RDF.type:
            if (
                vocab.owl_builtin(o) and o != OWL.AnnotationProperty and o != OWL.Ontology
            ) or o in vocab.classes:
                yield s, p, o
        elif p in AXIOM_PREDICATES:
            if p == RDFS.range and s in vocab.datatype_properties:
                continue  # datatype ranges are checked by SHACL; HermiT lacks xsd:gYear
            yield s, p, o
        elif _is_assertion(p, o, vocab):
            yield s, p, o


def _is_assertion(p: Node, o: Node, vocab: _Vocabulary) -> bool:
    if p in vocab.object_properties:
        return p not in PROVENANCE_PROPERTIES and not isinstance(o, Literal)
    if p in vocab.datatype_properties:
        return p in vocab.restricted_data_properties and isinstance(o, Literal)
    return False


def _abox_triples(data: Graph, vocab: _Vocabulary) -> Iterator[tuple[Node, Node, Node]]:
    """Class and property assertions of the data; the data may not add axioms."""
    for s, p, o in data:
        if p == RDF.type:
            if o in vocab.classes:
                yield s, p, o
        elif _is_assertion(p, o, vocab):
            yield s, p, o


class _Skolemizer:
    """Replaces data blank nodes by IRIs for HermiT and maps them back afterwards."""

    def __init__(self) -> None:
        self.forward: dict[BNode, URIRef] = {}
        self.backward: dict[str, BNode] = {}

    def __call__(self, node: Node) -> Node:
        if not isinstance(node, BNode):
            return node
        if node not in self.forward:
            iri = URIRef(f"{SKOLEM_PREFIX}{len(self.forward)}")
            self.forward[node] = iri
            self.backward[str(iri)] = node
        return self.forward[node]

    def restore(self, iri: str) -> Node:
        return self.backward.get(iri, URIRef(iri))


def _write_ntriples(path: Path, triples: Iterable[tuple[Node, Node, Node]]) -> int:
    lines = sorted({f"{s.n3()} {p.n3()} {_literal_n3(o)} .\n" for s, p, o in triples})
    path.write_text("".join(lines), encoding="utf-8")
    return len(lines)


def _literal_n3(node: Node) -> str:
    """N-Triples form; plain literals get an explicit xsd:string so the OWL API reads them alike."""
    if isinstance(node, Literal) and node.datatype is None and node.language is None:
        return Literal(str(node), datatype=XSD.string).n3()
    return node.n3()


# --------------------------------------------------------------------------- HermiT-friendly form

VALUE_CLASS_PREFIX = "urn:clusterkg:value-class:"


class _Rewrite:
    """Turns value restrictions into plain classes before HermiT sees them.

    HermiT's ABox reasoning slows down sharply with nominals (`owl:hasValue` an individual,
    `owl:oneOf`) and with data-value restrictions (`owl:hasValue true`): on 2,600 synthetic
    individuals shaped like our data, 15-25 s instead of about 4 s. So:

    * `[owl:onProperty p ; owl:hasValue a]` becomes `[owl:onProperty p ; owl:someValuesFrom V_a]`
      with `a rdf:type V_a`, and `owl:oneOf (a b)` becomes `owl:unionOf (V_a V_b)`; the value
      classes `V_a` are private and never reported;
    * `[owl:onProperty d ; owl:hasValue "v"]` on a datatype property becomes a private class
      that every data node with `d "v"` (by value) is asserted into;
    * the other direction of a value restriction (`C rdfs:subClassOf [... owl:hasValue a]`, or
      a value restriction that is a conjunct of C's definition) is applied afterwards as a
      rule: every member of C gets `p a`.

    For ontologies like ours, where value classes appear only inside such restrictions, the
    named-class memberships and property values are the same as with the original axioms.
    """

    def __init__(self, tbox: Graph, vocab: _Vocabulary):
        self.graph = Graph()
        for triple in tbox:
            self.graph.add(triple)
        self.value_rules: list[tuple[Node, Node, Node]] = []  # (class, property, individual)
        self.data_classes: dict[tuple[Node, Literal], URIRef] = {}
        self.extra: set[tuple[Node, Node, Node]] = set()
        self._collect_value_rules()
        self._rewrite_object_values()
        self._rewrite_data_values(vocab)

    def _collect_value_rules(self) -> None:
        g = self.graph
        for cls, restriction in list(g.subject_objects(RDFS.subClassOf)):
            rule = self._object_value(restriction)
            if isinstance(cls, URIRef) and rule:
                self.value_rules.append((cls, *rule))
                g.remove((cls, RDFS.subClassOf, restriction))
        for cls, expr in g.subject_objects(OWL.equivalentClass):
            for members in g.objects(expr, OWL.intersectionOf):
                for member in g.items(members):
                    rule = self._object_value(member)
                    if isinstance(cls, URIRef) and rule:
                        self.value_rules.append((cls, *rule))

    def _object_value(self, node: Node) -> tuple[Node, Node] | None:
        value = self.graph.value(node, OWL.hasValue) if isinstance(node, BNode) else None
        if isinstance(value, URIRef):
            return self.graph.value(node, OWL.onProperty), value
        return None

    def _value_class(self, individual: Node) -> URIRef:
        cls = URIRef(VALUE_CLASS_PREFIX + str(individual))
        self.extra.add((cls, RDF.type, OWL.Class))
        self.extra.add((individual, RDF.type, cls))
        return cls

    def _rewrite_object_values(self) -> None:
        g = self.graph
        for restriction, value in list(g.subject_objects(OWL.hasValue)):
            if isinstance(value, URIRef):
                g.remove((restriction, OWL.hasValue, value))
                g.add((restriction, OWL.someValuesFrom, self._value_class(value)))
        for cls, members in list(g.subject_objects(OWL.oneOf)):
            items = list(g.items(members))
            g.remove((cls, OWL.oneOf, members))
            head = BNode()
            Collection(g, head, [self._value_class(i) for i in items])
            g.add((cls, OWL.unionOf, head))

    def _rewrite_data_values(self, vocab: _Vocabulary) -> None:
        g = self.graph
        for restriction, value in list(g.subject_objects(OWL.hasValue)):
            prop = g.value(restriction, OWL.onProperty)
            if not isinstance(value, Literal) or prop not in vocab.datatype_properties:
                continue
            cls = URIRef(f"{VALUE_CLASS_PREFIX}{prop}={value}")
            self.data_classes[(prop, value)] = cls
            for s, p in list(g.subject_predicates(restriction)):
                g.remove((s, p, restriction))
                g.add((s, p, cls))
            g.remove((restriction, None, None))
            self.extra.add((cls, RDF.type, OWL.Class))

    def abox(self, triples: Iterable[tuple[Node, Node, Node]]) -> list[tuple[Node, Node, Node]]:
        """Data triples with data values replaced by memberships of the lifted classes."""
        out = []
        for s, p, o in triples:
            if isinstance(o, Literal):
                out.extend(
                    (s, RDF.type, cls)
                    for (prop, value), cls in self.data_classes.items()
                    if prop == p and o.eq(value)
                )
            else:
                out.append((s, p, o))
        return out

    def triples(self) -> list[tuple[Node, Node, Node]]:
        return list(self.graph) + sorted(self.extra)


# --------------------------------------------------------------------------- running HermiT


def _run_hermit(path: Path, infer_property_values: bool = True) -> owlready2.World:
    world = owlready2.World()
    world.get_ontology(path.resolve().as_uri()).load()
    try:
        owlready2.sync_reasoner_hermit(
            world,
            infer_property_values=infer_property_values,
            debug=0,
            ignore_unsupported_datatypes=True,
        )
    except owlready2.OwlReadyInconsistentOntologyError:
        world.close()
        raise
    except (owlready2.OwlReadyJavaError, FileNotFoundError, OSError) as exc:
        world.close()
        raise ReasonerError(f"HermiT failed to run: {exc}") from exc
    return world


def _inferred_object_triples(world: owlready2.World) -> set[tuple[str, str, str]]:
    """Object triples that owlready2 stored in its inference ontology, as IRI strings."""
    inferred = world.get_ontology(_INFERENCES_ONTOLOGY)
    out = set()
    for s, p, o in inferred._get_obj_triples_spo_spo():
        if s < 0 or o < 0:  # anonymous classes or expressions: not ours to report
            continue
        out.add((world._unabbreviate(s), world._unabbreviate(p), world._unabbreviate(o)))
    return out


# --------------------------------------------------------------------------- reading back


def _superclass_map(ontology: Graph, extra: Iterable[tuple[URIRef, URIRef]]) -> _Ancestors:
    """Named superclasses (reflexive, transitive) over asserted and inferred axioms."""
    direct: dict[Node, set[Node]] = defaultdict(set)
    for c, d in ontology.subject_objects(RDFS.subClassOf):
        if isinstance(c, URIRef) and isinstance(d, URIRef):
            direct[c].add(d)
    for c, d in ontology.subject_objects(OWL.equivalentClass):
        if isinstance(c, URIRef) and isinstance(d, URIRef):
            direct[c].add(d)
            direct[d].add(c)
    for c, d in extra:
        direct[c].add(d)
    return _Ancestors(direct)


class _Ancestors(dict):
    """Lazily computed map from a class to its named ancestors (itself included)."""

    def __init__(self, direct: dict[Node, set[Node]]):
        super().__init__()
        self._direct = direct

    def __missing__(self, cls: Node) -> set[Node]:
        seen, todo = {cls}, [cls]
        while todo:
            for parent in self._direct.get(todo.pop(), ()):
                if parent not in seen:
                    seen.add(parent)
                    todo.append(parent)
        self[cls] = seen
        return seen


def _collect(
    world: owlready2.World,
    ontology: Graph,
    asserted: Graph,
    vocab: _Vocabulary,
    skolem: _Skolemizer,
    value_rules: list[tuple[Node, Node, Node]],
) -> Graph:
    raw = _inferred_object_triples(world)
    _raise_for_unsatisfiable(raw, vocab)
    sub_edges = [
        (URIRef(s), URIRef(o))
        for s, p, o in raw
        if p in (str(RDFS.subClassOf), str(OWL.equivalentClass))
        and URIRef(s) in vocab.classes
        and URIRef(o) in vocab.classes
    ]
    ancestors = _superclass_map(ontology, sub_edges)
    types: dict[Node, set[Node]] = defaultdict(set)
    values: set[tuple[Node, Node, Node]] = set()
    for s, _, o in asserted.triples((None, RDF.type, None)):
        if o in vocab.classes:
            types[s].add(o)
    for s, p, o in raw:
        subject, pred, obj = skolem.restore(s), URIRef(p), skolem.restore(o)
        if pred == RDF.type and URIRef(o) in vocab.classes:
            types[subject].add(URIRef(o))
        elif pred in vocab.object_properties:
            values.add((subject, pred, obj))
    result = Graph()
    for individual, classes in types.items():
        if individual in vocab.classes or isinstance(individual, Literal):
            continue
        for cls in set().union(*(ancestors[c] for c in classes)):
            if cls not in NOISE_TYPES and cls in vocab.classes:
                result.add((individual, RDF.type, cls))
                values.update((individual, p, a) for c, p, a in value_rules if c == cls)
    axioms = _PropertyAxioms(ontology, vocab)
    for s, p, o in axioms.close(values | _asserted_object_triples(asserted, vocab)):
        if p in vocab.object_properties and p not in PROVENANCE_PROPERTIES:
            result.add((s, p, o))
    for triple in list(result):
        if triple in asserted:
            result.remove(triple)
    return result


def _asserted_object_triples(graph: Graph, vocab: _Vocabulary) -> set[tuple[Node, Node, Node]]:
    return {
        (s, p, o)
        for s, p, o in graph
        if p in vocab.object_properties
        and p not in PROVENANCE_PROPERTIES
        and not isinstance(o, Literal)
    }


class _PropertyAxioms:
    """Sub-property, inverse, transitivity and chain axioms, applied to a set of values.

    HermiT's report of property instances omits values entailed only through
    rdfs:subPropertyOf (it lists `x country y` but not `x locatedIn y`), so the values are
    closed under these axioms here. This is sound: every added triple is entailed.
    """

    def __init__(self, ontology: Graph, vocab: _Vocabulary):
        self.supers: dict[Node, set[Node]] = defaultdict(set)
        for p, q in ontology.subject_objects(RDFS.subPropertyOf):
            if isinstance(p, URIRef) and isinstance(q, URIRef):
                self.supers[p].add(q)
        for p, q in ontology.subject_objects(OWL.equivalentProperty):
            if isinstance(p, URIRef) and isinstance(q, URIRef):
                self.supers[p].add(q)
                self.supers[q].add(p)
        self.inverses = vocab.inverse_pairs
        self.transitive = {p for p in ontology.subjects(RDF.type, OWL.TransitiveProperty)}
        self.chains: list[tuple[Node, list[tuple[Node, bool]]]] = []
        for prop, chain in ontology.subject_objects(OWL.propertyChainAxiom):
            steps = []
            for step in ontology.items(chain):
                inverse_of = (
                    ontology.value(step, OWL.inverseOf) if isinstance(step, BNode) else None
                )
                steps.append((inverse_of, True) if inverse_of is not None else (step, False))
            self.chains.append((prop, steps))

    def close(self, triples: set[tuple[Node, Node, Node]]) -> set[tuple[Node, Node, Node]]:
        closed = set(triples)
        changed = True
        while changed:
            before = len(closed)
            closed |= self._one_round(closed)
            changed = len(closed) != before
        return closed

    def _one_round(self, triples: set[tuple[Node, Node, Node]]) -> set[tuple[Node, Node, Node]]:
        new: set[tuple[Node, Node, Node]] = set()
        by_prop: dict[Node, list[tuple[Node, Node]]] = defaultdict(list)
        for s, p, o in triples:
            by_prop[p].append((s, o))
            new.update((s, q, o) for q in self.supers.get(p, ()))
            new.update((o, q, s) for q in self.inverses.get(p, ()))
        for p in self.transitive:
            succ: dict[Node, set[Node]] = defaultdict(set)
            for s, o in by_prop.get(p, ()):
                succ[s].add(o)
            for s, o in by_prop.get(p, ()):
                new.update((s, p, o2) for o2 in succ.get(o, ()))
        for prop, steps in self.chains:
            new.update((s, prop, o) for s, o in self._walk(steps, by_prop))
        return new - triples

    @staticmethod
    def _walk(steps: list[tuple[Node, bool]], by_prop: dict) -> set[tuple[Node, Node]]:
        frontier: set[tuple[Node, Node]] | None = None
        for prop, inverted in steps:
            pairs = {(o, s) if inverted else (s, o) for s, o in by_prop.get(prop, ())}
            if frontier is None:
                frontier = pairs
                continue
            succ: dict[Node, set[Node]] = defaultdict(set)
            for a, b in pairs:
                succ[a].add(b)
            frontier = {(s, c) for s, b in frontier for c in succ.get(b, ())}
        return frontier or set()


def _raise_for_unsatisfiable(raw: set[tuple[str, str, str]], vocab: _Vocabulary) -> None:
    nothing = {
        URIRef(s)
        for s, p, o in raw
        if p == str(OWL.equivalentClass) and o == str(OWL.Nothing) and URIRef(s) in vocab.classes
    }
    if nothing:
        names = ", ".join(sorted(_short(c) for c in nothing))
        raise InconsistencyError(
            "The ontology defines classes that can have no members (equivalent to owl:Nothing): "
            f"{names}. "
            "Check their owl:equivalentClass/rdfs:subClassOf axioms and any owl:disjointWith or "
            "owl:AllDisjointClasses axiom that covers both a class and one of its superclasses.",
            classes=nothing,
        )


# --------------------------------------------------------------------------- the public API


def infer(ontology: Graph, data: Graph) -> Graph:
    """Return only the NEW triples HermiT derives from ontology + data.

    Class memberships of individuals in named classes (including superclasses) and inferred
    object-property values; no owl:Thing / owl:NamedIndividual triples, nothing already in
    the input. Raises InconsistencyError (naming suspects) if there is no model, and
    ReasonerError if HermiT cannot run.
    """
    started = time.perf_counter()
    vocab = _Vocabulary(ontology)
    skolem = _Skolemizer()
    tbox_graph = Graph()
    for triple in _tbox_triples(ontology, vocab):
        tbox_graph.add(triple)
    rewrite = _Rewrite(tbox_graph, vocab)
    tbox = rewrite.triples()
    abox = rewrite.abox((skolem(s), p, skolem(o)) for s, p, o in _abox_triples(data, vocab))
    asserted = ontology + data
    with tempfile.TemporaryDirectory(prefix="clusterkg-reason-") as tmp:
        path = Path(tmp) / "input.nt"
        count = _write_ntriples(path, tbox + abox)
        log.info("HermiT input: %d triples (%d from data)", count, len(abox))
        try:
            world = _run_hermit(path)
        except owlready2.OwlReadyInconsistentOntologyError:
            raise _diagnose(ontology, data, vocab, tbox, abox, skolem, Path(tmp)) from None
        try:
            result = _collect(world, ontology, asserted, vocab, skolem, rewrite.value_rules)
        finally:
            world.close()
    log.info("reasoning took %.1f s, %d new triples", time.perf_counter() - started, len(result))
    return result


# --------------------------------------------------------------------------- diagnosis


def _diagnose(
    ontology: Graph,
    data: Graph,
    vocab: _Vocabulary,
    tbox: list,
    abox: list,
    skolem: _Skolemizer,
    tmp: Path,
) -> InconsistencyError:
    """Find suspects: first disjointness clashes in asserted types, then by bisection."""
    clashes = _disjointness_clashes(ontology, data, vocab)
    if clashes:
        lines = [
            f"  - {_short(ind)} is a {_short(a)} and a {_short(b)}, which are disjoint"
            f"{_source_hint(data, ind)}"
            for ind, a, b in clashes
        ]
        return InconsistencyError(
            "The data contradicts the ontology (HermiT found no model). Disjoint types:\n"
            + "\n".join(lines)
            + "\nFix the rdf:type triples (or the triples whose rdfs:domain/range implies "
            "the type) "
            "of these nodes. To investigate further, load ontology/*.ttl and the data into Protégé "
            "and use 'Explain inconsistency' with HermiT.",
            individuals={i for i, _, _ in clashes},
            classes={c for _, a, b in clashes for c in (a, b)},
        )
    suspects = _bisect(tbox, abox, tmp)
    restored = {skolem.restore(str(s)) for s in suspects}
    names = "\n".join(f"  - {_short(s)}{_source_hint(data, s)}" for s in sorted(restored, key=str))
    return InconsistencyError(
        "The data contradicts the ontology (HermiT found no model). Removing the assertions about "
        f"these nodes makes it consistent:\n{names}\n"
        "Check their types and property values against the classes' definitions, disjointness "
        "axioms and property characteristics (functional, ranges). To investigate further, load "
        "ontology/*.ttl and the data into Protégé and use 'Explain inconsistency' with HermiT.",
        individuals=restored,
    )


def _disjointness_clashes(
    ontology: Graph, data: Graph, vocab: _Vocabulary
) -> list[tuple[Node, Node, Node]]:
    pairs = _disjoint_pairs(ontology)
    if not pairs:
        return []
    ancestors = _superclass_map(ontology, [])
    clashes = []
    for ind in sorted(set(data.subjects(RDF.type, None)), key=str):
        types: set[Node] = set()
        for asserted_type in data.objects(ind, RDF.type):
            if asserted_type in vocab.classes:
                types |= ancestors[asserted_type]
        for a, b in sorted(pairs, key=str):
            if a in types and b in types:
                clashes.append((ind, a, b))
    return clashes


def _disjoint_pairs(ontology: Graph) -> set[tuple[Node, Node]]:
    pairs = {(a, b) for a, b in ontology.subject_objects(OWL.disjointWith)}
    for axiom in ontology.subjects(RDF.type, OWL.AllDisjointClasses):
        for members in ontology.objects(axiom, OWL.members):
            items = list(ontology.items(members))
            pairs |= {(a, b) for i, a in enumerate(items) for b in items[i + 1 :]}
    return {(a, b) for a, b in pairs if isinstance(a, URIRef) and isinstance(b, URIRef)}


def _bisect(tbox: list, abox: list, tmp: Path, max_runs: int = 24) -> set[Node]:
    """Shrink the set of data subjects while the rest stays inconsistent (ddmin, bounded)."""
    subjects = sorted({s for s, _, _ in abox}, key=str)
    runs = 0

    def inconsistent(keep: list) -> bool:
        nonlocal runs
        runs += 1
        keep_set = set(keep)
        path = tmp / f"bisect-{runs}.nt"
        _write_ntriples(path, tbox + [t for t in abox if t[0] in keep_set])
        try:
            _run_hermit(path, infer_property_values=False).close()
        except owlready2.OwlReadyInconsistentOntologyError:
            return True
        return False

    chunks = 2
    while len(subjects) > 1 and runs < max_runs:
        size = max(1, len(subjects) // chunks)
        parts = [subjects[i : i + size] for i in range(0, len(subjects), size)]
        for i in range(len(parts)):
            rest = [s for j, part in enumerate(parts) if j != i for s in part]
            if runs < max_runs and rest and inconsistent(rest):
                subjects, chunks = rest, max(chunks - 1, 2)
                break
        else:
            if chunks >= len(subjects):
                break
            chunks = min(len(subjects), chunks * 2)
    return set(subjects)


def _source_hint(data: Graph, node: Node) -> str:
    papers = sorted(_short(p) for p in data.objects(node, CKG.statedIn))
    lines = sorted(str(x) for x in data.objects(node, CKG.lines))
    if not papers:
        return ""
    return f" (stated in {', '.join(papers)}" + (f", lines {', '.join(lines)})" if lines else ")")


def _short(node: Node) -> str:
    text = str(node)
    for prefix, ns in (("ckg:", str(CKG)), ("ckr:", "https://w3id.org/clusterkg/id/")):
        if text.startswith(ns):
            return prefix + text[len(ns) :]
    return f"<{text}>" if isinstance(node, URIRef) else text
