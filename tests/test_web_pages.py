"""The browser's other pages: home, classes, papers, topics, search, compare, network,
charts, editor, ontology docs, error pages."""

from __future__ import annotations

import json
import re
from urllib.parse import quote

from flask.testing import FlaskClient

from clusterkg.config import Settings
from clusterkg.store import current_build
from tests.fixtures.web import support
from tests.fixtures.web.support import BROWSER, CKG, CKR

# The shared fixtures (a built store of tests/fixtures/web and an app over it).
client, web_app, web_settings = support.client, support.web_app, support.web_settings


def page(client: FlaskClient, path: str, status: int = 200) -> str:
    response = client.get(path, headers=BROWSER)
    assert response.status_code == status, (path, response.status_code)
    return response.data.decode()


def test_home(client: FlaskClient) -> None:
    html = page(client, "/")
    assert "Alpha, A. (2001) Clusters in the valley" in html
    assert "Beta, B. (1999) Lead firms and their suppliers" in html
    assert "Which clusters show signs of lock-in, and according to which paper and lines?" in html
    assert f"/topic?iri={quote(CKG + 'LockIn', safe='/')}" in html or "LockIn" in html
    assert 'href="/editor?example=suppliers"' in html
    assert re.search(r"<strong>\d+</strong> triples", html)


def test_classes_and_class_page(client: FlaskClient) -> None:
    html = page(client, "/classes")
    assert "Cluster" in html and "Supply relation" in html
    cls = page(client, "/class?iri=" + quote(CKG + "Supplier"))
    assert "3 instances" in cls
    assert "Dongil Parts" in cls and "Small Coil Works" in cls
    page(client, "/class?iri=not-an-iri", status=404)


def test_papers(client: FlaskClient) -> None:
    html = page(client, "/papers")
    assert 'href="/id/paper-alpha2001"' in html


def test_search_is_case_and_accent_insensitive(client: FlaskClient) -> None:
    for query, expected in (
        ("sao paulo", "/id/sao-paulo"),
        ("SÃO PAULO", "/id/sao-paulo"),
        ("leon", "/id/leon-footwear-cluster"),
        ("tirrupur", "/id/tiruppur-knitwear-cluster"),  # an alternative spelling
        ("gold star", "/id/gold-star-audio"),
    ):
        html = page(client, "/search?q=" + quote(query))
        assert f'href="{expected}"' in html, query
    assert "0 results" in page(client, "/search?q=zzzz-nothing")
    hostile = page(client, "/search?q=" + quote("<script>"))
    assert "<script>alert" not in hostile and "Hostile &amp; Co" in hostile


def test_lock_in_by_clicking(client: FlaskClient) -> None:
    """A newcomer's path: home, the lock-in question, clusters with paper and lines."""
    home = page(client, "/")
    link = re.search(r'href="(/topic\?iri=[^"]+)">Which clusters show signs of lock-in', home)
    assert link
    html = page(client, link.group(1).replace("&amp;", "&"))
    assert "Sinos Valley" in html and "Tiruppur knitwear cluster" in html
    assert "Buyer dependence" in html and "Functional narrowing" in html
    assert "lines 30-34" in html and "lines 70-71" in html and "lines 40-45" in html
    assert re.search(r"Sinos Valley</a> <span class=\"badge inferred\">inferred</span>", html)
    topics = page(client, "/topics")
    assert "Lock-in" in topics and "Signs of lock-in" in topics


def test_compare(client: FlaskClient) -> None:
    sinos, tiruppur, leon = (
        CKR + x for x in ("sinos-valley", "tiruppur-knitwear-cluster", "leon-footwear-cluster")
    )
    form = page(client, "/compare")
    assert f'value="{sinos}"' in form and f'value="{leon}"' in form  # subclasses count
    html = page(client, f"/compare?e={quote(sinos)}&e={quote(tiruppur)}")
    assert '<table class="compare">' in html
    assert "footwear" in html and "knitwear" in html and "lines 60-64" in html
    chosen = page(client, f"/compare?e={quote(sinos)}&e={quote(leon)}&p={quote(CKG + 'sector')}")
    rows = re.findall(r'<tr><th scope="row">', chosen)
    assert len(rows) == 1
    too_few = page(client, f"/compare?e={quote(sinos)}")
    assert "Pick between 2 and 5" in too_few
    six = "&".join(f"e={quote(CKR)}x{i}" for i in range(6))
    assert "Pick between 2 and 5" in page(client, "/compare?" + six)


def test_network(client: FlaskClient) -> None:
    index = page(client, "/network")
    assert "Gold Star Audio (2 relations)" in index
    assert "network-data" in index  # the largest network is drawn at once
    html = page(client, "/network?iri=" + quote(CKR + "gold-star-audio"))
    data = json.loads(re.search(r'id="network-data">(.*?)</script>', html, re.S).group(1))
    nodes = {n["label"]: n for n in data["nodes"]}
    assert nodes["Gold Star Audio"]["group"] == "lead"
    assert nodes["Dongil Parts"]["group"] == "tier1"
    assert nodes["Small Coil Works"]["group"] == "tier2"
    assert nodes["Gold Star Audio suppliers' association"]["group"] == "org"
    assert {"tier 1", "tier 2", "member of"} <= {e["label"] for e in data["edges"]}
    assert "lines 123-125" in html
    assert "vendor/vis-network/vis-network.min.js" in html


def test_charts_index(client: FlaskClient) -> None:
    html = page(client, "/charts")
    assert 'href="/id/gold-star-audio#observations">cooperative firms</a>' in html
    assert "Gyeongnam" in html


def test_editor(client: FlaskClient) -> None:
    html = page(client, "/editor?example=suppliers")
    config = json.loads(re.search(r'id="editor-config">(.*?)</script>', html, re.S).group(1))
    assert config["endpoint"] == "/sparql"
    assert "ckr:gold-star-audio" in config["query"]
    assert config["prefixes"]["ckg"] == CKG
    assert [e["name"] for e in config["examples"]] == ["lock-in", "suppliers"]
    assert "vendor/yasgui/yasgui.min.js" in html


def test_ontology_docs(client: FlaskClient, web_settings: Settings) -> None:
    missing = page(client, "/ontology/", status=404)
    assert "documentation is not available" in missing
    docs = current_build(web_settings.store_dir) / "docs"
    docs.mkdir()
    try:
        (docs / "index.html").write_text("<html><body>Ontology docs here</body></html>")
        assert "Ontology docs here" in page(client, "/ontology/")
        assert page(client, "/ontology/nothing.html", status=404)
    finally:
        (docs / "index.html").unlink()
        docs.rmdir()


def test_error_pages(client: FlaskClient) -> None:
    html = page(client, "/no/such/page", status=404)
    assert "404" in html and "nothing at this address" in html
    plain = client.get("/no/such/page", headers={"Accept": "text/plain"})
    assert plain.status_code == 404 and plain.mimetype == "text/plain"


def test_static_vendor_files_are_served(client: FlaskClient) -> None:
    for path in (
        "/static/vendor/yasgui/yasgui.min.js",
        "/static/vendor/chartjs/chart.umd.js",
        "/static/vendor/vis-network/vis-network.min.js",
        "/static/style.css",
    ):
        response = client.get(path)
        assert response.status_code == 200, path
        response.close()


def test_favicon(client: FlaskClient) -> None:
    response = client.get("/favicon.ico")
    assert response.status_code == 200 and response.mimetype == "image/svg+xml"
    response.close()


def test_writable_store_is_served_by_one_process(web_settings: Settings) -> None:
    import pytest

    from clusterkg.web.gunicorn_app import run_gunicorn

    with pytest.raises(SystemExit, match="one process"):
        run_gunicorn(web_settings.with_(writable=True), "127.0.0.1", 0, workers=2)
