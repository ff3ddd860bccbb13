"""SHACL validation of the clusterkg data with pySHACL.

`validate(data, shapes, ontology)` checks the data against the shapes in `ontology/shapes/` and
returns a `ValidationReport` whose results say, for each problem, which node, which property,
which rule (the constraint component), how serious it is, how to fix it (the shape's
`sh:message`) and where the node comes from (its `ckg:statedIn` paper and `ckg:lines`).

Why no RDFS inference: SHACL's class targets and `sh:class` already follow `rdfs:subClassOf`
triples found in the data graph. When an ontology is given it is merged into the data graph
(pySHACL's `ont_graph`), so a `ckg:SME` is checked by the shapes for `ckg:Firm` without running
RDFS entailment over the whole graph, which is much slower and adds nothing the shapes use.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import rdflib
from pyshacl import validate as pyshacl_validate
from rdflib import Graph, Namespace
from rdflib.namespace import RDF, SH
from rdflib.term import Node

CKG = Namespace("https://w3id.org/clusterkg/def/")
SHAPES_DIR = Path("ontology") / "shapes"


@dataclass(frozen=True)
class ValidationResult:
    """One SHACL result, with the provenance of the node it is about."""

    focus_node: Node
    path: Node | None
    value: Node | None
    component: str
    shape: Node | None
    severity: str
    message: str
    source: str | None = None

    @property
    def is_violation(self) -> bool:
        return self.severity == "Violation"

    def format_text(self) -> str:
        where = f" on {_short(self.path)}" if self.path is not None else ""
        value = f" (value {_short(self.value)})" if self.value is not None else ""
        source = f"\n    stated in: {self.source}" if self.source else ""
        return (
            f"[{self.severity}] {_short(self.focus_node)}{where}{value}\n"
            f"    rule: {self.component} in {_short(self.shape)}\n"
            f"    fix: {self.message}{source}"
        )


@dataclass
class ValidationReport:
    """The outcome of a validation run: `conforms` ignores warnings, as SHACL does not."""

    results: list[ValidationResult] = field(default_factory=list)

    @property
    def violations(self) -> list[ValidationResult]:
        return [r for r in self.results if r.is_violation]

    @property
    def warnings(self) -> list[ValidationResult]:
        return [r for r in self.results if r.severity == "Warning"]

    @property
    def conforms(self) -> bool:
        """True when there is no violation; warnings are for curators and do not fail."""
        return not self.violations

    def format_text(self, include_warnings: bool = True) -> str:
        shown = self.results if include_warnings else self.violations
        head = (
            f"{'conforms' if self.conforms else 'does NOT conform'}: "
            f"{len(self.violations)} violation(s), {len(self.warnings)} warning(s)"
        )
        return "\n".join([head, *(r.format_text() for r in shown)])


def load_shapes(root: Path) -> Graph:
    """All shapes under `root/ontology/shapes/` (root is the repository root)."""
    shapes = Graph()
    for path in sorted((root / SHAPES_DIR).glob("*.ttl")):
        shapes.parse(path, format="turtle")
    return shapes


def validate(data: Graph, shapes: Graph, ontology: Graph | None = None) -> ValidationReport:
    """Validate `data` (plus `ontology`, merged in for subclass targeting) against `shapes`."""
    _, results_graph, _ = pyshacl_validate(
        data,
        shacl_graph=shapes,
        ont_graph=ontology,
        inference="none",
        advanced=True,
        allow_warnings=True,
        meta_shacl=False,
    )
    lookup = data if ontology is None else _union(data, ontology)
    results = [
        _result(results_graph, node, lookup, shapes)
        for node in results_graph.subjects(RDF.type, SH.ValidationResult)
    ]
    results.sort(
        key=lambda r: (r.severity != "Violation", str(r.focus_node), str(r.path), r.component)
    )
    return ValidationReport(results)


def _union(a: Graph, b: Graph) -> Graph:
    if len(b) == 0:
        return a
    merged = Graph()
    for triple in a:
        merged.add(triple)
    for triple in b:
        merged.add(triple)
    return merged


def _named_shape(shapes: Graph, shape: Node | None) -> Node | None:
    """The IRI of the node shape that owns an anonymous property shape, for readable reports."""
    if isinstance(shape, rdflib.BNode):
        parent = shapes.value(None, SH.property, shape)
        if parent is not None:
            return parent
    return shape


def _result(report: Graph, node: Node, data: Graph, shapes: Graph) -> ValidationResult:
    focus = report.value(node, SH.focusNode)
    component = report.value(node, SH.sourceConstraintComponent)
    severity = report.value(node, SH.resultSeverity)
    messages = sorted(str(m) for m in report.objects(node, SH.resultMessage))
    return ValidationResult(
        focus_node=focus,
        path=report.value(node, SH.resultPath),
        value=report.value(node, SH.value),
        component=_local_name(component) if component is not None else "",
        shape=_named_shape(shapes, report.value(node, SH.sourceShape)),
        severity=_local_name(severity) if severity is not None else "Violation",
        message=messages[0] if messages else "",
        source=_source(data, focus),
    )


def _source(data: Graph, node: Node) -> str | None:
    """'ckr:paper-x lines 12-14' for each paper describing the node, or None."""
    papers = sorted(_short(p) for p in data.objects(node, CKG.statedIn))
    lines = sorted(str(x) for x in data.objects(node, CKG.lines))
    if not papers and not lines:
        return None
    text = ", ".join(papers) if papers else "(no paper)"
    return f"{text} lines {', '.join(lines)}" if lines else text


def _local_name(node: Node) -> str:
    text = str(node)
    return text.rsplit("#", 1)[-1].rsplit("/", 1)[-1]


def _short(node: Node | None) -> str:
    if node is None:
        return "-"
    text = str(node)
    for prefix, ns in (
        ("ckg:", "https://w3id.org/clusterkg/def/"),
        ("ckr:", "https://w3id.org/clusterkg/id/"),
        ("cks:", "https://w3id.org/clusterkg/shapes/"),
    ):
        if text.startswith(ns):
            return prefix + text[len(ns) :]
    if isinstance(node, rdflib.BNode):
        return "[blank node]"
    return text
