"""The queries the benchmark runs: the competency-question library and heavier analytical ones.

The competency questions are the project's own ``queries/*.rq`` when that folder has any;
until then (and for a tree without them) the built-in ``C..`` questions below stand in, each
the kind of question the real data is there to answer. The ``A..`` queries are analytical:
group-by over the whole graph, paths over supplier tiers, optional-heavy joins. All of them
use the data's real IRIs (``ckr:sinos-valley``, ``ckr:brazil``), which the generator reuses.

Every system gets the same text: the project's predeclared prefixes are written out in front
of each query (only those it does not declare itself), because the peers predeclare none.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from clusterkg.sources import PREFIXES


@dataclass(frozen=True)
class BenchQuery:
    """One query: ``kind`` is ``competency`` or ``analytical``; ``text`` has its prefixes."""

    name: str
    kind: str
    text: str
    source: str = "bench"


def with_prefixes(text: str) -> str:
    """Declare the project's prefixes the query uses but does not declare."""
    declared = {m.lower() for m in re.findall(r"(?im)^\s*PREFIX\s+([\w-]*):", text)}
    lines = [
        f"PREFIX {p}: <{iri}>"
        for p, iri in PREFIXES.items()
        if p not in declared and re.search(rf"(?<![\w-]){re.escape(p)}:", text)
    ]
    return "\n".join([*lines, text]) if lines else text


COMPETENCY: dict[str, str] = {
    "C01-firms-in-cluster": """
SELECT ?firm ?label ?class WHERE {
  ?firm ckg:memberOf ckr:sinos-valley ; rdfs:label ?label ; a ?class .
  FILTER (?class IN (ckg:MicroEnterprise, ckg:SmallFirm, ckg:SME, ckg:LargeFirm))
} ORDER BY ?label""",
    "C02-cluster-observations-with-provenance": """
SELECT ?obs ?measure ?value ?year ?paper ?lines WHERE {
  ?obs ckg:observedEntity ckr:sinos-valley ; ckg:measure ?measure ; ckg:value ?value ;
       ckg:refYear ?year ; ckg:statedIn ?paper ; ckg:lines ?lines .
} ORDER BY ?measure ?year""",
    "C03-clusters-in-country": """
SELECT ?cluster ?label WHERE {
  ?cluster ckg:locatedIn+ ckr:brazil ; ckg:sector ?sector ; rdfs:label ?label .
  ?cluster ckg:caseOf|^ckg:caseOf ?case .
} ORDER BY ?label LIMIT 200""",
    "C04-lead-firms-first-tier-suppliers": """
SELECT ?lead ?supplier ?contract ?governance WHERE {
  ?lead ckg:memberOf ckr:tiruppur-knitwear-cluster ; a ckg:LeadFirm .
  ?rel ckg:buyer ?lead ; ckg:supplier ?supplier ; ckg:tier ?tier .
  OPTIONAL { ?rel ckg:contractType ?contract }
  OPTIONAL { ?rel ckg:governanceType ?governance }
  FILTER (?tier = 1)
}""",
    "C05-lock-in-findings": """
SELECT ?finding ?cluster ?paper ?lines WHERE {
  ?finding ckg:evidenceFor ckg:LockIn ; ckg:about ?cluster ;
           ckg:statedIn ?paper ; ckg:lines ?lines .
  ?cluster ckg:sector ckg:sector-footwear .
} ORDER BY ?cluster LIMIT 100""",
    "C06-papers-on-cluster": """
SELECT DISTINCT ?paper ?title WHERE {
  { ckr:kyeongnam-mechanical-engineering-industry ckg:statedIn ?paper }
  UNION { ?x ckg:about ckr:kyeongnam-mechanical-engineering-industry ; ckg:statedIn ?paper }
  UNION { ?x ckg:observedEntity ckr:kyeongnam-mechanical-engineering-industry ;
             ckg:statedIn ?paper }
  OPTIONAL { ?paper dct:title ?title }
}""",
    "C07-firm-profile": """
SELECT ?p ?o WHERE { ckr:syn-firm-0000003 ?p ?o }""",
    "C08-association-members-since": """
SELECT ?firm ?year WHERE {
  ?m org:organization ckr:syn-association-00001 ; org:member ?firm ; ckg:startYear ?year .
} ORDER BY ?year""",
}

ANALYTICAL: dict[str, str] = {
    "A01-firms-by-country-and-size": """
SELECT ?country ?class (COUNT(DISTINCT ?firm) AS ?firms) WHERE {
  ?firm ckg:memberOf ?cluster ; a ?class .
  ?cluster ckg:country ?country .
  FILTER (?class IN (ckg:MicroEnterprise, ckg:SmallFirm, ckg:SME, ckg:LargeFirm))
} GROUP BY ?country ?class ORDER BY ?country ?class""",
    "A02-mean-observation-by-country-measure-year": """
SELECT ?country ?measure ?year (AVG(?value) AS ?mean) (COUNT(?obs) AS ?n) WHERE {
  ?obs ckg:observedEntity ?entity ; ckg:measure ?measure ; ckg:value ?value ;
       ckg:refYear ?year .
  ?entity ckg:locatedIn+ ?country .
  ?country a ckg:Country .
} GROUP BY ?country ?measure ?year ORDER BY ?country ?measure ?year""",
    "A03-upstream-suppliers-per-lead": """
SELECT ?lead (COUNT(DISTINCT ?supplier) AS ?upstream) WHERE {
  ?lead a ckg:LeadFirm .
  ?supplier (^ckg:supplier/ckg:buyer)+ ?lead .
} GROUP BY ?lead ORDER BY DESC(?upstream) ?lead LIMIT 25""",
    "A04-three-tier-chains-by-governance": """
SELECT ?g1 ?g3 (COUNT(*) AS ?chains) WHERE {
  ?r1 ckg:tier ?t1 ; ckg:buyer ?lead ; ckg:supplier ?s1 ; ckg:governanceType ?g1 .
  ?r2 ckg:tier ?t2 ; ckg:buyer ?s1 ; ckg:supplier ?s2 .
  ?r3 ckg:tier ?t3 ; ckg:buyer ?s2 ; ckg:supplier ?s3 ; ckg:governanceType ?g3 .
  FILTER (?t1 = 1 && ?t2 = 2 && ?t3 = 3)
} GROUP BY ?g1 ?g3 ORDER BY ?g1 ?g3""",
    "A05-optional-heavy-firm-coverage": """
SELECT ?country (COUNT(DISTINCT ?firm) AS ?firms) (COUNT(DISTINCT ?founded) AS ?withYear)
       (COUNT(DISTINCT ?emp) AS ?withEmployment) (COUNT(DISTINCT ?m) AS ?withMembership)
       (COUNT(DISTINCT ?rel) AS ?withSupplyRelation) WHERE {
  ?firm ckg:memberOf ?cluster . ?cluster ckg:country ?country .
  OPTIONAL { ?firm ckg:foundedIn ?year BIND (?firm AS ?founded) }
  OPTIONAL { ?emp ckg:observedEntity ?firm ; ckg:measure ckg:measure-employment }
  OPTIONAL { ?m org:member ?firm }
  OPTIONAL { ?rel ckg:supplier ?firm }
} GROUP BY ?country ORDER BY ?country""",
    "A06-facts-per-paper": """
SELECT ?paper (COUNT(?fact) AS ?facts) (COUNT(DISTINCT ?lines) AS ?ranges) WHERE {
  ?fact ckg:statedIn ?paper ; ckg:lines ?lines .
} GROUP BY ?paper ORDER BY DESC(?facts) ?paper LIMIT 50""",
    "A07-governance-by-sector": """
SELECT ?sector ?governance (COUNT(?rel) AS ?relations) WHERE {
  ?rel ckg:governanceType ?governance ; ckg:buyer ?buyer .
  ?buyer ckg:sector ?sector .
} GROUP BY ?sector ?governance ORDER BY ?sector ?governance""",
    "A08-clusters-without-lock-in": """
SELECT ?cluster (COUNT(?firm) AS ?firms) WHERE {
  ?cluster ckg:sector ?sector .
  ?firm ckg:memberOf ?cluster .
  FILTER NOT EXISTS { ?finding ckg:about ?cluster ; ckg:evidenceFor ckg:LockIn }
} GROUP BY ?cluster ORDER BY DESC(?firms) ?cluster LIMIT 20""",
}


def load_queries(root: Path, every: int = 1) -> list[BenchQuery]:
    """The competency library (``root/queries/*.rq``, every ``every``-th file) and the built-in
    competency stand-ins (they have answers in the synthetic data, where most of the library's
    questions about particular papers have none), then the analytical queries."""
    out: list[BenchQuery] = []
    files = sorted((root / "queries").glob("*.rq")) if (root / "queries").is_dir() else []
    files = files[::every]
    for path in files:
        text = path.read_text(encoding="utf-8")
        if re.search(r"(?i)\b(INSERT|DELETE)\b\s*(DATA|WHERE|\{)", text):
            continue  # an update is not a competency question
        if re.search(r"(?im)^[^#]*\bSERVICE\b", text):
            continue  # federated: needs the network, which a benchmark run must not use
        out.append(BenchQuery(path.stem, "competency", with_prefixes(text), f"queries/{path.name}"))
    out += [BenchQuery(n, "competency", with_prefixes(t)) for n, t in COMPETENCY.items()]
    out += [BenchQuery(n, "analytical", with_prefixes(t)) for n, t in ANALYTICAL.items()]
    return out
