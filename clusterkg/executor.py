"""Running queries in worker processes, so that a time limit really stops them.

A pyoxigraph query cannot be interrupted from Python: a thread that waits for it can give up,
but the query goes on using a core. So public queries on the embedded store run in a small
pool of worker processes, each with the current build open read-only; when a query overruns
its limit, its worker is killed and replaced, and the caller gets :class:`QueryTimeout`.
The answer is serialised in the worker and crosses the pipe as bytes, which is the cheapest
form to hand to an HTTP response.

Writable mode (``QueryPool(..., writable=True)``), for an operator who enables SPARQL Update
on the embedded store: RocksDB lets only one process open a directory for writing, and a
read-only handle opened beside a writer sees a stale snapshot. So in this mode the store is
one plain Oxigraph directory (not a build under ``current``), opened read-write by exactly
one worker process, which runs every query and every update in turn; no other process opens
it. Updates are transactional in Oxigraph, so a worker killed at the time limit leaves the
store as it was before the update. One web process per writable store: serve it with the
threaded server or ``--workers 1`` (``clusterkg serve`` refuses more).
"""

from __future__ import annotations

import multiprocessing as mp
import queue
import threading
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path

from clusterkg.results import Answer, serialize
from clusterkg.sources import PREFIXES
from clusterkg.store import CurrentStore, EmbeddedStore, StoreError


class QueryTimeout(Exception):
    """The query ran past its time limit and was stopped."""


class QueryFailed(Exception):
    """The engine could not answer (an evaluation error, a failed SERVICE call, no store)."""


@dataclass(frozen=True)
class Job:
    """One query to run, with the dataset and the output format already decided."""

    sparql: str
    fmt: str
    max_rows: int | None = None
    union: bool = True
    default_graphs: tuple[str, ...] = ()
    named_graphs: tuple[str, ...] = ()
    base_iri: str | None = None


@dataclass(frozen=True)
class UpdateJob:
    """One SPARQL Update request, already vetted and rewritten for its dataset parameters."""

    sparql: str
    base_iri: str | None = None


def run_update(store: EmbeddedStore, job: UpdateJob) -> Answer:
    """Apply an update (one transaction) and make it durable before answering."""
    store.oxigraph.update(job.sparql, base_iri=job.base_iri, prefixes=PREFIXES)
    store.flush()
    return Answer(b"", "text/plain", "update", 0, False)


def run_job(current: CurrentStore | EmbeddedStore, job: Job) -> Answer:
    """Run a job on the embedded store in this process (what a worker does)."""
    store = current.get() if isinstance(current, CurrentStore) else current
    result = store.query(
        job.sparql,
        union=job.union,
        default_graphs=job.default_graphs or None,
        named_graphs=job.named_graphs or None,
        base_iri=job.base_iri,
    )
    return serialize(result, job.fmt, job.max_rows)


def _worker_main(conn: Connection, store_dir: str, writable: bool = False) -> None:
    current: CurrentStore | EmbeddedStore
    current = EmbeddedStore(Path(store_dir)) if writable else CurrentStore(Path(store_dir))
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return
        try:
            if isinstance(job, UpdateJob):
                if not isinstance(current, EmbeddedStore):
                    raise StoreError("this query worker serves a read-only build")
                conn.send(("ok", run_update(current, job)))
            else:
                conn.send(("ok", run_job(current, job)))
        except SyntaxError as exc:
            conn.send(("syntax", str(exc)))
        except StoreError as exc:
            conn.send(("store", str(exc)))
        except Exception as exc:  # the engine's own errors, reported to the caller
            conn.send(("error", f"{type(exc).__name__}: {exc}"))


class _Worker:
    def __init__(
        self, ctx: mp.context.SpawnContext, store_dir: Path, writable: bool = False
    ) -> None:
        self.conn, child = ctx.Pipe()
        self.process = ctx.Process(
            target=_worker_main,
            args=(child, str(store_dir), writable),
            daemon=True,
            name="clusterkg-query-worker",
        )
        self.process.start()
        child.close()

    def kill(self) -> None:
        self.process.kill()
        self.process.join(timeout=5)
        self.conn.close()


class QueryPool:
    """A fixed number of query worker processes over the embedded store's current build."""

    def __init__(self, store_dir: Path, size: int = 2, *, writable: bool = False) -> None:
        self.store_dir = store_dir
        self.writable = writable
        # A writable store has exactly one process that opens it (see the module docstring).
        self.size = 1 if writable else max(1, size)
        self._ctx = mp.get_context("spawn")
        self._idle: queue.Queue[_Worker] = queue.Queue()
        self._all: list[_Worker] = []
        self._lock = threading.Lock()
        for _ in range(self.size):
            self._idle.put(self._spawn())

    def _spawn(self) -> _Worker:
        worker = _Worker(self._ctx, self.store_dir, self.writable)
        with self._lock:
            self._all.append(worker)
        return worker

    def _replace(self, worker: _Worker) -> _Worker:
        worker.kill()
        with self._lock:
            if worker in self._all:
                self._all.remove(worker)
        return self._spawn()

    def run(self, job: Job | UpdateJob, timeout: float) -> Answer:
        """Run ``job``; the time spent waiting for a free worker counts against ``timeout``."""
        deadline = time.monotonic() + timeout
        try:
            worker = self._idle.get(timeout=timeout)
        except queue.Empty:
            raise QueryTimeout(
                f"no query worker became free within {timeout:g} s (the server is busy)"
            ) from None
        try:
            worker.conn.send(job)
            if not worker.conn.poll(max(deadline - time.monotonic(), 0.0)):
                worker = self._replace(worker)
                raise QueryTimeout(
                    f"the query ran longer than the {timeout:g} s limit and was stopped"
                )
            status, payload = worker.conn.recv()
        except (EOFError, BrokenPipeError, ConnectionResetError, OSError):
            worker = self._replace(worker)
            raise QueryFailed("the query worker stopped unexpectedly; try again") from None
        finally:
            self._idle.put(worker)
        if status == "ok":
            return payload
        if status == "syntax":
            raise SyntaxError(payload)
        raise QueryFailed(payload)

    def close(self) -> None:
        with self._lock:
            workers, self._all = self._all, []
        for worker in workers:
            worker.kill()
