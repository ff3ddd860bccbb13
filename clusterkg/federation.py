"""Talking to other SPARQL endpoints (Wikidata, DBpedia, any SPARQL 1.1 server).

Two directions, one module:

- **Out, from Python** (``clusterkg link`` and ``clusterkg enrich``): :class:`SparqlClient`
  wraps SPARQLWrapper with what public endpoints expect of a polite client and what a command
  line needs of a remote call: a descriptive User-Agent (Wikimedia blocks anonymous agents),
  a time limit on every request, a row cap on every answer, and ``Retry-After`` honoured on
  HTTP 429 (waiting at most ``max_wait`` seconds, so a command never sleeps for an hour).
  Endpoint URLs are configuration (:func:`endpoints_from_env`), so tests point the same code
  at a local Oxigraph server loaded with a Wikidata-shaped fixture.
- **Out, from a query** (``SERVICE <...>`` in ``/sparql`` or ``clusterkg query``): the engine
  fetches the remote endpoint itself; :mod:`clusterkg.guard` refuses endpoints outside the
  allowlist before anything runs, the query pool's time limit stops a slow remote, and
  :func:`explain_failure` turns the engine's terse socket error into a message that names the
  endpoint.
"""

from __future__ import annotations

import json
import os
import time
import urllib.error
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from http.client import HTTPException
from urllib.parse import urlparse

from SPARQLWrapper import JSON, POST, SPARQLWrapper
from SPARQLWrapper.SPARQLExceptions import SPARQLWrapperException

from clusterkg import __version__ as _VERSION

#: Default endpoints; each can be replaced with ``CLUSTERKG_<NAME>_ENDPOINT``.
DEFAULT_ENDPOINTS: dict[str, str] = {
    "wikidata": "https://query.wikidata.org/sparql",
    "dbpedia": "https://dbpedia.org/sparql",
}

#: Wikimedia's policy asks for an agent that names the tool and a way to reach its operator.
DEFAULT_USER_AGENT = (
    f"clusterkg/{_VERSION} (linked-data knowledge graph of industrial-cluster research; "
    "https://w3id.org/clusterkg/) SPARQLWrapper"
)


class FederationError(RuntimeError):
    """A remote endpoint could not answer: down, too slow, refused, or rate-limited."""

    def __init__(self, endpoint: str, message: str) -> None:
        super().__init__(f"{endpoint}: {message}")
        self.endpoint = endpoint


class RateLimited(FederationError):
    """HTTP 429 with a ``Retry-After`` longer than we are willing to wait."""

    def __init__(self, endpoint: str, retry_after: float) -> None:
        super().__init__(
            endpoint, f"rate-limited (HTTP 429); the endpoint asks to wait {retry_after:g} s"
        )
        self.retry_after = retry_after


def endpoints_from_env(env: Mapping[str, str] | None = None) -> dict[str, str]:
    """Endpoint URLs by name: the defaults, overridden by ``CLUSTERKG_<NAME>_ENDPOINT``."""
    env = os.environ if env is None else env
    found = dict(DEFAULT_ENDPOINTS)
    for name in list(found):
        value = env.get(f"CLUSTERKG_{name.upper()}_ENDPOINT")
        if value:
            found[name] = value
    return found


def user_agent_from_env(env: Mapping[str, str] | None = None) -> str:
    env = os.environ if env is None else env
    return env.get("CLUSTERKG_USER_AGENT") or DEFAULT_USER_AGENT


@dataclass
class Answer:
    """A SELECT answer: variables, rows as plain dicts of SPARQL JSON bindings, and a flag."""

    variables: list[str]
    rows: list[dict[str, dict[str, str]]]
    truncated: bool = False

    def values(self, name: str) -> list[str]:
        return [row[name]["value"] for row in self.rows if name in row]


def _retry_after_seconds(value: str | None, default: float) -> float:
    """``Retry-After`` is either delta-seconds or an HTTP date (RFC 9110, 10.2.3)."""
    if not value:
        return default
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return default
    return max(0.0, when.timestamp() - time.time())


@dataclass
class SparqlClient:
    """A polite, bounded SPARQL client for one endpoint.

    ``sleep`` is injectable so that tests of the 429 handling do not wait.
    """

    endpoint: str
    user_agent: str = DEFAULT_USER_AGENT
    timeout: float = 20.0
    max_rows: int = 1000
    max_retries: int = 2
    max_wait: float = 30.0
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False)

    def _wrapper(self, query: str) -> SPARQLWrapper:
        wrapper = SPARQLWrapper(self.endpoint, agent=self.user_agent)
        wrapper.setQuery(query)
        wrapper.setMethod(POST)  # long VALUES lists do not fit in a URL
        wrapper.setReturnFormat(JSON)
        wrapper.setOnlyConneg(True)  # no non-standard format= parameter: plain SPARQL protocol
        # setTimeout() truncates to int (0.5 would mean "no timeout"); set the float directly.
        wrapper.timeout = self.timeout  # type: ignore[assignment]
        return wrapper

    def _raw(self, query: str) -> bytes:
        attempt = 0
        while True:
            try:
                result = self._wrapper(query).query()
                return result.response.read()
            except urllib.error.HTTPError as exc:
                if exc.code == 429:
                    wait = _retry_after_seconds(exc.headers.get("Retry-After"), 5.0)
                    if attempt >= self.max_retries or wait > self.max_wait:
                        raise RateLimited(self.endpoint, wait) from None
                    attempt += 1
                    self.sleep(wait)
                    continue
                if exc.code in (502, 503, 504) and attempt < self.max_retries:
                    attempt += 1
                    self.sleep(min(2.0 * attempt, self.max_wait))
                    continue
                raise FederationError(self.endpoint, f"answered HTTP {exc.code}") from None
            except SPARQLWrapperException as exc:
                raise FederationError(self.endpoint, str(exc).splitlines()[0]) from None
            except TimeoutError:
                raise FederationError(
                    self.endpoint, f"did not answer within {self.timeout:g} s"
                ) from None
            except urllib.error.URLError as exc:
                reason = exc.reason
                if isinstance(reason, TimeoutError) or "timed out" in str(reason):
                    raise FederationError(
                        self.endpoint, f"did not answer within {self.timeout:g} s"
                    ) from None
                raise FederationError(self.endpoint, f"cannot be reached ({reason})") from None
            except (HTTPException, OSError) as exc:
                raise FederationError(self.endpoint, f"connection failed ({exc})") from None

    def select(self, query: str) -> Answer:
        """Run a SELECT; keep at most ``max_rows`` rows (``truncated`` says if more came)."""
        body = self._raw(query)
        try:
            doc = json.loads(body)
            variables = list(doc["head"].get("vars", []))
            bindings = doc["results"]["bindings"]
        except (ValueError, KeyError, TypeError) as exc:
            raise FederationError(
                self.endpoint, f"answered something that is not SPARQL JSON results ({exc})"
            ) from None
        truncated = len(bindings) > self.max_rows
        return Answer(variables, bindings[: self.max_rows], truncated)


def client_for(
    name: str,
    *,
    env: Mapping[str, str] | None = None,
    timeout: float = 20.0,
    max_rows: int = 1000,
) -> SparqlClient:
    """The configured client for a named endpoint (``wikidata``, ``dbpedia``) or a URL."""
    endpoints = endpoints_from_env(env)
    url = endpoints.get(name, name)
    if not urlparse(url).scheme.startswith("http"):
        raise ValueError(f"unknown endpoint {name!r}: give a name ({', '.join(endpoints)}) or URL")
    return SparqlClient(url, user_agent_from_env(env), timeout=timeout, max_rows=max_rows)


def sparql_literal(text: str, lang: str | None = None) -> str:
    """A SPARQL string literal with the characters that would break out of it escaped."""
    escaped = (
        text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")
    )
    return f'"{escaped}"' + (f"@{lang}" if lang else "")


# -- SERVICE in public queries --------------------------------------------------------------


def explain_failure(services: tuple[str, ...], message: str, *, timed_out: bool) -> str:
    """A message for a failed or stopped query that calls SERVICE, naming the endpoints.

    The engine reports a refused connection as ``Connection refused (os error 111)`` and says
    nothing of which endpoint it was calling; a user needs to know that the remote side,
    not this server, is the problem.
    """
    if not services:
        return message
    names = ", ".join(f"<{s}>" for s in services)
    if timed_out:
        return (
            f"{message}. The query calls SERVICE {names}; the remote endpoint may be slow "
            "or down. Try again later, or narrow the part of the query sent to it."
        )
    return (
        f"the remote SERVICE endpoint {names} could not be queried: {message}. "
        "It may be down or unreachable from this server; the rest of the graph is fine."
    )
