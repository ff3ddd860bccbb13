"""Where the knowledge files are, and which named graph each one goes into.

The folder decides the graph: ``ontology/*.ttl`` go to the ontology graph, ``data/<key>/``
to the graph ``<key>`` (one per source paper, plus ``reference`` and ``external``). Shapes
(``ontology/shapes/``) are not published; they check the data.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

BASE = "https://w3id.org/clusterkg/"
DEF = BASE + "def/"
ID = BASE + "id/"
WORK = BASE + "work/"
GRAPH = BASE + "graph/"

PREFIXES: dict[str, str] = {
    "ckg": DEF,
    "ckr": ID,
    "ckw": WORK,
    "ckgr": GRAPH,
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "prov": "http://www.w3.org/ns/prov#",
    "org": "http://www.w3.org/ns/org#",
    "dct": "http://purl.org/dc/terms/",
    "bibo": "http://purl.org/ontology/bibo/",
    "cito": "http://purl.org/spar/cito/",
    "fabio": "http://purl.org/spar/fabio/",
    "schema": "https://schema.org/",
    "geo": "http://www.opengis.net/ont/geosparql#",
    "qb": "http://purl.org/linked-data/cube#",
    "sosa": "http://www.w3.org/ns/sosa/",
    "sh": "http://www.w3.org/ns/shacl#",
    "wd": "http://www.wikidata.org/entity/",
    "wdt": "http://www.wikidata.org/prop/direct/",
    "dbr": "http://dbpedia.org/resource/",
    "gn": "https://sws.geonames.org/",
}

SPARQL_PREFIXES = "".join(f"PREFIX {p}: <{iri}>\n" for p, iri in PREFIXES.items())

ONTOLOGY_GRAPH = GRAPH + "ontology"
INFERRED_GRAPH = GRAPH + "inferred"
EXTERNAL_GRAPH = GRAPH + "external"
REFERENCE_GRAPH = GRAPH + "reference"

#: The five source papers: folder/graph key -> seed number, for README and checks.
PAPERS: dict[str, str] = {
    "cho1995": "000",
    "parklee1999": "001",
    "mcnamara2005": "002",
    "nadvi1995": "003",
    "humphrey2001": "004",
}

RDF_SUFFIXES = {
    ".ttl": ox.RdfFormat.TURTLE,
    ".nt": ox.RdfFormat.N_TRIPLES,
    ".rdf": ox.RdfFormat.RDF_XML,
    ".owl": ox.RdfFormat.RDF_XML,
    ".jsonld": ox.RdfFormat.JSON_LD,
}


def graph_iri(key: str) -> str:
    return GRAPH + key


@dataclass(frozen=True)
class SourceFile:
    """One knowledge file and the named graph it is published in."""

    path: Path
    graph: str

    @property
    def format(self) -> ox.RdfFormat:
        return RDF_SUFFIXES[self.path.suffix]


def _rdf_files(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix in RDF_SUFFIXES)


def discover(root: Path) -> list[SourceFile]:
    """All files a build loads, in a stable order (ontology first)."""
    files = [
        SourceFile(p, ONTOLOGY_GRAPH)
        for p in _rdf_files(root / "ontology")
        if "shapes" not in p.relative_to(root / "ontology").parts
    ]
    data = root / "data"
    if data.is_dir():
        for folder in sorted(p for p in data.iterdir() if p.is_dir()):
            files += [SourceFile(p, graph_iri(folder.name)) for p in _rdf_files(folder)]
    return files


def shape_files(root: Path) -> list[Path]:
    return _rdf_files(root / "ontology" / "shapes")


def query_files(root: Path) -> list[Path]:
    folder = root / "queries"
    return sorted(folder.glob("*.rq")) if folder.is_dir() else []
