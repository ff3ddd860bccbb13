"""`clusterkg link`: proposals from a local Wikidata stand-in, review, and recorded decisions."""

from __future__ import annotations

from pathlib import Path

import pytest
import rdflib
from click.testing import CliRunner
from rdflib.namespace import OWL

from clusterkg import link
from clusterkg.cli import main
from clusterkg.federation import SparqlClient
from tests.conftest import free_port

pytestmark = pytest.mark.remote

ENTITIES = """\
@prefix ckg: <https://w3id.org/clusterkg/def/> .
@prefix ckr: <https://w3id.org/clusterkg/id/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
ckr:korea a ckg:Country ; rdfs:label "South Korea"@en .
ckr:busan a ckg:City ; rdfs:label "Busan"@en ; skos:altLabel "Pusan"@en ; ckg:country ckr:korea .
ckr:changwon a ckg:City ; rdfs:label "Changwon"@en ; ckg:country ckr:korea .
ckr:test-institute a ckg:ResearchInstitute ; rdfs:label "Test Machinery Institute (Korea)"@en ;
    skos:altLabel "TMI"@en ; ckg:country ckr:korea .
ckr:some-suppliers a ckg:FirmPopulation ; rdfs:label "Some local suppliers"@en .
"""
LINKS = """\
@prefix ckr: <https://w3id.org/clusterkg/id/> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
# Wikidata Q884: test fixture
ckr:korea owl:sameAs <http://www.wikidata.org/entity/Q884> .
"""
WD = "http://www.wikidata.org/entity/"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    reference = tmp_path / "data" / "reference"
    reference.mkdir(parents=True)
    (reference / "entities.ttl").write_text(ENTITIES)
    (reference / "links.ttl").write_text(LINKS)
    return tmp_path


def run(root: Path, endpoint: str, *args: str, stdin: str | None = None):  # type: ignore[no-untyped-def]
    env = {"CLUSTERKG_ROOT": str(root), "CLUSTERKG_WIKIDATA_ENDPOINT": endpoint}
    return CliRunner().invoke(main, ["link", *args], env=env, input=stdin)


def decisions(root: Path) -> rdflib.Graph:
    return rdflib.Graph().parse(root / link.DECISIONS_FILE)


def test_candidates_rank_by_label_then_type_then_country(
    project: Path, wikidata_endpoint: str
) -> None:
    found = link.entities(link.load_graph(project))
    client = SparqlClient(wikidata_endpoint, timeout=10)
    candidates = link.propose(
        found[link.ID + "changwon"], client, country_items=link.country_items(found)
    )
    assert [c.qid for c in candidates] == ["Q900000001", "Q900000003", "Q900000002"]
    best = candidates[0]
    assert best.score == 1.0
    assert best.reasons == ["exact English label", "type fits", "country agrees"]
    assert "country differs" in candidates[2].reasons
    assert best.geonames == ["1846326"]


def test_qualified_labels_and_aliases_are_tried(project: Path, wikidata_endpoint: str) -> None:
    found = link.entities(link.load_graph(project))
    client = SparqlClient(wikidata_endpoint, timeout=10)
    institute = link.propose(found[link.ID + "test-institute"], client)
    assert institute[0].qid == "Q900000004"  # "(Korea)" dropped to match Wikidata's label
    busan = link.propose(found[link.ID + "busan"], client)
    assert [c.qid for c in busan] == ["Q16520"]


def test_dry_run_shows_and_records_nothing(project: Path, wikidata_endpoint: str) -> None:
    result = run(project, wikidata_endpoint, "--dry-run")
    assert result.exit_code == 0, result.output
    assert "Q900000001" in result.output and "Q16520" in result.output
    assert "Some local suppliers" not in result.output  # populations are never proposed
    assert not (project / link.DECISIONS_FILE).exists()


def test_accepting_records_the_link_with_who_when_and_how(
    project: Path, wikidata_endpoint: str
) -> None:
    result = run(project, wikidata_endpoint, "ckr:changwon", "--agent", "tester", stdin="1\n")
    assert result.exit_code == 0, result.output
    g = decisions(project)
    changwon = rdflib.URIRef(link.ID + "changwon")
    assert (changwon, OWL.sameAs, rdflib.URIRef(WD + "Q900000001")) in g
    node = g.value(predicate=link.CKG.linkSubject, object=changwon)
    assert str(g.value(node, link.CKG.decisionOutcome)) == "accepted"
    assert "exact English label" in str(g.value(node, link.CKG.matchMethod))
    assert float(g.value(node, link.CKG.matchScore)) == 1.0
    assert str(g.value(node, link.PROV.used)) == wikidata_endpoint
    agent = g.value(node, link.PROV.wasAssociatedWith)
    assert str(g.value(agent, rdflib.RDFS.label)) == "tester"
    assert g.value(node, link.PROV.endedAtTime) is not None
    # The accepted entity is linked now, so the next run does not propose for it.
    again = run(project, wikidata_endpoint, "--dry-run")
    assert "Q900000001" not in again.output


def test_rejected_candidates_are_not_proposed_again(project: Path, wikidata_endpoint: str) -> None:
    result = run(project, wikidata_endpoint, "ckr:busan", "--agent", "tester", stdin="r\n")
    assert result.exit_code == 0, result.output
    g = decisions(project)
    busan = rdflib.URIRef(link.ID + "busan")
    assert (busan, OWL.sameAs, None) not in g
    node = g.value(predicate=link.CKG.linkTarget, object=rdflib.URIRef(WD + "Q16520"))
    assert str(g.value(node, link.CKG.decisionOutcome)) == "rejected"
    again = run(project, wikidata_endpoint, "--dry-run")
    assert "Q16520" not in again.output


def test_rule_based_acceptance_needs_a_clear_lead(project: Path, wikidata_endpoint: str) -> None:
    result = run(project, wikidata_endpoint, "--accept-above", "0.9", "--agent", "tester")
    assert result.exit_code == 0, result.output
    g = link.load_graph(project)
    linked = dict(link.external_links(g))
    assert linked[link.ID + "changwon"] == WD + "Q900000001"
    assert linked[link.ID + "busan"] == WD + "Q16520"
    assert linked[link.ID + "test-institute"] == WD + "Q900000004"
    methods = {str(m) for m in g.objects(None, link.CKG.matchMethod)}
    assert all("type fits" in m for m in methods)
    agents = {
        str(g.value(a, rdflib.RDFS.label)) for a in g.objects(None, link.PROV.wasAssociatedWith)
    }
    assert agents == {"tester (rule: score >= 0.9)"}


def test_an_unreachable_endpoint_is_a_clear_error(project: Path) -> None:
    down = f"http://127.0.0.1:{free_port()}/sparql"
    result = run(project, down, "--dry-run")
    assert result.exit_code == 1
    assert "cannot be reached" in result.output and down in result.output


def test_populations_get_the_standard_reason(project: Path) -> None:
    result = run(project, "http://127.0.0.1:9/unused", "--mark-populations")
    assert result.exit_code == 0, result.output
    found = link.entities(link.load_graph(project))
    assert "unnamed population" in (found[link.ID + "some-suppliers"].unlinked_reason or "")
