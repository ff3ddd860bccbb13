"""A time limit that really stops the query, while the pool goes on answering others."""

from __future__ import annotations

import time

import pytest

from clusterkg.config import Settings
from clusterkg.query import QueryService, QueryTimeout

RUNAWAY = (
    "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l . "
    "?m ?n1 ?o . ?p ?q ?r }"
)


@pytest.mark.slow
def test_runaway_query_is_stopped_and_the_next_one_answers(mini_built: Settings) -> None:
    service = QueryService(mini_built.with_(query_timeout=1.0, query_workers=1))
    try:
        started = time.monotonic()
        with pytest.raises(QueryTimeout, match="limit"):
            service.execute(RUNAWAY)
        assert time.monotonic() - started < 5
        rows = service.select("SELECT ?s WHERE { ?s a ckg:LeadFirm }").rows
        assert [r["s"].value for r in rows] == ["https://w3id.org/clusterkg/id/demo-lead"]
    finally:
        service.close()


@pytest.mark.slow
def test_killed_worker_processes_are_replaced(mini_built: Settings) -> None:
    service = QueryService(mini_built.with_(query_timeout=0.5, query_workers=1))
    try:
        pids = set()
        for _ in range(2):
            with pytest.raises(QueryTimeout):
                service.execute(RUNAWAY)
            pids |= {w.process.pid for w in service.pool._all}
        assert len(pids) == 2
        assert all(w.process.is_alive() for w in service.pool._all)
    finally:
        service.close()
