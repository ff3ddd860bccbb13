"""``python -m bench [--quick|--full]``: clusterkg against its peers, same data, same queries.

For each size (10^4, 10^5, 10^6 triples in full mode; 10^4 and 10^5 in quick mode) it
generates a synthetic graph (``bench.generate``), builds it with clusterkg's own build
(load, reason, validate, publish; rules and SPARQL-compiled shapes, the path for large data),
times HermiT and pySHACL on the same project within a budget, then runs every query on
(a) clusterkg in-process, (b) clusterkg's endpoint under gunicorn, (c) Oxigraph server,
(d) rdflib, (e) rdflib-endpoint, and measures HTTP throughput at 1, 8 and 32 clients for
(b) and (c). Results go to ``bench/results/`` (``--full``) or ``bench/results/quick/``:
``results.json``, ``results.md`` and PNG plots. The last line printed is the ratio line.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from bench import systems
from bench.generate import generate
from bench.queries import BenchQuery, load_queries
from bench.systems import Measurement, Throughput, time_runs

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
WORK = HERE / "work"


@dataclass(frozen=True)
class Config:
    """How much of everything a mode does. Budgets are seconds."""

    name: str
    sizes: dict[str, int]
    reps: int  # timed runs per query (after one warm-up), at most
    query_budget: float  # stop repeating a query once this much was spent (>= 3 runs)
    rdflib_reps: dict[str, int]
    rdflib_budget: dict[str, float]  # per query, per size: killed past it
    rdflib_stage: dict[str, float]  # all rdflib queries of a size; the rest are skipped
    endpoint_rdflib_max: float  # rdflib-endpoint runs queries rdflib finished within this
    throughput_seconds: float
    throughput_max: int
    probe_budget: float
    probe_sizes: tuple[str, ...]
    out: Path
    query_every: int  # run every n-th file of the competency library


QUICK = Config(
    name="quick",
    sizes={"1e4": 10_000, "1e5": 100_000},
    reps=3,
    query_budget=0.3,
    rdflib_reps={"1e4": 2, "1e5": 1},
    rdflib_budget={"1e4": 3.0, "1e5": 2.0},
    rdflib_stage={"1e4": 15.0, "1e5": 15.0},
    endpoint_rdflib_max=0.3,
    throughput_seconds=1.0,
    throughput_max=2000,
    probe_budget=30.0,
    probe_sizes=(),
    out=HERE / "results" / "quick",
    query_every=5,
)
FULL = Config(
    name="full",
    sizes={"1e4": 10_000, "1e5": 100_000, "1e6": 1_000_000},
    reps=10,
    query_budget=1.5,
    rdflib_reps={"1e4": 5, "1e5": 3, "1e6": 1},
    rdflib_budget={"1e4": 5.0, "1e5": 5.0, "1e6": 5.0},
    rdflib_stage={"1e4": 60.0, "1e5": 60.0, "1e6": 60.0},
    endpoint_rdflib_max=1.0,
    throughput_seconds=3.0,
    throughput_max=50_000,
    probe_budget=60.0,
    probe_sizes=("1e4", "1e5", "1e6"),
    out=HERE / "results",
    query_every=1,
)


@dataclass
class SizeResult:
    label: str
    generated: int = 0
    stored: int = 0
    build: dict[str, float] = field(default_factory=dict)
    inferred: int = 0
    warnings: int = 0
    strategy: dict[str, str] = field(default_factory=dict)
    probes: dict[str, dict[str, Any]] = field(default_factory=dict)
    loads: dict[str, float] = field(default_factory=dict)
    measurements: list[Measurement] = field(default_factory=list)
    throughput: list[Throughput] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "generated_triples": self.generated,
            "stored_quads": self.stored,
            "build_seconds": {k: round(v, 3) for k, v in self.build.items()},
            "inferred": self.inferred,
            "shacl_warnings": self.warnings,
            "strategy": self.strategy,
            "probes": self.probes,
            "load_seconds": {k: round(v, 3) for k, v in self.loads.items()},
            "measurements": [m.as_json() for m in self.measurements],
            "throughput": [t.as_json() for t in self.throughput],
        }


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# -- steps -------------------------------------------------------------------------------


def prepare(label: str, target: int, seed: int) -> tuple[Path, int]:
    """A project tree (the repository's ontology and shapes + generated data)."""
    project = WORK / label / "project"
    shutil.rmtree(WORK / label, ignore_errors=True)
    project.mkdir(parents=True)
    shutil.copytree(REPO / "ontology", project / "ontology")
    made = generate(project, target, seed)
    return project, made.triples


def build(label: str, project: Path, result: SizeResult) -> Path:
    from clusterkg.build import run_build
    from clusterkg.config import Settings

    settings = Settings(root=project, var_dir=WORK / label / "var", query_workers=2)
    report = run_build(settings, docs=False, reasoner="rules", validator="sparql")
    result.build = dict(report.seconds)
    result.inferred = report.inferred
    result.warnings = report.warnings
    result.strategy = {"reasoner": report.reasoner, "validator": report.validator}
    return settings.store_dir


def probe(what: str, project: Path, budget: float) -> dict[str, Any]:
    """HermiT / pySHACL / rules / compiled shapes on the project, in a child process."""
    started = time.perf_counter()
    try:
        out = subprocess.run(
            [sys.executable, "-m", "bench.probe", what, str(project)],
            capture_output=True,
            text=True,
            timeout=budget,
            cwd=REPO,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return {"status": "timeout", "seconds": None, "note": f"> {budget:g} s"}
    if out.returncode != 0:
        tail = (out.stderr.strip().splitlines() or ["?"])[-1][:300]
        return {"status": "error", "seconds": None, "note": tail}
    doc = json.loads(out.stdout.strip().splitlines()[-1])
    doc.update(status="ok", wall=round(time.perf_counter() - started, 2))
    doc["seconds"] = round(doc["seconds"], 3)
    return doc


def result_rows(result: Any) -> int:
    if isinstance(result, ox.QueryBoolean):
        return 1
    return sum(1 for _ in result)


def measure_inprocess(
    store_dir: Path, queries: list[BenchQuery], label: str, cfg: Config
) -> list[Measurement]:
    from clusterkg.store import current_build

    build_dir = current_build(store_dir)
    assert build_dir is not None
    runner = systems.InProcess(build_dir / "store")
    out = []
    try:
        for q in queries:
            m = Measurement("clusterkg-inprocess", label, q.name, q.kind)
            status, value = runner.run(q.text, cfg.reps, cfg.query_budget)
            if status == "ok":
                m.times, m.rows = value
            else:
                m.status, m.note = status, str(value)
            out.append(m)
    finally:
        runner.stop()
    return out


def measure_http(
    server: Any, queries: list[BenchQuery], label: str, cfg: Config, timeout: float
) -> list[Measurement]:
    client = systems.HttpSparql(server.port, server.path, timeout)
    out = []
    for q in queries:
        m = Measurement(server.name, label, q.name, q.kind)
        try:
            m.times, m.rows = time_runs(
                lambda text=q.text: client.rows(text), cfg.reps, cfg.query_budget
            )
        except TimeoutError:
            m.status, m.note = "timeout", "> 10 s (server time limit)"
            client.close()
        except Exception as exc:
            m.status, m.note = "error", f"{type(exc).__name__}: {exc}"[:200]
            client.close()
        out.append(m)
    client.close()
    return out


def measure_throughput(
    server: Any, label: str, queries: list[str], cfg: Config
) -> list[Throughput]:
    out = []
    for clients in (1, 8, 32):
        t = systems.throughput(
            server.name,
            label,
            server.port,
            server.path,
            queries,
            clients,
            cfg.throughput_seconds,
            cfg.throughput_max,
        )
        log(f"  {server.name} {clients:>2} clients: {t.qps:8.1f} q/s ({t.errors} errors)")
        out.append(t)
    return out


def measure_rdflib(
    dump: Path, queries: list[BenchQuery], label: str, cfg: Config, result: SizeResult
) -> list[Measurement]:
    """(d) and (e): one rdflib load, queries in forked children, then rdflib-endpoint."""
    import rdflib

    started = time.perf_counter()
    graph = rdflib.Dataset(default_union=True)
    graph.parse(str(dump), format="nquads")
    result.loads["rdflib"] = time.perf_counter() - started
    log(f"  rdflib loaded {len(graph)} quads in {result.loads['rdflib']:.1f} s")
    gc.collect()
    gc.freeze()  # keep the forked children from copying the graph's pages
    budget, reps = cfg.rdflib_budget[label], cfg.rdflib_reps[label]
    stage_end = time.monotonic() + cfg.rdflib_stage[label]
    # the analytical queries and the stand-ins first: if the stage budget runs out, it is
    # the (many, similar) library questions that are left out
    order = sorted(queries, key=lambda q: (q.kind != "analytical", q.source != "bench"))
    by_name: dict[str, Measurement] = {}
    for q in order:
        m = Measurement("rdflib", label, q.name, q.kind)
        by_name[q.name] = m
        if time.monotonic() > stage_end:
            m.status = "skipped"
            m.note = f"skipped: rdflib stage budget ({cfg.rdflib_stage[label]:g} s) spent"
            continue

        def run(text: str = q.text) -> list[Any]:
            times: list[float] = []
            rows = 0
            for _ in range(reps):
                t0 = time.perf_counter()
                rows = systems.rdflib_rows(graph, text)
                times.append(time.perf_counter() - t0)
                if sum(times) > budget / 2:
                    break
            return [times, rows]

        status, value = systems.fork_call(run, budget)
        if status == "ok":
            m.times, m.rows = value
        else:
            m.status = status
            m.note = f"> {budget:g} s" if status == "timeout" else str(value)
    out: list[Measurement] = [by_name[q.name] for q in queries]
    # (e) the same graph behind rdflib-endpoint; only the queries rdflib itself finished
    # quickly (a query the server cannot be stopped in would block the rest)
    endpoint = systems.RdflibEndpoint(graph)
    client = systems.HttpSparql(endpoint.port, endpoint.path, budget)
    try:
        for q, d in zip(queries, list(out), strict=True):
            m = Measurement("rdflib-endpoint", label, q.name, q.kind)
            if d.median is None or d.median > cfg.endpoint_rdflib_max:
                m.status = "skipped"
                m.note = (
                    d.note
                    if d.status == "skipped"
                    else f"skipped: rdflib {d.note or d.status}"
                    if d.median is None
                    else f"skipped: rdflib > {cfg.endpoint_rdflib_max:g} s"
                )
            else:
                try:
                    m.times, m.rows = time_runs(
                        lambda text=q.text, c=client: c.rows(text),
                        reps,
                        cfg.query_budget,
                        min_reps=1,
                    )
                except TimeoutError:
                    m.status, m.note = "timeout", f"> {budget:g} s"
                    client.close()
                    endpoint.restart()
                    client = systems.HttpSparql(endpoint.port, endpoint.path, budget)
                except Exception as exc:
                    m.status, m.note = "error", f"{type(exc).__name__}: {exc}"[:200]
                    client.close()
            out.append(m)
    finally:
        client.close()
        endpoint.stop()
    gc.unfreeze()
    return out


def run_size(
    label: str, target: int, cfg: Config, seed: int, queries: list[BenchQuery]
) -> SizeResult:
    result = SizeResult(label)
    log(f"== {label}: generating about {target} triples")
    project, result.generated = prepare(label, target, seed)
    log(f"  {result.generated} triples generated; building (rules + SPARQL shapes)")
    store_dir = build(label, project, result)
    log(
        f"  build: {', '.join(f'{k} {v:.2f} s' for k, v in result.build.items())}; "
        f"{result.inferred} inferred"
    )
    # the build's reason and validate steps time the rules and the compiled shapes; the
    # probes time what they replace, HermiT and pySHACL, on the same project
    for what in ("hermit", "pyshacl"):
        if label not in cfg.probe_sizes:
            continue
        # the scalable path gets room to show its time; the others their budget
        budget = cfg.probe_budget * (3 if what in ("rules", "sparql") else 1)
        earlier = [r.probes.get(what) for r in PREVIOUS]
        if any(p and p.get("status") == "timeout" for p in earlier):
            result.probes[what] = {
                "status": "skipped",
                "seconds": None,
                "note": "over budget at a smaller size",
            }
            continue
        last = earlier[-1] if earlier else None
        # measured at 10^4 and 10^5; at 10^6 only if 10x the last time fits the budget
        if label == "1e6" and last and last.get("seconds") and last["seconds"] * 10 > budget:
            result.probes[what] = {
                "status": "skipped",
                "seconds": None,
                "note": f"~{last['seconds'] * 10:.0f} s extrapolated (> {budget:g} s budget)",
            }
            continue
        result.probes[what] = probe(what, project, budget)
        log(f"  probe {what}: {result.probes[what]}")

    from clusterkg.store import EmbeddedStore, current_build

    build_dir = current_build(store_dir)
    assert build_dir is not None
    dump = WORK / label / "dump.nq"
    started = time.perf_counter()
    store = EmbeddedStore(build_dir / "store", read_only=True)
    dump.write_bytes(store.dump(ox.RdfFormat.N_QUADS))
    result.stored = len(store.oxigraph)
    del store
    gc.collect()
    log(f"  dumped {result.stored} quads in {time.perf_counter() - started:.1f} s")

    log("  (a) clusterkg in-process")
    result.measurements += measure_inprocess(store_dir, queries, label, cfg)
    # the throughput mix: competency questions that answer within 50 ms in-process
    light = [
        q.text
        for q, m in zip(queries, result.measurements, strict=True)
        if q.kind == "competency" and m.median is not None and m.median < 0.05
    ]

    log("  (b) clusterkg endpoint (gunicorn, 2 workers)")
    server: Any = systems.ClusterkgServer(store_dir)
    try:
        result.measurements += measure_http(server, queries, label, cfg, timeout=60)
        result.throughput += measure_throughput(server, label, light, cfg)
    finally:
        server.stop()

    log("  (c) Oxigraph server")
    server = systems.OxigraphServer(WORK / label / "oxigraph", dump)
    result.loads["oxigraph-server"] = server.load_seconds
    try:
        result.measurements += measure_http(server, queries, label, cfg, timeout=60)
        result.throughput += measure_throughput(server, label, light, cfg)
    finally:
        server.stop()

    log("  (d) rdflib and (e) rdflib-endpoint")
    result.measurements += measure_rdflib(dump, queries, label, cfg, result)
    return result


PREVIOUS: list[SizeResult] = []


def machine() -> dict[str, Any]:
    from importlib.metadata import version

    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem = next(
            int(x.split()[1])
            for x in Path("/proc/meminfo").read_text().splitlines()
            if x.startswith("MemTotal")
        )
    except (OSError, StopIteration):
        mem = 0
    versions = {}
    for pkg in (
        "pyoxigraph",
        "oxigraph",
        "rdflib",
        "rdflib-endpoint",
        "pyshacl",
        "owlready2",
        "gunicorn",
        "flask",
        "uvicorn",
    ):
        try:
            versions[pkg] = version(pkg)
        except Exception:
            versions[pkg] = None
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": round(mem / 1024 / 1024, 1),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "versions": versions,
        "load_average_at_start": os.getloadavg(),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--quick", action="store_true", help="10^4 and 10^5, fewer runs (< 2 min)")
    mode.add_argument("--full", action="store_true", help="10^4, 10^5, 10^6 (< 15 min)")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--sizes", help="only these sizes, e.g. 1e4,1e5")
    parser.add_argument("--out", type=Path, help="results folder (default by mode)")
    args = parser.parse_args(argv)
    cfg = FULL if args.full else QUICK
    if args.sizes:
        cfg = Config(
            **{
                **cfg.__dict__,
                "sizes": {k: v for k, v in cfg.sizes.items() if k in args.sizes.split(",")},
            }
        )
    if args.out:
        cfg = Config(**{**cfg.__dict__, "out": args.out})
    from bench.report import ratio_line, write_report

    started = time.perf_counter()
    queries = load_queries(REPO, cfg.query_every)
    log(f"{cfg.name} mode: {len(queries)} queries, sizes {', '.join(cfg.sizes)}")
    info = machine()
    PREVIOUS.clear()
    for label, target in cfg.sizes.items():
        PREVIOUS.append(run_size(label, target, cfg, args.seed, queries))
    total = time.perf_counter() - started
    doc = {
        "mode": cfg.name,
        "seed": args.seed,
        "seconds": round(total, 1),
        "machine": info,
        "queries": [
            {"name": q.name, "kind": q.kind, "source": q.source, "text": q.text} for q in queries
        ],
        "sizes": [r.as_json() for r in PREVIOUS],
    }
    cfg.out.mkdir(parents=True, exist_ok=True)
    (cfg.out / "results.json").write_text(json.dumps(doc, indent=1))
    write_report(doc, cfg.out)
    log(f"done in {total:.0f} s; results in {cfg.out}")
    print(ratio_line(doc))
    return 0


def median_or_none(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


if __name__ == "__main__":
    sys.exit(main())
