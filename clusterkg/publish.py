"""Reading the published store out: export, statistics, and pushing it to a remote store."""

from __future__ import annotations

from collections.abc import Callable

import pyoxigraph as ox

from clusterkg.config import Settings
from clusterkg.sources import INFERRED_GRAPH
from clusterkg.store import EmbeddedStore, RemoteStore, open_store


def _graphs(store: object, asserted_only: bool) -> list[str]:
    graphs = store.graphs()  # type: ignore[attr-defined]
    return [g for g in graphs if not (asserted_only and g == INFERRED_GRAPH)]


def export_bytes(settings: Settings, fmt: ox.RdfFormat, asserted_only: bool = False) -> bytes:
    """The published graph in ``fmt``; triple formats get the set union of all graphs."""
    store = open_store(
        settings.store, update_url=settings.update_endpoint, gsp_url=settings.gsp_endpoint
    )
    graphs = _graphs(store, asserted_only)
    if isinstance(store, EmbeddedStore):
        quads = [q for g in graphs for q in store.quads(g)]
    else:
        dataset = ox.Dataset()
        for g in graphs:
            dataset.extend(
                ox.parse(store.dump(ox.RdfFormat.N_QUADS, g), format=ox.RdfFormat.N_QUADS)
            )
        quads = list(dataset)
    if fmt.supports_datasets:
        return ox.serialize(quads, format=fmt) or b""
    seen: set[ox.Triple] = set()
    triples = []
    for q in quads:
        if q.triple not in seen:
            seen.add(q.triple)
            triples.append(q.triple)
    return ox.serialize(triples, format=fmt) or b""


def store_stats(settings: Settings) -> dict[str, object]:
    store = open_store(
        settings.store, update_url=settings.update_endpoint, gsp_url=settings.gsp_endpoint
    )
    graphs = {g: store.count(g) for g in store.graphs()}
    result = store.query(
        "SELECT ?c (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s a ?c } GROUP BY ?c ORDER BY DESC(?n) ?c"
    )
    classes = {row[0].value: int(row[1].value) for row in result.rows if row[0] is not None}
    return {"graphs": graphs, "total": sum(graphs.values()), "classes": classes}


def push_to_remote(
    settings: Settings,
    endpoint: str,
    update_url: str | None = None,
    gsp_url: str | None = None,
    on_graph: Callable[[str, int], None] | None = None,
) -> dict[str, int]:
    """Copy every graph of the embedded build into ``endpoint``, replacing those graphs."""
    from clusterkg.store import guess_gsp_url

    local = open_store(settings.store)
    if not isinstance(local, EmbeddedStore):
        raise ValueError("push reads the embedded store; --store must be a directory")
    remote = RemoteStore(endpoint, update_url, gsp_url or guess_gsp_url(endpoint), timeout=120)
    counts: dict[str, int] = {}
    try:
        for graph in local.graphs():
            data = local.dump(ox.RdfFormat.N_TRIPLES, graph)
            remote.drop_graph(graph)
            remote.load(data, ox.RdfFormat.N_TRIPLES, graph)
            counts[graph] = local.count(graph)
            if on_graph:
                on_graph(graph, counts[graph])
    finally:
        remote.close()
    return counts
