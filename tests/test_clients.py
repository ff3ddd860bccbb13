"""Independent clients, unmodified, against a running ``clusterkg serve`` on 127.0.0.1.

- SPARQLWrapper (Python): SELECT, ASK, CONSTRUCT, DESCRIBE in JSON, XML, Turtle, GET and POST.
- roqet (rasqal): SELECT through the protocol (``-p``). roqet's protocol client only reads
  variable bindings (it sends ``Accept: application/sparql-results+xml`` for every query
  form), so ASK and CONSTRUCT are checked the way rasqal can: it fetches RDF from our server
  (an entity IRI, a CONSTRUCT answer as a link) by content negotiation and evaluates the ASK
  itself.
- rapper (raptor): dereferences entity IRIs, the Service Description and VoID, picking the
  parser from the Content-Type our server chose.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from SPARQLWrapper import JSON, TURTLE, XML, SPARQLWrapper

from tests.fixtures.web.support import CKG, CKR, LiveServer, build_web_fixture

CLUSTERS = f"SELECT ?c WHERE {{ ?c a <{CKG}Cluster> }} ORDER BY ?c"
EXPECTED = [f"{CKR}sinos-valley", f"{CKR}tiruppur-knitwear-cluster"]


def need(program: str) -> str:
    found = shutil.which(program)
    if not found:
        raise RuntimeError(
            f"{program} is missing: scripts/test installs it (raptor2-utils/rasqal-utils)"
        )
    return found


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    settings = build_web_fixture(tmp_path_factory.mktemp("clients"))
    live = LiveServer(settings)
    yield live
    live.stop()


def run(*args: str) -> str:
    result = subprocess.run(args, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stdout + result.stderr


# -- SPARQLWrapper ---------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_sparqlwrapper_select_json_and_xml(server: LiveServer, method: str) -> None:
    client = SPARQLWrapper(server.url + "/sparql")
    client.setMethod(method)
    client.setQuery(CLUSTERS)
    client.setReturnFormat(JSON)
    rows = client.query().convert()["results"]["bindings"]
    assert [r["c"]["value"] for r in rows] == EXPECTED
    client.setReturnFormat(XML)
    doc = client.query().convert()
    uris = [n.firstChild.data for n in doc.getElementsByTagName("uri")]
    assert uris == EXPECTED


def test_sparqlwrapper_ask(server: LiveServer) -> None:
    client = SPARQLWrapper(server.url + "/sparql")
    client.setQuery(f"ASK {{ <{CKR}sinos-valley> <{CKG}exhibits> ?x }}")
    client.setReturnFormat(JSON)
    assert client.query().convert()["boolean"] is True
    client.setReturnFormat(XML)
    doc = client.query().convert()
    assert doc.getElementsByTagName("boolean")[0].firstChild.data == "true"


def test_sparqlwrapper_construct_and_describe(server: LiveServer) -> None:
    client = SPARQLWrapper(server.url + "/sparql")
    client.setQuery(f"CONSTRUCT {{ ?c a <http://example.org/C> }} WHERE {{ ?c a <{CKG}Cluster> }}")
    client.setReturnFormat(TURTLE)
    text = client.query().convert().decode()
    assert "tiruppur-knitwear-cluster" in text
    client.setReturnFormat(XML)  # RDF/XML, parsed by SPARQLWrapper into an rdflib graph
    graph = client.query().convert()
    assert len(graph) == 2
    client.setQuery(f"DESCRIBE <{CKR}gold-star-audio>")
    client.setReturnFormat(TURTLE)
    assert b"Gold Star Audio" in client.query().convert()


# -- roqet (rasqal) ----------------------------------------------------------------------------


def test_roqet_select_through_the_protocol(server: LiveServer) -> None:
    out = run(need("roqet"), "-p", server.url + "/sparql", "-e", CLUSTERS)
    assert "Query returned 2 results" in out
    for iri in EXPECTED:
        assert f"uri<{iri}>" in out


def test_roqet_ask_over_a_dereferenced_entity(server: LiveServer) -> None:
    query = f"ASK {{ <{CKR}sinos-valley> <{CKG}locatedIn> <{CKR}brazil> }}"
    out = run(need("roqet"), "-D", server.url + "/id/sinos-valley", "-e", query)
    assert "boolean result: true" in out
    query = f"ASK {{ <{CKR}sinos-valley> <{CKG}locatedIn> <{CKR}india> }}"
    out = run(need("roqet"), "-D", server.url + "/id/sinos-valley", "-e", query)
    assert "boolean result: false" in out


def test_roqet_over_a_construct_answer(server: LiveServer) -> None:
    construct = f"CONSTRUCT {{ ?c a <http://example.org/C> }} WHERE {{ ?c a <{CKG}Cluster> }}"
    url = f"{server.url}/sparql?query={quote(construct)}"
    out = run(need("roqet"), "-D", url, "-e", "SELECT ?c WHERE { ?c a <http://example.org/C> }")
    assert "Query returned 2 results" in out


# -- rapper (raptor) ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/id/sinos-valley",
        "/def/Cluster",
        "/graph/alpha2001",
        "/work/schmitz-1995-collective-efficiency",
    ],
)
def test_rapper_dereferences_entities(server: LiveServer, path: str) -> None:
    out = run(need("rapper"), "-g", "-o", "ntriples", server.url + path)
    assert "rapper: Parsing returned" in out and " 0 triples" not in out


@pytest.mark.parametrize(
    ("parser", "accept"),
    [
        ("turtle", "text/turtle"),
        ("rdfxml", "application/rdf+xml"),
        ("ntriples", "application/n-triples"),
    ],
)
def test_rapper_with_each_parser(server: LiveServer, parser: str, accept: str) -> None:
    out = run(need("rapper"), "-i", parser, "-o", "ntriples", server.url + "/id/gold-star-audio")
    assert f"<{CKR}gold-star-audio> <http://www.w3.org/2000/01/rdf-schema#label>" in out


def test_rapper_reads_the_service_description_and_void(server: LiveServer) -> None:
    sd = run(need("rapper"), "-g", "-o", "ntriples", server.url + "/sparql")
    assert "sparql-service-description#Service" in sd
    void = run(need("rapper"), "-g", "-o", "ntriples", server.url + "/.well-known/void")
    assert "http://rdfs.org/ns/void#classPartition" in void


def test_rapper_reads_a_construct_answer(server: LiveServer, tmp_path: Path) -> None:
    construct = f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ ?s a <{CKG}SupplyRelation> ; ?p ?o }}"
    out = run(need("rapper"), "-g", "-c", f"{server.url}/sparql?query={quote(construct)}")
    assert "returned 18 triples" in out
