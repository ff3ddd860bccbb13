"""The browser's pages besides entity pages: home, classes, papers, topics, search,
comparison, supplier network, charts, the query editor and the ontology documentation.

Every query here goes through the QueryService (read-only, time limit, row cap), like the
public endpoint's. IRIs that arrive as parameters are checked before they enter a query.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pyoxigraph as ox
from flask import Blueprint, Response, abort, render_template, request, send_from_directory

from clusterkg.query import QueryFailed, QueryTimeout
from clusterkg.sources import PREFIXES, query_files
from clusterkg.store import current_build
from clusterkg.web import describe
from clusterkg.web.context import queries, settings
from clusterkg.web.entity import CKG, INFERRED_GRAPH, Labeller, Provenance, instances
from clusterkg.web.labels import Value
from clusterkg.web.links import valid_iri
from clusterkg.web.sparql import text_response

bp = Blueprint("pages", __name__)

#: What the lock-in entry point gathers: the concept, the conditions that signal it, and
#: the reasoner's class of clusters at risk.
LOCK_IN = CKG + "LockIn"
LOCK_IN_CONDITIONS = (
    CKG + "BuyerDependence",
    CKG + "FunctionalNarrowing",
    CKG + "SupplyExclusivity",
)
AT_RISK = CKG + "ClusterAtRiskOfLockIn"
#: Classes whose instances can be compared side by side (with their subclasses).
COMPARABLE = (
    CKG + "Cluster",
    CKG + "CaseStudy",
    CKG + "InterfirmNetwork",
    CKG + "RegionalInnovationSystem",
    CKG + "Technobelt",
)


def _t(row: dict[str, object], key: str) -> str:
    term = row.get(key)
    return term.value if isinstance(term, ox.NamedNode | ox.Literal) else ""


def _busy(exc: Exception) -> Response:
    return text_response(f"this page could not be computed in time: {exc}", 503)


def examples() -> list[dict[str, str]]:
    """The competency questions (queries/*.rq): name, question (the leading # comment), text."""
    found = []
    for path in query_files(settings().root):
        text = path.read_text(encoding="utf-8")
        question = []
        for line in text.splitlines():
            if not line.startswith("#"):
                break
            question.append(line.lstrip("#").strip())
        found.append(
            {"name": path.stem, "question": " ".join(question) or path.stem, "query": text}
        )
    return found


@bp.route("/")
def home() -> Response | str:
    try:
        stats = describe.dataset_stats()
        labeller = Labeller()
        papers = (
            queries()
            .select(
                "SELECT ?paper ?g WHERE { ?paper a ckg:SourcePaper "
                "OPTIONAL { ?paper ckg:namedGraph ?g } }",
                max_rows=None,
            )
            .rows
        )
        own_classes = [(c, n) for c, n in stats.classes.items() if c.startswith(CKG)][:12]
        labeller.fetch([r["paper"].value for r in papers] + [c for c, _ in own_classes])
    except (QueryTimeout, QueryFailed) as exc:
        return _busy(exc)
    paper_list = sorted(
        ((labeller.value(r["paper"]), stats.graphs.get(_t(r, "g"), 0)) for r in papers),
        key=lambda p: p[0].text.lower(),
    )
    top_classes = [(labeller.value(ox.NamedNode(c)), n, c) for c, n in own_classes]
    return render_template(
        "home.html",
        stats=stats,
        papers=paper_list,
        top_classes=top_classes,
        examples=examples(),
        lock_in=LOCK_IN,
    )


@bp.route("/classes")
def classes() -> Response | str:
    try:
        stats = describe.dataset_stats()
        labeller = Labeller()
        labeller.fetch(stats.classes)
    except (QueryTimeout, QueryFailed) as exc:
        return _busy(exc)
    rows = [(labeller.value(ox.NamedNode(c)), n, c) for c, n in stats.classes.items()]
    own = sorted((r for r in rows if r[2].startswith(CKG)), key=lambda r: r[0].text.lower())
    other = sorted((r for r in rows if not r[2].startswith(CKG)), key=lambda r: r[0].text.lower())
    return render_template("classes.html", own=own, other=other)


@bp.route("/class")
def class_page() -> Response | str:
    iri = request.args.get("iri", "")
    if not valid_iri(iri):
        abort(404)
    page = int(request.args["page"]) if request.args.get("page", "").isdigit() else 1
    try:
        labeller = Labeller()
        members, total = instances(iri, max(page, 1), labeller)
        labeller.fetch([iri])
    except (QueryTimeout, QueryFailed) as exc:
        return _busy(exc)
    return render_template(
        "class.html",
        cls=labeller.value(ox.NamedNode(iri)),
        iri=iri,
        members=members,
        total=total,
        page=max(page, 1),
        page_size=50,
    )


@bp.route("/papers")
def papers() -> Response | str:
    try:
        labeller = Labeller()
        rows = (
            queries()
            .select(
                """SELECT ?paper ?g (COUNT(DISTINCT ?s) AS ?n) WHERE {
                 ?paper a ckg:SourcePaper OPTIONAL { ?paper ckg:namedGraph ?g
                   OPTIONAL { GRAPH ?g { ?s ckg:statedIn ?paper } } }
               } GROUP BY ?paper ?g""",
                max_rows=None,
            )
            .rows
        )
        cites = (
            queries()
            .select(
                "SELECT ?paper (COUNT(DISTINCT ?w) AS ?n) WHERE { ?paper a ckg:SourcePaper ; "
                "cito:cites ?w } GROUP BY ?paper",
                max_rows=None,
            )
            .rows
        )
        labeller.fetch(r["paper"].value for r in rows)
    except (QueryTimeout, QueryFailed) as exc:
        return _busy(exc)
    cited = {r["paper"].value: _t(r, "n") for r in cites}
    items = sorted(
        ((labeller.value(r["paper"]), _t(r, "n"), cited.get(r["paper"].value, "0")) for r in rows),
        key=lambda it: it[0].text.lower(),
    )
    return render_template("papers.html", papers=items)


@bp.route("/search")
def search() -> Response | str:
    text = request.args.get("q", "").strip()[:200]
    hits: list[tuple[Value, str, list[Value]]] = []
    if text:
        try:
            index = _label_index()
            found = index.search(text, limit=100)
            labeller = Labeller()
            labeller.fetch([h.iri for h in found] + [t for h in found for t in h.types])
        except (QueryTimeout, QueryFailed) as exc:
            return _busy(exc)
        for hit in found:
            value = labeller.value(ox.NamedNode(hit.iri))
            matched = hit.matched if hit.matched != value.text else ""
            hits.append((value, matched, [labeller.value(ox.NamedNode(t)) for t in hit.types]))
    return render_template("search.html", q=text, hits=hits)


def _label_index():  # type: ignore[no-untyped-def]
    from flask import current_app

    return current_app.extensions["clusterkg"]["label_index"]


@bp.route("/topics")
def topics() -> Response | str:
    try:
        labeller = Labeller()
        concepts = (
            queries()
            .select(
                "SELECT ?c (COUNT(DISTINCT ?f) AS ?n) WHERE { ?f ckg:evidenceFor ?c } "
                "GROUP BY ?c ORDER BY DESC(?n)",
                max_rows=None,
            )
            .rows
        )
        labeller.fetch([r["c"].value for r in concepts if isinstance(r["c"], ox.NamedNode)])
        lock_in = _lock_in(labeller)
    except (QueryTimeout, QueryFailed) as exc:
        return _busy(exc)
    items = sorted(
        ((labeller.value(r["c"]), _t(r, "n"), _t(r, "c")) for r in concepts),
        key=lambda it: it[0].text.lower(),
    )
    return render_template("topics.html", concepts=items, lock_in=lock_in)


def _findings(concepts: list[str], labeller: Labeller) -> list[dict[str, object]]:
    values = " ".join(f"<{c}>" for c in concepts if valid_iri(c))
    rows = (
        queries()
        .select(
            f"""SELECT ?f ?concept ?about ?comment ?paper ?lines WHERE {{
          VALUES ?concept {{ {values} }}
          ?f ckg:evidenceFor ?concept .
          OPTIONAL {{ ?f ckg:about ?about }} OPTIONAL {{ ?f rdfs:comment ?comment }}
          OPTIONAL {{ ?f ckg:statedIn ?paper }} OPTIONAL {{ ?f ckg:lines ?lines }}
        }} ORDER BY ?f LIMIT 3000""",
            max_rows=None,
        )
        .rows
    )
    labeller.fetch(x for r in rows for k in ("f", "concept", "about", "paper") if (x := _t(r, k)))
    merged: dict[str, dict[str, object]] = {}
    for r in rows:
        f = r["f"]
        item = merged.setdefault(
            _t(r, "f") or str(f),
            {
                "finding": labeller.value(f),
                "about": [],
                "concepts": [],
                "comment": _t(r, "comment"),
                "paper": labeller.value(r["paper"]) if "paper" in r else None,
                "lines": _t(r, "lines"),
            },
        )
        for key, field in (("about", "about"), ("concept", "concepts")):
            if key in r:
                v = labeller.value(r[key])
                if v not in item[field]:  # type: ignore[operator]
                    item[field].append(v)  # type: ignore[union-attr]
    return list(merged.values())


def _lock_in(labeller: Labeller) -> dict[str, object]:
    """Signs of lock-in: findings, conditions clusters exhibit, inferred clusters at risk."""
    findings = _findings([LOCK_IN, *LOCK_IN_CONDITIONS], labeller)
    values = " ".join(f"<{c}>" for c in LOCK_IN_CONDITIONS)
    rows = (
        queries()
        .select(
            f"""SELECT ?who ?cond ?ctype ?paper ?lines WHERE {{
          VALUES ?ctype {{ {values} }}
          ?who ckg:exhibits ?cond . ?cond a ?ctype .
          OPTIONAL {{ ?cond ckg:statedIn ?paper }} OPTIONAL {{ ?cond ckg:lines ?lines }}
        }} ORDER BY ?ctype ?who LIMIT 3000""",
            max_rows=None,
        )
        .rows
    )
    risk = (
        queries()
        .select(
            f"""SELECT ?x (GROUP_CONCAT(DISTINCT STR(?g); separator=" ") AS ?gs) WHERE {{
          GRAPH ?g {{ ?x a <{AT_RISK}> }} }} GROUP BY ?x ORDER BY ?x LIMIT 1000""",
            max_rows=None,
        )
        .rows
    )
    labeller.fetch(
        [x for r in rows for k in ("who", "cond", "ctype", "paper") if (x := _t(r, k))]
        + [_t(r, "x") for r in risk]
        + [LOCK_IN, AT_RISK, *LOCK_IN_CONDITIONS]
    )
    conditions = [
        {
            "who": labeller.value(r["who"]),
            "condition": labeller.value(r["cond"]),
            "type": labeller.value(r["ctype"]),
            "paper": labeller.value(r["paper"]) if "paper" in r else None,
            "lines": _t(r, "lines"),
        }
        for r in rows
    ]
    at_risk = [(labeller.value(r["x"]), _t(r, "gs").split() == [INFERRED_GRAPH]) for r in risk]
    return {
        "concept": labeller.value(ox.NamedNode(LOCK_IN)),
        "findings": findings,
        "conditions": conditions,
        "at_risk": at_risk,
        "at_risk_class": labeller.value(ox.NamedNode(AT_RISK)),
    }


@bp.route("/topic")
def topic() -> Response | str:
    iri = request.args.get("iri", "")
    if not valid_iri(iri):
        abort(404)
    try:
        labeller = Labeller()
        findings = _findings([iri], labeller)
        lock_in = _lock_in(labeller) if iri == LOCK_IN else None
        labeller.fetch([iri])
    except (QueryTimeout, QueryFailed) as exc:
        return _busy(exc)
    return render_template(
        "topic.html",
        concept=labeller.value(ox.NamedNode(iri)),
        iri=iri,
        findings=findings,
        lock_in=lock_in,
    )


# -- comparison ---------------------------------------------------------------------------


def comparable_entities(labeller: Labeller) -> list[Value]:
    values = " ".join(f"<{c}>" for c in COMPARABLE)
    rows = (
        queries()
        .select(
            f"""SELECT DISTINCT ?e WHERE {{
          VALUES ?top {{ {values} }}
          {{ ?e a ?top }} UNION {{ ?e a ?sub . ?sub rdfs:subClassOf+ ?top }}
          FILTER(isIRI(?e))
        }} LIMIT 2000""",
            max_rows=None,
        )
        .rows
    )
    labeller.fetch(r["e"].value for r in rows)
    return sorted((labeller.value(r["e"]) for r in rows), key=lambda v: v.text.lower())


@bp.route("/compare")
def compare() -> Response | str:
    chosen = [i for i in dict.fromkeys(request.args.getlist("e")) if valid_iri(i)]
    wanted_props = [p for p in dict.fromkeys(request.args.getlist("p")) if valid_iri(p)]
    message = ""
    table: list[dict[str, object]] = []
    props: list[tuple[Value, str, bool]] = []
    try:
        labeller = Labeller()
        candidates = comparable_entities(labeller)
        if chosen and not 2 <= len(chosen) <= 5:
            message = f"Pick between 2 and 5 to compare (you picked {len(chosen)})."
        elif chosen:
            values = " ".join(f"<{e}>" for e in chosen)
            rows = (
                queries()
                .select(
                    f"SELECT ?e ?p ?o ?g WHERE {{ VALUES ?e {{ {values} }} GRAPH ?g {{ ?e ?p ?o }} "
                    f"FILTER(?p NOT IN (ckg:statedIn, ckg:lines)) }} LIMIT 5000",
                    max_rows=None,
                )
                .rows
            )
            labeller.fetch(
                chosen
                + [
                    x
                    for r in rows
                    for k in ("p", "o")
                    if (x := _t(r, k)) and isinstance(r[k], ox.NamedNode)
                ]
            )
            prov = Provenance(labeller)
            prov.load(set(chosen))
            by_prop: dict[str, dict[str, dict[str, object]]] = defaultdict(
                lambda: defaultdict(dict)
            )
            for r in rows:
                p, e, o, g = _t(r, "p"), _t(r, "e"), r["o"], _t(r, "g")
                key = str(o)
                cell = by_prop[p][e]
                entry = cell.setdefault(key, {"value": labeller.value(o), "sources": []})
                for src in prov.of(e, g):
                    if src not in entry["sources"]:  # type: ignore[operator]
                        entry["sources"].append(src)  # type: ignore[union-attr]
            shared = {p for p, cells in by_prop.items() if len(cells) >= 2}
            selected = set(wanted_props) if wanted_props else shared or set(by_prop)
            props = sorted(
                ((labeller.value(ox.NamedNode(p)), p, p in selected) for p in by_prop),
                key=lambda t: t[0].text.lower(),
            )
            for value, p, on in props:
                if on:
                    table.append(
                        {
                            "prop": value,
                            "cells": [list(by_prop[p].get(e, {}).values()) for e in chosen],
                        }
                    )
    except (QueryTimeout, QueryFailed) as exc:
        return _busy(exc)
    columns = [labeller.value(ox.NamedNode(e)) for e in chosen] if not message else []
    return render_template(
        "compare.html",
        candidates=candidates,
        chosen=chosen,
        columns=columns,
        props=props,
        table=table,
        message=message,
    )


# -- supplier network ---------------------------------------------------------------------


@bp.route("/network")
def network() -> Response | str:
    iri = request.args.get("iri", "")
    try:
        labeller = Labeller()
        leads = (
            queries()
            .select(
                "SELECT ?b (COUNT(DISTINCT ?r) AS ?n) WHERE { ?r ckg:buyer ?b ; ckg:supplier ?s } "
                "GROUP BY ?b ORDER BY DESC(?n) LIMIT 500",
                max_rows=None,
            )
            .rows
        )
        labeller.fetch(r["b"].value for r in leads if isinstance(r["b"], ox.NamedNode))
        choices = [(labeller.value(r["b"]), _t(r, "n")) for r in leads]
        if not iri and choices and choices[0][0].iri:
            iri = choices[0][0].iri  # the buyer with most relations, so the page shows something
        graph = _supply_graph(iri, labeller) if valid_iri(iri) else None
    except (QueryTimeout, QueryFailed) as exc:
        return _busy(exc)
    return render_template(
        "network.html",
        choices=choices,
        iri=iri if graph else "",
        graph=graph,
        title=labeller.value(ox.NamedNode(iri)) if graph else None,
    )


def _supply_graph(root: str, labeller: Labeller, depth: int = 4) -> dict[str, object]:
    """Supply relations leading to ``root`` (tier by tier) and memberships of their firms."""
    edges: list[dict[str, object]] = []
    nodes: dict[str, dict[str, object]] = {root: {"tier": 0}}
    frontier = {root}
    seen_rel: set[str] = set()
    for _ in range(depth):
        if not frontier:
            break
        values = " ".join(f"<{f}>" for f in sorted(frontier) if valid_iri(f))
        rows = (
            queries()
            .select(
                f"""SELECT ?rel ?supplier ?buyer ?tier ?paper ?lines WHERE {{
              VALUES ?buyer {{ {values} }}
              ?rel ckg:buyer ?buyer ; ckg:supplier ?supplier .
              OPTIONAL {{ ?rel ckg:tier ?tier }} OPTIONAL {{ ?rel ckg:statedIn ?paper }}
              OPTIONAL {{ ?rel ckg:lines ?lines }} FILTER(isIRI(?supplier))
            }} LIMIT 2000""",
                max_rows=None,
            )
            .rows
        )
        frontier = set()
        for r in rows:
            rel = str(r["rel"])
            if rel in seen_rel:
                continue
            seen_rel.add(rel)
            s, b = _t(r, "supplier"), _t(r, "buyer")
            tier = _t(r, "tier")
            if s not in nodes:
                nodes[s] = {"tier": int(tier) if tier.isdigit() else None}
                frontier.add(s)
            edges.append(
                {
                    "from": s,
                    "to": b,
                    "kind": "supplies",
                    "tier": tier,
                    "rel": r["rel"],
                    "paper": r.get("paper"),
                    "lines": _t(r, "lines"),
                }
            )
    values = " ".join(f"<{n}>" for n in nodes if valid_iri(n))
    members = (
        queries()
        .select(
            f"""SELECT ?member ?org ?paper ?lines WHERE {{
          {{ VALUES ?member {{ {values} }} ?member ckg:memberOf|ckg:affiliateOf ?org }}
          UNION {{ VALUES ?org {{ {values} }} ?member ckg:memberOf|ckg:affiliateOf ?org }}
          UNION {{ VALUES ?org {{ {values} }} ?org ckg:hasMember ?member }}
          OPTIONAL {{ ?member ckg:statedIn ?paper }} OPTIONAL {{ ?member ckg:lines ?lines }}
          FILTER(isIRI(?member) && isIRI(?org))
        }} LIMIT 2000""",
            max_rows=None,
        )
        .rows
    )
    for r in members:
        m, o = _t(r, "member"), _t(r, "org")
        for n in (m, o):
            nodes.setdefault(n, {"tier": None, "org": True})
        edges.append(
            {
                "from": m,
                "to": o,
                "kind": "member of",
                "tier": "",
                "rel": None,
                "paper": r.get("paper"),
                "lines": _t(r, "lines"),
            }
        )
    labeller.fetch(
        list(nodes)
        + [e["paper"].value for e in edges if isinstance(e["paper"], ox.NamedNode)]
        + [root]
    )
    deepest = max((i["tier"] for i in nodes.values() if isinstance(i["tier"], int)), default=0)
    vis_nodes = [
        {
            "id": n,
            "label": labeller.label(n),
            "group": "lead" if n == root else ("org" if info.get("org") else f"tier{info['tier']}"),
            # tiers stack above the lead firm; associations and networks on a row of their own
            "level": 0
            if n == root
            else info["tier"]
            if isinstance(info["tier"], int)
            else deepest + 1,
            "url": labeller.value(ox.NamedNode(n)).href or "",
        }
        for n, info in nodes.items()
    ]
    vis_edges = [
        {
            "from": e["from"],
            "to": e["to"],
            "label": f"tier {e['tier']}" if e["tier"] else e["kind"],
            "dashes": e["kind"] != "supplies",
        }
        for e in edges
    ]
    table = [
        {
            "from": labeller.value(ox.NamedNode(str(e["from"]))),
            "to": labeller.value(ox.NamedNode(str(e["to"]))),
            "kind": e["kind"],
            "tier": e["tier"],
            "paper": labeller.value(e["paper"]) if e["paper"] is not None else None,
            "lines": e["lines"],
        }
        for e in edges
    ]
    return {"nodes": vis_nodes, "edges": vis_edges, "table": table}


# -- charts -------------------------------------------------------------------------------


@bp.route("/charts")
def charts() -> Response | str:
    try:
        labeller = Labeller()
        rows = (
            queries()
            .select(
                """SELECT ?e ?measure (COUNT(DISTINCT ?year) AS ?n) (MIN(?year) AS ?from)
                      (MAX(?year) AS ?to) WHERE {
                 ?o ckg:observedEntity ?e ; ckg:measure ?measure ; ckg:refYear ?year ;
                    ckg:value ?v FILTER(isIRI(?e))
               } GROUP BY ?e ?measure HAVING (COUNT(DISTINCT ?year) > 1)
               ORDER BY ?e ?measure LIMIT 2000""",
                max_rows=None,
            )
            .rows
        )
        labeller.fetch(x for r in rows for k in ("e", "measure") if (x := _t(r, k)))
    except (QueryTimeout, QueryFailed) as exc:
        return _busy(exc)
    series = [
        {
            "entity": labeller.value(r["e"]),
            "measure": labeller.value(r["measure"]),
            "n": _t(r, "n"),
            "from": _t(r, "from"),
            "to": _t(r, "to"),
        }
        for r in rows
    ]
    series.sort(key=lambda s: (s["entity"].text.lower(), s["measure"].text.lower()))  # type: ignore[attr-defined]
    return render_template("charts.html", series=series)


# -- editor and ontology docs ---------------------------------------------------------------


def editor_page() -> str:
    """The YASGUI query editor with the project's prefixes and example questions."""
    chosen = request.args.get("example", "")
    library = examples()
    initial = next((e["query"] for e in library if e["name"] == chosen), None)
    if initial is None:
        initial = (
            "# Which clusters exhibit a condition, according to which paper and lines?\n"
            "SELECT ?cluster ?condition ?paper ?lines WHERE {\n"
            "  ?cluster ckg:exhibits ?condition .\n"
            "  OPTIONAL { ?condition ckg:statedIn ?paper ; ckg:lines ?lines }\n"
            "} LIMIT 100\n"
        )
    prefixes = "".join(
        f"PREFIX {p}: <{iri}>\n"
        for p, iri in PREFIXES.items()
        if p
        in ("ckg", "ckr", "ckw", "ckgr", "rdf", "rdfs", "owl", "xsd", "skos", "prov", "dct", "cito")
    )
    config = {
        "endpoint": "/sparql",
        "query": prefixes + "\n" + initial if "PREFIX" not in initial.upper() else initial,
        "prefixes": dict(PREFIXES),
        "examples": [{**e, "query": prefixes + "\n" + e["query"]} for e in library],
        "maxRows": settings().max_rows,
        "timeout": settings().query_timeout,
    }
    return render_template("editor.html", config=config, examples=library)


@bp.route("/favicon.ico")
def favicon() -> Response:
    """Browsers ask for /favicon.ico whatever the page says; answer with the SVG icon."""
    return send_from_directory(
        Path(__file__).resolve().parents[2] / "server" / "static",
        "favicon.svg",
        mimetype="image/svg+xml",
    )


@bp.route("/editor")
def editor() -> str:
    return editor_page()


def docs_dir() -> Path | None:
    s = settings()
    if s.is_remote or s.writable:
        return None
    build = current_build(s.store_dir)
    docs = build / "docs" if build else None
    return docs if docs is not None and (docs / "index.html").is_file() else None


@bp.route("/ontology")
@bp.route("/ontology/")
@bp.route("/ontology/<path:name>")
def ontology(name: str = "index.html") -> Response | str:
    docs = docs_dir()
    if docs is None:
        body = render_template("ontology_missing.html")
        return Response(body, status=404, mimetype="text/html")
    return send_from_directory(docs, name)
