"""The guard decides from a parse, not from the text's look."""

from __future__ import annotations

import re

import pytest

from clusterkg.guard import QueryRefused, QuerySyntaxError, check, inspect

ALLOW = ("https://query.wikidata.org/sparql",)


@pytest.mark.parametrize(
    ("query", "form"),
    [
        ("SELECT * WHERE { ?s ?p ?o }", "SELECT"),
        ("ASK { ?s ?p ?o }", "ASK"),
        ("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }", "CONSTRUCT"),
        ("DESCRIBE <http://example.org/x>", "DESCRIBE"),
        ("# a comment\nPREFIX ex: <http://example.org/>\nselect ?s { ?s ex:p ?o }", "SELECT"),
    ],
)
def test_query_forms(query: str, form: str) -> None:
    assert inspect(query).form == form


@pytest.mark.parametrize(
    "update",
    [
        "INSERT DATA { <http://a> <http://b> <http://c> }",
        "DELETE WHERE { ?s ?p ?o }",
        "LOAD <http://example.org/data.ttl>",
        "CLEAR ALL",
        "DROP GRAPH <http://example.org/g>",
        "CREATE GRAPH <http://example.org/g>",
        "ADD DEFAULT TO <http://example.org/g>",
        "# sneaky\nPREFIX x: <http://x/>\nINSERT { ?s x:p 1 } WHERE { ?s ?p ?o }",
    ],
)
def test_updates_are_refused(update: str) -> None:
    with pytest.raises(QueryRefused, match="read-only"):
        check(update)


def test_updates_pass_when_writes_are_enabled() -> None:
    assert check("CLEAR ALL", allow_update=True).is_update


def test_service_outside_the_allowlist_is_refused() -> None:
    with pytest.raises(QueryRefused, match=re.escape("http://evil.example/sparql")):
        check(
            "SELECT * { SERVICE <http://evil.example/sparql> { ?s ?p ?o } }",
            service_allowlist=ALLOW,
        )


def test_service_hidden_behind_a_prefix_is_resolved() -> None:
    query = (
        "PREFIX e: <http://evil.example/> SELECT * { OPTIONAL { SERVICE e:sparql { ?s ?p ?o } } }"
    )
    with pytest.raises(QueryRefused, match=re.escape("http://evil.example/sparql")):
        check(query, service_allowlist=ALLOW)


def test_service_in_a_comment_is_not_a_service() -> None:
    info = check("SELECT * { ?s ?p ?o } # SERVICE <http://evil.example/> {}", service_allowlist=())
    assert info.services == ()


def test_service_with_a_variable_endpoint_is_refused() -> None:
    with pytest.raises(QueryRefused, match="variable"):
        check(
            "SELECT * { VALUES ?e { <http://x/> } SERVICE ?e { ?s ?p ?o } }",
            service_allowlist=ALLOW,
        )


def test_allowlisted_service_passes() -> None:
    info = check(
        "SELECT * { SERVICE <https://query.wikidata.org/sparql> { ?s ?p ?o } }",
        service_allowlist=ALLOW,
    )
    assert info.services == ("https://query.wikidata.org/sparql",)


def test_syntax_error_gives_line_and_column() -> None:
    with pytest.raises(QuerySyntaxError) as caught:
        check("SELECT *\nWHERE { ?s ?p }")
    assert caught.value.line == 2
    assert "line 2" in str(caught.value)


def test_dataset_clause_is_noticed() -> None:
    assert inspect("SELECT * FROM <http://g> { ?s ?p ?o }").has_dataset_clause
    assert not inspect("SELECT * { ?s ?p ?o }").has_dataset_clause
