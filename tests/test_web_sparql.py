"""The SPARQL endpoint: protocol forms, formats by negotiation, descriptions, refusals."""

from __future__ import annotations

import csv
import io
import json
from xml.etree import ElementTree

import pyoxigraph as ox
import pytest
import requests
from flask.testing import FlaskClient

from clusterkg.config import Settings
from tests.conftest import OxigraphServer
from tests.fixtures.web import support
from tests.fixtures.web.support import BROWSER, CKG, CKR, RUNAWAY, TOKEN, make_app

# The shared fixtures (a built store of tests/fixtures/web and an app over it).
client, web_app, web_settings = support.client, support.web_app, support.web_settings

SELECT = "SELECT ?c ?label WHERE { ?c a ckg:Cluster ; rdfs:label ?label } ORDER BY ?label"
ASK = f"ASK {{ <{CKR}sinos-valley> ckg:exhibits ?x }}"
CONSTRUCT = f"CONSTRUCT {{ <{CKR}sinos-valley> ?p ?o }} WHERE {{ <{CKR}sinos-valley> ?p ?o }}"
SRX = "{http://www.w3.org/2005/sparql-results#}"


def labels_json(data: bytes) -> list[str]:
    return [b["label"]["value"] for b in json.loads(data)["results"]["bindings"]]


def test_get_post_form_and_post_direct_agree(client: FlaskClient) -> None:
    get = client.get("/sparql", query_string={"query": SELECT})
    form = client.post("/sparql", data={"query": SELECT})
    direct = client.post("/sparql", data=SELECT, content_type="application/sparql-query")
    assert get.status_code == form.status_code == direct.status_code == 200
    assert labels_json(get.data) == labels_json(form.data) == labels_json(direct.data)
    assert labels_json(get.data) == ["Sinos Valley", "Tiruppur knitwear cluster"]
    assert get.mimetype == "application/sparql-results+json"


@pytest.mark.parametrize(
    ("accept", "mimetype"),
    [
        ("application/sparql-results+json", "application/sparql-results+json"),
        ("application/sparql-results+xml", "application/sparql-results+xml"),
        ("text/csv", "text/csv"),
        ("text/tab-separated-values", "text/tab-separated-values"),
        ("application/json", "application/sparql-results+json"),
        ("*/*", "application/sparql-results+json"),
        ("text/csv;q=0.5, application/sparql-results+xml;q=0.9", "application/sparql-results+xml"),
        ("image/png, text/tab-separated-values;q=0.1", "text/tab-separated-values"),
    ],
)
def test_select_formats_by_accept(client: FlaskClient, accept: str, mimetype: str) -> None:
    response = client.get("/sparql", query_string={"query": SELECT}, headers={"Accept": accept})
    assert response.status_code == 200
    assert response.mimetype == mimetype
    assert "Accept" in response.headers["Vary"]
    text = response.data.decode()
    if mimetype == "text/csv":
        assert list(csv.reader(io.StringIO(text)))[1][1] == "Sinos Valley"
    elif mimetype == "text/tab-separated-values":
        assert text.splitlines()[0] == "?c\t?label"
        assert '"Sinos Valley"@en' in text
    elif mimetype.endswith("xml"):
        root = ElementTree.fromstring(response.data)
        assert len(root.findall(f"{SRX}results/{SRX}result")) == 2
    else:
        assert labels_json(response.data)[0] == "Sinos Valley"


@pytest.mark.parametrize("fmt", ["json", "xml", "csv", "tsv"])
def test_format_parameter_wins_over_accept(client: FlaskClient, fmt: str) -> None:
    response = client.get(
        "/sparql", query_string={"query": SELECT, "format": fmt}, headers={"Accept": "text/html"}
    )
    assert response.status_code == 200
    assert response.mimetype.endswith(fmt if fmt in ("json", "xml", "csv") else "values")


def test_download_link_is_an_attachment(client: FlaskClient) -> None:
    response = client.get("/sparql", query_string={"query": SELECT, "format": "csv", "download": 1})
    assert response.headers["Content-Disposition"] == 'attachment; filename="results.csv"'


@pytest.mark.parametrize(
    "accept", ["application/sparql-results+json", "application/sparql-results+xml"]
)
def test_ask(client: FlaskClient, accept: str) -> None:
    response = client.get("/sparql", query_string={"query": ASK}, headers={"Accept": accept})
    assert response.status_code == 200
    if accept.endswith("json"):
        assert json.loads(response.data)["boolean"] is True
    else:
        assert ElementTree.fromstring(response.data).find(f"{SRX}boolean").text == "true"


@pytest.mark.parametrize(
    ("accept", "rdf_format"),
    [
        ("text/turtle", ox.RdfFormat.TURTLE),
        ("application/n-triples", ox.RdfFormat.N_TRIPLES),
        ("application/ld+json", ox.RdfFormat.JSON_LD),
        ("application/rdf+xml", ox.RdfFormat.RDF_XML),
        ("*/*", ox.RdfFormat.TURTLE),
    ],
)
def test_construct_and_describe_formats(
    client: FlaskClient, accept: str, rdf_format: ox.RdfFormat
) -> None:
    for query in (CONSTRUCT, f"DESCRIBE <{CKR}sinos-valley>"):
        response = client.get("/sparql", query_string={"query": query}, headers={"Accept": accept})
        assert response.status_code == 200, response.data
        assert response.mimetype == rdf_format.media_type
        triples = list(ox.parse(response.data, format=rdf_format))
        assert any(t.object == ox.NamedNode(f"{CKR}brazil") for t in triples)


def test_nothing_acceptable_is_406(client: FlaskClient) -> None:
    for query in (SELECT, CONSTRUCT):
        response = client.get(
            "/sparql", query_string={"query": query}, headers={"Accept": "image/png"}
        )
        assert response.status_code == 406
    response = client.get("/sparql", query_string={"query": CONSTRUCT, "format": "csv"})
    assert response.status_code == 406


def test_browser_gets_an_html_table(client: FlaskClient) -> None:
    response = client.get("/sparql", query_string={"query": SELECT}, headers=BROWSER)
    assert response.mimetype == "text/html"
    assert b"Tiruppur knitwear cluster" in response.data
    assert b'href="/id/sinos-valley"' in response.data


def test_dataset_parameters(client: FlaskClient) -> None:
    query = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    only = client.get(
        "/sparql",
        query_string={
            "query": query,
            "default-graph-uri": "https://w3id.org/clusterkg/graph/inferred",
        },
    )
    assert json.loads(only.data)["results"]["bindings"][0]["n"]["value"] == "2"
    named = client.get(
        "/sparql",
        query_string={
            "query": "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }",
            "named-graph-uri": "https://w3id.org/clusterkg/graph/external",
        },
    )
    graphs = [b["g"]["value"] for b in json.loads(named.data)["results"]["bindings"]]
    assert graphs == ["https://w3id.org/clusterkg/graph/external"]


# -- descriptions ----------------------------------------------------------------------------

SD = "http://www.w3.org/ns/sparql-service-description#"
VOID = "http://rdfs.org/ns/void#"


@pytest.mark.parametrize(
    "rdf_format",
    [ox.RdfFormat.TURTLE, ox.RdfFormat.N_TRIPLES, ox.RdfFormat.JSON_LD, ox.RdfFormat.RDF_XML],
)
def test_service_description(client: FlaskClient, rdf_format: ox.RdfFormat) -> None:
    response = client.get("/sparql", headers={"Accept": rdf_format.media_type})
    assert response.status_code == 200
    assert response.mimetype == rdf_format.media_type
    triples = list(ox.parse(response.data, format=rdf_format))
    types = {t.object.value for t in triples if t.predicate.value.endswith("#type")}
    assert SD + "Service" in types
    preds = {t.predicate.value: t.object for t in triples}
    assert preds[SD + "endpoint"] == ox.NamedNode("http://localhost/sparql")
    assert preds["http://www.w3.org/2000/01/rdf-schema#seeAlso"].value.endswith("/.well-known/void")
    langs = {t.object.value for t in triples if t.predicate.value == SD + "supportedLanguage"}
    assert langs == {SD + "SPARQL11Query"}  # no Update: writes are off
    names = {t.object.value for t in triples if t.predicate.value == SD + "name"}
    assert "https://w3id.org/clusterkg/graph/alpha2001" in names


def test_service_description_for_a_browser_is_the_editor(client: FlaskClient) -> None:
    response = client.get("/sparql", headers=BROWSER)
    assert response.mimetype == "text/html"
    assert b"vendor/yasgui/yasgui.min.js" in response.data


def test_void_partitions(client: FlaskClient) -> None:
    response = client.get("/.well-known/void", headers={"Accept": "text/turtle"})
    assert response.status_code == 200
    store = ox.Store()
    store.load(response.data, format=ox.RdfFormat.TURTLE)
    rows = list(
        store.query(
            f"SELECT ?n WHERE {{ ?d <{VOID}classPartition> [ <{VOID}class> <{CKG}Cluster> ; "
            f"<{VOID}entities> ?n ] }}"
        )
    )
    assert [r["n"].value for r in rows] == ["2"]
    rows = list(
        store.query(
            f"SELECT ?n WHERE {{ ?d <{VOID}propertyPartition> [ <{VOID}property> <{CKG}tier> ; "
            f"<{VOID}triples> ?n ] }}"
        )
    )
    assert [r["n"].value for r in rows] == ["3"]
    assert bool(store.query(f"ASK {{ ?d <{VOID}sparqlEndpoint> <http://localhost/sparql> }}"))
    html = client.get("/.well-known/void", headers=BROWSER)
    assert html.mimetype == "text/html" and b"void:classPartition" in html.data


# -- CORS and headers ------------------------------------------------------------------------


def test_cors_for_read_only_use(client: FlaskClient) -> None:
    response = client.get(
        "/sparql", query_string={"query": ASK}, headers={"Origin": "https://x.org"}
    )
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "Access-Control-Allow-Credentials" not in response.headers
    assert "X-Clusterkg-Truncated" in response.headers["Access-Control-Expose-Headers"]
    preflight = client.options(
        "/sparql",
        headers={
            "Origin": "https://x.org",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    assert preflight.status_code == 200
    assert "POST" in preflight.headers["Access-Control-Allow-Methods"]
    assert "Authorization" not in preflight.headers["Access-Control-Allow-Headers"]


# -- refusals --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "update",
    [
        "INSERT DATA { <http://a> <http://b> <http://c> }",
        "LOAD <http://example.org/x.ttl>",
        "CLEAR ALL",
        "DROP GRAPH <https://w3id.org/clusterkg/graph/alpha2001>",
    ],
)
def test_updates_are_refused_by_default(client: FlaskClient, update: str) -> None:
    for response in (
        client.post("/sparql", data={"update": update}),
        client.post("/sparql", data=update, content_type="application/sparql-update"),
        client.post("/sparql", data={"query": update}),
    ):
        assert response.status_code == 403, response.data
        assert b"read-only" in response.data
    assert client.get("/sparql", query_string={"update": update}).status_code == 400
    count = client.get("/sparql", query_string={"query": "ASK { ?s ?p ?o }"})
    assert json.loads(count.data)["boolean"] is True


def test_a_token_alone_does_not_make_a_build_writable(web_settings: Settings) -> None:
    app = make_app(web_settings, write_token=TOKEN)
    response = app.test_client().post(
        "/sparql",
        data="CLEAR ALL",
        content_type="application/sparql-update",
        headers={"Authorization": f"Bearer {TOKEN}"},
    )
    assert response.status_code == 403


def test_service_outside_the_allowlist(client: FlaskClient) -> None:
    query = "SELECT * WHERE { SERVICE <http://evil.example/sparql> { ?s ?p ?o } }"
    response = client.get("/sparql", query_string={"query": query})
    assert response.status_code == 403
    assert b"allowlist" in response.data


def test_malformed_query_is_400_with_position(client: FlaskClient) -> None:
    response = client.get("/sparql", query_string={"query": "SELECT * WHERE {\n  ?s ?p }"})
    assert response.status_code == 400
    assert response.mimetype == "text/plain"
    assert b"line 2" in response.data and b"column" in response.data


def test_request_size_limits(web_settings: Settings) -> None:
    app = make_app(web_settings, max_request_bytes=2000)
    c = app.test_client()
    big = "ASK { ?s ?p ?o } #" + "x" * 5000
    assert c.post("/sparql", data=big, content_type="application/sparql-query").status_code == 413
    assert c.post("/sparql", data={"query": big}).status_code == 413
    assert c.get("/sparql", query_string={"query": big}).status_code == 413
    app.extensions["clusterkg"]["queries"].close()


def test_wrong_media_type_and_method(client: FlaskClient) -> None:
    assert client.post("/sparql", data="ASK {}", content_type="text/plain").status_code == 415
    assert client.put("/sparql", data="ASK {}").status_code == 405
    both = client.post("/sparql", data={"query": "ASK {}", "update": "CLEAR ALL"})
    assert both.status_code == 400
    empty = client.post("/sparql", data={"format": "json"})
    assert empty.status_code == 400


def test_runaway_query_gets_503_and_others_still_answer(web_settings: Settings) -> None:
    app = make_app(web_settings, query_timeout=1.5, query_workers=1)
    c = app.test_client()
    slow = c.get("/sparql", query_string={"query": RUNAWAY})
    assert slow.status_code == 503
    assert b"limit" in slow.data
    fast = c.get("/sparql", query_string={"query": ASK})
    assert fast.status_code == 200
    app.extensions["clusterkg"]["queries"].close()


def test_row_cap_is_announced(web_settings: Settings) -> None:
    app = make_app(web_settings, max_rows=3)
    c = app.test_client()
    response = c.get("/sparql", query_string={"query": "SELECT * WHERE { ?s ?p ?o }"})
    assert response.headers["X-Clusterkg-Row-Limit"] == "3"
    assert response.headers["X-Clusterkg-Truncated"] == "true"
    assert len(json.loads(response.data)["results"]["bindings"]) == 3
    page = c.get("/sparql", query_string={"query": "SELECT * WHERE { ?s ?p ?o }"}, headers=BROWSER)
    assert b"cut at 3 rows" in page.data
    small = c.get("/sparql", query_string={"query": ASK})
    assert "X-Clusterkg-Truncated" not in small.headers
    app.extensions["clusterkg"]["queries"].close()


@pytest.mark.remote
def test_write_path_forwards_to_a_remote_store(
    oxigraph_server: OxigraphServer, web_settings: Settings
) -> None:
    settings = web_settings.with_(store=oxigraph_server.query_url, write_token=TOKEN)
    app = make_app(settings)
    c = app.test_client()
    update = (
        "INSERT DATA { GRAPH <http://example.org/g> "
        "{ <http://example.org/s> <http://example.org/p> 7 } }"
    )
    refused = c.post("/sparql", data={"update": update})
    assert refused.status_code == 401
    done = c.post("/sparql", data={"update": update}, headers={"Authorization": f"Bearer {TOKEN}"})
    assert done.status_code == 200, done.data
    check = requests.get(
        oxigraph_server.query_url,
        params={"query": "ASK { GRAPH <http://example.org/g> { ?s ?p 7 } }"},
        headers={"Accept": "application/sparql-results+json"},
        timeout=10,
    )
    assert check.json()["boolean"] is True
    sd = c.get("/sparql", headers={"Accept": "application/n-triples"})
    assert b"SPARQL11Update" in sd.data
    app.extensions["clusterkg"]["queries"].close()
