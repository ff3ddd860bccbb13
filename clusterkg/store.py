"""The store interface and its two implementations.

Everything above this module (build, query, web, cli) talks to a :class:`Store`, never to
pyoxigraph or HTTP directly, so the same code runs on the embedded store (the default:
Oxigraph on disk, nothing to install or start) and on any SPARQL 1.1 server (Oxigraph server,
Fuseki, GraphDB, Virtuoso, QLever) for data that outgrows one machine.

Results are always pyoxigraph terms, whichever store produced them: the remote store parses
the server's answer with pyoxigraph's own result parsers.
"""

from __future__ import annotations

import gc
import os
import shutil
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, Protocol, runtime_checkable

import pyoxigraph as ox
import requests

from clusterkg.sources import PREFIXES, SPARQL_PREFIXES

Term = ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple


class StoreError(RuntimeError):
    """The store could not do what was asked (unreachable server, bad answer, missing build)."""


@dataclass
class QueryResult:
    """One query's answer in a shape that does not depend on the store.

    ``kind`` says which of the other fields is filled. ``rows`` and ``triples`` are iterators:
    consume them once.
    """

    kind: Literal["bindings", "boolean", "graph"]
    variables: list[str] = field(default_factory=list)
    rows: Iterator[tuple[Term | None, ...]] = field(default_factory=lambda: iter(()))
    boolean: bool | None = None
    triples: Iterator[ox.Triple] = field(default_factory=lambda: iter(()))

    @classmethod
    def from_oxigraph(cls, result: object) -> QueryResult:
        if isinstance(result, ox.QueryBoolean):
            return cls("boolean", boolean=bool(result))
        if isinstance(result, ox.QuerySolutions):
            names = [v.value for v in result.variables]
            rows = (tuple(sol[name] for name in names) for sol in result)
            return cls("bindings", variables=names, rows=rows)
        if isinstance(result, ox.QueryTriples):
            return cls("graph", triples=iter(result))
        raise StoreError(f"unexpected query result type {type(result).__name__}")

    def to_dicts(self) -> list[dict[str, Term]]:
        """Bindings as dicts (unbound variables left out); for tests and small answers."""
        return [
            {n: v for n, v in zip(self.variables, row, strict=True) if v is not None}
            for row in self.rows
        ]


@runtime_checkable
class Store(Protocol):
    """What clusterkg needs from a quad store."""

    def query(
        self,
        sparql: str,
        *,
        union: bool = True,
        default_graphs: Sequence[str] | None = None,
        named_graphs: Sequence[str] | None = None,
        timeout: float | None = None,
    ) -> QueryResult: ...

    def update(self, sparql: str) -> None: ...

    def load(self, data: bytes, fmt: ox.RdfFormat, graph: str) -> None: ...

    def add_quads(self, quads: Iterable[ox.Quad]) -> None: ...

    def drop_graph(self, graph: str) -> None: ...

    def clear(self) -> None: ...

    def graphs(self) -> list[str]: ...

    def count(self, graph: str | None = None) -> int: ...

    def dump(self, fmt: ox.RdfFormat, graph: str | None = None) -> bytes: ...

    def close(self) -> None: ...


def _dataset_kwargs(
    union: bool, default_graphs: Sequence[str] | None, named_graphs: Sequence[str] | None
) -> dict[str, object]:
    # The project's prefixes are predeclared (as on most public endpoints); a query's own
    # PREFIX lines override them.
    kwargs: dict[str, object] = {"prefixes": PREFIXES}
    if default_graphs:
        kwargs["default_graph"] = [ox.NamedNode(g) for g in default_graphs]
    elif union:
        kwargs["use_default_graph_as_union"] = True
    elif named_graphs:
        # A dataset given by the protocol replaces the query's own FROM clauses entirely
        # (SPARQL 1.1 Protocol, 2.1.4): named graphs alone leave the plain default graph.
        kwargs["default_graph"] = ox.DefaultGraph()
    if named_graphs:
        kwargs["named_graphs"] = [ox.NamedNode(g) for g in named_graphs]
    return kwargs


class EmbeddedStore:
    """Oxigraph on disk (or in memory when ``path`` is None).

    Opened read-only by servers and query workers (many processes may read one build);
    opened writable only by a build, on a fresh directory that nobody reads yet.
    """

    def __init__(self, path: Path | None = None, *, read_only: bool = False) -> None:
        self.path = path
        if path is None:
            self._store = ox.Store()
        elif read_only:
            if not (path / "CURRENT").exists():
                raise StoreError(f"no store at {path}: run `clusterkg build` first")
            self._store = ox.Store.read_only(str(path))
        else:
            path.mkdir(parents=True, exist_ok=True)
            self._store = ox.Store(str(path))
        self.read_only = read_only

    @property
    def oxigraph(self) -> ox.Store:
        """The underlying pyoxigraph store, for bulk loading in the build."""
        return self._store

    def query(
        self,
        sparql: str,
        *,
        union: bool = True,
        default_graphs: Sequence[str] | None = None,
        named_graphs: Sequence[str] | None = None,
        timeout: float | None = None,
        base_iri: str | None = None,
    ) -> QueryResult:
        # ``timeout`` cannot be honoured in-process (pyoxigraph cannot be interrupted): the
        # executor module runs public queries in a worker process it can kill.
        # ``base_iri`` resolves relative IRIs (the endpoint's URL, as the protocol suggests).
        kwargs = _dataset_kwargs(union, default_graphs, named_graphs)
        if base_iri:
            kwargs["base_iri"] = base_iri
        result = self._store.query(sparql, **kwargs)
        return QueryResult.from_oxigraph(result)

    def update(self, sparql: str) -> None:
        self._store.update(sparql)

    def load(self, data: bytes, fmt: ox.RdfFormat, graph: str) -> None:
        self._store.bulk_load(data, format=fmt, to_graph=ox.NamedNode(graph))

    def add_quads(self, quads: Iterable[ox.Quad]) -> None:
        self._store.bulk_extend(quads)

    def drop_graph(self, graph: str) -> None:
        node = ox.NamedNode(graph)
        if node in set(self._store.named_graphs()):
            self._store.remove_graph(node)

    def clear(self) -> None:
        self._store.clear()

    def graphs(self) -> list[str]:
        return sorted(g.value for g in self._store.named_graphs() if isinstance(g, ox.NamedNode))

    def count(self, graph: str | None = None) -> int:
        if graph is None:
            return len(self._store)
        return sum(1 for _ in self._store.quads_for_pattern(None, None, None, ox.NamedNode(graph)))

    def dump(self, fmt: ox.RdfFormat, graph: str | None = None) -> bytes:
        if graph is not None:
            return self._store.dump(format=fmt, from_graph=ox.NamedNode(graph)) or b""
        return self._store.dump(format=fmt) or b""

    def quads(self, graph: str | None = None) -> Iterator[ox.Quad]:
        g = ox.NamedNode(graph) if graph else None
        return iter(self._store.quads_for_pattern(None, None, None, g))

    def flush(self) -> None:
        if not self.read_only:
            self._store.flush()

    def close(self) -> None:
        """Release the RocksDB handle (pyoxigraph closes on garbage collection)."""
        self.flush()
        self._store = None  # type: ignore[assignment]
        gc.collect()


class RemoteStore:
    """Any SPARQL 1.1 endpoint, through the SPARQL 1.1 Protocol.

    Queries go to ``query_url``. Writes go to the Graph Store Protocol endpoint when one is
    known (fast, one request per graph) and otherwise to ``update_url`` as ``INSERT DATA`` in
    chunks, which every SPARQL 1.1 server accepts. The server decides what its default graph
    is: start Oxigraph with ``--union-default-graph`` (or set Fuseki's ``unionDefaultGraph``)
    so that queries see every graph, as the embedded store does.
    """

    chunk_triples = 20_000

    def __init__(
        self,
        query_url: str,
        update_url: str | None = None,
        gsp_url: str | None = None,
        *,
        timeout: float = 30.0,
        session: requests.Session | None = None,
    ) -> None:
        self.query_url = query_url
        self.update_url = update_url or guess_update_url(query_url)
        self.gsp_url = gsp_url
        self.timeout = timeout
        self.session = session or requests.Session()
        self.session.headers.setdefault("User-Agent", "clusterkg/0.1 (SPARQL client)")

    # -- reading ---------------------------------------------------------------------------
    def _post_query(
        self,
        sparql: str,
        accept: str,
        default_graphs: Sequence[str] | None,
        named_graphs: Sequence[str] | None,
        timeout: float | None,
    ) -> requests.Response:
        form: list[tuple[str, str]] = [("query", SPARQL_PREFIXES + sparql)]
        form += [("default-graph-uri", g) for g in default_graphs or ()]
        form += [("named-graph-uri", g) for g in named_graphs or ()]
        try:
            response = self.session.post(
                self.query_url,
                data=form,
                headers={"Accept": accept},
                timeout=timeout or self.timeout,
            )
        except requests.Timeout as exc:
            raise StoreError(
                f"{self.query_url} did not answer within {timeout or self.timeout} s"
            ) from exc
        except requests.ConnectionError as exc:
            raise StoreError(f"cannot reach {self.query_url}: {exc}") from exc
        if response.status_code == 400:
            raise SyntaxError(f"the server refused the query: {response.text.strip()[:2000]}")
        if not response.ok:
            raise StoreError(
                f"{self.query_url} answered HTTP {response.status_code}: "
                f"{response.text.strip()[:500]}"
            )
        return response

    def query(
        self,
        sparql: str,
        *,
        union: bool = True,
        default_graphs: Sequence[str] | None = None,
        named_graphs: Sequence[str] | None = None,
        timeout: float | None = None,
    ) -> QueryResult:
        accept = "application/sparql-results+json, application/n-triples;q=0.9, text/turtle;q=0.8"
        response = self._post_query(sparql, accept, default_graphs, named_graphs, timeout)
        ctype = response.headers.get("Content-Type", "").split(";")[0].strip()
        if ctype in ("application/sparql-results+json", "application/json"):
            parsed = ox.parse_query_results(response.content, format=ox.QueryResultsFormat.JSON)
            return QueryResult.from_oxigraph(parsed)
        if ctype == "application/sparql-results+xml":
            parsed = ox.parse_query_results(response.content, format=ox.QueryResultsFormat.XML)
            return QueryResult.from_oxigraph(parsed)
        fmt = ox.RdfFormat.from_media_type(ctype)
        if fmt is None:
            raise StoreError(f"{self.query_url} answered with unsupported type {ctype!r}")
        triples = (q.triple for q in ox.parse(response.content, format=fmt))
        return QueryResult("graph", triples=triples)

    def graphs(self) -> list[str]:
        result = self.query("SELECT DISTINCT ?g WHERE { GRAPH ?g { } }", union=False)
        return sorted(row[0].value for row in result.rows if isinstance(row[0], ox.NamedNode))

    def count(self, graph: str | None = None) -> int:
        if graph is None:
            # clusterkg keeps everything in named graphs; a server's own default graph may be
            # the union of them, so count graph by graph to avoid counting twice.
            sparql = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"
        else:
            sparql = f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}"
        rows = list(self.query(sparql, union=False).rows)
        return int(rows[0][0].value) if rows and rows[0][0] is not None else 0

    def dump(self, fmt: ox.RdfFormat, graph: str | None = None) -> bytes:
        graphs = [graph] if graph else self.graphs()
        dataset = ox.Dataset()
        for g in graphs:
            result = self.query(f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{g}> {{ ?s ?p ?o }} }}")
            node = ox.NamedNode(g)
            for t in result.triples:
                dataset.add(ox.Quad(t.subject, t.predicate, t.object, node))
        if fmt.supports_datasets:
            return ox.serialize(dataset, format=fmt) or b""
        return ox.serialize((q.triple for q in dataset), format=fmt) or b""

    # -- writing ---------------------------------------------------------------------------
    def _send(self, method: str, url: str, **kwargs: object) -> requests.Response:
        try:
            response = self.session.request(method, url, timeout=max(self.timeout, 120), **kwargs)
        except requests.RequestException as exc:
            raise StoreError(f"cannot reach {url}: {exc}") from exc
        return response

    def update(self, sparql: str) -> None:
        response = self._send(
            "POST",
            self.update_url,
            data=sparql.encode("utf-8"),
            headers={"Content-Type": "application/sparql-update; charset=utf-8"},
        )
        if not response.ok:
            raise StoreError(
                f"{self.update_url} refused the update (HTTP {response.status_code}): "
                f"{response.text.strip()[:500]}"
            )

    def load(self, data: bytes, fmt: ox.RdfFormat, graph: str) -> None:
        if self.gsp_url:
            response = self._send(
                "POST",
                self.gsp_url,
                params={"graph": graph},
                data=data,
                headers={"Content-Type": fmt.media_type},
            )
            if response.ok:
                return
            if response.status_code not in (404, 405, 415):
                raise StoreError(
                    f"{self.gsp_url} refused graph {graph} (HTTP {response.status_code}): "
                    f"{response.text.strip()[:500]}"
                )
        node = ox.NamedNode(graph)
        self.add_quads(
            ox.Quad(q.subject, q.predicate, q.object, node) for q in ox.parse(data, format=fmt)
        )

    def add_quads(self, quads: Iterable[ox.Quad]) -> None:
        """Insert with ``INSERT DATA`` in chunks, grouped by graph."""
        chunk: list[ox.Quad] = []
        for quad in quads:
            chunk.append(quad)
            if len(chunk) >= self.chunk_triples:
                self._insert(chunk)
                chunk = []
        if chunk:
            self._insert(chunk)

    def _insert(self, quads: list[ox.Quad]) -> None:
        by_graph: dict[str, list[str]] = {}
        for q in quads:
            key = str(q.graph_name) if isinstance(q.graph_name, ox.NamedNode) else ""
            by_graph.setdefault(key, []).append(f"{q.subject} {q.predicate} {q.object} .")
        parts = []
        for graph, lines in by_graph.items():
            body = "\n".join(lines)
            parts.append(f"GRAPH {graph} {{\n{body}\n}}" if graph else body)
        self.update("INSERT DATA {\n" + "\n".join(parts) + "\n}")

    def drop_graph(self, graph: str) -> None:
        self.update(f"DROP SILENT GRAPH <{graph}>")

    def clear(self) -> None:
        self.update("CLEAR SILENT ALL")

    def close(self) -> None:
        self.session.close()


def guess_update_url(query_url: str) -> str:
    """The usual update endpoint beside a query endpoint (Oxigraph, Fuseki, QLever)."""
    for suffix in ("/query", "/sparql"):
        if query_url.rstrip("/").endswith(suffix):
            return query_url.rstrip("/")[: -len(suffix)] + "/update"
    return query_url


def guess_gsp_url(query_url: str) -> str | None:
    """Oxigraph's Graph Store endpoint is ``/store`` beside ``/query``; Fuseki's is ``/data``."""
    base = query_url.rstrip("/")
    if base.endswith("/query"):
        return base[: -len("/query")] + "/store"
    return None


# -- the embedded store's builds and its ``current`` pointer -------------------------------


def current_build(store_dir: Path) -> Path | None:
    """The build the ``current`` link points at, or None before the first good build."""
    link = store_dir / "current"
    if not link.is_symlink() and not link.exists():
        return None
    target = link.resolve()
    return target if target.is_dir() else None


def switch_current(store_dir: Path, build: Path) -> None:
    """Point ``current`` at ``build`` atomically (rename over the old link)."""
    tmp = store_dir / f".current-{os.getpid()}"
    if tmp.is_symlink() or tmp.exists():
        tmp.unlink()
    tmp.symlink_to(build.relative_to(store_dir))
    os.replace(tmp, store_dir / "current")


def prune_builds(store_dir: Path, keep: int) -> None:
    """Delete old builds, never the current one."""
    builds_dir = store_dir / "builds"
    if not builds_dir.is_dir():
        return
    current = current_build(store_dir)
    builds = sorted(p for p in builds_dir.iterdir() if p.is_dir())
    for old in builds[:-keep] if keep > 0 else builds:
        if current is None or old.resolve() != current:
            shutil.rmtree(old, ignore_errors=True)


class CurrentStore:
    """The embedded store's current build, reopened when a new build is switched in.

    Servers hold one of these: each query asks :meth:`get`, which notices a changed
    ``current`` link and reopens, so a build publishes without restarting the server, and a
    failed build (which never moves the link) changes nothing.
    """

    def __init__(self, store_dir: Path) -> None:
        self.store_dir = store_dir
        self._target: Path | None = None
        self._store: EmbeddedStore | None = None

    def get(self) -> EmbeddedStore:
        target = current_build(self.store_dir)
        if target is None:
            raise StoreError(f"no built store under {self.store_dir}: run `clusterkg build` first")
        if target != self._target or self._store is None:
            self._store = EmbeddedStore(target / "store", read_only=True)
            self._target = target
        return self._store


def open_store(
    store: str, *, update_url: str | None = None, gsp_url: str | None = None, timeout: float = 30.0
) -> Store:
    """A store from a setting: a URL means remote, anything else the embedded current build."""
    if store.startswith(("http://", "https://")):
        return RemoteStore(store, update_url, gsp_url or guess_gsp_url(store), timeout=timeout)
    return CurrentStore(Path(store)).get()
