"""One contract, two stores: the same tests run on the embedded store and on a real Oxigraph
server reached through the SPARQL 1.1 Protocol."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest

from clusterkg.store import EmbeddedStore, RemoteStore, Store, StoreError
from tests.conftest import OxigraphServer

G1 = "https://w3id.org/clusterkg/graph/test-one"
G2 = "https://w3id.org/clusterkg/graph/test-two"

TURTLE = b"""
@prefix ckr: <https://w3id.org/clusterkg/id/> .
@prefix ckg: <https://w3id.org/clusterkg/def/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
ckr:sinos-valley a ckg:Cluster ; rdfs:label "Sinos Valley"@en, "Vale do Sinos"@pt .
ckr:tiruppur a ckg:Cluster ; rdfs:label "Tiruppur"@en ; ckg:firms 4000 .
"""
MORE = b"""
@prefix ckr: <https://w3id.org/clusterkg/id/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
ckr:sinos-valley rdfs:comment "footwear"@en .
"""


@pytest.fixture(params=["embedded", "remote"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    if request.param == "embedded":
        s: Store = EmbeddedStore(tmp_path / "embedded")
        yield s
        s.close()
    else:
        server = OxigraphServer(tmp_path / "remote")
        s = RemoteStore(server.query_url, server.update_url, server.gsp_url, timeout=10)
        yield s
        s.close()
        server.stop()


@pytest.fixture
def loaded(store: Store) -> Store:
    store.load(TURTLE, ox.RdfFormat.TURTLE, G1)
    store.load(MORE, ox.RdfFormat.TURTLE, G2)
    return store


def test_load_counts_per_graph(loaded: Store) -> None:
    assert loaded.count(G1) == 6
    assert loaded.count(G2) == 1
    assert loaded.count() == 7
    assert set(loaded.graphs()) >= {G1, G2}


def test_select_sees_the_union_of_graphs(loaded: Store) -> None:
    result = loaded.query(
        "SELECT ?label ?comment WHERE { ckr:sinos-valley rdfs:label ?label ; rdfs:comment ?comment "
        "FILTER(lang(?label) = 'en') }"
    )
    rows = result.to_dicts()
    assert result.variables == ["label", "comment"]
    assert rows == [
        {
            "label": ox.Literal("Sinos Valley", language="en"),
            "comment": ox.Literal("footwear", language="en"),
        }
    ]


def test_select_on_one_default_graph(loaded: Store) -> None:
    result = loaded.query("SELECT ?c WHERE { ?s rdfs:comment ?c }", default_graphs=[G1])
    assert result.to_dicts() == []
    result = loaded.query("SELECT ?c WHERE { ?s rdfs:comment ?c }", default_graphs=[G2])
    assert len(result.to_dicts()) == 1


def test_typed_literals_survive(loaded: Store) -> None:
    rows = loaded.query("SELECT ?n WHERE { ckr:tiruppur ckg:firms ?n }").to_dicts()
    assert rows[0]["n"] == ox.Literal(
        "4000", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer")
    )


def test_ask_and_construct(loaded: Store) -> None:
    assert loaded.query("ASK { ckr:tiruppur a ckg:Cluster }").boolean is True
    assert loaded.query("ASK { ckr:tiruppur a ckg:Firm }").boolean is False
    result = loaded.query("CONSTRUCT { ?s a ?c } WHERE { ?s a ?c }")
    assert result.kind == "graph"
    assert len(list(result.triples)) == 2


def test_graph_keyword_and_drop(loaded: Store) -> None:
    rows = loaded.query("SELECT ?g WHERE { GRAPH ?g { ?s rdfs:comment ?c } }").to_dicts()
    assert rows == [{"g": ox.NamedNode(G2)}]
    loaded.drop_graph(G2)
    assert loaded.count(G2) == 0
    assert loaded.count(G1) == 6


def test_dump_round_trips(loaded: Store, tmp_path: Path) -> None:
    data = loaded.dump(ox.RdfFormat.N_QUADS)
    quads = list(ox.parse(data, format=ox.RdfFormat.N_QUADS))
    assert len(quads) == 7
    assert {q.graph_name.value for q in quads} == {G1, G2}


def test_insert_data_path_without_graph_store(tmp_path: Path) -> None:
    """Servers without the Graph Store Protocol get SPARQL Update INSERT DATA instead."""
    server = OxigraphServer(tmp_path / "no-gsp")
    try:
        store = RemoteStore(server.query_url, server.update_url, gsp_url=None, timeout=10)
        store.chunk_triples = 2  # several INSERT DATA requests
        store.load(TURTLE, ox.RdfFormat.TURTLE, G1)
        assert store.count(G1) == 6
    finally:
        server.stop()


def test_bad_query_is_a_syntax_error(store: Store) -> None:
    with pytest.raises(SyntaxError):
        store.query("SELECT * WHERE { ?s ?p }")


def test_unreachable_remote_store_says_so() -> None:
    store = RemoteStore("http://127.0.0.1:9/query", timeout=2)
    with pytest.raises(StoreError, match="cannot reach"):
        store.query("ASK {}")


def test_read_only_store_needs_a_build(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="clusterkg build"):
        EmbeddedStore(tmp_path / "nothing", read_only=True)
