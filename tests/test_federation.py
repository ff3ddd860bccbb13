"""Federated queries: SERVICE to allowlisted endpoints works, everything else is refused,
a remote endpoint that is down or slow fails clearly within the limit, and clusterkg's own
/sparql serves as a SERVICE target for another engine. All servers are local (127.0.0.1)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from click.testing import CliRunner

from clusterkg.cli import main
from clusterkg.config import Settings
from clusterkg.guard import QueryRefused
from clusterkg.query import QueryFailed, QueryService, QueryTimeout
from tests.conftest import OxigraphServer, free_port
from tests.fixtures.wikidata.server import slow, tiny_server

pytestmark = [pytest.mark.remote, pytest.mark.slow]

DATA = """\
@prefix ckg: <https://w3id.org/clusterkg/def/> .
@prefix ckr: <https://w3id.org/clusterkg/id/> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
ckr:korea a ckg:Country ; rdfs:label "South Korea"@en ;
    owl:sameAs <http://www.wikidata.org/entity/Q884> .
ckr:busan a ckg:City ; rdfs:label "Busan"@en ; ckg:country ckr:korea ;
    owl:sameAs <http://www.wikidata.org/entity/Q16520> .
"""


def federated(endpoint: str) -> str:
    """Our linked cities with their population as the remote endpoint has it."""
    return f"""
SELECT ?place ?population WHERE {{
  ?place a ckg:City ; owl:sameAs ?item .
  SERVICE <{endpoint}> {{ ?item wdt:P1082 ?population }}
}}"""


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory, wikidata_endpoint: str) -> Settings:
    from clusterkg.build import run_build

    root = tmp_path_factory.mktemp("fed-project")
    (root / "data" / "reference").mkdir(parents=True)
    (root / "data" / "reference" / "entities.ttl").write_text(DATA)
    settings = Settings(
        root=root,
        var_dir=root / "var",
        query_workers=1,
        query_timeout=10.0,
        service_allowlist=(wikidata_endpoint,),
    )
    run_build(settings, reason=False, validate=False, docs=False)
    return settings


@pytest.fixture
def service(built: Settings) -> Iterator[QueryService]:
    svc = QueryService(built)
    yield svc
    svc.close()


def test_service_to_an_allowlisted_endpoint_joins_local_and_remote(
    service: QueryService, wikidata_endpoint: str
) -> None:
    rows = service.select(federated(wikidata_endpoint)).rows
    assert [(r["place"].value, int(r["population"].value)) for r in rows] == [
        ("https://w3id.org/clusterkg/id/busan", 3349016)
    ]


def test_row_cap_holds_for_federated_answers(service: QueryService, wikidata_endpoint: str) -> None:
    query = (
        f"SELECT ?item ?label WHERE {{ SERVICE <{wikidata_endpoint}> "
        "{ ?item rdfs:label ?label } }"
    )
    answer = service.select(query, max_rows=2)
    assert len(answer.rows) == 2 and answer.truncated


def test_service_from_the_command_line(built: Settings, wikidata_endpoint: str) -> None:
    env = {
        "CLUSTERKG_ROOT": str(built.root),
        "CLUSTERKG_VAR": str(built.var_dir),
        "CLUSTERKG_SERVICE_ALLOWLIST": wikidata_endpoint,
    }
    result = CliRunner().invoke(
        main, ["query", "--format", "csv", "-e", federated(wikidata_endpoint)], env=env
    )
    assert result.exit_code == 0, result.output
    assert "https://w3id.org/clusterkg/id/busan,3349016" in result.output


def test_service_from_the_sparql_endpoint(built: Settings, wikidata_endpoint: str) -> None:
    from clusterkg.web import create_app

    app = create_app(built)
    try:
        response = app.test_client().get(
            "/sparql",
            query_string={"query": federated(wikidata_endpoint)},
            headers={"Accept": "application/sparql-results+json"},
        )
        assert response.status_code == 200, response.get_data(as_text=True)
        bindings = response.get_json()["results"]["bindings"]
        assert bindings[0]["population"]["value"] == "3349016"
        refused = app.test_client().get(
            "/sparql",
            query_string={"query": federated("http://127.0.0.1:1/elsewhere")},
        )
        assert refused.status_code == 403
        assert "not on this server's allowlist" in refused.get_data(as_text=True)
    finally:
        app.extensions["clusterkg"]["queries"].close()


def test_an_endpoint_outside_the_allowlist_is_never_contacted(service: QueryService) -> None:
    with tiny_server(slow(0)) as (evil, seen):
        for query in (
            federated(evil),
            f"PREFIX e: <{evil.rsplit('/', 1)[0]}/> SELECT * {{ SERVICE e:sparql {{ ?s ?p ?o }} }}",
            f"SELECT * {{ BIND(<{evil}> AS ?e) SERVICE ?e {{ ?s ?p ?o }} }}",
        ):
            with pytest.raises(QueryRefused):
                service.select(query)
        assert seen == []


def test_the_remote_store_path_is_guarded_too(
    built: Settings, wikidata_endpoint: str, tmp_path: Path
) -> None:
    store = OxigraphServer(tmp_path / "remote")
    try:
        requests.post(
            store.gsp_url,
            params={"graph": "https://w3id.org/clusterkg/graph/reference"},
            data=DATA.encode(),
            headers={"Content-Type": "text/turtle"},
            timeout=30,
        ).raise_for_status()
        svc = QueryService(built.with_(store=store.query_url))
        try:
            rows = svc.select(federated(wikidata_endpoint)).rows
            assert [int(r["population"].value) for r in rows] == [3349016]
            with tiny_server(slow(0)) as (evil, seen):
                with pytest.raises(QueryRefused):
                    svc.select(federated(evil))
                assert seen == []
        finally:
            svc.close()
    finally:
        store.stop()


def test_a_down_endpoint_is_a_clear_error(built: Settings) -> None:
    down = f"http://127.0.0.1:{free_port()}/sparql"
    svc = QueryService(built.with_(service_allowlist=(down,)))
    try:
        started = time.monotonic()
        with pytest.raises(QueryFailed) as caught:
            svc.select(federated(down))
        assert time.monotonic() - started < 10
        message = str(caught.value)
        assert f"the remote SERVICE endpoint <{down}> could not be queried" in message
    finally:
        svc.close()


def test_a_slow_endpoint_is_stopped_at_the_time_limit(built: Settings) -> None:
    with tiny_server(slow(30)) as (sluggish, _):
        svc = QueryService(built.with_(service_allowlist=(sluggish,), query_timeout=2.0))
        try:
            started = time.monotonic()
            with pytest.raises(QueryTimeout) as caught:
                svc.select(federated(sluggish))
            elapsed = time.monotonic() - started
        finally:
            svc.close()
    assert elapsed < 8, f"the request hung for {elapsed:.1f} s"
    assert f"SERVICE <{sluggish}>" in str(caught.value)


def wait_for_endpoint(url: str, seconds: float) -> None:
    """Until the endpoint answers a query (its first query starts the worker process)."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            if requests.get(url, timeout=30).ok:
                return
        except requests.RequestException:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"{url} did not answer within {seconds} s")
        time.sleep(0.3)


def test_clusterkg_is_a_service_target_for_another_engine(built: Settings, tmp_path: Path) -> None:
    port = free_port()
    env = dict(os.environ)
    env.update({"CLUSTERKG_ROOT": str(built.root), "CLUSTERKG_VAR": str(built.var_dir)})
    serve = subprocess.Popen(
        [sys.executable, "-m", "clusterkg.cli", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    other = OxigraphServer(tmp_path / "other-engine")
    try:
        wait_for_endpoint(f"http://127.0.0.1:{port}/sparql?query=ASK%7B%7D", 90)
        query = f"""
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?label WHERE {{
  SERVICE <http://127.0.0.1:{port}/sparql> {{
    <https://w3id.org/clusterkg/id/busan> rdfs:label ?label
  }}
}}"""
        response = requests.post(
            other.query_url,
            data=query.encode(),
            headers={
                "Content-Type": "application/sparql-query",
                "Accept": "application/sparql-results+json",
            },
            timeout=60,
        )
        assert response.status_code == 200, response.text
        labels = [b["label"]["value"] for b in response.json()["results"]["bindings"]]
        assert labels == ["Busan"]
    finally:
        other.stop()
        serve.terminate()
        serve.wait(timeout=20)
