"""Writing query answers in the standard formats, with a cap on rows.

pyoxigraph can serialise a whole answer, but it cannot stop after N rows and say so; a public
endpoint must (a runaway ``SELECT *`` would otherwise fill memory and the client's browser).
So SELECT answers are written here, following the W3C result formats; graphs (CONSTRUCT,
DESCRIBE) are capped by triples and written by pyoxigraph.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import islice
from xml.sax.saxutils import escape, quoteattr

import pyoxigraph as ox

from clusterkg.store import QueryResult, Term

XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
RDF_LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"

#: Result formats by short name: (media type, kind of answer they serve).
BINDINGS_FORMATS = {
    "json": "application/sparql-results+json",
    "xml": "application/sparql-results+xml",
    "csv": "text/csv",
    "tsv": "text/tab-separated-values",
}
GRAPH_FORMATS = {
    "ttl": ox.RdfFormat.TURTLE,
    "nt": ox.RdfFormat.N_TRIPLES,
    "jsonld": ox.RdfFormat.JSON_LD,
    "rdfxml": ox.RdfFormat.RDF_XML,
    "nq": ox.RdfFormat.N_QUADS,
    "trig": ox.RdfFormat.TRIG,
}


@dataclass(frozen=True)
class Answer:
    """A serialised answer, ready to send."""

    body: bytes
    media_type: str
    kind: str
    rows: int
    truncated: bool


def term_json(term: Term) -> dict[str, object]:
    if isinstance(term, ox.NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, ox.BlankNode):
        return {"type": "bnode", "value": term.value}
    if isinstance(term, ox.Literal):
        out: dict[str, object] = {"type": "literal", "value": term.value}
        if term.language:
            out["xml:lang"] = term.language
        elif term.datatype.value != XSD_STRING:
            out["datatype"] = term.datatype.value
        return out
    if isinstance(term, ox.Triple):
        return {
            "type": "triple",
            "value": {
                "subject": term_json(term.subject),
                "predicate": term_json(term.predicate),
                "object": term_json(term.object),
            },
        }
    raise TypeError(f"not an RDF term: {term!r}")


def _xml_term(term: Term) -> str:
    if isinstance(term, ox.NamedNode):
        return f"<uri>{escape(term.value)}</uri>"
    if isinstance(term, ox.BlankNode):
        return f"<bnode>{escape(term.value)}</bnode>"
    if isinstance(term, ox.Literal):
        if term.language:
            return f"<literal xml:lang={quoteattr(term.language)}>{escape(term.value)}</literal>"
        if term.datatype.value != XSD_STRING:
            return (
                f"<literal datatype={quoteattr(term.datatype.value)}>{escape(term.value)}</literal>"
            )
        return f"<literal>{escape(term.value)}</literal>"
    return (
        f"<triple><subject>{_xml_term(term.subject)}</subject>"
        f"<predicate>{_xml_term(term.predicate)}</predicate>"
        f"<object>{_xml_term(term.object)}</object></triple>"
    )


def _csv_value(term: Term | None) -> str:
    if term is None:
        return ""
    if isinstance(term, ox.BlankNode):
        return f"_:{term.value}"
    if isinstance(term, ox.NamedNode | ox.Literal):
        return term.value
    return str(term)


def write_bindings(
    variables: Sequence[str], rows: Iterable[Sequence[Term | None]], fmt: str
) -> bytes:
    """Serialise SELECT rows in one of :data:`BINDINGS_FORMATS`."""
    rows = list(rows)
    if fmt == "json":
        bindings = [
            {v: term_json(t) for v, t in zip(variables, row, strict=True) if t is not None}
            for row in rows
        ]
        doc = {"head": {"vars": list(variables)}, "results": {"bindings": bindings}}
        return json.dumps(doc, ensure_ascii=False).encode("utf-8")
    if fmt == "xml":
        out = ['<?xml version="1.0"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#">']
        out.append("<head>" + "".join(f"<variable name={quoteattr(v)}/>" for v in variables))
        out.append("</head><results>")
        for row in rows:
            cells = "".join(
                f"<binding name={quoteattr(v)}>{_xml_term(t)}</binding>"
                for v, t in zip(variables, row, strict=True)
                if t is not None
            )
            out.append(f"<result>{cells}</result>")
        out.append("</results></sparql>\n")
        return "\n".join(out).encode("utf-8")
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow(variables)
        writer.writerows([_csv_value(t) for t in row] for row in rows)
        return buffer.getvalue().encode("utf-8")
    if fmt == "tsv":
        lines = ["\t".join(f"?{v}" for v in variables)]
        lines += ["\t".join("" if t is None else str(t) for t in row) for row in rows]
        return ("\n".join(lines) + "\n").encode("utf-8")
    raise ValueError(f"unknown result format {fmt!r}; use one of {', '.join(BINDINGS_FORMATS)}")


def write_boolean(value: bool, fmt: str) -> bytes:
    text = "true" if value else "false"
    if fmt == "json":
        return json.dumps({"head": {}, "boolean": value}).encode()
    if fmt == "xml":
        return (
            '<?xml version="1.0"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#">'
            f"<head/><boolean>{text}</boolean></sparql>\n"
        ).encode()
    if fmt in ("csv", "tsv"):
        return (
            f"_askResult\r\n{text}\r\n".encode()
            if fmt == "csv"
            else f"?_askResult\n{text}\n".encode()
        )
    raise ValueError(f"unknown result format {fmt!r}")


def serialize(result: QueryResult, fmt: str, max_rows: int | None) -> Answer:
    """Write ``result`` in ``fmt`` (a key of BINDINGS_FORMATS or GRAPH_FORMATS).

    ``fmt`` must suit the kind of answer; callers pick it by content negotiation.
    """
    if result.kind == "boolean":
        body = write_boolean(bool(result.boolean), fmt)
        return Answer(body, BINDINGS_FORMATS[fmt], "boolean", 1, False)
    if result.kind == "bindings":
        limit = None if max_rows is None else max_rows + 1
        rows = list(islice(result.rows, limit))
        truncated = max_rows is not None and len(rows) > max_rows
        rows = rows[:max_rows] if truncated else rows
        body = write_bindings(result.variables, rows, fmt)
        return Answer(body, BINDINGS_FORMATS[fmt], "bindings", len(rows), truncated)
    limit = None if max_rows is None else max_rows + 1
    triples = list(islice(result.triples, limit))
    truncated = max_rows is not None and len(triples) > max_rows
    triples = triples[:max_rows] if truncated else triples
    rdf_format = GRAPH_FORMATS[fmt]
    body = ox.serialize(triples, format=rdf_format, prefixes=None) or b""
    return Answer(body, rdf_format.media_type, "graph", len(triples), truncated)
