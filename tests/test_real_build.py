"""The real ontology and data build: HermiT finds them consistent, pySHACL finds no violation,
and the reasoner's conclusions about the papers' cases are in the inferred graph."""

from __future__ import annotations

import json

import pytest

from clusterkg.config import Settings
from clusterkg.query import QueryService
from clusterkg.store import current_build


@pytest.mark.slow
def test_real_build_is_consistent_and_valid(real_built: Settings) -> None:
    build = current_build(real_built.store_dir)
    assert build is not None
    manifest = json.loads((build / "build.json").read_text())
    assert manifest["reasoner"] == "hermit"
    assert manifest["validator"] == "pyshacl"
    assert manifest["inferred"] > 1000
    graphs = manifest["triples"]
    for key in ("cho1995", "parklee1999", "mcnamara2005", "nadvi1995", "humphrey2001"):
        assert graphs[f"https://w3id.org/clusterkg/graph/{key}"] > 1000
    assert (build / "docs" / "index.html").exists()


@pytest.mark.slow
@pytest.mark.parametrize(
    ("entity", "cls"),
    [
        ("sinos-valley", "ClusterAtRiskOfLockIn"),
        ("sinos-valley", "CollectivelyEfficientCluster"),
        ("sinos-valley", "ShockResponsiveCluster"),
        ("gold-star-audio", "LeadFirmWithTieredNetwork"),
        ("gold-star-audio", "ChaebolAffiliate"),
    ],
)
def test_reasoner_conclusions_on_the_cases(
    real_queries: QueryService, entity: str, cls: str
) -> None:
    ask = f"ASK {{ GRAPH ckgr:inferred {{ ckr:{entity} a ckg:{cls} }} }}"
    _, answer = real_queries.execute(ask)
    assert json.loads(answer.body)["boolean"] is True, f"{entity} should be inferred a {cls}"
