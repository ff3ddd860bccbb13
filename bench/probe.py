"""Time HermiT or pySHACL on a generated project, in its own process (the bench kills it when
its budget runs out: neither can be interrupted from Python).

``python -m bench.probe hermit|pyshacl|rules|sparql PROJECT`` prints one JSON line:
``{"seconds": ..., "triples": ...}``. ``pyshacl`` and ``sparql`` validate the data plus the
rules' inferences (computed first, untimed), which is what the build validates.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import pyoxigraph as ox
import rdflib


def main() -> None:
    from clusterkg import convert, rules
    from clusterkg.build import parse_source
    from clusterkg.sources import ONTOLOGY_GRAPH, discover, shape_files

    what, root = sys.argv[1], Path(sys.argv[2])
    ontology, data = rdflib.Graph(), rdflib.Graph()
    store = ox.Store()
    slow_path = what in ("hermit", "pyshacl")  # only they need the data in rdflib
    for source in discover(root):
        quads = parse_source(source, root)
        store.bulk_extend(quads)
        if source.graph == ONTOLOGY_GRAPH:
            convert.graph_from_quads(quads, ontology)
        elif slow_path:
            convert.graph_from_quads(quads, data)
    shapes = rdflib.Graph()
    for path in shape_files(root):
        shapes.parse(path, format="turtle")
    started = time.perf_counter()
    if what == "hermit":
        from clusterkg import reason

        count = len(reason.infer(ontology, data))
    elif what == "rules":
        count = rules.apply_rules(store, rules.compile_rules(ontology)).inferred
    else:
        rules.apply_rules(store, rules.compile_rules(ontology))
        started = time.perf_counter()
        if what == "sparql":
            count = len(rules.validate_store(store, shapes, ontology).violations)
        else:
            from clusterkg import validate

            inferred = convert.graph_from_quads(
                store.quads_for_pattern(None, None, None, ox.NamedNode(rules.INFERRED_GRAPH))
            )
            count = len(validate.validate(data + ontology + inferred, shapes, ontology).violations)
    print(json.dumps({"seconds": time.perf_counter() - started, "result": count}))


if __name__ == "__main__":
    main()
