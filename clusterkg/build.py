"""The build: load, reason, validate, publish, into a fresh store, switched in only at the end.

A build writes a new directory under ``<store>/builds/``. Only when every step has passed
does the ``current`` link move to it (one atomic rename), so a server reading ``current``
never sees a half-built or invalid graph, and a failed build leaves the last good one served.

Errors name what to fix: a parse error its file, line and column; a SHACL violation the node,
the rule, the paper and lines it came from and the file that describes it.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pyoxigraph as ox
import rdflib

from clusterkg import convert
from clusterkg.config import Settings
from clusterkg.sources import (
    INFERRED_GRAPH,
    ONTOLOGY_GRAPH,
    SourceFile,
    discover,
    shape_files,
)
from clusterkg.store import EmbeddedStore, prune_builds, switch_current

PROV = "http://www.w3.org/ns/prov#"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
CKG = "https://w3id.org/clusterkg/def/"

#: Above this many data triples ``auto`` reasons with rules in the store (clusterkg.rules)
#: and validates with the shapes compiled to SPARQL: HermiT and pySHACL take tens of seconds
#: on the real graph (~3·10^4 triples) and do not finish in reasonable time at 10^6.
SCALE_THRESHOLD = 100_000
REASONERS = ("auto", "hermit", "rules")
VALIDATORS = ("auto", "pyshacl", "sparql")


class BuildError(Exception):
    """A build step failed. ``step`` names it; the message says what to fix."""

    def __init__(self, step: str, message: str) -> None:
        super().__init__(message)
        self.step = step


@dataclass
class BuildReport:
    """What a finished build did, also written as ``build.json`` beside the store."""

    build_id: str
    path: Path
    files: int = 0
    triples: dict[str, int] = field(default_factory=dict)
    inferred: int = 0
    warnings: int = 0
    seconds: dict[str, float] = field(default_factory=dict)
    reasoner: str = ""
    validator: str = ""

    def as_json(self) -> dict[str, object]:
        return {
            "build_id": self.build_id,
            "files": self.files,
            "triples": self.triples,
            "inferred": self.inferred,
            "shacl_warnings": self.warnings,
            "reasoner": self.reasoner,
            "validator": self.validator,
            "seconds": {k: round(v, 3) for k, v in self.seconds.items()},
            "git_commit": _git_commit(),
        }


def _git_commit() -> str | None:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
    except OSError:
        return None
    return out.stdout.strip() or None


# -- steps ---------------------------------------------------------------------------------


def parse_source(source: SourceFile, root: Path) -> list[ox.Quad]:
    """Parse one file with pyoxigraph into quads of its graph; errors name file, line, column."""
    graph = ox.NamedNode(source.graph)
    try:
        return [
            ox.Quad(t.subject, t.predicate, t.object, graph)
            for t in ox.parse(
                path=str(source.path),
                format=source.format,
                rename_blank_nodes=True,
                without_named_graphs=True,
            )
        ]
    except SyntaxError as exc:
        rel = source.path.relative_to(root) if source.path.is_relative_to(root) else source.path
        where = f"{rel}:{exc.lineno}" + (f":{exc.offset}" if exc.offset else "")
        raise BuildError(
            "load",
            f"{where}: cannot parse: {exc.msg}\n"
            f"  Fix the syntax at that line (an unclosed string, a missing '.' or ';' before it, "
            f"an undeclared prefix) and run the build again.",
        ) from None


def subject_files(parsed: dict[SourceFile, list[ox.Quad]], root: Path) -> dict[str, list[str]]:
    """Which files describe each subject, so a SHACL failure can name the file to edit."""
    index: dict[str, set[str]] = {}
    for source, quads in parsed.items():
        rel = str(source.path.relative_to(root))
        for q in quads:
            index.setdefault(str(convert.to_rdflib(q.subject)), set()).add(rel)
    return {k: sorted(v) for k, v in index.items()}


def inferred_quads(ontology: rdflib.Graph, data: rdflib.Graph) -> list[ox.Quad]:
    """Run the reasoner; its new triples go to the inferred graph, which says what made it."""
    from clusterkg import reason

    inferred = reason.infer(ontology, data)
    quads = convert.quads_from_graph(inferred, INFERRED_GRAPH)
    return quads + reasoning_provenance("OWL 2 reasoning with HermiT (owlready2)")


def reasoning_provenance(label: str) -> list[ox.Quad]:
    """The inferred graph's description of itself: what made it, from what, and when."""
    g = ox.NamedNode(INFERRED_GRAPH)
    activity = ox.NamedNode(INFERRED_GRAPH + "#reasoning")
    stamp = ox.Literal(
        datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#dateTime"),
    )
    return [
        ox.Quad(
            ox.NamedNode(INFERRED_GRAPH),
            ox.NamedNode(RDF_TYPE),
            ox.NamedNode(CKG + "InferredGraph"),
            g,
        ),
        ox.Quad(ox.NamedNode(INFERRED_GRAPH), ox.NamedNode(PROV + "wasGeneratedBy"), activity, g),
        ox.Quad(activity, ox.NamedNode(RDF_TYPE), ox.NamedNode(PROV + "Activity"), g),
        ox.Quad(activity, ox.NamedNode(PROV + "used"), ox.NamedNode(ONTOLOGY_GRAPH), g),
        ox.Quad(activity, ox.NamedNode(PROV + "endedAtTime"), stamp, g),
        ox.Quad(
            activity,
            ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label"),
            ox.Literal(label, language="en"),
            g,
        ),
    ]


def rules_reasoning(store: EmbeddedStore, work: ox.Store, ontology: rdflib.Graph) -> int:
    """Reason at scale: the ontology's rules applied to ``work``, an in-memory copy of the
    build's quads (the same queries run 2-3x faster there than on the store being written),
    then the inferred graph copied into ``store``; returns the number of new triples.
    Disjoint types fail the step, as HermiT's inconsistency does."""
    from clusterkg import rules

    ruleset = rules.compile_rules(ontology)
    result = rules.apply_rules(work, ruleset, bulk=True)
    clashes = rules.disjoint_clashes(work, ontology)
    if clashes:
        lines = "\n".join(f"  - {x} is a {a} and a {b}, which are disjoint" for x, a, b in clashes)
        raise BuildError(
            "reason",
            "The data contradicts the ontology: individuals with disjoint types "
            f"(asserted or inferred):\n{lines}\nFix the rdf:type triples of these nodes, or "
            "the triples whose rdfs:domain/range or class definition implies the type.",
        )
    provenance = reasoning_provenance("rule-based OWL reasoning in the store (clusterkg.rules)")
    work.bulk_extend(provenance)
    store.add_quads(work.quads_for_pattern(None, None, None, ox.NamedNode(INFERRED_GRAPH)))
    return result.inferred


def validation_failure(report: object, files: dict[str, list[str]]) -> str:
    """The readable text of a failed validation, with the file of each failing node."""
    lines = []
    for result in report.violations:  # type: ignore[attr-defined]
        node = str(result.focus_node)
        where = ", ".join(files.get(node, [])) or "(no file describes it)"
        rule = f"{result.component} in shape {result.shape}"
        path = f" on {result.path}" if result.path is not None else ""
        value = f" (value {result.value})" if result.value is not None else ""
        source = f"\n  stated in: {result.source}" if result.source else ""
        lines.append(
            f"- node {node}{path}{value}\n  rule: {rule}\n  message: {result.message}"
            f"{source}\n  file: {where}"
        )
    count = len(lines)
    head = f"SHACL validation failed: {count} violation{'s' if count != 1 else ''}."
    return head + "\n" + "\n".join(lines)


# -- the pipeline --------------------------------------------------------------------------


@contextlib.contextmanager
def _build_lock(store_dir: Path) -> Iterator[None]:
    store_dir.mkdir(parents=True, exist_ok=True)
    with open(store_dir / ".build.lock", "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise BuildError("start", f"another build is running on {store_dir}") from None
        yield


def run_build(
    settings: Settings,
    *,
    reason: bool = True,
    validate: bool = True,
    docs: bool = True,
    reasoner: str = "auto",
    validator: str = "auto",
    on_step: Callable[[str], None] | None = None,
    on_file: Callable[[Path], None] | None = None,
) -> BuildReport:
    """Build the store from ``settings.root``'s files; raise BuildError on any failure.

    ``reasoner`` is ``hermit``, ``rules`` or ``auto`` (HermiT up to SCALE_THRESHOLD data
    triples, rules above); ``validator`` likewise ``pyshacl``, ``sparql`` or ``auto``.
    """
    if reasoner not in REASONERS or validator not in VALIDATORS:
        raise ValueError(f"reasoner must be one of {REASONERS}, validator one of {VALIDATORS}")
    store_dir = settings.store_dir
    step = on_step or (lambda name: None)
    with _build_lock(store_dir):
        build_id = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        build_dir = store_dir / "builds" / build_id
        report = BuildReport(build_id, build_dir, reasoner=reasoner, validator=validator)
        try:
            _run_steps(settings, report, reason, validate, docs, step, on_file)
        except BaseException:
            shutil.rmtree(build_dir, ignore_errors=True)
            raise
        step("publish")
        started = time.perf_counter()
        (build_dir / "build.json").write_text(json.dumps(report.as_json(), indent=2))
        switch_current(store_dir, build_dir)
        prune_builds(store_dir, settings.keep_builds)
        report.seconds["publish"] = time.perf_counter() - started
        (build_dir / "build.json").write_text(json.dumps(report.as_json(), indent=2))
        return report


def _run_steps(
    settings: Settings,
    report: BuildReport,
    reason: bool,
    validate: bool,
    docs: bool,
    step: Callable[[str], None],
    on_file: Callable[[Path], None] | None,
) -> None:
    root = settings.root
    sources = discover(root)
    if not sources:
        raise BuildError("load", f"no ontology or data files under {root}")
    report.files = len(sources)

    step("load")
    started = time.perf_counter()
    parsed: dict[SourceFile, list[ox.Quad]] = {}
    for source in sources:
        parsed[source] = parse_source(source, root)
        if on_file:
            on_file(source.path)
    store = EmbeddedStore(report.path / "store")
    for quads in parsed.values():
        store.add_quads(quads)
    report.seconds["load"] = time.perf_counter() - started

    ontology = convert.graph_from_quads(
        q for s, qs in parsed.items() if s.graph == ONTOLOGY_GRAPH for q in qs
    )
    data_triples = sum(len(qs) for s, qs in parsed.items() if s.graph != ONTOLOGY_GRAPH)
    large = data_triples > SCALE_THRESHOLD
    if report.reasoner == "auto":
        report.reasoner = "rules" if large else "hermit"
    if report.validator == "auto":
        report.validator = "sparql" if large else "pyshacl"
    # The rdflib copy of the data (slow to build at scale) only for HermiT and pySHACL.
    cached: list[rdflib.Graph] = []

    def data() -> rdflib.Graph:
        if not cached:
            cached.append(
                convert.graph_from_quads(
                    q for s, qs in parsed.items() if s.graph != ONTOLOGY_GRAPH for q in qs
                )
            )
        return cached[0]

    memory: list[ox.Store] = []

    def working() -> ox.Store:
        """An in-memory copy of the quads, for the rules and the compiled shapes."""
        if not memory:
            copy = ox.Store()
            for quads in parsed.values():
                copy.bulk_extend(quads)
            memory.append(copy)
        return memory[0]

    inferred: list[ox.Quad] = []
    if reason:
        step("reason")
        started = time.perf_counter()
        if report.reasoner == "rules":
            report.inferred = rules_reasoning(store, working(), ontology)
            if report.validator == "pyshacl":
                inferred = list(store.quads(INFERRED_GRAPH))
        else:
            try:
                inferred = inferred_quads(ontology, data())
            except Exception as exc:
                raise BuildError("reason", f"reasoning failed: {exc}") from exc
            store.add_quads(inferred)
            report.inferred = len(inferred)
        report.seconds["reason"] = time.perf_counter() - started

    if validate:
        step("validate")
        started = time.perf_counter()
        from clusterkg import validate as shacl

        shapes = rdflib.Graph()
        for path in shape_files(root):
            convert.graph_from_quads(parse_source(SourceFile(path, ONTOLOGY_GRAPH), root), shapes)
        if report.validator == "sparql":
            from clusterkg import rules

            work = working()
            if report.reasoner != "rules":
                work.bulk_extend(inferred)
            result = rules.validate_store(work, shapes, ontology)
        else:
            checked = convert.graph_from_quads(inferred, data() + ontology)
            result = shacl.validate(checked, shapes, ontology)
        report.warnings = len(result.warnings)
        if result.violations:
            raise BuildError("validate", validation_failure(result, subject_files(parsed, root)))
        report.seconds["validate"] = time.perf_counter() - started

    if docs:
        step("docs")
        started = time.perf_counter()
        try:
            from clusterkg import ontodoc
        except ImportError:
            ontodoc = None  # type: ignore[assignment]
        if ontodoc is not None:
            ontodoc.render_ontology_docs(ontology, report.path / "docs")
        report.seconds["docs"] = time.perf_counter() - started

    report.triples = {g: store.count(g) for g in store.graphs()}
    store.close()
