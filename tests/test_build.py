"""The build publishes only what passed every step; a failure names what to fix and leaves
the served store as it was."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from clusterkg.build import BuildError, run_build
from clusterkg.config import Settings
from clusterkg.store import current_build
from clusterkg.web import create_app

COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"


def served_count(app) -> int:  # type: ignore[no-untyped-def]
    response = app.test_client().get("/sparql", query_string={"query": COUNT})
    assert response.status_code == 200, response.text
    return int(response.get_json()["results"]["bindings"][0]["n"]["value"])


@pytest.mark.slow
def test_build_publishes_asserted_and_inferred_graphs(mini_built: Settings) -> None:
    build = current_build(mini_built.store_dir)
    assert build is not None
    manifest = json.loads((build / "build.json").read_text())
    graphs = manifest["triples"]
    assert graphs["https://w3id.org/clusterkg/graph/demo"] == 9
    assert manifest["inferred"] > 0
    assert set(manifest["seconds"]) >= {"load", "reason", "validate", "publish"}


@pytest.mark.slow
def test_reasoner_output_is_in_its_own_graph(mini_built: Settings) -> None:
    app = create_app(mini_built)
    query = (
        "ASK { GRAPH ckgr:inferred { ckr:demo-supplier a ckg:FirstTierSupplier } "
        "ckgr:inferred a ckg:InferredGraph }"
    )
    response = app.test_client().get("/sparql", query_string={"query": query})
    assert response.get_json()["boolean"] is True


@pytest.mark.slow
def test_bad_turtle_names_file_and_line_and_keeps_the_served_store(mini_built: Settings) -> None:
    app = create_app(mini_built)
    before_build = current_build(mini_built.store_dir)
    before = served_count(app)
    broken = mini_built.root / "data" / "demo" / "broken.ttl"
    broken.write_text(
        "@prefix ckr: <https://w3id.org/clusterkg/id/> .\n"
        "ckr:a ckr:b ckr:c .\n"
        'ckr:a ckr:b "unclosed .\n'
    )
    with pytest.raises(BuildError) as caught:
        run_build(mini_built, docs=False)
    assert caught.value.step == "load"
    assert "data/demo/broken.ttl:3" in str(caught.value)
    assert current_build(mini_built.store_dir) == before_build
    assert served_count(app) == before
    builds = list((mini_built.store_dir / "builds").iterdir())
    assert builds == [before_build], "the failed build's directory must be removed"


@pytest.mark.slow
def test_shacl_violation_names_node_rule_and_file(mini_built: Settings) -> None:
    app = create_app(mini_built)
    before_build = current_build(mini_built.store_dir)
    before = served_count(app)
    bad = mini_built.root / "data" / "demo" / "unsourced.ttl"
    bad.write_text(
        "@prefix ckg: <https://w3id.org/clusterkg/def/> .\n"
        "@prefix ckr: <https://w3id.org/clusterkg/id/> .\n"
        "ckr:mystery-firm a ckg:Firm .\n"
    )
    with pytest.raises(BuildError) as caught:
        run_build(mini_built, docs=False)
    message = str(caught.value)
    assert caught.value.step == "validate"
    assert "https://w3id.org/clusterkg/id/mystery-firm" in message
    assert "MinCount" in message
    assert "data/demo/unsourced.ttl" in message
    assert "add ckg:statedIn" in message
    assert current_build(mini_built.store_dir) == before_build
    assert served_count(app) == before


@pytest.mark.slow
def test_new_build_is_served_without_restart(mini_built: Settings) -> None:
    app = create_app(mini_built)
    before = served_count(app)
    extra = mini_built.root / "data" / "demo" / "extra.ttl"
    extra.write_text(
        "@prefix ckg: <https://w3id.org/clusterkg/def/> .\n"
        "@prefix ckr: <https://w3id.org/clusterkg/id/> .\n"
        "ckr:demo-lead ckg:memberOf ckr:demo-association .\n"
    )
    run_build(mini_built, docs=False)
    assert served_count(app) == before + 1


def test_empty_tree_fails_clearly(tmp_path: Path) -> None:
    settings = Settings(root=tmp_path, var_dir=tmp_path / "var")
    with pytest.raises(BuildError, match="no ontology or data files"):
        run_build(settings)
