"""``clusterkg validate``: SHACL on the data files, or on extra files, without building."""

from __future__ import annotations

from pathlib import Path

import rdflib

from clusterkg import convert
from clusterkg.build import parse_source
from clusterkg.sources import ONTOLOGY_GRAPH, SourceFile, discover, shape_files


def validate_files(root: Path, files: list[Path]):  # -> validate.ValidationReport
    """Validate ``files`` (or, when empty, every data file) against the shapes.

    The ontology is always included, so that subclass typing reaches the shapes' targets.
    """
    from clusterkg import validate as shacl

    ontology = rdflib.Graph()
    data = rdflib.Graph()
    for source in discover(root):
        target = ontology if source.graph == ONTOLOGY_GRAPH else data
        if source.graph == ONTOLOGY_GRAPH or not files:
            convert.graph_from_quads(parse_source(source, root), target)
    for path in files:
        convert.graph_from_quads(
            parse_source(SourceFile(path.resolve(), "urn:x-check"), root), data
        )
    shapes = rdflib.Graph()
    for path in shape_files(root):
        convert.graph_from_quads(parse_source(SourceFile(path, ONTOLOGY_GRAPH), root), shapes)
    return shacl.validate(data + ontology, shapes, ontology)
