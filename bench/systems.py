"""The systems under test, each behind the same small interface, and the timing loops.

(a) clusterkg in-process: the embedded Oxigraph store opened read-only, as a Python user of
    clusterkg would query it; (b) clusterkg's HTTP endpoint under gunicorn, the whole public
    path (guard parse, worker process, IPC, JSON); (c) Oxigraph server on the same data;
    (d) rdflib's SPARQL engine; (e) rdflib-endpoint serving the rdflib graph.

Every server binds 127.0.0.1 on a free port, is started and stopped here, and every request
loop is bounded in count and time. rdflib cannot be interrupted mid-query, so each rdflib
query runs in a forked child (the loaded graph is shared copy-on-write) that is killed when
its budget runs out; the result then says "> budget" instead of a time.
"""

from __future__ import annotations

import http.client
import json
import os
import select
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

VENV_BIN = Path(sys.executable).parent


@dataclass
class Measurement:
    """Repeated runs of one query on one system at one size."""

    system: str
    size: str
    query: str
    kind: str
    times: list[float] = field(default_factory=list)
    rows: int | None = None
    status: str = "ok"  # ok, timeout, error, skipped
    note: str = ""

    @property
    def median(self) -> float | None:
        return statistics.median(self.times) if self.status == "ok" and self.times else None

    @property
    def p95(self) -> float | None:
        if self.status != "ok" or not self.times:
            return None
        ordered = sorted(self.times)
        return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]

    def as_json(self) -> dict[str, Any]:
        return {
            "system": self.system,
            "size": self.size,
            "query": self.query,
            "kind": self.kind,
            "status": self.status,
            "note": self.note,
            "rows": self.rows,
            "runs": len(self.times),
            "median_ms": None if self.median is None else round(self.median * 1000, 3),
            "p95_ms": None if self.p95 is None else round(self.p95 * 1000, 3),
        }


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_port(port: int, seconds: float, process: subprocess.Popen[bytes] | None = None) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode} before listening")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listened on 127.0.0.1:{port} within {seconds} s")


def stop(process: subprocess.Popen[bytes]) -> None:
    """Stop a server we started (its whole process group: gunicorn has children)."""
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=5)


def time_runs(
    run: Callable[[], int], reps: int, budget: float, min_reps: int = 3
) -> tuple[list[float], int]:
    """One warm-up, then up to ``reps`` timed runs (at least ``min_reps``) within ``budget`` s."""
    t0 = time.perf_counter()
    rows = run()
    warm = time.perf_counter() - t0
    if warm > budget * 5:  # a slow query: its warm-up is its one timing
        return [warm], rows
    # a heavy query (its caches are as warm after one run as after two): the warm-up counts
    times: list[float] = [warm] if warm > budget / 3 else []
    spent = sum(times)
    while len(times) < reps and (len(times) < min_reps or spent < budget):
        t0 = time.perf_counter()
        rows = run()
        elapsed = time.perf_counter() - t0
        times.append(elapsed)
        spent += elapsed
    return times, rows


# -- HTTP --------------------------------------------------------------------------------

ACCEPT = "application/sparql-results+json, text/turtle;q=0.9, application/n-triples;q=0.8"


class HttpSparql:
    """A keep-alive SPARQL 1.1 Protocol client (POST, application/sparql-query)."""

    def __init__(self, port: int, path: str, timeout: float) -> None:
        self.port, self.path, self.timeout = port, path, timeout
        self.conn: http.client.HTTPConnection | None = None

    def post(self, query: str) -> tuple[int, bytes]:
        for attempt in (0, 1):
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
            try:
                self.conn.request(
                    "POST",
                    self.path,
                    body=query.encode("utf-8"),
                    headers={"Content-Type": "application/sparql-query", "Accept": ACCEPT},
                )
                response = self.conn.getresponse()
                return response.status, response.read()
            except (ConnectionError, http.client.RemoteDisconnected, BrokenPipeError):
                self.close()
                if attempt:
                    raise
        raise AssertionError("unreachable")

    def rows(self, query: str) -> int:
        status, body = self.post(query)
        text = body[:300].decode("utf-8", "replace")
        if status == 503 or (status >= 500 and "timeout" in text.lower()):
            raise TimeoutError(f"HTTP {status}: {text}")
        if status != 200:
            raise RuntimeError(f"HTTP {status}: {body[:300].decode('utf-8', 'replace')}")
        return count_rows(body)

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def count_rows(body: bytes) -> int:
    """Rows of a JSON SELECT answer, 1 for ASK, lines for a graph answer."""
    text = body.lstrip()
    if text.startswith(b"{"):
        doc = json.loads(body)
        if "boolean" in doc:
            return 1
        return len(doc["results"]["bindings"])
    return sum(1 for line in body.splitlines() if line.strip().endswith(b"."))


class ClusterkgServer:
    """``clusterkg serve --workers N`` (gunicorn) over a built store directory."""

    name = "clusterkg-endpoint"

    def __init__(self, store_dir: Path, workers: int = 2) -> None:
        self.port = free_port()
        env = {**os.environ, "CLUSTERKG_STORE": str(store_dir)}
        self.process = subprocess.Popen(
            [
                str(VENV_BIN / "clusterkg"),
                "--store",
                str(store_dir),
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--workers",
                str(workers),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=env,
            start_new_session=True,
        )
        wait_port(self.port, 60, self.process)
        self.path = "/sparql"
        warm = HttpSparql(self.port, self.path, 60)
        deadline = time.monotonic() + 60
        while True:  # the query workers start lazily; wait until one answers
            try:
                warm.rows("ASK { ?s ?p ?o }")
                break
            except (RuntimeError, OSError):
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.3)
        warm.close()

    def stop(self) -> None:
        stop(self.process)


class OxigraphServer:
    """``oxigraph serve`` on a store that ``oxigraph load`` filled from the N-Quads dump."""

    name = "oxigraph-server"

    def __init__(self, location: Path, dump: Path, timeout: float = 10.0) -> None:
        binary = shutil.which("oxigraph", path=str(VENV_BIN)) or shutil.which("oxigraph")
        if binary is None:
            raise RuntimeError("the oxigraph binary is missing: pip install -e '.[test]'")
        shutil.rmtree(location, ignore_errors=True)
        started = time.perf_counter()
        subprocess.run(
            [binary, "load", "--location", str(location), "--file", str(dump)],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.load_seconds = time.perf_counter() - started
        self.port = free_port()
        self.process = subprocess.Popen(
            [
                binary,
                "serve",
                "--location",
                str(location),
                "--bind",
                f"127.0.0.1:{self.port}",
                "--union-default-graph",
                "--timeout-s",
                str(int(timeout)),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        wait_port(self.port, 30, self.process)
        self.path = "/query"

    def stop(self) -> None:
        stop(self.process)


# -- rdflib in forked children -------------------------------------------------------------


def fork_call(func: Callable[[], Any], budget: float) -> tuple[str, Any]:
    """Run ``func`` in a forked child; ("ok", value), ("timeout", None) or ("error", text)."""
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # child
        os.close(read_fd)
        try:
            payload = json.dumps(["ok", func()])
        except BaseException as exc:  # report anything to the parent
            payload = json.dumps(["error", f"{type(exc).__name__}: {exc}"[:500]])
        with os.fdopen(write_fd, "w") as out:
            out.write(payload)
        os._exit(0)
    os.close(write_fd)
    chunks: list[bytes] = []
    deadline = time.monotonic() + budget
    status: tuple[str, Any] = ("timeout", None)
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            ready, _, _ = select.select([read_fd], [], [], left)
            if not ready:
                break
            chunk = os.read(read_fd, 65536)
            if not chunk:
                text = b"".join(chunks).decode()
                status = tuple(json.loads(text)) if text else ("error", "child died")  # type: ignore[assignment]
                break
            chunks.append(chunk)
    finally:
        os.close(read_fd)
        if status[0] == "timeout":
            os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    return status


def rdflib_rows(graph: Any, query: str) -> int:
    result = graph.query(query)
    if result.type == "ASK":
        return 1
    return sum(1 for _ in result)


def rdflib_endpoint_child(graph: Any, port: int) -> None:
    """In a forked child: serve ``graph`` with rdflib-endpoint under uvicorn until killed."""
    import logging

    import uvicorn
    from rdflib_endpoint import SparqlEndpoint

    logging.disable(logging.CRITICAL)
    app = SparqlEndpoint(graph=graph, cors_enabled=False)
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="critical", access_log=False)


class RdflibEndpoint:
    """rdflib-endpoint (FastAPI + uvicorn) serving the already loaded graph, in a fork."""

    name = "rdflib-endpoint"

    def __init__(self, graph: Any) -> None:
        self.graph = graph
        self.start()

    def start(self) -> None:
        self.port = free_port()
        pid = os.fork()
        if pid == 0:
            try:
                os.setsid()
                rdflib_endpoint_child(self.graph, self.port)
            finally:
                os._exit(0)
        self.pid = pid
        wait_port(self.port, 60)
        self.path = "/"

    def restart(self) -> None:
        """After a timed-out query (the server is still computing it), start afresh."""
        self.stop()
        self.start()

    def stop(self) -> None:
        try:
            os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
        except (ProcessLookupError, ChildProcessError):
            pass


# -- throughput --------------------------------------------------------------------------


@dataclass
class Throughput:
    system: str
    size: str
    clients: int
    requests: int
    errors: int
    seconds: float
    median_ms: float | None
    error_kinds: dict[str, int] = field(default_factory=dict)

    @property
    def qps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def as_json(self) -> dict[str, Any]:
        return {
            "system": self.system,
            "size": self.size,
            "clients": self.clients,
            "requests": self.requests,
            "errors": self.errors,
            "seconds": round(self.seconds, 3),
            "qps": round(self.qps, 1),
            "median_ms": self.median_ms,
            "error_kinds": self.error_kinds,
        }


def throughput(
    system: str,
    size: str,
    port: int,
    path: str,
    queries: list[str],
    clients: int,
    seconds: float,
    max_requests: int,
) -> Throughput:
    """``clients`` threads, each with its own keep-alive connection, send the queries round
    robin until ``seconds`` pass or ``max_requests`` are done (whichever first)."""
    lock = threading.Lock()
    latencies: list[float] = []
    errors = 0
    kinds: dict[str, int] = {}
    sent = 0
    deadline = time.monotonic() + seconds
    barrier = threading.Barrier(clients + 1)

    def client(index: int) -> None:
        nonlocal errors, sent
        conn = HttpSparql(port, path, timeout=30)
        i = index
        barrier.wait()
        while time.monotonic() < deadline:
            with lock:
                if sent >= max_requests:
                    break
                sent += 1
            t0 = time.perf_counter()
            try:
                status, _ = conn.post(queries[i % len(queries)])
                kind = "" if status == 200 else f"HTTP {status}"
            except OSError as exc:
                kind = type(exc).__name__
                conn.close()
            elapsed = time.perf_counter() - t0
            with lock:
                if not kind:
                    latencies.append(elapsed)
                else:
                    errors += 1
                    kinds[kind] = kinds.get(kind, 0) + 1
            i += 1
        conn.close()

    threads = [threading.Thread(target=client, args=(n,), daemon=True) for n in range(clients)]
    for t in threads:
        t.start()
    barrier.wait()
    started = time.perf_counter()
    for t in threads:
        t.join(timeout=seconds + 60)
    elapsed = time.perf_counter() - started
    median = round(statistics.median(latencies) * 1000, 3) if latencies else None
    return Throughput(system, size, clients, len(latencies), errors, elapsed, median, kinds)


# -- clusterkg in-process, in a child it can stop ----------------------------------------


def _inprocess_child(conn: Any, store_path: str) -> None:
    import pyoxigraph as ox

    from clusterkg.sources import PREFIXES

    store = ox.Store.read_only(store_path)

    def rows_of(text: str) -> int:
        result = store.query(text, use_default_graph_as_union=True, prefixes=PREFIXES)
        if isinstance(result, ox.QueryBoolean):
            return 1
        return sum(1 for _ in result)

    while True:
        try:
            text, reps, budget = conn.recv()
        except (EOFError, OSError):
            return
        try:
            t0 = time.perf_counter()
            rows = rows_of(text)
            warm = time.perf_counter() - t0
            conn.send(("warm", warm))
            if warm > budget * 5:
                conn.send(("ok", ([warm], rows)))
                continue
            times: list[float] = [warm] if warm > budget / 3 else []
            while len(times) < reps and (len(times) < 3 or sum(times) < budget):
                t0 = time.perf_counter()
                rows = rows_of(text)
                times.append(time.perf_counter() - t0)
            conn.send(("ok", (times, rows)))
        except Exception as exc:  # an engine error is a result
            conn.send(("error", f"{type(exc).__name__}: {exc}"[:200]))


class InProcess:
    """(a): the embedded store queried as a library, in a child process so that a query
    over the servers' 10 s limit can be stopped (pyoxigraph cannot be interrupted)."""

    name = "clusterkg-inprocess"

    def __init__(self, store_path: Path, limit: float = 10.0) -> None:
        import multiprocessing as mp

        self.store_path, self.limit = store_path, limit
        self.ctx = mp.get_context("spawn")
        self.start()

    def start(self) -> None:
        self.conn, child = self.ctx.Pipe()
        self.process = self.ctx.Process(
            target=_inprocess_child, args=(child, str(self.store_path)), daemon=True
        )
        self.process.start()
        child.close()

    def run(self, text: str, reps: int, budget: float) -> tuple[str, Any]:
        """("ok", (times, rows)), ("timeout", note) or ("error", text)."""
        try:
            self.conn.send((text, reps, budget))
            if not self.conn.poll(self.limit):
                self.restart()
                return "timeout", f"> {self.limit:g} s (as the servers' time limit)"
            kind, value = self.conn.recv()
            if kind == "warm":
                if not self.conn.poll(max(60.0, budget * 5)):
                    self.restart()
                    return "timeout", "repeated runs took too long"
                kind, value = self.conn.recv()
        except (EOFError, OSError) as exc:
            self.restart()
            return "error", f"the query process died: {exc}"
        return kind, value

    def restart(self) -> None:
        self.stop()
        self.start()

    def stop(self) -> None:
        self.process.kill()
        self.process.join(timeout=5)
        self.conn.close()
