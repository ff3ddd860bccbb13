"""The W3C SPARQL 1.1 Protocol test suite, replayed against /sparql (Flask test client).

One case per manifest entry, read with rdflib from tests/fixtures/w3c/. Query tests run on
a read-only published build holding the ``ut:graphData`` files in the graphs they label;
update tests on a writable store with the authenticated write path enabled; ``bad_*`` tests
on both (a server must refuse them whether or not it takes writes).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree import ElementTree

import pytest
from flask import Flask
from rdflib import Graph, Namespace
from rdflib.collection import Collection
from rdflib.namespace import RDFS

from clusterkg.config import Settings
from clusterkg.web import create_app
from tests.fixtures.web.support import TOKEN, build_store

SUITE = Path(__file__).parent / "fixtures" / "w3c" / "sparql11-protocol"
MF = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
HT = Namespace("http://www.w3.org/2011/http#")
CNT = Namespace("http://www.w3.org/2011/content#")
UT = Namespace("http://www.w3.org/2009/sparql/tests/test-update#")
HTS = Namespace("http://www.w3.org/2011/http-statusCodes#")

BOOLEAN_TYPES = ("application/sparql-results+json", "application/sparql-results+xml")
TABULAR_TYPES = (*BOOLEAN_TYPES, "text/csv", "text/tab-separated-values")
RDF_TYPES = (
    "text/turtle",
    "application/n-triples",
    "application/rdf+xml",
    "application/ld+json",
    "application/n-quads",
)


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes | None
    statuses: set[str]
    fmt: str | None
    boolean: bool | None


@dataclass
class ProtocolTest:
    name: str
    requests: list[Request]
    graph_data: dict[str, Path] = field(default_factory=dict)


def _load_manifest() -> list[ProtocolTest]:
    g = Graph()
    g.parse(SUITE / "manifest.ttl", format="turtle", publicID=SUITE.as_uri() + "/manifest.ttl")
    manifest = next(g.subjects(MF.entries, None))
    tests = []
    for entry in Collection(g, g.value(manifest, MF.entries)):
        name = str(entry).rsplit("#", 1)[-1]
        action = g.value(entry, MF.action)
        requests = []
        for req in Collection(g, g.value(action, HT.requests)):
            headers = {}
            header_list = g.value(req, HT.headers)
            if header_list is not None:
                for h in Collection(g, header_list):
                    headers[str(g.value(h, HT.fieldName))] = str(g.value(h, HT.fieldValue))
            body_node = g.value(req, HT.body)
            body = None
            if body_node is not None:
                encoding = str(g.value(body_node, CNT.characterEncoding) or "UTF-8")
                body = str(g.value(body_node, CNT.chars)).encode(encoding.lower())
            resp = g.value(req, HT.resp)
            statuses = {str(s).rsplit("#", 1)[-1] for s in g.objects(resp, MF.expectedStatus)}
            fmt = g.value(resp, MF.expectedFormat)
            boolean = g.value(resp, MF.expectedBoolean)
            path = str(g.value(req, HT.absolutePath)).replace("/sparql/", "/sparql", 1)
            requests.append(
                Request(
                    str(g.value(req, HT.methodName)),
                    path,
                    headers,
                    body,
                    statuses,
                    str(fmt) if fmt is not None else None,
                    boolean.toPython() if boolean is not None else None,
                )
            )
        data = {
            str(g.value(d, RDFS.label)): Path(str(g.value(d, UT.graph)).removeprefix("file://"))
            for d in g.objects(entry, UT.graphData)
        }
        tests.append(ProtocolTest(name, requests, data))
    return tests


TESTS = _load_manifest()


@pytest.fixture(scope="module")
def readonly_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """A published build with every graphData file in the graph its label names."""
    tmp = tmp_path_factory.mktemp("w3c-ro")
    graphs: dict[str, Path] = {}
    for test in TESTS:
        graphs.update(test.graph_data)
    build_store(tmp / "store", {g: SUITE / p.name for g, p in graphs.items()})
    settings = Settings(root=tmp, var_dir=tmp, store=str(tmp / "store"), query_workers=1)
    app = create_app(settings)
    yield app
    app.extensions["clusterkg"]["queries"].close()


@pytest.fixture(scope="module")
def writable_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """A writable store (one worker process owns it) with the write path enabled."""
    tmp = tmp_path_factory.mktemp("w3c-rw")
    settings = Settings(
        root=tmp,
        var_dir=tmp,
        store=str(tmp / "rw-store"),
        writable=True,
        write_token=TOKEN,
        query_workers=1,
    )
    app = create_app(settings)
    client = app.test_client()
    graphs: dict[str, Path] = {}
    for test in TESTS:
        graphs.update(test.graph_data)
    for graph, path in sorted(graphs.items()):
        data = (SUITE / path.name).read_text()
        response = client.post(
            "/sparql",
            data=f"INSERT DATA {{ GRAPH <{graph}> {{ {data} }} }}",
            headers={
                "Content-Type": "application/sparql-update",
                "Authorization": f"Bearer {TOKEN}",
            },
        )
        assert response.status_code == 200, response.data
    yield app
    app.extensions["clusterkg"]["queries"].close()


def _check(app: Flask, req: Request, token: str | None) -> None:
    headers = dict(req.headers)
    if token:
        headers["Authorization"] = f"Bearer {token}"
    content_type = headers.pop("content-type", None)
    response = app.test_client().open(
        req.path,
        method=req.method,
        data=req.body,
        headers=headers,
        content_type=content_type,
    )
    status = f"StatusCode{str(response.status_code)[0]}xx"
    assert status in req.statuses, (req.method, req.path, response.status_code, response.data)
    ctype = response.mimetype
    if req.fmt == "boolean":
        assert ctype in BOOLEAN_TYPES, ctype
    elif req.fmt == "tabular":
        assert ctype in TABULAR_TYPES, ctype
    elif req.fmt == "RDF":
        assert ctype in RDF_TYPES, ctype
    if req.boolean is not None:
        if ctype == "application/sparql-results+json":
            value = json.loads(response.data)["boolean"]
        else:
            node = ElementTree.fromstring(response.data).find(
                "{http://www.w3.org/2005/sparql-results#}boolean"
            )
            value = node is not None and node.text == "true"
        assert value is req.boolean, response.data


@pytest.mark.parametrize("test", TESTS, ids=[t.name for t in TESTS])
def test_protocol(test: ProtocolTest, readonly_app: Flask, writable_app: Flask) -> None:
    if test.name.startswith("update_"):
        for req in test.requests:
            _check(writable_app, req, TOKEN)
    elif test.name.startswith("bad_"):
        for req in test.requests:
            _check(readonly_app, req, None)
            _check(writable_app, req, TOKEN)
    else:
        for req in test.requests:
            _check(readonly_app, req, None)


def test_manifest_is_complete() -> None:
    """Every entry of the manifest became a case (34 in the W3C suite)."""
    assert len(TESTS) == 34
    assert {t.name for t in TESTS} >= {"query_post_form", "update_base_uri", "bad_query_syntax"}


def test_refused_update_on_a_read_only_server(readonly_app: Flask) -> None:
    response = readonly_app.test_client().post(
        "/sparql", data="CLEAR ALL", content_type="application/sparql-update"
    )
    assert response.status_code == 403
    assert b"read-only" in response.data


@pytest.mark.parametrize("token", [None, "wrong"])
def test_update_needs_the_token(writable_app: Flask, token: str | None) -> None:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = writable_app.test_client().post(
        "/sparql",
        data="INSERT DATA { <http://x/s> <http://x/p> 1 }",
        content_type="application/sparql-update",
        headers=headers,
    )
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
