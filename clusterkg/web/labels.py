"""Labels instead of IRIs, and the label index behind the search page.

Pages collect every IRI they will show and ask for all labels in one query (through the
QueryService, like every other query). The search index holds every label once per build,
folded (lower case, accents removed) so that "sao paulo" finds "São Paulo" and "leon"
finds "León".
"""

from __future__ import annotations

import threading
import time
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

import pyoxigraph as ox

from clusterkg.store import current_build
from clusterkg.web.context import queries, settings
from clusterkg.web.links import local_name, safe_href, short, valid_iri

LABEL_PROPERTIES = (
    "http://www.w3.org/2000/01/rdf-schema#label",
    "http://www.w3.org/2004/02/skos/core#prefLabel",
    "http://purl.org/dc/terms/title",
    "https://schema.org/name",
)
XSD = "http://www.w3.org/2001/XMLSchema#"


@dataclass(frozen=True)
class Value:
    """One RDF term as a page shows it: text, and a link only where a link is safe."""

    kind: str  # "iri", "bnode", "literal"
    text: str
    iri: str | None = None
    href: str | None = None
    external: bool = False
    note: str = ""  # datatype or language, shown small

    @property
    def is_link(self) -> bool:
        return self.href is not None


def fold(text: str) -> str:
    """Case- and accent-insensitive form of ``text``."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def _rank(term: ox.Literal) -> int:
    lang = (term.language or "").lower()
    return 0 if lang in ("en", "en-gb", "en-us") else 1 if not lang else 2


class Labeller:
    """Labels for a page's IRIs, fetched in batches of VALUES."""

    batch = 300

    def __init__(self) -> None:
        self.labels: dict[str, str] = {}

    def fetch(self, iris: Iterable[str]) -> None:
        todo = sorted({i for i in iris if i not in self.labels and valid_iri(i)})
        for start in range(0, len(todo), self.batch):
            chunk = todo[start : start + self.batch]
            values = " ".join(f"<{i}>" for i in chunk)
            props = " ".join(f"<{p}>" for p in LABEL_PROPERTIES)
            rows = (
                queries()
                .select(
                    f"SELECT ?x ?label WHERE {{ VALUES ?x {{ {values} }} "
                    f"VALUES ?p {{ {props} }} ?x ?p ?label FILTER(isLiteral(?label)) }}",
                    max_rows=None,
                )
                .rows
            )
            best: dict[str, tuple[int, str]] = {}
            for row in rows:
                iri, label = row["x"].value, row["label"]
                rank = (_rank(label), len(label.value))
                if iri not in best or rank < best[iri][0]:
                    best[iri] = (rank, label.value)  # type: ignore[assignment]
            for iri in chunk:
                self.labels[iri] = best[iri][1] if iri in best else ""

    def label(self, iri: str) -> str:
        found = self.labels.get(iri)
        if found:
            return found
        name = short(iri)
        if name != iri:
            return name
        # A non-web IRI (javascript:, data:, urn:) is shown whole, so nobody mistakes it.
        return local_name(iri) if iri.lower().startswith(("http:", "https:")) else iri

    def value(self, term: ox.NamedNode | ox.BlankNode | ox.Literal | object) -> Value:
        base = settings().base_iri
        if isinstance(term, ox.NamedNode):
            iri = term.value
            href = safe_href(iri, base)
            external = href is not None and not href.startswith("/")
            return Value("iri", self.label(iri), iri=iri, href=href, external=external)
        if isinstance(term, ox.BlankNode):
            return Value("bnode", "(unnamed node)")
        if isinstance(term, ox.Literal):
            note = term.language or ""
            dt = term.datatype.value if term.datatype else ""
            if not note and dt and dt != XSD + "string":
                note = dt[len(XSD) :] if dt.startswith(XSD) else short(dt)
            if note == "langString":
                note = ""
            return Value("literal", term.value, note=note)
        return Value("literal", str(term))


# -- the search index ------------------------------------------------------------------------

SEARCH_PROPERTIES = (
    *LABEL_PROPERTIES,
    "http://www.w3.org/2004/02/skos/core#altLabel",
)


@dataclass(frozen=True)
class Hit:
    iri: str
    label: str
    matched: str
    types: tuple[str, ...]


class LabelIndex:
    """Every label of every IRI, folded, rebuilt when a new build is published."""

    ttl = 300.0  # seconds, for stores without a build id (remote, writable)

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._key: object = None
        self._expires = 0.0
        self._entries: list[tuple[str, str, str]] = []  # (folded, label, iri)
        self._types: dict[str, tuple[str, ...]] = {}

    def _current_key(self) -> object:
        s = settings()
        if s.is_remote or s.writable:
            return None
        return current_build(s.store_dir)

    def _load(self) -> None:
        props = " ".join(f"<{p}>" for p in SEARCH_PROPERTIES)
        rows = (
            queries()
            .select(
                f"SELECT ?x ?label WHERE {{ VALUES ?p {{ {props} }} ?x ?p ?label "
                f"FILTER(isIRI(?x) && isLiteral(?label)) }}",
                max_rows=500_000,
                timeout=max(settings().query_timeout, 30.0),
            )
            .rows
        )
        self._entries = sorted(
            {(fold(r["label"].value), r["label"].value, r["x"].value) for r in rows}
        )
        types = (
            queries()
            .select("SELECT ?x ?c WHERE { ?x a ?c FILTER(isIRI(?x)) }", max_rows=500_000)
            .rows
        )
        by_iri: dict[str, list[str]] = {}
        for r in types:
            by_iri.setdefault(r["x"].value, []).append(r["c"].value)
        self._types = {k: tuple(sorted(v)) for k, v in by_iri.items()}

    def search(self, text: str, limit: int = 100) -> list[Hit]:
        key = self._current_key()
        with self._lock:
            if key != self._key or (key is None and time.monotonic() > self._expires):
                self._load()
                self._key = key
                self._expires = time.monotonic() + self.ttl
            entries, types = self._entries, self._types
        words = fold(text).split()
        if not words:
            return []
        found: dict[str, Hit] = {}
        scored: list[tuple[int, str]] = []
        for folded, label, iri in entries:
            if iri in found or not all(w in folded for w in words):
                continue
            found[iri] = Hit(iri, label, label, types.get(iri, ()))
            score = 0 if folded == " ".join(words) else 1 if folded.startswith(words[0]) else 2
            scored.append((score, iri))
        scored.sort(key=lambda s: (s[0], fold(found[s[1]].label)))
        return [found[iri] for _, iri in scored[:limit]]
