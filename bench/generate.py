"""Synthetic knowledge graphs shaped like clusterkg's real data, deterministic from a seed.

Why synthetic: the real graph has about 10^4 triples, too few to show how the stack scales,
and peers must be compared on identical data. The generator writes what the real data holds
(see ``docs/modelling.md``) in the same proportions: clusters located in cities, regions and
countries; firms of each size class that are members of their cluster; tiered supply
relations (n-ary nodes with supplier, buyer, tier, contract and governance type) down from lead
firms; ``org:Membership`` nodes in trade associations; statistical observations (cell of a
table, with measure, unit, year, row and column label) and findings. Every fact node carries
its provenance (``ckg:statedIn`` a paper, ``ckg:lines``), and each synthetic paper has its own
named graph, as each real paper does.

The first clusters, papers, countries and sectors reuse the real IRIs (``ckr:sinos-valley``,
``ckr:paper-nadvi1995``, ``ckr:brazil``, ``ckg:sector-footwear``), so competency questions
written for the real data find answers in the synthetic graphs too.

Output is N-Triples (one file per graph, ``data/<graph>/synthetic.nt``), written with plain
string formatting: at 10^6 triples this takes seconds, where building rdflib terms would take
a minute.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

CKG = "https://w3id.org/clusterkg/def/"
CKR = "https://w3id.org/clusterkg/id/"
CKW = "https://w3id.org/clusterkg/work/"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
ORG = "http://www.w3.org/ns/org#"
DCT = "http://purl.org/dc/terms/"
XSD = "http://www.w3.org/2001/XMLSchema#"

#: The real papers' graphs, reused as the first synthetic papers.
REAL_PAPERS = ["cho1995", "parklee1999", "mcnamara2005", "nadvi1995", "humphrey2001"]

#: (IRI local name, label): real countries first.
COUNTRIES = [
    ("brazil", "Brazil"),
    ("india", "India"),
    ("korea", "South Korea"),
    ("mexico", "Mexico"),
    ("pakistan", "Pakistan"),
    ("germany", "Germany"),
    ("italy", "Italy"),
    ("taiwan", "Taiwan"),
    ("kenya", "Kenya"),
    ("china", "China"),
    ("japan", "Japan"),
    ("thailand", "Thailand"),
]

#: Real cluster IRIs (docs/modelling.md), with country index and sector, used first.
REAL_CLUSTERS = [
    ("sinos-valley", "Sinos Valley footwear cluster", 0, "footwear"),
    ("tiruppur-knitwear-cluster", "Tiruppur knitwear cluster", 1, "knitwear"),
    (
        "kyeongnam-mechanical-engineering-industry",
        "Kyeongnam mechanical engineering",
        2,
        "mechanical-engineering",
    ),
    ("leon-footwear-cluster", "León footwear cluster", 3, "footwear"),
    (
        "sialkot-surgical-instruments-cluster",
        "Sialkot surgical instruments cluster",
        4,
        "surgical-instruments",
    ),
    (
        "tuttlingen-surgical-instruments-cluster",
        "Tuttlingen surgical instruments cluster",
        5,
        "surgical-instruments",
    ),
    ("guadalajara-footwear-cluster", "Guadalajara footwear cluster", 3, "footwear"),
    ("ludhiana-woollen-knitwear-cluster", "Ludhiana woollen knitwear cluster", 1, "knitwear"),
    ("bangalore-cluster", "Bangalore industrial and technical networks", 1, "electronics"),
]

SECTORS = [
    "footwear",
    "knitwear",
    "mechanical-engineering",
    "surgical-instruments",
    "electronics",
    "automotive",
    "textiles",
    "horticulture",
    "machine-tools",
    "leather",
]

SIZE_CLASSES = [  # (class local name, weight)
    ("MicroEnterprise", 20),
    ("SmallFirm", 35),
    ("SME", 25),
    ("LargeFirm", 8),
]

GOVERNANCE = [
    "governance-arms-length-market",
    "governance-network",
    "governance-quasi-hierarchy",
    "governance-hierarchy",
]
CONTRACTS = [
    "contract-design-lending",
    "contract-design-acknowledged",
    "contract-oem",
    "contract-full-processing",
]
#: (measure, unit, low, high): shared measures and units of the ontology.
MEASURES = [
    ("measure-number-of-firms", "unit-firms", 10, 5000),
    ("measure-employment", "unit-persons", 5, 20000),
    ("measure-export-share-of-output", "unit-percent", 0, 100),
    ("measure-sales", "unit-usd-million", 1, 900),
]
FINDING_CONCEPTS = ["LockIn", "CollectiveEfficiency", "JointAction", "Upgrading"]


@dataclass
class GeneratedGraph:
    """What :func:`generate` wrote, for the report and the query parameters."""

    root: Path
    triples: int
    files: dict[str, int] = field(default_factory=dict)
    clusters: int = 0
    firms: int = 0
    lead_firms: int = 0
    supply_relations: int = 0
    observations: int = 0


def _iri(value: str) -> str:
    return f"<{value}>"


def _lit(text: str, lang: str | None = "en") -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"@{lang}' if lang else f'"{escaped}"'


def _typed(value: object, datatype: str) -> str:
    return f'"{value}"^^<{XSD}{datatype}>'


class _Writer:
    """Collects N-Triples lines per graph and counts them."""

    def __init__(self) -> None:
        self.lines: dict[str, list[str]] = {}
        self.count = 0

    def add(self, graph: str, s: str, p: str, o: str) -> None:
        self.lines.setdefault(graph, []).append(f"{s} {p} {o} .\n")
        self.count += 1

    def writer(self, graph: str) -> Callable[[str, str, str], None]:
        bucket = self.lines.setdefault(graph, [])

        def add(s: str, p: str, o: str) -> None:
            bucket.append(f"{s} {p} {o} .\n")
            self.count += 1

        return add


TYPE = _iri(RDF_TYPE)
LABEL = _iri(RDFS + "label")
COMMENT = _iri(RDFS + "comment")


def ckg(name: str) -> str:
    return _iri(CKG + name)


def ckr(name: str) -> str:
    return _iri(CKR + name)


def _lines(rng: random.Random) -> str:
    start = rng.randint(1, 900)
    return _lit(f"{start}-{start + rng.randint(0, 12)}", None)


def _provenance(
    add: Callable[[str, str, str], None], node: str, paper: str, rng: random.Random
) -> None:
    add(node, ckg("statedIn"), paper)
    add(node, ckg("lines"), _lines(rng))


def generate(root: Path, target_triples: int, seed: int = 42) -> GeneratedGraph:
    """Write a synthetic project tree under ``root/data`` with about ``target_triples``.

    Deterministic: the same seed and target give byte-identical files. Clusters are added
    until the target is reached, so the count lands within one cluster (~800 triples) of it.
    """
    rng = random.Random(seed)
    out = _Writer()
    ref = out.writer("reference")
    result = GeneratedGraph(root, 0)

    # -- reference: countries, regions, cities, papers, cited works -----------------------
    regions: list[tuple[str, int]] = []
    for ci, (country, label) in enumerate(COUNTRIES):
        c = ckr(country)
        ref(c, TYPE, ckg("Country"))
        ref(c, LABEL, _lit(label))
        ref(c, ckg("unlinkedReason"), _lit("synthetic benchmark place"))
        for ri in range(4):
            region = f"syn-region-{country}-{ri}"
            r = ckr(region)
            ref(r, TYPE, ckg("Region"))
            ref(r, LABEL, _lit(f"Region {ri} of {label}"))
            ref(r, ckg("unlinkedReason"), _lit("synthetic benchmark place"))
            ref(r, ckg("locatedIn"), c)
            ref(r, ckg("country"), c)
            regions.append((region, ci))

    papers: list[tuple[str, str]] = []  # (paper IRI, graph key)

    def new_paper(index: int) -> tuple[str, str]:
        key = REAL_PAPERS[index] if index < len(REAL_PAPERS) else f"synpaper{index:04d}"
        node = ckr(f"paper-{key}")
        ref(node, TYPE, ckg("SourcePaper"))
        ref(node, LABEL, _lit(f"Synthetic paper {index} ({key})"))
        ref(node, _iri(DCT + "title"), _lit(f"Clusters and value chains, study {index}", None))
        ref(node, _iri(DCT + "date"), _typed(1990 + index % 20, "gYear"))
        ref(node, _iri(DCT + "creator"), _lit(f"Author{index}, A.", None))
        ref(node, ckg("lineCount"), _typed(400 + index % 500, "integer"))
        ref(node, ckg("namedGraph"), _iri(f"https://w3id.org/clusterkg/graph/{key}"))
        papers.append((node, key))
        return node, key

    works = []
    for wi in range(40):
        w = _iri(f"{CKW}synthetic-{1980 + wi % 20}-work-{wi}")
        ref(w, TYPE, _iri("http://purl.org/ontology/bibo/Document"))
        ref(w, _iri(DCT + "title"), _lit(f"A cited study number {wi}", None))
        ref(w, _iri(DCT + "date"), _typed(1980 + wi % 20, "gYear"))
        works.append(w)

    # -- clusters, each described in one paper; a paper covers a few clusters -------------
    # About 40 paper graphs at 10^6 triples and the five real papers' graphs at 10^4.
    clusters_per_paper = max(3, round(target_triples / 700 / 40))
    cluster_index = 0
    firm_index = 0
    while out.count < target_triples:
        if cluster_index % clusters_per_paper == 0:
            paper, key = new_paper(cluster_index // clusters_per_paper)
            add = out.writer(key)
        if cluster_index < len(REAL_CLUSTERS):
            cname, clabel, country_i, sector = REAL_CLUSTERS[cluster_index]
            region, _ = regions[country_i * 4]
        else:
            sector = SECTORS[rng.randrange(len(SECTORS))]
            region, country_i = regions[rng.randrange(len(regions))]
            cname = f"syn-cluster-{cluster_index:05d}"
            clabel = f"Synthetic {sector.replace('-', ' ')} cluster {cluster_index}"
        country = ckr(COUNTRIES[country_i][0])
        city = ckr(f"syn-city-{cluster_index:05d}")
        add(city, TYPE, ckg("City"))
        add(city, LABEL, _lit(f"City {cluster_index}"))
        add(city, ckg("unlinkedReason"), _lit("synthetic benchmark place"))
        add(city, ckg("locatedIn"), ckr(region))
        _provenance(add, city, paper, rng)

        cl = ckr(cname)
        ctype = "IndustrialDistrict" if rng.random() < 0.3 else "Cluster"
        add(cl, TYPE, ckg(ctype))
        add(cl, LABEL, _lit(clabel))
        add(cl, COMMENT, _lit(f"A concentration of {sector.replace('-', ' ')} firms."))
        add(cl, ckg("locatedIn"), city)
        add(cl, ckg("country"), country)
        add(cl, ckg("sector"), ckg(f"sector-{sector}"))
        _provenance(add, cl, paper, rng)
        cs = ckr(f"syn-case-{cluster_index:05d}")
        add(cs, TYPE, ckg("CaseStudy"))
        add(cs, LABEL, _lit(f"Case study of {clabel}"))
        add(cs, ckg("caseOf"), cl)
        _provenance(add, cs, paper, rng)

        assoc = ckr(f"syn-association-{cluster_index:05d}")
        add(assoc, TYPE, ckg("TradeAssociation"))
        add(assoc, LABEL, _lit(f"Producers' association of cluster {cluster_index}"))
        add(assoc, ckg("locatedIn"), city)
        _provenance(add, assoc, paper, rng)

        # firms: a few lead firms, then tiers of suppliers below them
        n_firms = rng.randint(14, 26)
        firms: list[str] = []
        for _ in range(n_firms):
            f = ckr(f"syn-firm-{firm_index:07d}")
            firm_index += 1
            firms.append(f)
            size = rng.choices([s for s, _ in SIZE_CLASSES], [w for _, w in SIZE_CLASSES])[0]
            add(f, TYPE, ckg(size))
            add(f, LABEL, _lit(f"Firm {firm_index}"))
            add(f, ckg("locatedIn"), city)
            add(f, ckg("sector"), ckg(f"sector-{sector}"))
            add(f, ckg("memberOf"), cl)
            add(f, ckg("foundedIn"), _typed(rng.randint(1950, 1995), "gYear"))
            _provenance(add, f, paper, rng)
        n_leads = 1 + n_firms // 12
        leads, rest = firms[:n_leads], firms[n_leads:]
        for lead in leads:
            add(lead, TYPE, ckg("LeadFirm"))
        result.lead_firms += n_leads

        # supply tiers: tier-1 suppliers sell to a lead, tier-k to a tier-(k-1) supplier
        tiers: list[list[str]] = [leads]
        pos = 0
        for tier in (1, 2, 3):
            share = {1: 0.35, 2: 0.4, 3: 1.0}[tier]
            count = max(1, int(len(rest) * share)) if pos < len(rest) else 0
            members = rest[pos : pos + count]
            pos += count
            if not members:
                break
            tiers.append(members)
            for si, supplier in enumerate(members):
                buyers = [tiers[tier - 1][si % len(tiers[tier - 1])]]
                if rng.random() < 0.3:  # some suppliers serve two buyers
                    buyers.append(rng.choice(tiers[tier - 1]))
                for bi, buyer in enumerate(dict.fromkeys(buyers)):
                    sr = ckr(f"syn-sr-{cluster_index:05d}-{tier}-{si}-{bi}")
                    result.supply_relations += 1
                    kind = "SubcontractingRelation" if rng.random() < 0.4 else "SupplyRelation"
                    add(sr, TYPE, ckg(kind))
                    add(sr, LABEL, _lit(f"Tier-{tier} supply in cluster {cluster_index}"))
                    add(sr, ckg("supplier"), supplier)
                    add(sr, ckg("buyer"), buyer)
                    add(sr, ckg("tier"), _typed(tier, "positiveInteger"))
                    add(sr, ckg("contractType"), ckg(rng.choice(CONTRACTS)))
                    add(sr, ckg("governanceType"), ckg(rng.choice(GOVERNANCE)))
                    add(sr, ckg("startYear"), _typed(rng.randint(1970, 1998), "gYear"))
                    _provenance(add, sr, paper, rng)

        # memberships of the association, with dates
        for mi, f in enumerate(firms):
            if rng.random() < 0.5:
                m = ckr(f"syn-membership-{cluster_index:05d}-{mi}")
                add(m, TYPE, _iri(ORG + "Membership"))
                add(m, _iri(ORG + "member"), f)
                add(m, _iri(ORG + "organization"), assoc)
                add(m, ckg("startYear"), _typed(rng.randint(1975, 1998), "gYear"))
                _provenance(add, m, paper, rng)

        # observations: a table per cluster (firms by year), plus firm-level figures
        table = ckr(f"syn-table-{cluster_index:05d}")
        add(table, TYPE, ckg("StatisticalTable"))
        add(table, LABEL, _lit(f"Firms and employment in cluster {cluster_index}"))
        add(table, ckg("tableNumber"), _lit(str(1 + cluster_index % 9), None))
        _provenance(add, table, paper, rng)
        observed = [(cl, m) for m in MEASURES[:3]] + [
            (f, MEASURES[rng.choice((1, 3))]) for f in firms if rng.random() < 0.6
        ]
        for oi, (entity, (measure, unit, low, high)) in enumerate(observed):
            for year in (1985, 1990, 1993) if entity == cl else (rng.choice((1990, 1993)),):
                o = ckr(f"obs-syn-{cluster_index:05d}-{oi}-{year}")
                result.observations += 1
                add(o, TYPE, ckg("Observation"))
                add(o, ckg("observedEntity"), entity)
                add(o, ckg("measure"), ckg(measure))
                add(o, ckg("value"), _typed(round(rng.uniform(low, high), 1), "decimal"))
                add(o, ckg("unit"), ckg(unit))
                add(o, ckg("refYear"), _typed(year, "gYear"))
                if entity == cl:
                    add(o, ckg("inTable"), table)
                    add(o, ckg("rowLabel"), _lit(measure.removeprefix("measure-"), None))
                    add(o, ckg("columnLabel"), _lit(str(year), None))
                if entity == cl or rng.random() < 0.2:  # tables cite their sources
                    add(o, ckg("originalSource"), rng.choice(works))
                _provenance(add, o, paper, rng)

        # findings about the cluster
        for fi in range(rng.randint(1, 3)):
            fnode = ckr(f"finding-syn-{cluster_index:05d}-{fi}")
            add(fnode, TYPE, ckg("Finding"))
            add(fnode, ckg("about"), cl)
            add(fnode, ckg("evidenceFor"), ckg(rng.choice(FINDING_CONCEPTS)))
            add(fnode, COMMENT, _lit(f"Finding {fi} on cluster {cluster_index}."))
            _provenance(add, fnode, paper, rng)

        result.firms += n_firms
        cluster_index += 1

    result.clusters = cluster_index
    data = root / "data"
    for graph, lines in out.lines.items():
        folder = data / graph
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "synthetic.nt").write_text("".join(lines), encoding="utf-8")
        result.files[graph] = len(lines)
    result.triples = out.count
    return result


def main() -> None:
    """``python -m bench.generate ROOT TRIPLES [SEED]``: write one synthetic tree."""
    import sys

    root, target = Path(sys.argv[1]), int(float(sys.argv[2]))
    seed = int(sys.argv[3]) if len(sys.argv) > 3 else 42
    made = generate(root, target, seed)
    print(f"{made.triples} triples, {made.clusters} clusters, {made.firms} firms in {root}")


if __name__ == "__main__":
    main()
