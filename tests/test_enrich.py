"""`clusterkg enrich`: facts about linked entities, fetched once, cached, loaded by `build`."""

from __future__ import annotations

import http.server
from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib
from click.testing import CliRunner

from clusterkg import enrich, link
from clusterkg.cli import main
from clusterkg.config import Settings
from clusterkg.federation import FederationError, RateLimited, SparqlClient
from clusterkg.sources import EXTERNAL_GRAPH
from tests.fixtures.wikidata.server import tiny_server

REPO = Path(__file__).resolve().parents[1]
GEO = rdflib.Namespace("http://www.opengis.net/ont/geosparql#")
PROV = rdflib.Namespace("http://www.w3.org/ns/prov#")
DCT = rdflib.Namespace("http://purl.org/dc/terms/")
SCHEMA = rdflib.Namespace("https://schema.org/")
WDT = rdflib.Namespace("http://www.wikidata.org/prop/direct/")

ENTITIES = """\
@prefix ckg: <https://w3id.org/clusterkg/def/> .
@prefix ckr: <https://w3id.org/clusterkg/id/> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
ckr:korea a ckg:Country ; rdfs:label "South Korea"@en ;
    owl:sameAs <http://www.wikidata.org/entity/Q884> .
ckr:busan a ckg:City ; rdfs:label "Busan"@en ; ckg:country ckr:korea ;
    owl:sameAs <http://www.wikidata.org/entity/Q16520>, <https://sws.geonames.org/1838524/> .
ckr:test-institute a ckg:ResearchInstitute ; rdfs:label "Test Machinery Institute"@en ;
    owl:sameAs <http://www.wikidata.org/entity/Q900000004> .
ckr:unlinked-town a ckg:City ; rdfs:label "Nowhere"@en .
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "data" / "reference").mkdir(parents=True)
    (tmp_path / "data" / "reference" / "entities.ttl").write_text(ENTITIES)
    return tmp_path


def enrich_cmd(root: Path, *args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(main, ["enrich", *args], env={"CLUSTERKG_ROOT": str(root)})


@pytest.mark.remote
def test_enrich_writes_dated_sourced_facts(project: Path, wikidata_endpoint: str) -> None:
    result = enrich_cmd(project, "--endpoint", wikidata_endpoint)
    assert result.exit_code == 0, result.output
    cache = project / "data" / "external" / "wikidata.ttl"
    text = cache.read_text("utf-8")
    assert f"Endpoint: {wikidata_endpoint}; retrieved 20" in text  # the header says where and when
    g = rdflib.Graph().parse(cache)
    busan = rdflib.URIRef(link.ID + "busan")
    geometry = g.value(busan, GEO.hasGeometry)
    assert str(g.value(geometry, GEO.asWKT)) == "POINT(129.075 35.18)"
    record = g.value(predicate=SCHEMA.about, object=busan)
    assert str(g.value(record, PROV.wasDerivedFrom)) == "http://www.wikidata.org/entity/Q16520"
    assert str(g.value(record, DCT.source)) == wikidata_endpoint
    assert g.value(record, PROV.generatedAtTime) is not None
    assert int(g.value(record, WDT.P1082)) == 3349016
    assert str(g.value(record, WDT.P17)) == "http://www.wikidata.org/entity/Q884"
    assert str(g.value(record, WDT.P856)) == "https://www.busan.go.kr/"
    assert str(g.value(record, WDT.P1566)) == "1838524"
    institute = g.value(predicate=SCHEMA.about, object=rdflib.URIRef(link.ID + "test-institute"))
    assert str(g.value(institute, WDT.P571)).startswith("1976")
    assert (rdflib.URIRef(link.ID + "test-institute"), GEO.hasGeometry, None) not in g
    assert (rdflib.URIRef(link.ID + "unlinked-town"), None, None) not in g


@pytest.mark.slow
@pytest.mark.remote
def test_build_loads_the_cache_into_the_external_graph(
    project: Path, wikidata_endpoint: str
) -> None:
    from clusterkg.build import run_build
    from clusterkg.store import CurrentStore

    assert enrich_cmd(project, "--endpoint", wikidata_endpoint).exit_code == 0
    settings = Settings(root=project, var_dir=project / "var")
    run_build(settings, reason=False, validate=False, docs=False)
    store = CurrentStore(settings.store_dir).get()
    rows = store.query(
        f"SELECT ?wkt WHERE {{ GRAPH <{EXTERNAL_GRAPH}> "
        "{ ckr:busan geo:hasGeometry/geo:asWKT ?wkt } }"
    ).to_dicts()
    assert [r["wkt"].value for r in rows] == ["POINT(129.075 35.18)"]


def test_a_table_cannot_introduce_a_link(project: Path, tmp_path: Path) -> None:
    table = tmp_path / "t.csv"
    table.write_text(
        "# looked up in a test\n"
        "entity,geonameid,name,latitude,longitude,population,countrycode,source,looked_up\n"
        "ckr:unlinked-town,1234,Nowhere,1.0,2.0,10,KR,test,2026-01-01\n"
    )
    result = enrich_cmd(project, "--table", str(table))
    assert result.exit_code == 1
    assert "not an entity linked to https://sws.geonames.org/1234/" in result.output


def test_a_table_row_becomes_a_geonames_record(project: Path, tmp_path: Path) -> None:
    table = tmp_path / "t.csv"
    table.write_text(
        "# looked up in a test table on 2026-01-01\n"
        "entity,geonameid,name,latitude,longitude,population,countrycode,source,looked_up\n"
        "ckr:busan,1838524,Busan,35.10168,129.03004,3285147,KR,a test table,2026-01-01\n"
    )
    result = enrich_cmd(project, "--table", str(table))
    assert result.exit_code == 0, result.output
    text = (project / "data" / "external" / "geonames.ttl").read_text("utf-8")
    assert text.startswith("# looked up in a test table on 2026-01-01")
    assert "POINT(129.03004 35.10168)" in text
    assert '"2026-01-01"^^xsd:date' in text


def test_the_committed_cache_is_offline_sourced_and_consistent() -> None:
    """Every committed record names its source and date, and matches a curated link."""
    graph = link.load_graph(REPO, ontology=False)
    linked = set(link.external_links(graph))
    external = rdflib.Graph()
    files = sorted((REPO / "data" / "external").glob("*.ttl"))
    assert files, "the enrichment cache is missing from data/external/"
    for path in files:
        head = path.read_text("utf-8").splitlines()[0]
        assert head.startswith("#"), f"{path.name}: the header must say where the facts came from"
        external.parse(path)
    records = list(external.subjects(SCHEMA.about, None))
    assert records
    for record in records:
        entity = external.value(record, SCHEMA.about)
        source = external.value(record, PROV.wasDerivedFrom)
        assert (str(entity), str(source)) in linked, f"{record}: {entity} is not linked to {source}"
        assert external.value(record, DCT.source) is not None
        assert external.value(record, PROV.generatedAtTime) is not None
    for entity, geometry in external.subject_objects(GEO.hasGeometry):
        wkt = str(external.value(geometry, GEO.asWKT))
        lon, lat = enrich.parse_point(wkt.replace("POINT", "Point")) or (999, 999)
        assert -180 <= lon <= 180 and -90 <= lat <= 90, f"{entity}: bad point {wkt}"


def test_wikidata_points_are_parsed_lon_lat() -> None:
    assert enrich.parse_point("Point(129.075 35.18)") == (129.075, 35.18)
    assert enrich.parse_point("Point(200 10)") is None
    assert enrich.parse_point("not a point") is None


# -- the client's manners --------------------------------------------------------------------


def _answer(status: int, headers: dict[str, str], body: bytes = b""):  # type: ignore[no-untyped-def]
    def respond(handler: http.server.BaseHTTPRequestHandler) -> None:
        handler.send_response(status)
        for key, value in headers.items():
            handler.send_header(key, value)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    return respond


def test_client_waits_as_told_on_429_then_gives_up() -> None:
    waits: list[float] = []
    with tiny_server(_answer(429, {"Retry-After": "3"})) as (url, seen):
        client = SparqlClient(url, timeout=5, max_retries=2, sleep=waits.append)
        with pytest.raises(RateLimited) as caught:
            client.select("SELECT * WHERE { ?s ?p ?o }")
    assert waits == [3.0, 3.0] and len(seen) == 3
    assert "wait 3 s" in str(caught.value)


def test_client_does_not_sleep_for_an_hour() -> None:
    waits: list[float] = []
    with tiny_server(_answer(429, {"Retry-After": "3600"})) as (url, seen):
        client = SparqlClient(url, timeout=5, max_wait=30, sleep=waits.append)
        with pytest.raises(RateLimited):
            client.select("SELECT * WHERE { ?s ?p ?o }")
    assert waits == [] and len(seen) == 1


def test_client_sends_a_descriptive_user_agent_and_caps_rows() -> None:
    body = (
        b'{"head":{"vars":["x"]},"results":{"bindings":['
        + b",".join(b'{"x":{"type":"literal","value":"%d"}}' % i for i in range(5))
        + b"]}}"
    )
    with tiny_server(_answer(200, {"Content-Type": "application/sparql-results+json"}, body)) as (
        url,
        seen,
    ):
        answer = SparqlClient(url, timeout=5, max_rows=3).select("SELECT ?x WHERE { ?x ?p ?o }")
    assert answer.values("x") == ["0", "1", "2"] and answer.truncated
    agent = seen[0]["User-Agent"]
    assert agent.startswith("clusterkg/") and "w3id.org/clusterkg" in agent


def test_client_reports_a_non_sparql_answer() -> None:
    respond = _answer(200, {"Content-Type": "application/json"}, b"[]")
    with (
        tiny_server(respond) as (url, _),
        pytest.raises(FederationError, match="not SPARQL JSON results"),
    ):
        SparqlClient(url, timeout=5).select("SELECT * WHERE { ?s ?p ?o }")


def test_store_types_are_pyoxigraph_compatible() -> None:
    # The enrichment writes Turtle that pyoxigraph (the build's parser) accepts as well.
    path = REPO / "data" / "external" / "geonames.ttl"
    quads = list(ox.parse(path=str(path), format=ox.RdfFormat.TURTLE))
    assert quads


# -- the map draws what enrichment cached --------------------------------------------------

MAP_DATA = """\
@prefix ckg: <https://w3id.org/clusterkg/def/> .
@prefix ckr: <https://w3id.org/clusterkg/id/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
ckr:changwon-machinery-cluster a ckg:Cluster ; rdfs:label "Changwon machinery cluster"@en ;
    ckg:locatedIn ckr:changwon-estate .
ckr:changwon-estate a ckg:Place ; rdfs:label "an estate without coordinates"@en ;
    ckg:locatedIn ckr:busan .
"""


@pytest.fixture
def map_app(project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    from clusterkg.build import run_build
    from clusterkg.web import create_app, mapview

    (project / "data" / "demo").mkdir()
    (project / "data" / "demo" / "facts.ttl").write_text(MAP_DATA)
    table = tmp_path / "t.csv"
    table.write_text(
        "entity,geonameid,name,latitude,longitude,population,countrycode,source,looked_up\n"
        "ckr:busan,1838524,Busan,35.10168,129.03004,3285147,KR,a test table,2026-01-01\n"
    )
    assert enrich_cmd(project, "--table", str(table)).exit_code == 0
    settings = Settings(root=project, var_dir=project / "var", query_workers=1)
    run_build(settings, reason=False, validate=False, docs=False)
    monkeypatch.delenv("CLUSTERKG_MAP_TILES", raising=False)
    app = create_app(settings)
    if "mapview" not in app.blueprints:
        app.register_blueprint(mapview.bp)
    yield app
    app.extensions["clusterkg"]["queries"].close()


@pytest.mark.slow
def test_the_map_shows_places_and_clusters_offline(map_app) -> None:  # type: ignore[no-untyped-def]
    client = map_app.test_client()
    points = client.get("/map/points.json").get_json()["features"]
    by_label = {f["properties"]["label"]: f for f in points}
    busan = by_label["Busan"]
    assert busan["geometry"]["coordinates"] == [129.03004, 35.10168]
    assert "https://sws.geonames.org/1838524/" in busan["properties"]["links"]
    cluster = by_label["Changwon machinery cluster"]
    assert cluster["properties"]["kind"] == "cluster"
    assert cluster["properties"]["via"] == "Busan"  # two steps up ckg:locatedIn
    assert cluster["geometry"]["coordinates"] == [129.03004, 35.10168]
    page = client.get("/map")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "vendor/leaflet/leaflet.js" in html and "Changwon machinery cluster" in html
    assert "img-src 'self' data:" in page.headers["Content-Security-Policy"]  # no tiles: no host
    assert (REPO / "server" / "static" / "vendor" / "leaflet" / "leaflet.js").exists()
    assert (REPO / "server" / "static" / "vendor" / "leaflet" / "LICENSE").exists()


@pytest.mark.slow
def test_configured_tiles_are_allowed_on_the_map_page_only(  # type: ignore[no-untyped-def]
    map_app, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLUSTERKG_MAP_TILES", "https://{s}.tiles.example.org/{z}/{x}/{y}.png")
    client = map_app.test_client()
    page = client.get("/map")
    assert "img-src 'self' https://*.tiles.example.org" in page.headers["Content-Security-Policy"]
    assert "tiles.example.org" in page.get_data(as_text=True)
    other = client.get("/sparql?query=ASK%7B%7D", headers={"Accept": "text/html"})
    assert "tiles.example.org" not in other.headers.get("Content-Security-Policy", "")
