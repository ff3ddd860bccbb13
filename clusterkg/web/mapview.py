"""The map: clusters and places drawn from the coordinates in the external-data graph.

Coordinates come from ``geo:hasGeometry/geo:asWKT`` (written by ``clusterkg enrich`` into
``data/external/``). A place is drawn where it is; a cluster is drawn at the place it is
``ckg:locatedIn`` (the nearest place up the chain that has coordinates).

The page works offline: Leaflet is vendored (``server/static/vendor/leaflet/``), and no tile
server is used unless the operator sets ``CLUSTERKG_MAP_TILES`` to a URL template such as
``https://tile.openstreetmap.org/{z}/{x}/{y}.png`` (with ``CLUSTERKG_MAP_ATTRIBUTION``);
without tiles the points are drawn over a plain graticule. The points are also listed in a
table, so the page says what it shows even without JavaScript.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from flask import Blueprint, Flask, Response, jsonify, render_template, request

from clusterkg.web.context import queries, settings
from clusterkg.web.links import entity_href, safe_href

bp = Blueprint("mapview", __name__)

POINTS_QUERY = """
SELECT ?s ?kind ?wkt ?label ?via ?depth WHERE {
  {
    ?s geo:hasGeometry/geo:asWKT ?wkt .
    BIND("place" AS ?kind) BIND(0 AS ?depth)
  } UNION {
    ?s a ?class . ?class rdfs:subClassOf* ckg:Cluster .
    { ?s ckg:locatedIn ?via . BIND(1 AS ?depth) }
    UNION { ?s ckg:locatedIn/ckg:locatedIn ?via . BIND(2 AS ?depth) }
    UNION { ?s ckg:locatedIn/ckg:locatedIn/ckg:locatedIn ?via . BIND(3 AS ?depth) }
    ?via geo:hasGeometry/geo:asWKT ?wkt .
    BIND("cluster" AS ?kind)
  }
  OPTIONAL { ?s rdfs:label ?label . FILTER(LANGMATCHES(LANG(?label), "en") || LANG(?label) = "") }
}
"""

LINKS_QUERY = """
SELECT ?s ?target WHERE {
  ?s owl:sameAs ?target .
  FILTER(STRSTARTS(STR(?target), "http://www.wikidata.org/entity/")
      || STRSTARTS(STR(?target), "https://sws.geonames.org/")
      || STRSTARTS(STR(?target), "http://dbpedia.org/resource/"))
}
"""

_POINT = re.compile(r"POINT\s*\(\s*([-+0-9.eE]+)\s+([-+0-9.eE]+)\s*\)", re.IGNORECASE)


@dataclass
class MapPoint:
    iri: str
    kind: str  # "place" or "cluster"
    label: str
    lon: float
    lat: float
    href: str
    via: str | None = None
    via_label: str | None = None
    links: list[str] = field(default_factory=list)

    def feature(self) -> dict[str, object]:
        return {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [self.lon, self.lat]},
            "properties": {
                "iri": self.iri,
                "kind": self.kind,
                "label": self.label,
                "href": self.href,
                "via": self.via_label,
                "links": self.links,
            },
        }


def parse_wkt(wkt: str) -> tuple[float, float] | None:
    match = _POINT.search(wkt)
    if not match:
        return None
    lon, lat = float(match.group(1)), float(match.group(2))
    return (lon, lat) if -180 <= lon <= 180 and -90 <= lat <= 90 else None


def collect_points() -> list[MapPoint]:
    """One point per place and per cluster, the cluster at its nearest located place."""
    base = settings().base_iri
    rows = queries().select(POINTS_QUERY, max_rows=20_000).rows
    labels: dict[str, str] = {}
    best: dict[tuple[str, str], tuple[int, str, str, str | None]] = {}
    for row in rows:
        iri = row["s"].value
        if "label" in row:
            labels.setdefault(iri, row["label"].value)
        depth = int(row["depth"].value) if "depth" in row else 0
        via = row["via"].value if "via" in row else None
        key = (iri, row["kind"].value)
        candidate = (depth, row["wkt"].value, iri, via)
        if key not in best or candidate < best[key]:
            best[key] = candidate
    links: dict[str, list[str]] = {}
    for row in queries().select(LINKS_QUERY, max_rows=20_000).rows:
        target = row["target"].value
        if safe_href(target, base):
            links.setdefault(row["s"].value, []).append(target)
    points = []
    for (iri, kind), (_depth, wkt, _iri, via) in sorted(best.items()):
        where = parse_wkt(wkt)
        if where is None:
            continue
        points.append(
            MapPoint(
                iri=iri,
                kind=kind,
                label=labels.get(iri, iri.rsplit("/", 1)[-1]),
                lon=where[0],
                lat=where[1],
                href=entity_href(iri, base),
                via=via,
                via_label=labels.get(via, via.rsplit("/", 1)[-1]) if via else None,
                links=sorted(set(links.get(iri, []))),
            )
        )
    return points


def tile_settings() -> dict[str, str] | None:
    """The operator's tile URL template, if any; only http(s) templates are used."""
    template = os.environ.get("CLUSTERKG_MAP_TILES", "").strip()
    if not template:
        return None
    parts = urlsplit(template.replace("{s}", "tiles-subdomain"))
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    host = parts.netloc.replace("tiles-subdomain", "*")
    return {
        "url": template,
        "attribution": os.environ.get("CLUSTERKG_MAP_ATTRIBUTION", "").strip(),
        "origin": f"{parts.scheme}://{host}",
    }


@bp.route("/map")
def map_page() -> str:
    points = collect_points()
    geojson = {"type": "FeatureCollection", "features": [p.feature() for p in points]}
    return render_template(
        "map.html",
        points=points,
        geojson=geojson,
        tiles=tile_settings(),
        clusters=sum(p.kind == "cluster" for p in points),
        places=sum(p.kind == "place" for p in points),
    )


@bp.route("/map/points.json")
def map_points() -> Response:
    points = collect_points()
    return jsonify({"type": "FeatureCollection", "features": [p.feature() for p in points]})


def _allow_tiles(response: Response) -> Response:
    """Let the map page load images from the configured tile server, and nothing else.

    The app's Content-Security-Policy allows images from this server only; a configured tile
    server is added to ``img-src`` for the map page alone.
    """
    tiles = tile_settings()
    if tiles and request.path == "/map" and "Content-Security-Policy" in response.headers:
        policy = response.headers["Content-Security-Policy"]
        response.headers["Content-Security-Policy"] = policy.replace(
            "img-src 'self'", f"img-src 'self' {tiles['origin']}", 1
        )
    return response


@bp.record_once
def _register(state: object) -> None:
    app: Flask = state.app  # type: ignore[attr-defined]
    # after_request functions run in reverse order of registration: put this one first in the
    # list so that it runs last, after the app has set its Content-Security-Policy.
    app.after_request_funcs.setdefault(None, []).insert(0, _allow_tiles)
