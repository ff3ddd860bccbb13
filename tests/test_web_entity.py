"""Entity pages: every IRI dereferences, with labels, provenance and content negotiation."""

from __future__ import annotations

import json
import re

import pyoxigraph as ox
import pytest
from flask.testing import FlaskClient

from tests.fixtures.web import support
from tests.fixtures.web.support import BROWSER, CKR

# The shared fixtures (a built store of tests/fixtures/web and an app over it).
client, web_app, web_settings = support.client, support.web_app, support.web_settings


def page(client: FlaskClient, path: str) -> str:
    response = client.get(path, headers=BROWSER)
    assert response.status_code == 200, (path, response.status_code)
    assert response.mimetype == "text/html"
    assert "Accept" in response.headers["Vary"]
    return response.data.decode()


def test_entity_page_shows_facts_with_labels_and_provenance(client: FlaskClient) -> None:
    html = page(client, "/id/sinos-valley")
    assert "<h1>Sinos Valley</h1>" in html
    # labels rather than IRIs, each with the paper and lines beside it
    assert '<a href="/id/brazil" title="https://w3id.org/clusterkg/id/brazil">Brazil</a>' in html
    assert "Alpha, A. (2001) Clusters in the valley</a>, lines 10-20" in html
    # incoming facts with the fact node's own lines
    assert "Sinos Valley risks lock-in to one buyer group" in html
    assert "lines 40-45" in html
    # a type only in the inferred graph is marked
    assert re.search(r"Cluster at risk of lock-in</a> <span class=\"badge inferred\"", html)
    # external links are links; geometry (a blank node) is shown inline
    assert 'href="http://www.wikidata.org/entity/Q2031478" class="external"' in html
    assert "POINT(-51.1 -29.7)" in html


def test_inferred_fact_is_marked(client: FlaskClient) -> None:
    html = page(client, "/id/dongil-parts")
    item = re.search(
        r'<li class="inferred"><a href="/id/gold-star-audio"[^<]*>Gold Star Audio</a> '
        r'<span class="badge inferred"',
        html,
    )
    assert item, "suppliesTo from the inferred graph must be marked"
    asserted = re.search(r'<li class=""><a href="/id/gsa-supplier-association"', html)
    assert asserted, "an asserted fact is not marked"


def test_observations_table_and_chart(client: FlaskClient) -> None:
    html = page(client, "/id/gold-star-audio")
    assert 'id="observations"' in html
    assert "cooperative firms" in html
    for year, value in (("1988", "42"), ("1989", "55"), ("1990", "61")):
        assert f"<td>{year}</td>" in html and f">{value}</a>" in html
    data = re.search(r'<script type="application/json" id="chart-1">(.*?)</script>', html, re.S)
    assert data
    chart = json.loads(data.group(1))
    assert chart["labels"] == ["1988", "1989", "1990"] and chart["values"] == [42, 55, 61]
    assert "vendor/chartjs/chart.umd.js" in html
    region = page(client, "/id/kyeongnam")
    assert "share of national output (per cent)" in region


def test_hostile_literals_and_iris_are_inert(client: FlaskClient) -> None:
    html = page(client, "/id/hostile-firm")
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(&#39;label&#39;)&lt;/script&gt;" in html
    assert "<img src=x" not in html
    assert not re.search(r'href="\s*(javascript|data):', html, re.I)
    assert "javascript:alert(&#39;sameAs&#39;)" in html  # shown as text
    assert 'href="http://example.org/safe?a=1&amp;b=2"' in html
    assert (
        "script-src 'self'"
        in client.get("/id/hostile-firm", headers=BROWSER).headers["Content-Security-Policy"]
    )


@pytest.mark.parametrize(
    ("accept", "rdf_format"),
    [
        ("text/turtle", ox.RdfFormat.TURTLE),
        ("application/ld+json", ox.RdfFormat.JSON_LD),
        ("application/rdf+xml", ox.RdfFormat.RDF_XML),
        ("application/n-triples", ox.RdfFormat.N_TRIPLES),
    ],
)
def test_entity_data_by_content_negotiation(
    client: FlaskClient, accept: str, rdf_format: ox.RdfFormat
) -> None:
    response = client.get("/id/sinos-valley", headers={"Accept": accept})
    assert response.status_code == 200
    assert response.mimetype == rdf_format.media_type
    assert "Accept" in response.headers["Vary"]
    triples = {q.triple for q in ox.parse(response.data, format=rdf_format)}
    sinos = ox.NamedNode(CKR + "sinos-valley")
    assert (
        ox.Triple(
            sinos,
            ox.NamedNode("https://w3id.org/clusterkg/def/locatedIn"),
            ox.NamedNode(CKR + "brazil"),
        )
        in triples
    )
    assert any(t.object == sinos for t in triples)  # incoming facts too


def test_format_parameter_and_406(client: FlaskClient) -> None:
    response = client.get("/id/sinos-valley?format=ttl", headers=BROWSER)
    assert response.mimetype == "text/turtle"
    assert client.get("/id/sinos-valley", headers={"Accept": "image/png"}).status_code == 406


def test_unknown_entities_are_404(client: FlaskClient) -> None:
    assert client.get("/id/no-such-thing", headers=BROWSER).status_code == 404
    assert client.get("/id/no-such-thing", headers={"Accept": "text/turtle"}).status_code == 404
    assert client.get("/resource?iri=javascript:alert(1)", headers=BROWSER).status_code == 404


@pytest.mark.parametrize(
    ("path", "text"),
    [
        ("/def/Cluster", "Instances (2)"),
        ("/def/LockIn", "Lock-in"),
        ("/graph/alpha2001", "This named graph"),
        ("/graph/inferred", "inferred by the reasoner"),
        ("/work/schmitz-1995-collective-efficiency", "Collective efficiency"),
        ("/id/paper-alpha2001", "What this paper says"),
        ("/resource?iri=http%3A%2F%2Fwww.wikidata.org%2Fentity%2FQ155", "Brazil"),
    ],
)
def test_every_space_dereferences(client: FlaskClient, path: str, text: str) -> None:
    assert text in page(client, path)


def test_class_page_marks_inferred_instances(client: FlaskClient) -> None:
    html = page(client, "/def/ClusterAtRiskOfLockIn")
    assert 'Sinos Valley</a> <span class="badge inferred">inferred</span>' in html


def test_paper_page_lists_its_facts_and_citations(client: FlaskClient) -> None:
    html = page(client, "/id/paper-alpha2001")
    assert "Cites (1)" in html
    assert 'href="/work/schmitz-1995-collective-efficiency"' in html
    assert "Sinos Valley&#39;s dependence on US buyers" in html
    assert "lines 30-34" in html
