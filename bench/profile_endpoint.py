"""Where the endpoint's time goes, for a light query: ``python -m bench.profile_endpoint SIZE``.

Splits one request on clusterkg's endpoint into its parts, each measured alone on the store
the benchmark built for SIZE (``bench/work/SIZE``):

- the engine: the query in-process (pyoxigraph), and the JSON writing (clusterkg.results);
- the guard: rdflib's SPARQL parser, cold (first time a text is seen) and cached;
- the worker pool: ``QueryService.execute`` in this process (guard + pipe to a query worker
  process + the worker's run + the answer back), minus the engine;
- HTTP + Flask + gunicorn: a request the endpoint answers without running a query, and the
  full request, against ``clusterkg serve --workers 2``;
- Oxigraph server's full request, for comparison.

Writes ``bench/results/endpoint-profile.md`` and prints it.
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

from bench import systems
from bench.queries import load_queries

HERE = Path(__file__).resolve().parent


def median_ms(run: Callable[[], object], n: int = 200) -> float:
    run()
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        run()
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1000


def main() -> None:
    from clusterkg import guard
    from clusterkg.config import Settings
    from clusterkg.query import QueryService
    from clusterkg.results import serialize
    from clusterkg.store import EmbeddedStore, current_build

    size = sys.argv[1] if len(sys.argv) > 1 else "1e5"
    work = HERE / "work" / size
    store_dir = work / "var" / "store"
    build = current_build(store_dir)
    if build is None:
        raise SystemExit(f"no built store in {store_dir}: run python -m bench first")
    queries = {q.name: q for q in load_queries(HERE.parent)}
    names = ["C07-firm-profile", "C02-cluster-observations-with-provenance"]
    store = EmbeddedStore(build / "store", read_only=True)
    settings = Settings(store=str(store_dir), query_workers=2)
    service = QueryService(settings)
    rows = []
    server = systems.ClusterkgServer(store_dir)
    oxi = systems.OxigraphServer(work / "oxigraph-profile", work / "dump.nq")
    try:
        client = systems.HttpSparql(server.port, "/sparql", 30)
        oclient = systems.HttpSparql(oxi.port, "/query", 30)
        for name in names:
            text = queries[name].text

            def engine(text: str = text) -> object:
                return list(store.query(text).rows)

            def engine_json(text: str = text) -> object:
                return serialize(store.query(text), "json", 10_000)

            def parse_cold(text: str = text) -> object:
                return guard.inspect.__wrapped__(text)  # type: ignore[attr-defined]

            def parse_cached(text: str = text) -> object:
                return guard.check(text)

            def pool(text: str = text) -> object:
                return service.execute(text)

            def empty_request() -> object:
                conn = client.conn
                assert conn is not None
                conn.request("GET", "/sparql")
                return conn.getresponse().read()

            client.post(text)
            parts = {
                "engine (pyoxigraph, in-process)": median_ms(engine),
                "engine + JSON writing (clusterkg.results)": median_ms(engine_json),
                "guard parse, cold (rdflib parser)": median_ms(parse_cold, 30),
                "guard parse, cached (lru_cache)": median_ms(parse_cached),
                "QueryService.execute (guard + worker process + pipe)": median_ms(pool),
                "HTTP round trip, no query (GET /sparql → 400)": median_ms(empty_request),
                "full request, clusterkg endpoint": median_ms(lambda t=text: client.post(t)),
                "full request, Oxigraph server": median_ms(lambda t=text: oclient.post(t)),
            }
            rows.append((name, parts))
        client.close()
        oclient.close()
    finally:
        server.stop()
        oxi.stop()
        service.close()
    lines = [
        f"# Where the endpoint's time goes (light queries, {size} triples)",
        "",
        "Medians of 200 runs (30 for the cold parse), milliseconds; written by "
        f"`python -m bench.profile_endpoint {size}`.",
        "",
        "| part | " + " | ".join(n for n, _ in rows) + " |",
        "| --- |" + " ---: |" * len(rows),
    ]
    for part in rows[0][1]:
        lines.append(f"| {part} | " + " | ".join(f"{p[part]:.3f}" for _, p in rows) + " |")
    text = "\n".join(lines) + "\n"
    (HERE / "results" / "endpoint-profile.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
