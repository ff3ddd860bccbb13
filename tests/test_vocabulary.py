"""Data and queries use only terms the ontology defines: a typo in a property name would
otherwise silently create a new, unqueried property."""

from __future__ import annotations

from collections import Counter

import pyoxigraph as ox

from clusterkg.sources import DEF, ONTOLOGY_GRAPH, discover
from tests.conftest import REPO


def _terms_used_and_defined() -> tuple[Counter[str], set[str]]:
    used: Counter[str] = Counter()
    defined: set[str] = set()
    for source in discover(REPO):
        for quad in ox.parse(path=str(source.path), format=source.format):
            terms = (quad.subject, quad.predicate, quad.object)
            if source.graph == ONTOLOGY_GRAPH:
                if isinstance(quad.subject, ox.NamedNode):
                    defined.add(quad.subject.value)
                continue
            for term in terms:
                if isinstance(term, ox.NamedNode) and term.value.startswith(DEF):
                    used[term.value] += 1
    return used, defined


def test_every_ckg_term_in_the_data_is_defined_in_the_ontology() -> None:
    used, defined = _terms_used_and_defined()
    missing = sorted(t.removeprefix(DEF) for t in used if t not in defined)
    assert missing == [], f"ckg: terms used in data/ but not defined in ontology/: {missing}"
