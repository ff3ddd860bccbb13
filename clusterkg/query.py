"""Running a query the safe way: vet it, run it with a time limit and a row cap, serialise it.

The endpoint, the browser's pages and ``clusterkg query`` all come through
:class:`QueryService`, so the read-only rule, the SERVICE allowlist, the time limit and the row
cap hold everywhere, for the embedded and the remote store alike.
"""

from __future__ import annotations

import json
import os
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass

import pyoxigraph as ox

from clusterkg import guard
from clusterkg.config import Settings
from clusterkg.executor import Job, QueryFailed, QueryPool, QueryTimeout, UpdateJob
from clusterkg.federation import explain_failure
from clusterkg.results import Answer, serialize
from clusterkg.store import RemoteStore, StoreError, guess_gsp_url

__all__ = ["QueryFailed", "QueryService", "QueryTimeout", "Rows", "json_term"]


@dataclass
class Rows:
    """A SELECT answer as Python values, for pages and the command line."""

    variables: list[str]
    rows: list[dict[str, object]]
    truncated: bool = False


def json_term(binding: dict[str, object]) -> ox.NamedNode | ox.BlankNode | ox.Literal:
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
                self._pool = QueryPool(
                    self.settings.store_dir,
                    self.settings.query_workers,
                    writable=self.settings.writable,
                )
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
        base_iri: str | None = None,
    ) -> tuple[guard.QueryInfo, Answer]:
        """Vet and run a public query. ``max_rows=-1`` means the configured cap.

        Raises guard.QuerySyntaxError, guard.QueryRefused, QueryTimeout, QueryFailed.
        """
        info = guard.check(sparql, service_allowlist=self.settings.service_allowlist)
        fmt = graph_format if info.form in ("CONSTRUCT", "DESCRIBE") else bindings_format
        cap = self.settings.max_rows if max_rows == -1 else max_rows
        limit = timeout or self.settings.query_timeout
        union = not default_graphs and not named_graphs and not info.has_dataset_clause
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
                timed_out = "did not answer within" in str(exc)
                message = explain_failure(info.services, str(exc), timed_out=timed_out)
                if timed_out:
                    raise QueryTimeout(message) from exc
                raise QueryFailed(message) from exc
        job = Job(sparql, fmt, cap, union, tuple(default_graphs), tuple(named_graphs), base_iri)
        try:
            return info, self.pool.run(job, limit)
        except SyntaxError as exc:  # the engine's parser is stricter than the guard's
            raise guard.QuerySyntaxError(str(exc)) from None
        except (QueryTimeout, QueryFailed) as exc:
            if not info.services:
                raise
            # Name the SERVICE endpoint: the engine's socket error does not (issue 7).
            timed_out = isinstance(exc, QueryTimeout)
            message = explain_failure(info.services, str(exc), timed_out=timed_out)
            raise type(exc)(message) from exc

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
            {k: json_term(v) for k, v in binding.items()} for binding in doc["results"]["bindings"]
        ]
        return Rows(doc["head"]["vars"], rows, answer.truncated)

    def update(
        self,
        sparql: str,
        *,
        using_graphs: Sequence[str] = (),
        using_named_graphs: Sequence[str] = (),
        base_iri: str | None = None,
        timeout: float | None = None,
    ) -> guard.QueryInfo:
        """Vet and apply a SPARQL Update request (only when the operator enabled writes).

        ``using_graphs``/``using_named_graphs`` are the protocol's ``using-graph-uri`` and
        ``using-named-graph-uri``: they become USING clauses of every DELETE/INSERT operation,
        and may not be combined with the request's own USING or WITH (HTTP 400).
        Raises guard.QuerySyntaxError, guard.QueryRefused, QueryTimeout, QueryFailed.
        """
        info = guard.check(
            sparql,
            service_allowlist=self.settings.service_allowlist,
            allow_update=self.settings.writes_enabled,
        )
        if not info.is_update:
            raise guard.QueryRefused(
                f"expected a SPARQL Update, got a {info.form} query: send queries as 'query'",
                status=400,
            )
        if (using_graphs or using_named_graphs) and info.has_dataset_clause:
            raise guard.QueryRefused(
                "using-graph-uri/using-named-graph-uri may not be combined with an update that "
                "has its own USING or WITH clause (SPARQL 1.1 Protocol, 2.2.3)",
                status=400,
            )
        text = add_using(sparql, using_graphs, using_named_graphs)
        limit = timeout or self.settings.query_timeout
        if self._remote is not None:
            try:
                self._remote.update(text)
            except StoreError as exc:
                raise QueryFailed(str(exc)) from exc
            return info
        try:
            self.pool.run(UpdateJob(text, base_iri), limit)
        except SyntaxError as exc:
            raise guard.QuerySyntaxError(str(exc)) from None
        return info


_IRIREF = re.compile(r'<[^<>"{}|^`\\\x00-\x20]*>')
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_\-]*")


def add_using(sparql: str, default: Sequence[str], named: Sequence[str]) -> str:
    """Put ``USING <g>``/``USING NAMED <g>`` before the WHERE of each DELETE/INSERT operation.

    Oxigraph's Python API takes no dataset for updates, so the protocol's dataset parameters
    are written into the request. The WHERE to change is found by a small scanner that skips
    strings, IRIs and comments and counts braces: only a WHERE outside all braces starts an
    operation's pattern, and one right after DELETE is a DELETE WHERE shortcut, which has no
    USING clause in the grammar and is left alone.
    """
    if not default and not named:
        return sparql
    clause = "".join(f" USING <{g}>" for g in default)
    clause += "".join(f" USING NAMED <{g}>" for g in named)
    out: list[str] = []
    i, depth, last_word, n = 0, 0, "", len(sparql)
    while i < n:
        ch = sparql[i]
        if ch == "#":
            end = sparql.find("\n", i)
            end = n if end == -1 else end
            out.append(sparql[i:end])
            i = end
            continue
        if ch in "\"'":
            quote = ch * 3 if sparql.startswith(ch * 3, i) else ch
            j = i + len(quote)
            while j < n and not sparql.startswith(quote, j):
                j += 2 if sparql[j] == "\\" else 1
            j = min(j + len(quote), n)
            out.append(sparql[i:j])
            i = j
            continue
        if ch == "<":
            match = _IRIREF.match(sparql, i)
            if match:
                out.append(match.group())
                i = match.end()
                continue
        if ch == "{":
            if depth == 0:
                last_word = "{"
            depth += 1
        elif ch == "}":
            depth -= 1
        elif depth == 0 and (ch.isalpha() or ch == "_"):
            match = _WORD.match(sparql, i)
            assert match is not None
            word = match.group()
            after_name = i > 0 and sparql[i - 1] in ":?$"
            if not after_name and word.upper() == "WHERE" and last_word.upper() != "DELETE":
                out.append(clause.strip() + " ")
            if not after_name:
                last_word = word
            out.append(word)
            i = match.end()
            continue
        out.append(ch)
        i += 1
    return "".join(out)
