"""Enrichment: chosen facts about linked entities, fetched once and cached in the repository.

For every entity of ours with an ``owl:sameAs`` to Wikidata, ``clusterkg enrich`` asks the
Wikidata endpoint (configurable; tests use a local Oxigraph server with a Wikidata-shaped
fixture) for coordinates (P625), population (P1082), country (P17), inception (P571),
official website (P856) and GeoNames ID (P1566), and writes them to
``data/external/wikidata.ttl``. ``clusterkg enrich --table FILE.csv`` does the same from a
table of GeoNames records looked up offline (``data/external/geonames.ttl``). Files under
``data/external/`` are loaded by every build into the external-data graph
(``https://w3id.org/clusterkg/graph/external``), so builds and tests never need the network.

Shape of what is written (each fetched fact keeps the source's own property, so nothing
fetched is mistaken for something a paper says):

    ckr:busan geo:hasGeometry <https://w3id.org/clusterkg/id/geometry/busan-wikidata> .
    <.../geometry/busan-wikidata> a geo:Geometry ;
        geo:asWKT "POINT(129.075 35.18)"^^geo:wktLiteral ;
        prov:wasDerivedFrom <.../external/busan-wikidata> .
    <.../external/busan-wikidata> a prov:Entity ;
        schema:about ckr:busan ;
        prov:wasDerivedFrom wd:Q16520 ;
        dct:source <https://query.wikidata.org/sparql> ;
        prov:generatedAtTime "2026-11-23T10:00:00Z"^^xsd:dateTime ;
        wdt:P1082 3349016 ; wdt:P17 wd:Q884 .

Coordinates go on the entity itself (``geo:hasGeometry``), as the modelling guide asks, so the
map and simple queries need no detour; everything else stays on the record with its date.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from clusterkg.federation import SparqlClient, sparql_literal
from clusterkg.link import GEONAMES, WIKIDATA, Entity
from clusterkg.sources import ID

WDT = "http://www.wikidata.org/prop/direct/"
GNO = "http://www.geonames.org/ontology#"
GEO = "http://www.opengis.net/ont/geosparql#"
XSD = "http://www.w3.org/2001/XMLSchema#"

#: Wikidata properties fetched, with what they mean (for the file header and the docs).
PROPERTIES: dict[str, str] = {
    "P625": "coordinate location",
    "P1082": "population",
    "P17": "country",
    "P571": "inception",
    "P856": "official website",
    "P1566": "GeoNames ID",
}

PREFIXES = """\
@prefix ckr: <https://w3id.org/clusterkg/id/> .
@prefix dct: <http://purl.org/dc/terms/> .
@prefix geo: <http://www.opengis.net/ont/geosparql#> .
@prefix gn: <https://sws.geonames.org/> .
@prefix gno: <http://www.geonames.org/ontology#> .
@prefix prov: <http://www.w3.org/ns/prov#> .
@prefix schema: <https://schema.org/> .
@prefix wd: <http://www.wikidata.org/entity/> .
@prefix wdt: <http://www.wikidata.org/prop/direct/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
"""

_POINT = re.compile(r"Point\(\s*([-+0-9.eE]+)\s+([-+0-9.eE]+)\s*\)", re.IGNORECASE)


@dataclass
class Record:
    """What one source says about one of our entities."""

    entity: str
    source_item: str  # wd:Q... or gn:NNN/
    source_name: str  # "wikidata" or "geonames"
    source: str  # the endpoint or table the facts came from
    retrieved: str  # xsd:dateTime or xsd:date lexical form
    point: tuple[float, float] | None = None  # (lon, lat)
    facts: list[tuple[str, str]] = field(default_factory=list)  # (predicate, object) Turtle
    note: str = ""

    @property
    def local(self) -> str:
        tail = self.entity[len(ID) :] if self.entity.startswith(ID) else self.entity
        return re.sub(r"[^A-Za-z0-9-]+", "-", tail).strip("-")

    def turtle(self) -> str:
        record = f"<{ID}external/{self.local}-{self.source_name}>"
        stamp_type = "dateTime" if "T" in self.retrieved else "date"
        lines = []
        if self.note:
            lines.append(f"# {self.note}")
        if self.point is not None:
            geometry = f"<{ID}geometry/{self.local}-{self.source_name}>"
            lon, lat = self.point
            lines += [
                f"<{self.entity}> geo:hasGeometry {geometry} .",
                f"{geometry} a geo:Geometry ;",
                f'    geo:asWKT "POINT({_num(lon)} {_num(lat)})"^^geo:wktLiteral ;',
                f"    prov:wasDerivedFrom {record} .",
            ]
        lines += [
            f"{record} a prov:Entity ;",
            f"    schema:about <{self.entity}> ;",
            f"    prov:wasDerivedFrom <{self.source_item}> ;",
            f"    dct:source {self.source} ;",
        ]
        lines += [f"    {p} {o} ;" for p, o in self.facts]
        lines.append(f'    prov:generatedAtTime "{self.retrieved}"^^xsd:{stamp_type} .')
        return "\n".join(lines) + "\n"


def _num(value: float) -> str:
    """A coordinate with up to 6 decimals (about 0.1 m), without trailing zeros."""
    return f"{value:.6f}".rstrip("0").rstrip(".")


def parse_point(wkt: str) -> tuple[float, float] | None:
    """(lon, lat) from Wikidata's ``Point(lon lat)`` WKT, or None."""
    match = _POINT.search(wkt)
    if not match:
        return None
    lon, lat = float(match.group(1)), float(match.group(2))
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        return None
    return lon, lat


def _values(items: Iterable[str]) -> str:
    return " ".join(f"<{i}>" for i in items)


def _batched(items: list[str], size: int) -> Iterable[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def fetch_wikidata(
    linked: dict[str, str],
    client: SparqlClient,
    *,
    batch: int = 50,
    retrieved: str | None = None,
) -> list[Record]:
    """Records for ``linked`` (our IRI -> Wikidata item), one query per property and batch.

    One property per query keeps the answer small: six OPTIONALs in one query multiply rows.
    """
    stamp = retrieved or datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    by_item: dict[str, list[str]] = {}
    for entity, item in linked.items():
        by_item.setdefault(item, []).append(entity)
    found: dict[str, dict[str, list[tuple[str, str]]]] = {}
    for chunk in _batched(sorted(by_item), batch):
        for prop in PROPERTIES:
            query = (
                f"SELECT ?item ?value WHERE {{ VALUES ?item {{ {_values(chunk)} }} "
                f"?item <{WDT}{prop}> ?value . }}"
            )
            for row in client.select(query).rows:
                value = row["value"]
                found.setdefault(row["item"]["value"], {}).setdefault(prop, []).append(
                    (value.get("type", "literal"), value["value"])
                    if "datatype" not in value
                    else (value["datatype"], value["value"])
                )
    records = []
    for item in sorted(found):
        props = found[item]
        for entity in by_item.get(item, []):
            record = Record(entity, item, "wikidata", f"<{client.endpoint}>", stamp)
            for _kind, value in sorted(props.get("P625", [])):
                record.point = record.point or parse_point(value)
            if len(props.get("P625", [])) > 1:
                record.note = "several coordinates on Wikidata; the first in sort order is used"
            for prop in ("P1082", "P17", "P571", "P856", "P1566"):
                for kind, value in sorted(set(props.get(prop, []))):
                    record.facts.append((f"wdt:{prop}", _object(kind, value)))
            records.append(record)
    return records


def _object(kind: str, value: str) -> str:
    """A Turtle object for a SPARQL JSON value (IRI or literal with its datatype)."""
    if kind == "uri":
        return f"<{value}>"
    if kind.startswith("http://"):
        return f"{sparql_literal(value)}^^<{kind}>"
    return sparql_literal(value)


def read_table(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return [row for row in csv.DictReader(row for row in handle if not row.startswith("#"))]


def table_header(path: Path) -> str:
    """The table's leading ``#`` lines: where and when its rows were looked up."""
    lines = []
    for line in path.read_text("utf-8").splitlines():
        if not line.startswith("#"):
            break
        lines.append(line[1:].strip())
    return "\n".join(lines) or f"GeoNames facts from {path.name}, looked up offline."


def records_from_table(rows: list[dict[str, str]], entities: dict[str, Entity]) -> list[Record]:
    """Records from a table of GeoNames facts looked up offline.

    Columns: ``entity`` (ckr: CURIE or IRI), ``geonameid``, ``name``, ``latitude``,
    ``longitude``, ``population``, ``countrycode``, ``source`` (where the row was read),
    ``looked_up`` (the date). Only rows whose entity exists and is linked to that GeoNames
    feature are used: the table cannot introduce a link.
    """
    records = []
    for row in rows:
        iri = row["entity"].strip()
        if iri.startswith("ckr:"):
            iri = ID + iri[4:]
        feature = f"{GEONAMES}{row['geonameid'].strip()}/"
        entity = entities.get(iri)
        if entity is None or feature not in entity.links:
            raise ValueError(
                f"{row['entity']}: not an entity linked to {feature} (add the link first)"
            )
        record = Record(
            iri,
            feature,
            "geonames",
            sparql_literal(row["source"].strip()),
            row["looked_up"].strip(),
            point=(float(row["longitude"]), float(row["latitude"])),
        )
        record.facts.append(("gno:name", sparql_literal(row["name"].strip())))
        if row.get("population", "").strip():
            record.facts.append(("gno:population", f'"{int(row["population"])}"^^xsd:integer'))
        if row.get("countrycode", "").strip():
            record.facts.append(("gno:countryCode", sparql_literal(row["countrycode"].strip())))
        records.append(record)
    return records


def write_cache(path: Path, records: list[Record], header: str) -> None:
    """Write records, sorted, under a header that says where they came from and when."""
    comment = "\n".join(f"# {line}".rstrip() for line in header.strip().splitlines())
    body = "\n".join(r.turtle() for r in sorted(records, key=lambda r: (r.entity, r.source_item)))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"{comment}\n{PREFIXES}\n{body}", encoding="utf-8")


def wikidata_header(endpoint: str, stamp: str, count: int) -> str:
    props = ", ".join(f"{p} ({label})" for p, label in PROPERTIES.items())
    return f"""\
Facts fetched from Wikidata by `clusterkg enrich` for entities linked with owl:sameAs.
Endpoint: {endpoint}; retrieved {stamp}; {count} records.
Properties: {props}.
Loaded by `clusterkg build` into https://w3id.org/clusterkg/graph/external; regenerate with
`clusterkg enrich` (needs the endpoint; builds and tests use this file as it is)."""


def linked_items(entities: dict[str, Entity]) -> dict[str, str]:
    """Our IRI -> its Wikidata item, for every entity linked to exactly one."""
    linked = {}
    for entity in entities.values():
        items = [link for link in entity.links if link.startswith(WIKIDATA)]
        if len(items) == 1:
            linked[entity.iri] = items[0]
    return linked
