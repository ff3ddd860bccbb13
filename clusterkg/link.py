"""Identity links to Wikidata, GeoNames and DBpedia: what is linked, what is not, and proposals.

The curated links live in ``data/reference/links.ttl`` (each with a comment saying where its
identifier was confirmed), deliberate non-links in ``data/reference/unlinked.ttl``
(``ckg:unlinkedReason``), and links accepted with ``clusterkg link`` in
``data/reference/link-decisions.ttl``, together with a ``ckg:LinkDecision`` record that says
who accepted (or rejected) which candidate, when, against which endpoint and how it matched.

A wrong link is worse than a missing one: ``owl:sameAs`` makes every fact about the external
item a fact about ours. So proposals are only proposals; a person accepts them, and a rejected
candidate is recorded so it is not proposed again.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import rdflib
from rdflib.namespace import OWL, RDF, RDFS, SKOS

from clusterkg.federation import SparqlClient, sparql_literal
from clusterkg.sources import DEF, ID

CKG = rdflib.Namespace(DEF)
CKR = rdflib.Namespace(ID)
PROV = rdflib.Namespace("http://www.w3.org/ns/prov#")
DCT = rdflib.Namespace("http://purl.org/dc/terms/")
SCHEMA = rdflib.Namespace("https://schema.org/")
ORG = rdflib.Namespace("http://www.w3.org/ns/org#")

WIKIDATA = "http://www.wikidata.org/entity/"
DBPEDIA = "http://dbpedia.org/resource/"
GEONAMES = "https://sws.geonames.org/"

WIKIDATA_RE = re.compile(r"^http://www\.wikidata\.org/entity/Q[1-9][0-9]*$")
DBPEDIA_RE = re.compile(r"^http://dbpedia\.org/resource/[^\s<>\"{}|\\^`]+$")
GEONAMES_RE = re.compile(r"^https://sws\.geonames\.org/[1-9][0-9]*/$")

LINKS_FILE = Path("data/reference/links.ttl")
UNLINKED_FILE = Path("data/reference/unlinked.ttl")
DECISIONS_FILE = Path("data/reference/link-decisions.ttl")

#: Classes whose instances are places (modelling guide, "Places").
PLACE_CLASSES = {"Place", "Country", "Region", "City", "Locality"}
#: Classes whose instances are organisations or firms (modelling guide, "Organisations and
#: firms" and "Institutions").
ORGANIZATION_CLASSES = {
    "Organization", "Firm", "LargeFirm", "SME", "SmallFirm", "MicroEnterprise", "LeadFirm",
    "Supplier", "Subcontractor", "GlobalBuyer", "Retailer", "MultinationalCorporation",
    "JointVenture", "MarketAgent", "ExportAgent", "Trader", "Wholesaler", "Importer",
    "BuyingOffice", "BusinessGroup", "Chaebol", "Keiretsu", "Institution", "Association",
    "TradeAssociation", "SubSectorAssociation", "SupplierAssociation", "ChamberOfCommerce",
    "Cooperative", "TechnologyCentre", "ServiceCentre", "ResearchInstitute", "University",
    "TrainingInstitution", "CreditUnion", "FinancialInstitution", "GovernmentAgency",
    "Ministry", "LocalGovernment", "InternationalOrganization", "DonorAgency",
    "TradeFairOrganizer",
}  # fmt: skip
#: Unnamed sets of firms: never linkable, so each needs a reason (written in bulk).
POPULATION_CLASSES = {"FirmPopulation", "Sample"}

#: Wikidata classes (P31 values) that fit each kind of ours; used only to rank candidates.
WIKIDATA_TYPES: dict[str, set[str]] = {
    "Country": {"Q6256", "Q3624078", "Q7275", "Q3024240", "Q15634554"},
    "City": {"Q515", "Q1637706", "Q200250", "Q1549591", "Q29045252", "Q3957", "Q486972",
             "Q5119", "Q747074", "Q15284", "Q1093829"},
    "Region": {"Q82794", "Q10864048", "Q13220204", "Q1221156", "Q484170", "Q35657",
               "Q5852411", "Q50337", "Q15284", "Q783733"},
    "Locality": {"Q486972", "Q3957", "Q747074", "Q532", "Q15284", "Q1907114"},
    "Organization": {"Q43229", "Q4830453", "Q783794", "Q891723", "Q6881511", "Q484652",
                     "Q3918", "Q31855", "Q327333", "Q2659904", "Q48204", "Q4438121",
                     "Q22687", "Q178706", "Q1616075"},
}  # fmt: skip


def _local(node: rdflib.term.Node) -> str:
    text = str(node)
    return text[len(DEF) :] if text.startswith(DEF) else text


def kind_of(types: Iterable[rdflib.term.Node]) -> str | None:
    """``place``, ``organization``, ``population`` or None, from an entity's classes."""
    names = {_local(t) for t in types}
    if names & POPULATION_CLASSES:
        return "population"
    if names & PLACE_CLASSES or str(SCHEMA.Place) in names:
        return "place"
    w3c_org = {str(ORG.Organization), str(ORG.OrganizationalCollaboration)}
    if names & ORGANIZATION_CLASSES or w3c_org & names:
        return "organization"
    return None


def broad_type(types: Iterable[rdflib.term.Node]) -> str:
    """The key of :data:`WIKIDATA_TYPES` that fits, for ranking candidates."""
    names = {_local(t) for t in types}
    for name in ("Country", "City", "Region", "Locality"):
        if name in names:
            return name
    return "Organization" if kind_of(types) == "organization" else "Place"


def _expand_with_ontology(graph: rdflib.Graph) -> None:
    """Add subclasses the ontology declares, so new classes count without code changes."""
    changed = True
    while changed:
        changed = False
        for group in (PLACE_CLASSES, ORGANIZATION_CLASSES, POPULATION_CLASSES):
            for sub, sup in graph.subject_objects(RDFS.subClassOf):
                if _local(sup) in group and str(sub).startswith(DEF) and _local(sub) not in group:
                    if group is not POPULATION_CLASSES and _local(sub) in POPULATION_CLASSES:
                        continue
                    group.add(_local(sub))
                    changed = True


def load_graph(root: Path, *, ontology: bool = True) -> rdflib.Graph:
    """Every Turtle file under ``data/`` (and ``ontology/``) in one graph, parsed with rdflib."""
    graph = rdflib.Graph()
    folders = [root / "data"] + ([root / "ontology"] if ontology else [])
    for folder in folders:
        for path in sorted(folder.rglob("*.ttl")) if folder.is_dir() else []:
            graph.parse(path, format="turtle")
    if ontology:
        _expand_with_ontology(graph)
    return graph


@dataclass
class Entity:
    """A place, organisation or firm population of ours, with what matching needs."""

    iri: str
    kind: str
    types: list[str]
    label: str
    alt_labels: list[str] = field(default_factory=list)
    country: str | None = None
    links: list[str] = field(default_factory=list)
    unlinked_reason: str | None = None

    @property
    def curie(self) -> str:
        return "ckr:" + self.iri[len(ID) :] if self.iri.startswith(ID) else f"<{self.iri}>"

    @property
    def wikidata(self) -> str | None:
        return next((link for link in self.links if link.startswith(WIKIDATA)), None)


def _english(graph: rdflib.Graph, node: rdflib.term.Node, prop: rdflib.URIRef) -> list[str]:
    values = [o for o in graph.objects(node, prop) if isinstance(o, rdflib.Literal)]
    english = [str(o) for o in values if o.language in (None, "en")]
    return english or [str(o) for o in values]


def entities(graph: rdflib.Graph) -> dict[str, Entity]:
    """Every place, organisation, firm and firm population described under ``data/``."""
    found: dict[str, Entity] = {}
    for subject in set(graph.subjects(RDF.type, None)):
        if not isinstance(subject, rdflib.URIRef) or not str(subject).startswith(ID):
            continue
        types = list(graph.objects(subject, RDF.type))
        kind = kind_of(types)
        if kind is None:
            continue
        labels = _english(graph, subject, RDFS.label)
        country = graph.value(subject, CKG.country)
        if country is None and "Country" in {_local(t) for t in types}:
            country = subject
        reason = graph.value(subject, CKG.unlinkedReason)
        found[str(subject)] = Entity(
            iri=str(subject),
            kind=kind,
            types=sorted(_local(t) for t in types),
            label=labels[0] if labels else str(subject).rsplit("/", 1)[-1],
            alt_labels=sorted(set(_english(graph, subject, SKOS.altLabel)) - set(labels[:1])),
            country=str(country) if country is not None else None,
            links=sorted(str(o) for o in graph.objects(subject, OWL.sameAs)),
            unlinked_reason=str(reason) if reason is not None else None,
        )
    return found


def external_links(graph: rdflib.Graph) -> list[tuple[str, str]]:
    """Every ``owl:sameAs`` from one of our IRIs to Wikidata, DBpedia or GeoNames."""
    links = []
    for s, o in graph.subject_objects(OWL.sameAs):
        target = str(o)
        if str(s).startswith(ID) and target.startswith((WIKIDATA, DBPEDIA, GEONAMES)):
            links.append((str(s), target))
    return sorted(links)


def well_formed(target: str) -> bool:
    return bool(WIKIDATA_RE.match(target) or DBPEDIA_RE.match(target) or GEONAMES_RE.match(target))


# -- proposals ------------------------------------------------------------------------------


@dataclass
class Candidate:
    """One Wikidata item that might be the same thing as one of our entities."""

    item: str
    label: str
    description: str = ""
    types: list[str] = field(default_factory=list)
    countries: list[str] = field(default_factory=list)
    geonames: list[str] = field(default_factory=list)
    matched_on: str = "label"
    score: float = 0.0
    reasons: list[str] = field(default_factory=list)

    @property
    def qid(self) -> str:
        return self.item.rsplit("/", 1)[-1]


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text)
    return "".join(c for c in text if not unicodedata.combining(c)).casefold().strip()


def candidate_query(names: list[str], limit: int) -> str:
    """Items whose English label or alias is one of ``names`` (exact, so WDQS can use its
    label index), with the facts used to rank them."""
    values = " ".join(sparql_literal(n, "en") for n in names)
    return f"""PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX schema: <http://schema.org/>
PREFIX wdt: <http://www.wikidata.org/prop/direct/>
SELECT ?item ?name ?how ?description ?type ?country ?geonames WHERE {{
  VALUES ?name {{ {values} }}
  {{ ?item rdfs:label ?name . BIND("label" AS ?how) }}
  UNION {{ ?item skos:altLabel ?name . BIND("alias" AS ?how) }}
  OPTIONAL {{ ?item schema:description ?description . FILTER(LANG(?description) = "en") }}
  OPTIONAL {{ ?item wdt:P31 ?type }}
  OPTIONAL {{ ?item wdt:P17 ?country }}
  OPTIONAL {{ ?item wdt:P1566 ?geonames }}
}} LIMIT {limit}"""


def propose(
    entity: Entity,
    client: SparqlClient,
    *,
    country_items: dict[str, str] | None = None,
    limit: int = 200,
) -> list[Candidate]:
    """Ranked Wikidata candidates for ``entity``: label, then type, then country agree.

    ``country_items`` maps our country IRIs to their Wikidata items (from existing links), so
    a candidate in the right country ranks above a namesake elsewhere.
    """
    names = [entity.label, *entity.alt_labels]
    # Labels of ours that carry a qualifier, e.g. "Ministry of X (South Korea)", are also tried
    # without it, since Wikidata labels do not carry one.
    names += [re.sub(r"\s*\([^)]*\)$", "", n) for n in names if n.endswith(")")]
    names = list(dict.fromkeys(n for n in names if n.strip()))
    answer = client.select(candidate_query(names, limit))
    by_item: dict[str, Candidate] = {}
    primary = {_fold(entity.label), _fold(re.sub(r"\s*\([^)]*\)$", "", entity.label))}
    for row in answer.rows:
        item = row["item"]["value"]
        if not item.startswith(WIKIDATA):
            continue
        cand = by_item.setdefault(item, Candidate(item, row["name"]["value"]))
        how = row.get("how", {}).get("value", "label")
        if _fold(row["name"]["value"]) in primary and how == "label":
            cand.label, cand.matched_on = row["name"]["value"], "label"
        elif cand.matched_on != "label":
            cand.matched_on = how
        if "description" in row:
            cand.description = row["description"]["value"]
        for key, bucket in (("type", cand.types), ("country", cand.countries),
                            ("geonames", cand.geonames)):  # fmt: skip
            value = row.get(key, {}).get("value")
            if value and value not in bucket:
                bucket.append(value)
    wanted_types = WIKIDATA_TYPES.get(broad_type(CKG[t] for t in entity.types), set())
    if entity.kind == "organization":
        wanted_types = WIKIDATA_TYPES["Organization"]
    country_item = (country_items or {}).get(entity.country or "")
    for cand in by_item.values():
        exact = _fold(cand.label) in primary and cand.matched_on == "label"
        cand.score = 0.4 if exact else 0.25
        cand.reasons.append("exact English label" if exact else f"{cand.matched_on} matches")
        qids = {t.rsplit("/", 1)[-1] for t in cand.types}
        if qids & wanted_types:
            cand.score += 0.3
            cand.reasons.append("type fits")
        elif cand.types:
            cand.reasons.append("type differs")
        if country_item and country_item in cand.countries:
            cand.score += 0.3
            cand.reasons.append("country agrees")
        elif country_item and cand.countries:
            cand.score -= 0.2
            cand.reasons.append("country differs")
        elif entity.iri == entity.country and cand.item == country_item:
            cand.score += 0.3
        cand.score = round(max(cand.score, 0.0), 2)
    return sorted(by_item.values(), key=lambda c: (-c.score, int(c.qid[1:])))


# -- decisions ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Decision:
    """A person's (or a rule's) verdict on one candidate link."""

    entity: str
    target: str
    outcome: str  # "accepted" or "rejected"
    agent: str
    method: str
    score: float
    endpoint: str
    at: datetime


def _slug(iri: str) -> str:
    tail = iri.rstrip("/").rsplit("/", 1)[-1]
    return re.sub(r"[^a-z0-9]+", "-", tail.lower()).strip("-")


def decision_turtle(decision: Decision) -> str:
    """The Turtle block for one decision: the link itself (if accepted) and its record."""
    entity = f"<{decision.entity}>"
    node = f"ckr:linkdecision-{_slug(decision.entity)}-{_slug(decision.target)}"
    stamp = decision.at.strftime("%Y-%m-%dT%H:%M:%SZ")
    agent = sparql_literal(decision.agent)
    lines = [
        f"# {decision.outcome} {stamp} by {decision.agent}: {decision.method}",
    ]
    if decision.outcome == "accepted":
        lines.append(f"{entity} owl:sameAs <{decision.target}> .")
    lines += [
        f"{node} a ckg:LinkDecision, prov:Activity ;",
        f"    ckg:linkSubject {entity} ;",
        f"    ckg:linkTarget <{decision.target}> ;",
        f'    ckg:decisionOutcome "{decision.outcome}" ;',
        f"    ckg:matchMethod {sparql_literal(decision.method, 'en')} ;",
        f'    ckg:matchScore "{decision.score:.2f}"^^xsd:decimal ;',
        f"    prov:wasAssociatedWith [ a prov:Agent ; rdfs:label {agent} ] ;",
        f"    prov:used <{decision.endpoint}> ;",
        f'    prov:endedAtTime "{stamp}"^^xsd:dateTime .',
        "",
    ]
    return "\n".join(lines)


DECISIONS_HEADER = """\
# Link decisions made with `clusterkg link`: each accepted candidate's owl:sameAs, and for every
# decision (accepted or rejected) a ckg:LinkDecision record: which entity, which external item,
# who decided, when, against which endpoint, and how the candidate matched (method and score).
# Rejected candidates are kept so that they are not proposed again. Appended by the command;
# edit by hand only to withdraw a decision (delete its block).
@prefix ckg: <https://w3id.org/clusterkg/def/> .
@prefix ckr: <https://w3id.org/clusterkg/id/> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix prov: <http://www.w3.org/ns/prov#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .

"""


def record_decisions(path: Path, decisions: Iterable[Decision]) -> int:
    """Append decisions to ``path`` (created with its header and prefixes if missing)."""
    blocks = [decision_turtle(d) for d in decisions]
    if not blocks:
        return 0
    text = path.read_text("utf-8") if path.exists() else DECISIONS_HEADER
    if not text.endswith("\n"):
        text += "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text + "\n".join(blocks), encoding="utf-8")
    return len(blocks)


def decided(graph: rdflib.Graph) -> set[tuple[str, str]]:
    """(entity, target) pairs that already have a decision, accepted or rejected."""
    pairs = set()
    for node in graph.subjects(RDF.type, CKG.LinkDecision):
        subject, target = graph.value(node, CKG.linkSubject), graph.value(node, CKG.linkTarget)
        if subject is not None and target is not None:
            pairs.add((str(subject), str(target)))
    return pairs


def country_items(found: dict[str, Entity]) -> dict[str, str]:
    """Our country IRIs to the Wikidata items they are linked to."""
    return {e.iri: e.wikidata for e in found.values() if e.wikidata and "Country" in e.types}


def to_review(
    found: dict[str, Entity], *, only: Iterable[str] = (), include_reasoned: bool = True
) -> Iterator[Entity]:
    """Entities worth proposing for: not yet on Wikidata, and not an unnamed population."""
    wanted = set(only)
    for entity in sorted(found.values(), key=lambda e: e.iri):
        if wanted and entity.iri not in wanted and entity.curie not in wanted:
            continue
        if entity.kind == "population" or entity.wikidata:
            continue
        if entity.unlinked_reason and not include_reasoned and not wanted:
            continue
        yield entity


def now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


# -- unnamed populations ------------------------------------------------------------------

POPULATION_MARK = "# ---- generated by `clusterkg link --mark-populations`; do not edit below ----"


def mark_populations(path: Path, found: dict[str, Entity]) -> int:
    """Give every firm population without a reason the standard one (regenerated block)."""
    text = path.read_text("utf-8") if path.exists() else ""
    head = text.split(POPULATION_MARK)[0].rstrip("\n")
    reasoned_by_hand = set()
    if head.strip():
        graph = rdflib.Graph().parse(data=head, format="turtle")
        reasoned_by_hand = {str(s) for s in graph.subjects(CKG.unlinkedReason, None)}
    todo = sorted(
        e.iri for e in found.values() if e.kind == "population" and e.iri not in reasoned_by_hand
    )
    if not head.strip():
        head = f"@prefix ckg: <{DEF}> .\n@prefix ckr: <{ID}> ."
    lines = [head, "", POPULATION_MARK]
    for iri in todo:
        name = (
            "ckr:" + iri[len(ID) :] if re.fullmatch(r"[a-z0-9-]+", iri[len(ID) :]) else f"<{iri}>"
        )
        lines.append(
            f"{name} ckg:unlinkedReason "
            '"An unnamed population or sample of firms, not one organisation: no external '
            'record describes it."@en .'
        )
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return len(todo)
