"""Running a query the safe way: vet it, run it with a time limit and a row cap, serialise it.

The endpoint, the browser's pages and ``clusterkg query`` all come through
:class:`QueryService`, so the read-only rule, the SERVICE allowlist, the time limit and the row
cap hold everywhere, for the embedded and the remote store alike.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass

import pyoxigraph as ox

from clusterkg import guard
from clusterkg.config import Settings
from clusterkg.executor import Job, QueryFailed, QueryPool, QueryTimeout
from clusterkg.results import Answer, serialize
from clusterkg.store import RemoteStore, StoreError, guess_gsp_url

__all__ = ["QueryFailed", "QueryService", "QueryTimeout", "Rows"]


@dataclass
class Rows:
    """A SELECT answer as Python values, for pages and the command line."""

    variables: list[str]
    rows: list[dict[str, object]]
    truncated: bool = False


def _json_term(binding: dict[str, object]) -> ox.NamedNode | ox.BlankNode | ox.Literal:
    kind, value = binding["type"], str(binding["value"])
    if kind == "uri":
        return ox.NamedNode(value)
    if kind == "bnode":
        return ox.BlankNode(value)
    if "xml:lang" in binding:
        return ox.Literal(value, language=str(binding["xml:lang"]))
    if "datatype" in binding:
        return ox.Literal(value, datatype=ox.NamedNode(str(binding["datatype"])))
    return ox.Literal(value)


class QueryService:
    """One per process: owns the worker pool (embedded) or the HTTP client (remote)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._pool: QueryPool | None = None
        self._pool_pid: int | None = None
        self._lock = threading.Lock()
        self._remote: RemoteStore | None = None
        if settings.is_remote:
            self._remote = RemoteStore(
                settings.store,
                settings.update_endpoint,
                settings.gsp_endpoint or guess_gsp_url(settings.store),
                timeout=settings.query_timeout,
            )

    @property
    def pool(self) -> QueryPool:
        # Created on first use and again after a fork (gunicorn forks its workers after
        # loading the app; a pool's pipes must not be shared between processes).
        with self._lock:
            if self._pool is None or self._pool_pid != os.getpid():
                self._pool = QueryPool(self.settings.store_dir, self.settings.query_workers)
                self._pool_pid = os.getpid()
            return self._pool

    def close(self) -> None:
        if self._pool is not None and self._pool_pid == os.getpid():
            self._pool.close()
        self._pool = None
        if self._remote is not None:
            self._remote.close()

    def execute(
        self,
        sparql: str,
        *,
        bindings_format: str = "json",
        graph_format: str = "ttl",
        default_graphs: Sequence[str] = (),
        named_graphs: Sequence[str] = (),
        timeout: float | None = None,
        max_rows: int | None = -1,
    ) -> tuple[guard.QueryInfo, Answer]:
        """Vet and run a public query. ``max_rows=-1`` means the configured cap.

        Raises guard.QuerySyntaxError, guard.QueryRefused, QueryTimeout, QueryFailed.
        """
        info = guard.check(sparql, service_allowlist=self.settings.service_allowlist)
        fmt = graph_format if info.form in ("CONSTRUCT", "DESCRIBE") else bindings_format
        cap = self.settings.max_rows if max_rows == -1 else max_rows
        limit = timeout or self.settings.query_timeout
        union = not default_graphs and not info.has_dataset_clause
        if self._remote is not None:
            try:
                result = self._remote.query(
                    sparql,
                    union=union,
                    default_graphs=default_graphs or None,
                    named_graphs=named_graphs or None,
                    timeout=limit,
                )
                return info, serialize(result, fmt, cap)
            except SyntaxError as exc:
                raise guard.QuerySyntaxError(str(exc)) from None
            except StoreError as exc:
                if "did not answer within" in str(exc):
                    raise QueryTimeout(str(exc)) from exc
                raise QueryFailed(str(exc)) from exc
        job = Job(sparql, fmt, cap, union, tuple(default_graphs), tuple(named_graphs))
        try:
            return info, self.pool.run(job, limit)
        except SyntaxError as exc:  # the engine's parser is stricter than the guard's
            raise guard.QuerySyntaxError(str(exc)) from None

    def select(
        self, sparql: str, *, timeout: float | None = None, max_rows: int | None = -1
    ) -> Rows:
        """Run a SELECT and return its rows as dicts of pyoxigraph terms."""
        info, answer = self.execute(
            sparql, bindings_format="json", timeout=timeout, max_rows=max_rows
        )
        if info.form != "SELECT":
            raise ValueError(f"expected a SELECT query, got {info.form}")
        doc = json.loads(answer.body)
        rows = [
            {k: _json_term(v) for k, v in binding.items()} for binding in doc["results"]["bindings"]
        ]
        return Rows(doc["head"]["vars"], rows, answer.truncated)
