"""The identity links in data/: unique, well-formed, documented, and complete by decision.

These run on the parsed files (rdflib), no build needed, so a bad link fails fast.
"""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path

import pytest
import rdflib
from rdflib.namespace import OWL

from clusterkg import link

REPO = Path(__file__).resolve().parents[1]
REFERENCE = REPO / "data" / "reference"


@pytest.fixture(scope="module")
def graph() -> rdflib.Graph:
    return link.load_graph(REPO)


@pytest.fixture(scope="module")
def found(graph: rdflib.Graph) -> dict[str, link.Entity]:
    return link.entities(graph)


def test_no_two_entities_share_an_external_id(graph: rdflib.Graph) -> None:
    holders: dict[str, set[str]] = defaultdict(set)
    for entity, target in link.external_links(graph):
        holders[target].add(entity)
    shared = {t: sorted(e) for t, e in holders.items() if len(e) > 1}
    assert not shared, f"one external ID, several entities (merge them or drop a link): {shared}"


def test_every_link_is_well_formed(graph: rdflib.Graph) -> None:
    bad = []
    for s, o in graph.subject_objects(OWL.sameAs):
        target = str(o)
        external = any(h in target for h in ("wikidata.org", "dbpedia.org", "geonames.org"))
        if external and not link.well_formed(target):
            bad.append((str(s), target))
    assert not bad, (
        "external links must be http://www.wikidata.org/entity/Q…, http://dbpedia.org/resource/…"
        f" or https://sws.geonames.org/NNN/: {bad}"
    )


def test_links_are_made_only_in_the_reference_graph() -> None:
    """Papers' graphs say what papers say; identity links are curated in data/reference/."""
    offenders = []
    for path in sorted((REPO / "data").rglob("*.ttl")):
        if path.parent.name in ("reference", "external"):
            continue
        g = rdflib.Graph().parse(path)
        if any(True for _ in g.triples((None, OWL.sameAs, None))):
            offenders.append(str(path.relative_to(REPO)))
    assert not offenders, f"owl:sameAs outside data/reference/: {offenders}"


def test_geonames_id_agrees_with_the_geonames_link(graph: rdflib.Graph) -> None:
    for entity, gid in graph.subject_objects(link.CKG.geonamesId):
        targets = {str(o) for o in graph.objects(entity, OWL.sameAs)}
        assert f"{link.GEONAMES}{gid}/" in targets, f"{entity}: geonamesId {gid} without its link"


def test_every_place_organisation_and_firm_is_linked_or_has_a_reason(
    found: dict[str, link.Entity],
) -> None:
    missing = sorted(e.curie for e in found.values() if not e.links and not e.unlinked_reason)
    assert not missing, (
        "link these (data/reference/links.ttl, or `clusterkg link`) or give a "
        f"ckg:unlinkedReason in data/reference/unlinked.ttl (populations: "
        f"`clusterkg link --mark-populations`): {missing}"
    )


def test_an_entity_is_not_both_linked_to_wikidata_and_reasoned_unlinked(
    found: dict[str, link.Entity],
) -> None:
    both = sorted(e.curie for e in found.values() if e.wikidata and e.unlinked_reason)
    assert not both, f"linked to Wikidata yet given an unlinked reason: {both}"


def test_reasons_are_english_text(graph: rdflib.Graph) -> None:
    for entity, reason in graph.subject_objects(link.CKG.unlinkedReason):
        assert isinstance(reason, rdflib.Literal) and reason.language == "en", entity
        assert len(str(reason)) > 20, f"{entity}: say why it is unlinked"


def test_every_curated_link_says_where_it_was_confirmed() -> None:
    """In links.ttl each linking statement follows a comment naming its source."""
    lines = (REFERENCE / "links.ttl").read_text("utf-8").splitlines()
    for i, line in enumerate(lines):
        if re.match(r"^ckr:\S+ owl:sameAs ", line):
            comment = lines[i - 1]
            assert comment.startswith("# ") and (
                "Wikidata" in comment or "GeoNames" in comment or "DBpedia" in comment
            ), f"links.ttl:{i + 1}: no confirmation comment above {line.split()[0]}"


def test_decision_records_are_complete(graph: rdflib.Graph) -> None:
    """Every ckg:LinkDecision says what, who, when, how; accepted ones carry their link."""
    for node in graph.subjects(link.RDF.type, link.CKG.LinkDecision):
        for prop in (
            link.CKG.linkSubject,
            link.CKG.linkTarget,
            link.CKG.decisionOutcome,
            link.CKG.matchMethod,
            link.PROV.wasAssociatedWith,
            link.PROV.endedAtTime,
        ):
            assert graph.value(node, prop) is not None, f"{node} lacks {prop}"
        if str(graph.value(node, link.CKG.decisionOutcome)) == "accepted":
            subject = graph.value(node, link.CKG.linkSubject)
            target = graph.value(node, link.CKG.linkTarget)
            assert (subject, OWL.sameAs, target) in graph, f"{node}: accepted but not linked"
