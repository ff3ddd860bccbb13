"""The real data: every printed table is in the graph with its values, every fact is sourced,
and external identifiers are used once."""

from __future__ import annotations

import csv
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import pytest

from clusterkg.query import QueryService
from clusterkg.sources import PAPERS
from tests.conftest import REPO

COVERAGE = REPO / "tests" / "coverage"

CELLS = """
SELECT ?table ?row ?column ?value WHERE {
  ?o ckg:inTable ?table ; ckg:rowLabel ?row ; ckg:columnLabel ?column ; ckg:value ?value .
}
"""


def expected_cells() -> dict[str, list[dict[str, str]]]:
    by_file: dict[str, list[dict[str, str]]] = {}
    for path in sorted(COVERAGE.glob("*.csv")):
        with path.open(encoding="utf-8") as handle:
            by_file[path.stem] = list(csv.DictReader(handle))
    return by_file


def test_every_paper_has_a_coverage_file() -> None:
    stems = {p.stem.split("-part")[0] for p in COVERAGE.glob("*.csv")}
    assert set(PAPERS) <= stems


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(expected_cells()))
def test_table_cells_are_in_the_graph(real_queries: QueryService, name: str) -> None:
    rows = real_queries.select(CELLS, max_rows=None).rows
    actual: dict[tuple[str, str, str], set[Decimal]] = defaultdict(set)
    for r in rows:
        actual[(r["table"].value, r["row"].value, r["column"].value)].add(Decimal(r["value"].value))
    problems = []
    for cell in expected_cells()[name]:
        key = (cell["table"], cell["row"], cell["column"])
        if key not in actual:
            problems.append(f"missing cell {key}")
        elif Decimal(cell["value"]) not in actual[key]:
            problems.append(
                f"cell {key}: expected {cell['value']}, graph has {sorted(actual[key])}"
            )
    assert not problems, "\n".join(problems)


@pytest.mark.slow
def test_every_table_in_the_graph_is_listed(real_queries: QueryService) -> None:
    tables = {
        r["t"].value
        for r in real_queries.select(
            "SELECT DISTINCT ?t WHERE { ?o a ckg:Observation ; ckg:inTable ?t . "
            "?t a ckg:StatisticalTable }",
            max_rows=None,
        ).rows
    }
    listed = {c["table"] for cells in expected_cells().values() for c in cells}
    assert tables - listed == set(), "tables with observations but no coverage rows"


@pytest.mark.slow
def test_no_two_entities_share_an_external_id(real_queries: QueryService) -> None:
    rows = real_queries.select(
        """
        SELECT ?ext (GROUP_CONCAT(STR(?e); separator=" ") AS ?entities) WHERE {
          ?e owl:sameAs|skos:exactMatch ?ext .
          FILTER(STRSTARTS(STR(?e), "https://w3id.org/clusterkg/"))
          FILTER(!STRSTARTS(STR(?ext), "https://w3id.org/clusterkg/"))
        } GROUP BY ?ext HAVING (COUNT(DISTINCT ?e) > 1)
        """,
        max_rows=None,
    ).rows
    assert rows == [], [(r["ext"].value, r["entities"].value) for r in rows]


@pytest.mark.slow
def test_every_fact_node_in_a_paper_graph_is_sourced(real_queries: QueryService) -> None:
    rows = real_queries.select(
        """
        SELECT DISTINCT ?g ?s WHERE {
          ?paper ckg:namedGraph ?g .
          GRAPH ?g { ?s a ?type }
          FILTER NOT EXISTS { GRAPH ?g { ?s ckg:statedIn ?p ; ckg:lines ?l } }
          FILTER NOT EXISTS { ?s a skos:Concept }
          FILTER NOT EXISTS { ?s a ckg:Measure }
          FILTER NOT EXISTS { ?s a ckg:Unit }
          FILTER NOT EXISTS { ?s a skos:ConceptScheme }
        }
        """,
        max_rows=None,
    ).rows
    assert rows == [], [(r["g"].value, r["s"].value) for r in rows[:20]]


def test_no_code_reads_the_shared_folder() -> None:
    offenders = [
        str(p.relative_to(REPO))
        for folder in ("clusterkg", "tests", "bench", "scripts", ".ci")
        for p in (REPO / folder).rglob("*")
        if p.is_file()
        and p.suffix in {".py", ".sh", ""}
        and p.name != "test_data.py"
        and "../shared" in p.read_text(errors="ignore")
    ]
    assert offenders == []


def test_paper_folders_match_the_named_graphs() -> None:
    folders = {p.name for p in (REPO / "data").iterdir() if p.is_dir()}
    assert set(PAPERS) <= folders
    assert Path(REPO / "data" / "reference").is_dir()
