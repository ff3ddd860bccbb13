"""The ontology itself: it parses, has one header, and documents every term with its source."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS, SKOS

REPO = Path(__file__).resolve().parents[1]
ONTOLOGY_DIR = REPO / "ontology"
CKG = Namespace("https://w3id.org/clusterkg/def/")
CKR = Namespace("https://w3id.org/clusterkg/id/")
PAPER_LINES = {  # line counts of the five papers' plain-text copies (docs/modelling.md)
    CKR["paper-cho1995"]: 384,
    CKR["paper-parklee1999"]: 326,
    CKR["paper-mcnamara2005"]: 127,
    CKR["paper-nadvi1995"]: 2699,
    CKR["paper-humphrey2001"]: 355,
}
LINES = re.compile(r"^\d+(-\d+)?(,\d+(-\d+)?)*$")


@pytest.fixture(scope="module")
def ontology() -> Graph:
    graph = Graph()
    for path in sorted(ONTOLOGY_DIR.glob("*.ttl")):
        graph.parse(path, format="turtle")
    return graph


def ckg_terms(graph: Graph, *types: URIRef) -> list[URIRef]:
    return sorted(
        {
            s
            for t in types
            for s in graph.subjects(RDF.type, t)
            if isinstance(s, URIRef) and s.startswith(CKG)
        }
    )


@pytest.mark.parametrize("path", sorted(ONTOLOGY_DIR.glob("*.ttl")), ids=lambda p: p.name)
def test_each_module_parses(path: Path) -> None:
    assert len(Graph().parse(path, format="turtle")) > 0


def test_one_ontology_header(ontology: Graph) -> None:
    headers = list(ontology.subjects(RDF.type, OWL.Ontology))
    assert headers == [URIRef(str(CKG))]
    onto = headers[0]
    assert ontology.value(onto, OWL.versionInfo) is not None
    assert ontology.value(onto, DCTERMS.license) == URIRef(
        "https://creativecommons.org/licenses/by/4.0/"
    )
    assert Literal("clusterkg contributors") in set(ontology.objects(onto, DCTERMS.creator))


def test_every_class_and_property_is_documented(ontology: Graph) -> None:
    terms = ckg_terms(
        ontology, OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty
    )
    assert len(terms) > 200
    problems = []
    for term in terms:
        labels = [
            x for x in ontology.objects(term, RDFS.label) if getattr(x, "language", None) == "en"
        ]
        definitions = list(ontology.objects(term, SKOS.definition))
        sourced = (
            list(ontology.objects(term, CKG.definedFrom))
            or (term, CKG.infrastructureTerm, Literal(True)) in ontology
        )
        if not labels or not definitions or not sourced:
            problems.append(term)
    assert problems == []


def test_sources_name_a_paper_and_valid_lines(ontology: Graph) -> None:
    for term, node in ontology.subject_objects(CKG.definedFrom):
        assert isinstance(node, BNode)
        paper = ontology.value(node, CKG.statedIn)
        lines = str(ontology.value(node, CKG.lines))
        assert paper in PAPER_LINES, (term, paper)
        assert LINES.match(lines), (term, lines)
        for part in lines.split(","):
            bounds = [int(x) for x in part.split("-")]
            assert bounds == sorted(bounds), (term, lines)
            assert bounds[0] >= 1 and bounds[-1] <= PAPER_LINES[paper], (term, lines)


def test_most_terms_come_from_the_papers(ontology: Graph) -> None:
    terms = ckg_terms(ontology, OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty)
    infrastructure = [t for t in terms if (t, CKG.infrastructureTerm, Literal(True)) in ontology]
    assert len(infrastructure) < 0.1 * len(terms)


def test_concepts_are_documented_and_in_a_scheme(ontology: Graph) -> None:
    for concept in ckg_terms(ontology, SKOS.Concept):
        assert ontology.value(concept, RDFS.label) is not None, concept
        assert ontology.value(concept, SKOS.definition) is not None, concept
        scheme = ontology.value(concept, SKOS.inScheme)
        assert (scheme, RDF.type, SKOS.ConceptScheme) in ontology, concept


def modelling_terms() -> set[str]:
    """Every ckg: term docs/modelling.md names: explicit ckg:x, and bare `Term` in 'Core terms'."""
    text = (REPO / "docs" / "modelling.md").read_text(encoding="utf-8")
    names = set(re.findall(r"ckg:([A-Za-z][\w-]*)", text))
    core = text.split("## Core terms", 1)[1].split("## Bibliographic", 1)[0]
    names |= {t for t in re.findall(r"`([A-Za-z][A-Za-z]+)`", core)}
    names |= {t for t in re.findall(r"`([a-z]+(?:-[a-z0-9]+)+)`", core)}  # concept names
    # `employees` is named only to say it is NOT a property; `exactMatch` is skos:exactMatch.
    return names - {"employees", "exactMatch"}


def test_every_term_of_the_contract_exists(ontology: Graph) -> None:
    missing = sorted(n for n in modelling_terms() if (CKG[n], None, None) not in ontology)
    assert missing == [], (
        f"terms named in docs/modelling.md but missing from the ontology: {missing}"
    )


def test_brief_units_exist(ontology: Graph) -> None:
    for unit in (
        "percent",
        "firms",
        "persons",
        "usd",
        "usd-million",
        "usd-billion",
        "krw-billion",
        "krw-million",
        "index-points",
        "pairs",
        "year",
        "ratio",
        "count",
    ):
        assert (CKG[f"unit-{unit}"], RDF.type, CKG.Unit) in ontology


def test_governance_typologies_are_mapped(ontology: Graph) -> None:
    hs = set(ontology.subjects(SKOS.inScheme, CKG["governance-hs2000"]))
    ghs = set(ontology.subjects(SKOS.inScheme, CKG["governance-ghs2005"]))
    assert len(hs) == 4 and len(ghs) == 5
    for concept in hs:
        matches = {
            o for p in (SKOS.exactMatch, SKOS.closeMatch) for o in ontology.objects(concept, p)
        }
        assert matches & ghs, f"{concept} has no mapping to the five-type typology"


def test_defined_classes(ontology: Graph) -> None:
    defined = {c for c, e in ontology.subject_objects(OWL.equivalentClass) if isinstance(e, BNode)}
    assert len(defined) >= 12


def test_external_terms_are_declared(ontology: Graph) -> None:
    """Every non-ckg class or property used in an axiom is declared, so HermiT needs no imports."""
    declared = set(ontology.subjects(RDF.type, None))
    for p in (RDFS.subClassOf, RDFS.subPropertyOf, OWL.equivalentClass):
        for _, o in ontology.subject_objects(p):
            if isinstance(o, URIRef) and not o.startswith(str(OWL)):
                assert o in declared, o


def test_property_chains_and_inverses(ontology: Graph) -> None:
    assert (CKG.suppliesTo, OWL.inverseOf, CKG.hasSupplier) in ontology
    assert (CKG.hasJointAction, OWL.inverseOf, CKG.inCluster) in ontology
    assert (CKG.hasMember, OWL.inverseOf, CKG.memberOf) in ontology
    for prop in (CKG.locatedIn, CKG.partOf):
        assert (prop, RDF.type, OWL.TransitiveProperty) in ontology
    chain = ontology.value(CKG.suppliesTo, OWL.propertyChainAxiom)
    steps = list(ontology.items(chain))
    assert ontology.value(steps[0], OWL.inverseOf) == CKG.supplier and steps[1] == CKG.buyer


def test_labels_are_unique_within_kind(ontology: Graph) -> None:
    for kind in (OWL.Class, OWL.ObjectProperty):
        labels = [str(ontology.value(t, RDFS.label)) for t in ckg_terms(ontology, kind)]
        duplicates = {x for x in labels if labels.count(x) > 1}
        assert duplicates == set(), duplicates
