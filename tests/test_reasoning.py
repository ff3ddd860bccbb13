"""The HermiT reasoning module: every defined class and property axiom infers what it should.

The fixtures in tests/fixtures/ontology/ use the data patterns of docs/modelling.md; each
expected triple below names the pattern that triggers it.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from rdflib import BNode, Graph, Namespace, URIRef
from rdflib.namespace import OWL, RDF

from clusterkg.reason import InconsistencyError, infer

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "tests" / "fixtures" / "ontology"
CKG = Namespace("https://w3id.org/clusterkg/def/")
CKR = Namespace("https://w3id.org/clusterkg/id/")
ORG = Namespace("http://www.w3.org/ns/org#")

pytestmark = pytest.mark.slow

# (individual, defined class): the pattern in the fixture that must trigger the class.
EXPECTED_TYPES = [
    (CKR["t-first"], CKG.FirstTierSupplier),  # SupplyRelation to a LeadFirm (property chain)
    (CKR["t-first"], CKG.Supplier),
    (CKR["t-second"], CKG.SecondTierSupplier),  # suppliesTo a first-tier supplier
    (CKR["t-bnode-supplier"], CKG.FirstTierSupplier),  # blank-node SubcontractingRelation
    (CKR["t-lead"], CKG.LeadFirmWithTieredNetwork),  # supplier with a supplier
    (CKR["g-coop"], CKG.CooperativeFirm),  # memberOf a SupplierAssociation
    (CKR["g-member-via-node"], CKG.CooperativeFirm),  # org:Membership node (chain to memberOf)
    (CKR["g-affiliate"], CKG.ChaebolAffiliate),  # affiliateOf a Chaebol
    (CKR["g-japanese"], CKG.KeiretsuAffiliate),
    (CKR["c-cluster"], CKG.Exporter),  # exportsTo a place
    (CKR["c-cluster"], CKG.ExportingCluster),
    (CKR["c-cluster"], CKG.CollectivelyEfficientCluster),  # ExternalEconomy + JointAction
    (CKR["c-cluster"], CKG.InstitutionallySupportedCluster),  # supportedBy an Institution
    (CKR["c-cluster"], CKG.ShockResponsiveCluster),  # joint action respondsTo a Shock
    (CKR["c-cluster"], CKG.ShockAffectedCluster),  # a Shock affected it
    (CKR["c-cluster"], CKG.ClusterAtRiskOfLockIn),  # BuyerDependence + FunctionalNarrowing
    (CKR["c-cluster"], CKG.LockedInCluster),  # exhibits LockIn
    (CKR["c-cluster"], CKG.UpgradingCluster),  # upgradedEntity of an Upgrading
    (CKR["u-process"], CKG.ProcessUpgrading),
    (CKR["u-product"], CKG.ProductUpgrading),
    (CKR["u-functional"], CKG.FunctionalUpgrading),
    (CKR["u-intersectoral"], CKG.IntersectoralUpgrading),
    (CKR["u-markets"], CKG.NewMarketUpgrading),
    (CKR["c-ja"], CKG.MultilateralJointAction),
    (CKR["c-ja"], CKG.HorizontalJointAction),
    (CKR["c-ja-2"], CKG.BilateralJointAction),
    (CKR["c-ja-2"], CKG.VerticalJointAction),
    (CKR["k-vertical"], CKG.VerticalKnowledgeTransfer),
    (CKR["k-horizontal"], CKG.HorizontalKnowledgeTransfer),
    (CKR["k-horizontal"], CKG.TacitKnowledgeTransfer),
    (CKR["v-booleans"], CKG.QuasiHierarchicalLinkage),  # buyer specifies product and process
    (CKR["v-booleans"], CKG.CaptiveLinkage),
    (CKR["v-typed-qh"], CKG.QuasiHierarchicalLinkage),  # governanceType stated
    (CKR["v-captive"], CKG.CaptiveLinkage),
    (CKR["v-market"], CKG.ArmsLengthLinkage),
    (CKR["v-network"], CKG.NetworkLinkage),
    (CKR["v-modular"], CKG.ModularLinkage),
    (CKR["v-hierarchy"], CKG.HierarchicalLinkage),
    (CKR["q-obs"], CKG.QualityFlaggedFact),
]

# Inferred property values: chains, inverses, transitivity, sub-properties, value rules.
EXPECTED_VALUES = [
    (CKR["t-first"], CKG.suppliesTo, CKR["t-lead"]),  # chain from the SupplyRelation node
    (CKR["t-lead"], CKG.hasSupplier, CKR["t-first"]),  # inverse
    (CKR["t-bnode-supplier"], CKG.suppliesTo, CKR["t-lead"]),  # chain through a blank node
    (CKR["g-member-via-node"], CKG.memberOf, CKR["g-hyupryukhoe"]),  # chain from org:Membership
    (CKR["g-hyupryukhoe"], CKG.hasMember, CKR["g-coop"]),  # inverse of memberOf
    (CKR["g-affiliate"], CKG.memberOf, CKR["g-chaebol"]),  # affiliateOf is a sub-property
    (CKR["g-affiliate"], ORG.subOrganizationOf, CKR["g-chaebol"]),  # alignment to W3C ORG
    (CKR["g-chaebol"], CKG.hasAffiliate, CKR["g-affiliate"]),
    (CKR["p-region"], CKG.locatedIn, CKR["p-country"]),  # country is a sub-property
    (CKR["p-city"], CKG.locatedIn, CKR["p-country"]),  # transitivity
    (CKR["c-cluster"], CKG.locatedIn, CKR["p-country"]),
    (CKR["c-cluster"], CKG.hasJointAction, CKR["c-ja"]),  # inverse of inCluster
    (CKR["c-cluster"], CKG.upgradedIn, CKR["u-process"]),
    (CKR["c-cluster"], CKG.affectedBy, CKR["c-shock"]),
    (CKR["c-ee"], CKG.exhibitedBy, CKR["c-cluster"]),
    (CKR["c-cluster"], CKG.sellsTo, CKR["v-buyer"]),  # chain from the ValueChainLinkage node
    (CKR["v-booleans"], CKG.governanceType, CKG["governance-quasi-hierarchy"]),  # value rule
    (CKR["v-booleans"], CKG.governanceType, CKG["governance-captive"]),
    (CKR["u-asserted"], CKG.upgradingType, CKG["upgrading-product"]),  # asserted defined class
]

NOT_EXPECTED = [
    (CKR["n-supplier"], CKG.FirstTierSupplier),
    (CKR["n-cluster"], CKG.CollectivelyEfficientCluster),
    (CKR["n-cluster"], CKG.ClusterAtRiskOfLockIn),
    (CKR["n-linkage"], CKG.QuasiHierarchicalLinkage),
    (CKR["n-linkage"], CKG.CaptiveLinkage),
    (CKR["n-upgrading"], CKG.ProcessUpgrading),
    (CKR["n-firm"], CKG.UpgradingCluster),
    (CKR["n-firm"], CKG.ChaebolAffiliate),
    (CKR["n-ja"], CKG.MultilateralJointAction),
    (CKR["n-cluster2"], CKG.ShockResponsiveCluster),
]


def load_ontology() -> Graph:
    graph = Graph()
    for path in sorted((REPO / "ontology").glob("*.ttl")):
        graph.parse(path, format="turtle")
    return graph


def fixture(name: str) -> Graph:
    return Graph().parse(FIXTURES / name, format="turtle")


@pytest.fixture(scope="module")
def ontology() -> Graph:
    return load_ontology()


@pytest.fixture(scope="module")
def positive(ontology: Graph) -> tuple[Graph, Graph, float]:
    data = fixture("reasoning-positive.ttl")
    started = time.perf_counter()
    result = infer(ontology, data)
    return data, result, time.perf_counter() - started


@pytest.fixture(scope="module")
def negative(ontology: Graph) -> Graph:
    return infer(ontology, fixture("reasoning-negative.ttl"))


@pytest.mark.parametrize(
    ("individual", "cls"), EXPECTED_TYPES, ids=lambda x: str(x).rsplit("/", 1)[-1]
)
def test_defined_class_is_inferred(positive, individual: URIRef, cls: URIRef) -> None:
    _, result, _ = positive
    assert (individual, RDF.type, cls) in result


@pytest.mark.parametrize(
    "triple", EXPECTED_VALUES, ids=lambda t: "-".join(str(x).rsplit("/", 1)[-1] for x in t)
)
def test_property_value_is_inferred(positive, triple) -> None:
    _, result, _ = positive
    assert triple in result


@pytest.mark.parametrize(
    ("individual", "cls"), NOT_EXPECTED, ids=lambda x: str(x).rsplit("/", 1)[-1]
)
def test_near_miss_is_not_classified(negative: Graph, individual: URIRef, cls: URIRef) -> None:
    assert (individual, RDF.type, cls) not in negative


def test_every_defined_class_has_an_expected_inference(ontology: Graph) -> None:
    defined = {
        c
        for c, expr in ontology.subject_objects(OWL.equivalentClass)
        if isinstance(c, URIRef) and isinstance(expr, BNode)
    }
    assert len(defined) >= 12
    covered = {cls for _, cls in EXPECTED_TYPES}
    assert defined - covered == set(), (
        f"defined classes without a test: {sorted(defined - covered)}"
    )


def test_superclasses_are_materialised(positive) -> None:
    _, result, _ = positive
    first = CKR["t-first"]
    for cls in (
        CKG.Firm,
        CKG.Organization,
        CKG.Actor,
        URIRef("http://www.w3.org/ns/org#Organization"),
    ):
        assert (first, RDF.type, cls) in result
    assert (CKR["u-process"], RDF.type, CKG.Event) in result


def test_blank_node_results_use_the_callers_nodes(positive) -> None:
    data, result, _ = positive
    joint_actions = [s for s in data.subjects(RDF.type, CKG.JointAction) if isinstance(s, BNode)]
    assert len(joint_actions) == 1
    assert (joint_actions[0], RDF.type, CKG.MultilateralJointAction) in result


def test_only_new_triples_without_noise(positive, ontology: Graph) -> None:
    data, result, _ = positive
    for s, p, o in result:
        assert (s, p, o) not in data
        assert (s, p, o) not in ontology
        assert o not in (OWL.Thing, OWL.NamedIndividual, OWL.Nothing)
        for term in (s, p, o):
            assert not str(term).startswith("urn:clusterkg:"), (s, p, o)


def test_provenance_links_are_not_reasoned_over(ontology: Graph) -> None:
    data = Graph().parse(
        data="""
        @prefix ckg: <https://w3id.org/clusterkg/def/> .
        @prefix ckr: <https://w3id.org/clusterkg/id/> .
        ckr:f a ckg:Firm ; ckg:statedIn ckr:paper-cho1995 ; ckg:lines "12" .
        """,
        format="turtle",
    )
    result = infer(ontology, data)
    assert not list(
        result.triples((None, URIRef("http://www.w3.org/ns/prov#wasDerivedFrom"), None))
    )
    assert (CKR.f, RDF.type, CKG.Organization) in result


def test_deterministic(ontology: Graph, positive) -> None:
    data, first, _ = positive
    second = infer(ontology, data)
    assert sorted(first) == sorted(second)


def test_reasoning_time_on_fixture(positive) -> None:
    _, _, seconds = positive
    assert seconds < 60, f"reasoning on the small fixture took {seconds:.1f} s"


def test_disjoint_types_give_a_clear_report(ontology: Graph) -> None:
    with pytest.raises(InconsistencyError) as caught:
        infer(ontology, fixture("inconsistent-disjoint.ttl"))
    message = str(caught.value)
    assert "ckr:x-confused" in message
    assert "ckg:Cluster" in message and "ckg:Place" in message
    assert "paper-nadvi1995" in message and "12-14" in message  # where it comes from
    assert "Protégé" in message  # how to investigate
    assert CKR["x-confused"] in caught.value.individuals
    assert CKR["x-fine"] not in caught.value.individuals


def test_inferred_clash_is_found_by_bisection(ontology: Graph) -> None:
    with pytest.raises(InconsistencyError) as caught:
        infer(ontology, fixture("inconsistent-inferred.ttl"))
    assert CKR["y-cluster"] in caught.value.individuals
    assert CKR["y-place"] not in caught.value.individuals
    assert "ckr:y-cluster" in str(caught.value)
