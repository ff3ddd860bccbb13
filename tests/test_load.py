"""A load test on loopback: 32 concurrent clients for 30 s against gunicorn while a runaway
query keeps running; every other request must succeed.

Bounded in time (30 s of load) and count (at most 20,000 requests per client); the traffic
goes only to the server this test starts on 127.0.0.1, and stops by itself.
"""

from __future__ import annotations

import statistics
import threading
import time
from collections.abc import Iterator
from urllib.parse import quote

import pytest
import requests

from tests.fixtures.web.support import CKR, RUNAWAY, LiveServer, build_web_fixture

pytestmark = pytest.mark.slow

CLIENTS = 32
SECONDS = 30.0
MAX_PER_CLIENT = 20_000
TIMEOUT = 4.0  # the server's query time limit in this test

REQUESTS = [
    (
        "/sparql?query=" + quote("SELECT ?c ?l WHERE { ?c a ckg:Cluster ; rdfs:label ?l }"),
        {"Accept": "application/sparql-results+json"},
    ),
    (
        "/sparql?query=" + quote("ASK { ?s ckg:tier 2 }"),
        {"Accept": "application/sparql-results+xml"},
    ),
    ("/id/gold-star-audio", {"Accept": "text/turtle"}),
    ("/id/sinos-valley", {"Accept": "text/html"}),
    ("/search?q=tiruppur", {"Accept": "text/html"}),
]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    settings = build_web_fixture(
        tmp_path_factory.mktemp("load"), query_timeout=TIMEOUT, query_workers=2
    )
    live = LiveServer(settings, workers=2)
    yield live
    live.stop()


def test_32_clients_with_a_runaway_query(server: LiveServer) -> None:
    stop = time.monotonic() + SECONDS
    latencies: list[float] = []
    errors: list[str] = []
    runaway: list[int] = []
    lock = threading.Lock()

    def client(index: int) -> None:
        session = requests.Session()
        for n in range(MAX_PER_CLIENT):
            if time.monotonic() > stop:
                break
            path, headers = REQUESTS[(index + n) % len(REQUESTS)]
            started = time.perf_counter()
            try:
                response = session.get(server.url + path, headers=headers, timeout=30)
                ok = response.status_code == 200
                detail = f"{response.status_code} {path}"
            except requests.RequestException as exc:
                ok, detail = False, f"{type(exc).__name__} {path}"
            elapsed = time.perf_counter() - started
            with lock:
                latencies.append(elapsed)
                if not ok:
                    errors.append(detail)
        session.close()

    def runaway_client() -> None:
        session = requests.Session()
        while time.monotonic() < stop:
            response = session.get(
                server.url + "/sparql", params={"query": RUNAWAY}, timeout=TIMEOUT * 4
            )
            runaway.append(response.status_code)
        session.close()

    threads = [threading.Thread(target=runaway_client)]
    threads += [threading.Thread(target=client, args=(i,)) for i in range(CLIENTS)]
    began = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=SECONDS + 60)
    wall = time.monotonic() - began
    assert not any(t.is_alive() for t in threads)

    latencies.sort()
    p50 = statistics.median(latencies)
    p95 = latencies[int(len(latencies) * 0.95)]
    print(
        f"\nload: {len(latencies)} requests by {CLIENTS} clients in {wall:.1f} s "
        f"({len(latencies) / wall:.0f}/s), p50 {p50 * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms, "
        f"max {latencies[-1] * 1000:.0f} ms, errors {len(errors)}; "
        f"runaway answers {runaway}"
    )
    assert errors == [], server.log_text()[-5000:]
    assert runaway and set(runaway) == {503}
    assert len(latencies) > CLIENTS * 10
    # the server still answers at once after the load
    ask = requests.get(
        server.url + "/id/sinos-valley", headers={"Accept": "text/turtle"}, timeout=10
    )
    assert ask.status_code == 200 and CKR.encode() in ask.content
