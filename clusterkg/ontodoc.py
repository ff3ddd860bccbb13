"""HTML documentation of the clusterkg ontology, generated from the ontology graph.

`render_ontology_docs(ontology, out_dir)` writes `index.html`: one section per class, property and
concept scheme, each term with an anchor named after its local name (`index.html#LeadFirm`),
showing its label, definition, source papers and lines, super- and subclasses or properties,
domain and range, inverse, characteristics and, for defined classes, the definition in a
readable Manchester-like syntax. The page is generated, never edited, so it cannot drift from
the ontology; Jinja2 autoescapes everything because labels and definitions are data.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS, SKOS
from rdflib.term import Node

CKG = Namespace("https://w3id.org/clusterkg/def/")
SCHEMA = Namespace("https://schema.org/")
TEMPLATES = Path(__file__).resolve().parents[1] / "server" / "templates" / "ontodoc"
PREFIXES = {
    "https://w3id.org/clusterkg/def/": "ckg",
    "https://w3id.org/clusterkg/id/": "ckr",
    "http://www.w3.org/2002/07/owl#": "owl",
    "http://www.w3.org/2000/01/rdf-schema#": "rdfs",
    "http://www.w3.org/2001/XMLSchema#": "xsd",
    "http://www.w3.org/2004/02/skos/core#": "skos",
    "http://www.w3.org/ns/prov#": "prov",
    "http://www.w3.org/ns/org#": "org",
    "https://schema.org/": "schema",
    "http://www.opengis.net/ont/geosparql#": "geo",
    "http://purl.org/linked-data/cube#": "qb",
    "http://www.w3.org/ns/sosa/": "sosa",
    "http://purl.org/ontology/bibo/": "bibo",
    "http://purl.org/spar/fabio/": "fabio",
    "http://purl.org/spar/cito/": "cito",
    "http://purl.org/dc/terms/": "dct",
}
PAPER_NAMES = {
    "paper-cho1995": "Cho (1995)",
    "paper-parklee1999": "Park and Lee (c. 1999)",
    "paper-mcnamara2005": "McNamara (2005)",
    "paper-nadvi1995": "Nadvi (1995)",
    "paper-humphrey2001": "Humphrey (2001)",
}


@dataclass
class Link:
    """A reference to a term: its short name, and an anchor when it is documented here."""

    text: str
    anchor: str | None = None


@dataclass
class Term:
    """Everything the page shows about one class, property or concept."""

    iri: str
    anchor: str
    kind: str
    label: str
    definition: str = ""
    comment: str = ""
    alt_labels: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    infrastructure: bool = False
    facts: list[tuple[str, list[Link]]] = field(default_factory=list)
    definitions: list[str] = field(default_factory=list)


def render_ontology_docs(ontology: Graph, out_dir: Path) -> Path:
    """Write the documentation into `out_dir` and return the path of `index.html`."""
    out_dir.mkdir(parents=True, exist_ok=True)
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=select_autoescape(["html", "xml"], default_for_string=True, default=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    documented = _documented(ontology)
    sections = [
        (
            "classes",
            "Classes",
            [_class_term(ontology, c, documented) for c in _sorted(ontology, documented["class"])],
        ),
        (
            "object-properties",
            "Object properties",
            [
                _property_term(ontology, p, documented, "object property")
                for p in _sorted(ontology, documented["object"])
            ],
        ),
        (
            "datatype-properties",
            "Datatype properties",
            [
                _property_term(ontology, p, documented, "datatype property")
                for p in _sorted(ontology, documented["datatype"])
            ],
        ),
        (
            "annotation-properties",
            "Annotation properties",
            [
                _property_term(ontology, p, documented, "annotation property")
                for p in _sorted(ontology, documented["annotation"])
            ],
        ),
    ]
    schemes = [_scheme(ontology, s, documented) for s in _sorted(ontology, documented["scheme"])]
    header = _header(ontology)
    html = env.get_template("index.html").render(header=header, sections=sections, schemes=schemes)
    index = out_dir / "index.html"
    index.write_text(html, encoding="utf-8")
    return index


# --------------------------------------------------------------------------- collecting terms


def _documented(ontology: Graph) -> dict[str, set[URIRef]]:
    def ckg_terms(rdf_type: URIRef) -> set[URIRef]:
        return {
            s
            for s in ontology.subjects(RDF.type, rdf_type)
            if isinstance(s, URIRef) and s.startswith(CKG)
        }

    found = {
        "class": ckg_terms(OWL.Class),
        "object": ckg_terms(OWL.ObjectProperty),
        "datatype": ckg_terms(OWL.DatatypeProperty),
        "annotation": ckg_terms(OWL.AnnotationProperty),
        "scheme": ckg_terms(SKOS.ConceptScheme),
        "concept": ckg_terms(SKOS.Concept),
    }
    found["all"] = set().union(*found.values())
    return found


def _sorted(ontology: Graph, terms: set[URIRef]) -> list[URIRef]:
    return sorted(terms, key=lambda t: (_label(ontology, t).lower(), str(t)))


def _label(ontology: Graph, node: Node) -> str:
    labels = list(ontology.objects(node, RDFS.label))
    english = [str(x) for x in labels if isinstance(x, Literal) and x.language in ("en", None)]
    return (english or [str(x) for x in labels] or [_short(node)])[0]


def _short(node: Node) -> str:
    text = str(node)
    for ns, prefix in PREFIXES.items():
        if text.startswith(ns):
            return f"{prefix}:{text[len(ns) :]}"
    return text


def _anchor(node: Node) -> str:
    return (
        str(node)[len(str(CKG)) :]
        if str(node).startswith(str(CKG))
        else _short(node).replace(":", "-")
    )


def _link(node: Node, documented: dict[str, set[URIRef]]) -> Link:
    return Link(_short(node), _anchor(node) if node in documented["all"] else None)


def _links(nodes, documented: dict[str, set[URIRef]]) -> list[Link]:
    return [
        _link(n, documented)
        for n in sorted({n for n in nodes if isinstance(n, URIRef)}, key=_short)
    ]


def _base_term(ontology: Graph, term: URIRef, kind: str) -> Term:
    return Term(
        iri=str(term),
        anchor=_anchor(term),
        kind=kind,
        label=_label(ontology, term),
        definition=" ".join(str(x) for x in ontology.objects(term, SKOS.definition)),
        comment=" ".join(str(x) for x in ontology.objects(term, RDFS.comment)),
        alt_labels=sorted(str(x) for x in ontology.objects(term, SKOS.altLabel)),
        sources=_sources(ontology, term),
        infrastructure=(term, CKG.infrastructureTerm, Literal(True)) in ontology,
    )


def _sources(ontology: Graph, term: URIRef) -> list[str]:
    out = []
    for node in ontology.objects(term, CKG.definedFrom):
        for paper in ontology.objects(node, CKG.statedIn):
            name = PAPER_NAMES.get(str(paper).rsplit("/", 1)[-1], _short(paper))
            lines = ", ".join(str(x) for x in ontology.objects(node, CKG.lines))
            out.append(f"{name}, lines {lines}" if lines else name)
    return sorted(out)


def _add(term: Term, name: str, links: list[Link]) -> None:
    if links:
        term.facts.append((name, links))


def _class_term(ontology: Graph, cls: URIRef, documented: dict[str, set[URIRef]]) -> Term:
    term = _base_term(ontology, cls, "class")
    _add(term, "Superclasses", _links(ontology.objects(cls, RDFS.subClassOf), documented))
    _add(term, "Subclasses", _links(ontology.subjects(RDFS.subClassOf, cls), documented))
    _add(term, "Equivalent to", _links(ontology.objects(cls, OWL.equivalentClass), documented))
    _add(term, "Disjoint with", _links(_disjoint_with(ontology, cls), documented))
    _add(term, "Domain of", _links(_property_uses(ontology, cls, domain=True), documented))
    _add(term, "Range of", _links(_property_uses(ontology, cls, domain=False), documented))
    _add(term, "Instances in this ontology", _links(ontology.subjects(RDF.type, cls), documented))
    term.definitions = [
        f"{symbol} {_manchester(ontology, expr)}"
        for symbol, prop in (("≡", OWL.equivalentClass), ("⊑", RDFS.subClassOf))
        for expr in ontology.objects(cls, prop)
        if isinstance(expr, BNode)
    ]
    if any(isinstance(e, BNode) for e in ontology.objects(cls, OWL.equivalentClass)):
        term.kind = "defined class"
    return term


def _disjoint_with(ontology: Graph, cls: URIRef) -> set[Node]:
    found = set(ontology.objects(cls, OWL.disjointWith)) | set(
        ontology.subjects(OWL.disjointWith, cls)
    )
    for axiom in ontology.subjects(RDF.type, OWL.AllDisjointClasses):
        for members in ontology.objects(axiom, OWL.members):
            items = list(ontology.items(members))
            if cls in items:
                found |= {i for i in items if i != cls}
    return found


def _property_uses(ontology: Graph, cls: URIRef, domain: bool) -> set[Node]:
    strict, loose = (
        (RDFS.domain, SCHEMA.domainIncludes) if domain else (RDFS.range, SCHEMA.rangeIncludes)
    )
    return set(ontology.subjects(strict, cls)) | set(ontology.subjects(loose, cls))


def _property_term(
    ontology: Graph, prop: URIRef, documented: dict[str, set[URIRef]], kind: str
) -> Term:
    term = _base_term(ontology, prop, kind)
    _add(term, "Domain", _links(ontology.objects(prop, RDFS.domain), documented))
    _add(term, "Domain includes", _links(ontology.objects(prop, SCHEMA.domainIncludes), documented))
    _add(term, "Range", _links(ontology.objects(prop, RDFS.range), documented))
    _add(term, "Range includes", _links(ontology.objects(prop, SCHEMA.rangeIncludes), documented))
    _add(term, "Super-properties", _links(ontology.objects(prop, RDFS.subPropertyOf), documented))
    _add(term, "Sub-properties", _links(ontology.subjects(RDFS.subPropertyOf, prop), documented))
    _add(
        term,
        "Inverse of",
        _links(
            set(ontology.objects(prop, OWL.inverseOf))
            | set(ontology.subjects(OWL.inverseOf, prop)),
            documented,
        ),
    )
    characteristics = [
        Link(_short(t))
        for t in ontology.objects(prop, RDF.type)
        if t
        in (
            OWL.TransitiveProperty,
            OWL.FunctionalProperty,
            OWL.SymmetricProperty,
            OWL.InverseFunctionalProperty,
        )
    ]
    _add(term, "Characteristics", characteristics)
    for chain in ontology.objects(prop, OWL.propertyChainAxiom):
        term.definitions.append(
            "chain: " + " ∘ ".join(_manchester(ontology, step) for step in ontology.items(chain))
        )
    return term


def _scheme(
    ontology: Graph, scheme: URIRef, documented: dict[str, set[URIRef]]
) -> tuple[Term, list[Term]]:
    head = _base_term(ontology, scheme, "concept scheme")
    concepts = []
    for concept in _sorted(ontology, set(ontology.subjects(SKOS.inScheme, scheme))):
        term = _base_term(ontology, concept, "concept")
        _add(
            term,
            "Type",
            _links(
                (
                    t
                    for t in ontology.objects(concept, RDF.type)
                    if t not in (OWL.NamedIndividual, SKOS.Concept)
                ),
                documented,
            ),
        )
        _add(term, "Broader", _links(ontology.objects(concept, SKOS.broader), documented))
        _add(term, "Narrower", _links(ontology.subjects(SKOS.broader, concept), documented))
        for name, prop in (
            ("Exact match", SKOS.exactMatch),
            ("Close match", SKOS.closeMatch),
            ("Related match", SKOS.relatedMatch),
            ("Precedes", CKG.precedes),
        ):
            _add(term, name, _links(ontology.objects(concept, prop), documented))
        concepts.append(term)
    return head, concepts


def _header(ontology: Graph) -> dict[str, object]:
    onto = next(iter(ontology.subjects(RDF.type, OWL.Ontology)), None)
    if onto is None:
        return {"title": "clusterkg ontology", "iri": "", "facts": []}
    facts = []
    for name, prop in (
        ("Version", OWL.versionInfo),
        ("Version IRI", OWL.versionIRI),
        ("Licence", DCTERMS.license),
        ("Creators", DCTERMS.creator),
        ("Description", DCTERMS.description),
    ):
        values = sorted(str(v) for v in ontology.objects(onto, prop))
        if values:
            facts.append((name, ", ".join(values)))
    title = next((str(t) for t in ontology.objects(onto, DCTERMS.title)), _label(ontology, onto))
    return {"title": title, "iri": str(onto), "facts": facts}


# --------------------------------------------------------------------------- class expressions


def _manchester(ontology: Graph, node: Node) -> str:
    """A short, readable rendering of an OWL class or property expression."""
    if isinstance(node, URIRef):
        return _short(node)
    if isinstance(node, Literal):
        return (
            str(node).lower()
            if node.datatype and node.datatype.endswith("boolean")
            else f'"{node}"'
        )
    inverse = ontology.value(node, OWL.inverseOf)
    if inverse is not None:
        return f"inverse({_short(inverse)})"
    prop = ontology.value(node, OWL.onProperty)
    if prop is not None:
        p = _manchester(ontology, prop)
        for key, word in (
            (OWL.someValuesFrom, "some"),
            (OWL.allValuesFrom, "only"),
            (OWL.hasValue, "value"),
        ):
            target = ontology.value(node, key)
            if target is not None:
                return f"({p} {word} {_manchester(ontology, target)})"
    for key, word in ((OWL.intersectionOf, " and "), (OWL.unionOf, " or ")):
        members = ontology.value(node, key)
        if members is not None:
            return "(" + word.join(_manchester(ontology, m) for m in ontology.items(members)) + ")"
    members = ontology.value(node, OWL.oneOf)
    if members is not None:
        return "{" + ", ".join(_manchester(ontology, m) for m in ontology.items(members)) + "}"
    complement = ontology.value(node, OWL.complementOf)
    if complement is not None:
        return f"not {_manchester(ontology, complement)}"
    return "[anonymous expression]"
