"""Result writers follow the W3C formats and cut at the row cap, saying so."""

from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET

import pyoxigraph as ox

from clusterkg.results import serialize, write_bindings
from clusterkg.store import QueryResult

ROWS = [
    (ox.NamedNode("http://example.org/a"), ox.Literal('Léon, "quoted"', language="es")),
    (
        ox.BlankNode("b1"),
        ox.Literal("42", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer")),
    ),
    (ox.NamedNode("http://example.org/c"), None),
]


def test_json_bindings() -> None:
    doc = json.loads(write_bindings(["s", "o"], ROWS, "json"))
    assert doc["head"]["vars"] == ["s", "o"]
    first, second, third = doc["results"]["bindings"]
    assert first["o"] == {"type": "literal", "value": 'Léon, "quoted"', "xml:lang": "es"}
    assert second["s"] == {"type": "bnode", "value": "b1"}
    assert second["o"]["datatype"].endswith("#integer")
    assert "o" not in third


def test_xml_bindings_parse() -> None:
    root = ET.fromstring(write_bindings(["s", "o"], ROWS, "xml"))
    ns = {"r": "http://www.w3.org/2005/sparql-results#"}
    assert len(root.findall(".//r:result", ns)) == 3


def test_csv_and_tsv() -> None:
    rows = list(csv.reader(io.StringIO(write_bindings(["s", "o"], ROWS, "csv").decode())))
    assert rows[0] == ["s", "o"]
    assert rows[1] == ["http://example.org/a", 'Léon, "quoted"']
    tsv = write_bindings(["s", "o"], ROWS, "tsv").decode().splitlines()
    assert tsv[0] == "?s\t?o"
    assert tsv[1] == '<http://example.org/a>\t"Léon, \\"quoted\\""@es'


def test_row_cap_truncates_and_says_so() -> None:
    result = QueryResult("bindings", ["s", "o"], iter(ROWS))
    answer = serialize(result, "json", max_rows=2)
    assert answer.truncated and answer.rows == 2
    assert len(json.loads(answer.body)["results"]["bindings"]) == 2
    answer = serialize(QueryResult("bindings", ["s", "o"], iter(ROWS)), "json", max_rows=3)
    assert not answer.truncated


def test_graph_answers_use_rdf_formats() -> None:
    triple = ox.Triple(ox.NamedNode("http://a"), ox.NamedNode("http://b"), ox.Literal("c"))
    answer = serialize(QueryResult("graph", triples=iter([triple])), "nt", None)
    assert answer.media_type == "application/n-triples"
    assert [q.triple for q in ox.parse(answer.body, format=ox.RdfFormat.N_TRIPLES)] == [triple]
