"""SHACL shapes and the validation module: each shape fails where it should, with a fix message."""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import BNode, Graph, Namespace, URIRef
from rdflib.namespace import RDF, SH

from clusterkg.validate import ValidationReport, load_shapes, validate

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "tests" / "fixtures" / "ontology"
CKR = Namespace("https://w3id.org/clusterkg/id/")
CKS = Namespace("https://w3id.org/clusterkg/shapes/")

V, W = "Violation", "Warning"
# (focus node, shape, constraint component, severity, fragment of the message)
EXPECTED = [
    (
        "f-obs-no-source",
        "FactProvenanceShape",
        "MinCountConstraintComponent",
        V,
        "needs ckg:statedIn",
    ),
    ("f-obs-no-source", "FactProvenanceShape", "MinCountConstraintComponent", V, "needs ckg:lines"),
    ("f-obs-bad-lines", "LinesPattern", "PatternConstraintComponent", V, "ckg:lines must be"),
    (
        "f-org-unsourced",
        "EntityProvenanceShape",
        "MinCountConstraintComponent",
        W,
        "No paper describes",
    ),
    ("f-org-bad-paper", "EntityProvenanceShape", "ClassConstraintComponent", V, "five ckr:paper-"),
    (
        "f-obs-second-hand",
        "SecondHandObservationShape",
        "OrConstraintComponent",
        W,
        "ckg:originalSource",
    ),
    ("f-flag-no-note", "QualityFlagShape", "OrConstraintComponent", V, "add ckg:qualityNote"),
    ("f-flag-bad", "QualityFlagShape", "ClassConstraintComponent", V, "ckg:flag-printed-error"),
    ("f-note-no-flag", "FlaggedWithoutTypeShape", "OrConstraintComponent", W, "no ckg:qualityFlag"),
    (
        "f-interpretation",
        "InterpretationShape",
        "OrConstraintComponent",
        W,
        "ckg:interpretationNote",
    ),
    (
        "f-interpretation-bad",
        "InterpretationShape",
        "DatatypeConstraintComponent",
        V,
        "single boolean",
    ),
    (
        "f-obs-string-value",
        "ObservationShape",
        "OrConstraintComponent",
        V,
        "xsd:decimal or xsd:integer",
    ),
    ("f-obs-no-unit", "ObservationShape", "MinCountConstraintComponent", V, "ckg:unit"),
    ("f-obs-no-period", "ObservationShape", "OrConstraintComponent", V, "needs a period"),
    ("f-obs-cell", "TableCellShape", "OrConstraintComponent", V, "ckg:rowLabel"),
    ("f-table", "StatisticalTableShape", "MaxCountConstraintComponent", W, "ckg:tableNumber"),
    ("f-unit", "ConceptShape", "MinCountConstraintComponent", V, "rdfs:label"),
    ("f-unit", "ConceptShape", "MinCountConstraintComponent", W, "skos:definition"),
    ("f-org-no-label", "LabelShape", "MinCountConstraintComponent", V, "needs an rdfs:label"),
    ("f-org-german", "LabelShape", "QualifiedMinCountConstraintComponent", W, "@en"),
    ("f-event-years", "YearShape", "PatternConstraintComponent", V, "between 1800 and 2030"),
    ("f-phase-years", "YearOrderShape", "SPARQLConstraintComponent", V, "later than ckg:endYear"),
    ("f-phase-string-year", "YearShape", "DatatypeConstraintComponent", V, "xsd:gYear"),
    (
        "f-org-bad-link",
        "ExternalLinkShape",
        "PatternConstraintComponent",
        V,
        "wikidata.org/entity/Q",
    ),
    ("f-city-unlinked", "ExternalLinkShape", "PatternConstraintComponent", V, "GeoNames number"),
    ("f-city-unlinked", "PlaceLinkShape", "OrConstraintComponent", W, "ckg:unlinkedReason"),
    ("f-cluster", "LocatedShape", "OrConstraintComponent", V, "points to a place node"),
    ("f-cluster", "ClusterShape", "MinCountConstraintComponent", W, "ckg:sector"),
    ("f-cluster-2", "SectorValueShape", "ClassConstraintComponent", V, "ckg:Sector concept"),
    ("f-population", "FirmPopulationShape", "OrConstraintComponent", V, "whole number"),
    ("paper-incomplete", "SourcePaperShape", "MinCountConstraintComponent", V, "ckg:lineCount"),
    ("f-plan", "PlanShape", "InConstraintComponent", W, '"planned"'),
    ("f-supply", "SupplyRelationShape", "MinCountConstraintComponent", V, "ckg:buyer"),
    (
        "f-supply",
        "SupplyRelationShape",
        "MinInclusiveConstraintComponent",
        V,
        "positive whole number",
    ),
    ("f-linkage", "ValueChainLinkageShape", "OrConstraintComponent", W, "buyer side"),
    ("f-linkage", "ValueChainLinkageShape", "DatatypeConstraintComponent", V, "one boolean"),
    ("f-ja", "JointActionShape", "OrConstraintComponent", V, "ckg:inCluster"),
    ("f-ja", "JointActionShape", "ClassConstraintComponent", V, "ckg:scope-bilateral"),
    ("f-upgrading", "UpgradingShape", "MinCountConstraintComponent", V, "ckg:upgradedEntity"),
    ("f-upgrading", "UpgradingShape", "MinCountConstraintComponent", W, "no ckg:upgradingType"),
    ("f-transfer", "KnowledgeTransferShape", "OrConstraintComponent", V, "ckg:transferFrom"),
    ("f-condition", "ConditionShape", "MinCountConstraintComponent", W, "ckg:exhibits"),
    ("f-finding", "FindingShape", "MinCountConstraintComponent", W, "ckg:evidenceFor"),
    ("f-finding", "FindingShape", "MinCountConstraintComponent", W, "rdfs:comment"),
    ("f-membership", "MembershipShape", "MinCountConstraintComponent", V, "org:member"),
]


def load_ontology() -> Graph:
    graph = Graph()
    for path in sorted((REPO / "ontology").glob("*.ttl")):
        graph.parse(path, format="turtle")
    return graph


@pytest.fixture(scope="module")
def ontology() -> Graph:
    return load_ontology()


@pytest.fixture(scope="module")
def shapes() -> Graph:
    return load_shapes(REPO)


@pytest.fixture(scope="module")
def failing(ontology: Graph, shapes: Graph) -> ValidationReport:
    data = Graph().parse(FIXTURES / "shapes-failing.ttl", format="turtle")
    return validate(data, shapes, ontology)


@pytest.mark.parametrize(
    ("node", "shape", "component", "severity", "fragment"),
    EXPECTED,
    ids=[f"{e[1]}-{e[0]}-{e[2].replace('ConstraintComponent', '')}" for e in EXPECTED],
)
def test_shape_fails_with_component_and_message(
    failing: ValidationReport, node: str, shape: str, component: str, severity: str, fragment: str
) -> None:
    matches = [
        r
        for r in failing.results
        if r.focus_node == CKR[node]
        and r.shape == CKS[shape]
        and r.component == component
        and r.severity == severity
        and fragment in r.message
    ]
    got = [
        (str(r.shape), r.component, r.severity, r.message[:60])
        for r in failing.results
        if r.focus_node == CKR[node]
    ]
    assert matches, f"no {severity} {component} from {shape} on {node}; got {got}"


def test_every_node_shape_has_a_failing_fixture(shapes: Graph) -> None:
    named = {s for s in shapes.subjects(RDF.type, SH.NodeShape) if isinstance(s, URIRef)}
    covered = {CKS[e[1]] for e in EXPECTED}
    assert named - covered == set()


def test_shapes_target_classes_only(shapes: Graph) -> None:
    for shape in shapes.subjects(RDF.type, SH.NodeShape):
        assert list(shapes.objects(shape, SH.targetClass)), f"{shape} has no sh:targetClass"
        for other in (SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf):
            assert not list(shapes.objects(shape, other))


def _property_shapes(shapes: Graph) -> set:
    return set(shapes.objects(None, SH.property)) | set(shapes.subjects(RDF.type, SH.PropertyShape))


def test_every_property_shape_has_message_and_deliberate_severity(shapes: Graph) -> None:
    for prop in _property_shapes(shapes):
        assert shapes.value(prop, SH.message) is not None, (
            f"property shape on {shapes.value(prop, SH.path)} has no sh:message"
        )
        assert shapes.value(prop, SH.severity) in (SH.Violation, SH.Warning), shapes.value(
            prop, SH.path
        )


def test_node_level_constraints_have_message_and_severity(shapes: Graph) -> None:
    for shape in shapes.subjects(RDF.type, SH.NodeShape):
        node_level = [
            p
            for p in (SH["or"], SH["and"], SH["not"], SH.sparql)
            if shapes.value(shape, p) is not None
        ]
        if node_level:
            assert shapes.value(shape, SH.message) is not None, shape
            assert shapes.value(shape, SH.severity) in (SH.Violation, SH.Warning), shape


def test_valid_fixture_conforms_without_warnings(ontology: Graph, shapes: Graph) -> None:
    data = Graph().parse(FIXTURES / "shapes-valid.ttl", format="turtle")
    report = validate(data, shapes, ontology)
    assert report.conforms, report.format_text()
    assert report.warnings == [], report.format_text()


def test_the_ontology_individuals_conform(ontology: Graph, shapes: Graph) -> None:
    """Units, measures and sectors in the ontology satisfy the shapes data files must meet."""
    report = validate(Graph(), shapes, ontology)
    assert report.conforms, report.format_text()


def test_report_fields_and_text(failing: ValidationReport) -> None:
    assert not failing.conforms
    assert failing.violations and failing.warnings
    assert all(r.severity == "Violation" for r in failing.violations)
    sourced = [r for r in failing.results if r.focus_node == CKR["f-obs-bad-lines"]]
    assert sourced and sourced[0].source == "ckr:paper-nadvi1995 lines L12"
    assert all(not isinstance(r.shape, BNode) for r in failing.results)
    text = failing.format_text()
    assert "does NOT conform" in text and "fix:" in text and "ckr:f-obs-no-unit" in text
    assert "[Warning]" not in failing.format_text(include_warnings=False)


def test_subclass_instances_reach_superclass_shapes(ontology: Graph, shapes: Graph) -> None:
    """A ckg:SmallFirm without a label is caught by the shape that targets ckg:Organization."""
    data = Graph().parse(
        data="""@prefix ckg: <https://w3id.org/clusterkg/def/> .
        @prefix ckr: <https://w3id.org/clusterkg/id/> .
        ckr:tiny a ckg:MicroEnterprise ; ckg:statedIn ckr:paper-cho1995 ; ckg:lines "7" .""",
        format="turtle",
    )
    report = validate(data, shapes, ontology)
    assert any(r.focus_node == CKR.tiny and r.shape == CKS.LabelShape for r in report.violations)
    without_ontology = validate(data, shapes)
    assert not any(r.focus_node == CKR.tiny for r in without_ontology.results)
