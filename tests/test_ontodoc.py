"""The generated ontology documentation: every term has an anchor, its source, and escaped text."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

import pytest
from rdflib import Graph, Namespace, URIRef
from rdflib.namespace import OWL, RDF, SKOS

from clusterkg.ontodoc import render_ontology_docs

REPO = Path(__file__).resolve().parents[1]
CKG = Namespace("https://w3id.org/clusterkg/def/")
PREFIXES = """
@prefix ckg: <https://w3id.org/clusterkg/def/> .
@prefix ckr: <https://w3id.org/clusterkg/id/> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
"""


class _Anchors(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.hrefs: set[str] = set()
        self.scripts = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if "id" in values:
            self.ids.add(values["id"] or "")
        if tag == "a" and (values.get("href") or "").startswith("#"):
            self.hrefs.add(values["href"][1:])
        if tag == "script":
            self.scripts += 1


@pytest.fixture(scope="module")
def ontology() -> Graph:
    graph = Graph()
    for path in sorted((REPO / "ontology").glob("*.ttl")):
        graph.parse(path, format="turtle")
    return graph


@pytest.fixture(scope="module")
def page(ontology: Graph, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, _Anchors]:
    index = render_ontology_docs(ontology, tmp_path_factory.mktemp("docs"))
    assert index.name == "index.html"
    html = index.read_text(encoding="utf-8")
    parser = _Anchors()
    parser.feed(html)
    return html, parser


def test_every_term_has_an_anchor(ontology: Graph, page) -> None:
    _, anchors = page
    for kind in (
        OWL.Class,
        OWL.ObjectProperty,
        OWL.DatatypeProperty,
        OWL.AnnotationProperty,
        SKOS.Concept,
        SKOS.ConceptScheme,
    ):
        for term in ontology.subjects(RDF.type, kind):
            if isinstance(term, URIRef) and term.startswith(CKG):
                assert term[len(CKG) :] in anchors.ids, term


def test_internal_links_resolve(page) -> None:
    _, anchors = page
    assert anchors.hrefs - anchors.ids == set()


def test_term_details(page) -> None:
    html, _ = page
    section = html.split('id="FirstTierSupplier"', 1)[1].split("</section>", 1)[0]
    assert "first-tier supplier" in section
    assert "supplies a lead firm directly" in section  # definition
    assert "Cho (1995), lines" in section  # source paper and lines
    assert 'href="#Supplier"' in section  # superclass link
    assert "ckg:suppliesTo some ckg:LeadFirm" in section  # the definition, readable
    prop = html.split('id="supplier"', 1)[1].split("</section>", 1)[0]
    assert 'href="#SupplyRelation"' in prop  # domain
    assert "clusterkg contributors" in html and "4.0" in html  # header


def test_text_is_escaped(tmp_path: Path) -> None:
    graph = Graph().parse(
        data=PREFIXES
        + """ckg:Evil a owl:Class ; rdfs:label "<script>alert(1)</script>"@en ;
            skos:definition "a & b < c"@en .""",
        format="turtle",
    )
    html = render_ontology_docs(graph, tmp_path).read_text(encoding="utf-8")
    assert "<script>" not in html
    assert "&lt;script&gt;" in html and "a &amp; b &lt; c" in html


def test_writes_only_into_out_dir(ontology: Graph, tmp_path: Path) -> None:
    out = tmp_path / "nested" / "docs"
    index = render_ontology_docs(ontology, out)
    assert index.parent == out and sorted(p.name for p in out.iterdir()) == ["index.html"]
