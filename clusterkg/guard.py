"""What a public query may do, decided by parsing it before anything runs.

pyoxigraph evaluates ``SERVICE`` itself and fetches any URL a query names, and it runs
updates when asked. So every query from outside is parsed first (with rdflib's SPARQL 1.1
grammar, which gives a syntax tree; pattern matching on the text could be fooled by comments,
prefixed names or escapes) and refused when it:

- is an update (INSERT, DELETE, LOAD, CLEAR, DROP, CREATE, ADD, MOVE, COPY) and writes are
  not enabled;
- names a SERVICE endpoint outside the allowlist, or a SERVICE whose endpoint is a variable
  (which could be bound to anything at run time).

Parsing costs milliseconds, so answers are cached by query text.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache

from pyparsing import ParseException
from rdflib.plugins.sparql.parser import parseQuery, parseUpdate
from rdflib.plugins.sparql.parserutils import CompValue
from rdflib.term import Variable

from clusterkg.sources import PREFIXES

QUERY_FORMS = {
    "SelectQuery": "SELECT",
    "AskQuery": "ASK",
    "ConstructQuery": "CONSTRUCT",
    "DescribeQuery": "DESCRIBE",
}


class QueryRefused(Exception):
    """A query that parses but may not run here. ``status`` is the HTTP status to answer."""

    def __init__(self, message: str, status: int = 403) -> None:
        super().__init__(message)
        self.status = status


class QuerySyntaxError(ValueError):
    """A query that does not parse; the message carries the parser's words and position."""

    def __init__(self, message: str, line: int | None = None, column: int | None = None):
        super().__init__(message)
        self.line = line
        self.column = column


@dataclass(frozen=True)
class QueryInfo:
    """What parsing told us about a query (or, with form UPDATE, an update request).

    For updates, ``operations`` names each operation (Modify, InsertData, Clear, Load, ...)
    and ``has_dataset_clause`` says whether any operation has its own USING or WITH clause,
    which the protocol's ``using-graph-uri`` parameters may not be combined with.
    """

    form: str  # SELECT, ASK, CONSTRUCT, DESCRIBE, or UPDATE
    services: tuple[str, ...] = field(default_factory=tuple)
    has_dataset_clause: bool = False
    operations: tuple[str, ...] = field(default_factory=tuple)

    @property
    def is_update(self) -> bool:
        return self.form == "UPDATE"


def _get(node: CompValue, key: str, default: object = None) -> object:
    # CompValue.get() answers the key's own name for a missing key; test membership instead.
    return node[key] if key in node else default  # noqa: SIM401


def _children(node: object) -> Iterable[object]:
    if isinstance(node, CompValue):
        return node.values()
    if isinstance(node, list | tuple):
        return node
    if hasattr(node, "asList") and not isinstance(node, str):
        return list(node)  # pyparsing ParseResults
    return ()


def _prologue(
    tree: object, base: str | None = None, inherited: dict[str, str] | None = None
) -> tuple[str | None, dict[str, str]]:
    prefixes: dict[str, str] = dict(inherited or PREFIXES)  # predeclared, as the engine's are
    for decl in _children(tree[0]) if tree else ():  # type: ignore[index]
        if isinstance(decl, CompValue) and decl.name == "PrefixDecl":
            prefixes[str(_get(decl, "prefix") or "")] = str(decl["iri"])
        elif isinstance(decl, CompValue) and decl.name == "Base":
            base = str(decl["iri"])
    return base, prefixes


def _resolve(term: object, base: str | None, prefixes: dict[str, str]) -> str | None:
    """The IRI a SERVICE names, or None when it is a variable."""
    if isinstance(term, Variable):
        return None
    if isinstance(term, CompValue) and term.name == "pname":
        prefix = str(_get(term, "prefix") or "")
        if prefix not in prefixes:
            raise QuerySyntaxError(f"prefix {prefix!r} is used but not declared")
        return prefixes[prefix] + str(_get(term, "localname") or "")
    iri = str(term)
    if base and "://" not in iri:
        from urllib.parse import urljoin

        return urljoin(base, iri)
    return iri


def _services(tree: object, base: str | None, prefixes: dict[str, str]) -> list[str | None]:
    found: list[str | None] = []
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, CompValue) and node.name == "ServiceGraphPattern":
            found.append(_resolve(node["term"], base, prefixes))
        stack.extend(_children(node))
    return found


def _syntax_error(exc: ParseException, text: str) -> QuerySyntaxError:
    line_text = text.splitlines()[exc.lineno - 1] if text.splitlines() else ""
    pointer = " " * max(exc.col - 1, 0) + "^"
    message = (
        f"syntax error at line {exc.lineno}, column {exc.col}: {exc.msg}\n{line_text}\n{pointer}"
    )
    return QuerySyntaxError(message, exc.lineno, exc.col)


#: rdflib's grammar (pyparsing) keeps parse state in shared objects: two threads parsing at
#: once corrupt each other's parse (seen under gunicorn's threaded workers), so one at a time.
_PARSER_LOCK = threading.Lock()


@lru_cache(maxsize=2048)
def inspect(sparql: str) -> QueryInfo:
    """Parse ``sparql`` as a query or, failing that, as an update.

    Raises :class:`QuerySyntaxError` when it is neither.
    """
    try:
        with _PARSER_LOCK:
            tree = parseQuery(sparql)
    except ParseException as query_error:
        try:
            with _PARSER_LOCK:
                update = parseUpdate(sparql)
        except ParseException as update_error:
            # Report the error of the parse that got further: a broken update should not be
            # explained with the query grammar's complaint about its first word.
            worst = max(query_error, update_error, key=lambda e: e.loc)
            raise _syntax_error(worst, sparql) from None
        return _update_info(update)
    base, prefixes = _prologue(tree)
    body = tree[1]
    services = tuple("?" if s is None else s for s in _services(body, base, prefixes))
    dataset = bool(_get(body, "datasetClause"))
    return QueryInfo(QUERY_FORMS.get(body.name, body.name), services, dataset)


def _update_info(tree: CompValue) -> QueryInfo:
    """Operations, SERVICE endpoints and dataset clauses of a parsed update request."""
    prologues = list(_children(tree["prologue"])) if "prologue" in tree else []
    operations: list[str] = []
    services: list[str] = []
    dataset = False
    base: str | None = None
    prefixes: dict[str, str] = dict(PREFIXES)
    for index, op in enumerate(_children(_get(tree, "request") or [])):
        if not isinstance(op, CompValue):
            continue
        operations.append(op.name)
        if op.name == "Modify" and (_get(op, "withClause") or _get(op, "using")):
            dataset = True
        prologue = prologues[index] if index < len(prologues) else None
        # An update's PREFIX and BASE declarations carry over to the operations after them.
        base, prefixes = _prologue([prologue] if prologue is not None else [], base, prefixes)
        services += ["?" if s is None else s for s in _services(op, base, prefixes)]
    return QueryInfo("UPDATE", tuple(services), dataset, tuple(operations))


def check(
    sparql: str,
    *,
    service_allowlist: Iterable[str] = (),
    allow_update: bool = False,
) -> QueryInfo:
    """Parse and vet a public query; return what it is or raise why it may not run."""
    info = inspect(sparql)
    if info.is_update and not allow_update:
        raise QueryRefused(
            "this endpoint is read-only: SPARQL Update (INSERT, DELETE, LOAD, CLEAR, DROP, ...) "
            "is refused. Send a SELECT, ASK, CONSTRUCT or DESCRIBE query."
        )
    allowed = tuple(service_allowlist)
    for service in info.services:
        if service == "?":
            raise QueryRefused(
                "SERVICE with a variable endpoint is refused: name the endpoint IRI "
                f"(allowed: {', '.join(allowed) or 'none configured'})."
            )
        if not any(service == a or service.startswith(a.rstrip("/") + "/") for a in allowed):
            raise QueryRefused(
                f"SERVICE <{service}> is not on this server's allowlist "
                f"(allowed: {', '.join(allowed) or 'none configured'}); "
                "the operator can add it with CLUSTERKG_SERVICE_ALLOWLIST."
            )
    return info
