"""A tiny run of the benchmark's parts: the generator and one measurement (shape, not speed)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pyoxigraph as ox

from bench.generate import generate
from bench.queries import ANALYTICAL, COMPETENCY, load_queries
from bench.report import markdown, ratio_line
from bench.systems import Measurement, time_runs

REPO = Path(__file__).resolve().parents[1]


def digest(root: Path) -> str:
    h = hashlib.sha256()
    for path in sorted((root / "data").rglob("*.nt")):
        h.update(path.relative_to(root).as_posix().encode())
        h.update(path.read_bytes())
    return h.hexdigest()


def test_generator_is_deterministic_and_near_its_target(tmp_path: Path) -> None:
    made = generate(tmp_path / "a", 3000, seed=7)
    again = generate(tmp_path / "b", 3000, seed=7)
    generate(tmp_path / "c", 3000, seed=8)
    assert digest(tmp_path / "a") == digest(tmp_path / "b") != digest(tmp_path / "c")
    assert 3000 <= made.triples < 3000 + 1500
    assert made.clusters and made.firms and made.supply_relations and made.observations
    assert again.triples == made.triples


def test_generated_graph_has_the_real_datas_shape(tmp_path: Path) -> None:
    generate(tmp_path, 2000)
    store = ox.Store()
    for path in (tmp_path / "data").rglob("*.nt"):
        graph = ox.NamedNode("https://w3id.org/clusterkg/graph/" + path.parent.name)
        store.bulk_load(path=str(path), format=ox.RdfFormat.N_TRIPLES, to_graph=graph)
    ask = """
        PREFIX ckg: <https://w3id.org/clusterkg/def/>
        PREFIX ckr: <https://w3id.org/clusterkg/id/>
        PREFIX org: <http://www.w3.org/ns/org#>
        ASK {
          ckr:sinos-valley ckg:locatedIn/ckg:locatedIn/ckg:locatedIn ckr:brazil .
          ?f ckg:memberOf ckr:sinos-valley . ?lead a ckg:LeadFirm .
          ?r ckg:supplier ?s ; ckg:buyer ?lead ; ckg:tier ?t ; ckg:statedIn ?paper ;
             ckg:lines ?lines .
          ?m a org:Membership ; org:member ?f2 .
          ?o a ckg:Observation ; ckg:observedEntity ckr:sinos-valley ; ckg:statedIn ?p2 .
        }"""
    assert bool(store.query(ask, use_default_graph_as_union=True))
    # every fact node carries its paper and lines
    missing = """
        PREFIX ckg: <https://w3id.org/clusterkg/def/>
        SELECT ?x WHERE { ?x ckg:tier|ckg:observedEntity|ckg:about ?y
                          FILTER NOT EXISTS { ?x ckg:statedIn ?p ; ckg:lines ?l } } LIMIT 1"""
    assert list(store.query(missing, use_default_graph_as_union=True)) == []


def test_one_measurement_and_the_report(tmp_path: Path) -> None:
    generate(tmp_path, 2000)
    store = ox.Store()
    for path in (tmp_path / "data").rglob("*.nt"):
        store.bulk_load(
            path=str(path),
            format=ox.RdfFormat.N_TRIPLES,
            to_graph=ox.NamedNode("urn:g:" + path.parent.name),
        )
    queries = {q.name: q for q in load_queries(REPO)}
    assert set(COMPETENCY) <= set(queries) and set(ANALYTICAL) <= set(queries)
    query = queries["C01-firms-in-cluster"]
    times, rows = time_runs(
        lambda: sum(1 for _ in store.query(query.text, use_default_graph_as_union=True)),
        reps=3,
        budget=1.0,
    )
    assert len(times) == 3 and all(t > 0 for t in times) and rows > 0
    m = Measurement("clusterkg-inprocess", "tiny", query.name, query.kind, times, rows)
    other = Measurement(
        "oxigraph-server", "tiny", query.name, query.kind, [t * 2 for t in times], rows
    )
    doc = {
        "mode": "quick",
        "seed": 42,
        "seconds": 1.0,
        "machine": {
            "cpu": "test",
            "cores": 2,
            "memory_gib": 1,
            "python": "3",
            "platform": "x",
            "versions": {},
            "load_average_at_start": [0.0, 0.0, 0.0],
        },
        "queries": [
            {"name": query.name, "kind": query.kind, "source": "bench", "text": query.text}
        ],
        "sizes": [
            {
                "label": "tiny",
                "generated_triples": 2000,
                "stored_quads": 2000,
                "build_seconds": {"load": 0.1},
                "inferred": 0,
                "shacl_warnings": 0,
                "strategy": {},
                "probes": {},
                "load_seconds": {},
                "measurements": [m.as_json(), other.as_json()],
                "throughput": [],
            }
        ],
    }
    text = markdown(doc)
    assert "| C01-firms-in-cluster | competency |" in text
    assert ratio_line(doc).startswith("ratio endpoint/oxigraph-server median: ")
