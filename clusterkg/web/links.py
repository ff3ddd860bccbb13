"""From IRIs to links: the local path of our own IRIs, safe hrefs, short names.

The project's IRIs live under ``Settings.base_iri`` (``https://w3id.org/clusterkg/``); this
server answers for them at the same paths (``/id/...``, ``/def/...``, ``/graph/...``,
``/work/...``), so an IRI found in the data becomes a local link and the same IRIs dereference
here as on w3id.org. Any other IRI becomes a link only if it is http(s): a ``javascript:`` or
``data:`` IRI in the data is shown as text and never made live.
"""

from __future__ import annotations

import re
from urllib.parse import quote, urlsplit

from clusterkg.sources import PREFIXES

#: The path segments under the base IRI that this server dereferences.
LOCAL_SPACES = ("id", "def", "graph", "work")

_IRI_FORBIDDEN = re.compile(r'[\x00-\x20<>"{}|^`\\]')


def local_path(iri: str, base: str) -> str | None:
    """``/id/x`` for ``<base>id/x``; None for IRIs outside the served spaces."""
    if not iri.startswith(base):
        return None
    rest = iri[len(base) :]
    if rest.split("/", 1)[0] not in LOCAL_SPACES or "/" not in rest:
        return None
    path, _, fragment = rest.partition("#")
    href = "/" + quote(path, safe="/:@!$&'()*+,;=-._~%")
    return href + ("#" + quote(fragment, safe="-._~") if fragment else "")


def iri_for_path(path: str, base: str) -> str:
    """The IRI a local path stands for (the inverse of :func:`local_path`)."""
    return base + path.lstrip("/")


def safe_href(iri: str, base: str) -> str | None:
    """Where a link to ``iri`` may point, or None when it must not be a link at all."""
    local = local_path(iri, base)
    if local is not None:
        return local
    try:
        parts = urlsplit(iri)
    except ValueError:
        return None
    if parts.scheme.lower() in ("http", "https") and parts.netloc:
        return iri
    return None


def entity_href(iri: str, base: str) -> str:
    """A page about any IRI: its own path when local, else the generic resource page."""
    return local_path(iri, base) or "/resource?iri=" + quote(iri, safe="")


def short(iri: str) -> str:
    """``ckg:Cluster`` for a known namespace, else the IRI itself."""
    best = ""
    for prefix, namespace in PREFIXES.items():
        if iri.startswith(namespace) and len(namespace) > len(PREFIXES.get(best, "")):
            rest = iri[len(namespace) :]
            if rest and re.fullmatch(r"[A-Za-z0-9_\-.]+", rest):
                best = prefix
    return f"{best}:{iri[len(PREFIXES[best]) :]}" if best else iri


def local_name(iri: str) -> str:
    """The last segment of an IRI, a readable fallback label."""
    tail = re.split(r"[/#]", iri.rstrip("/#"))[-1]
    return tail or iri


def valid_iri(text: str) -> bool:
    """Whether ``text`` can be written as ``<text>`` in SPARQL (absolute, no forbidden chars)."""
    return bool(text) and ":" in text and not _IRI_FORBIDDEN.search(text)


def sparql_iri(text: str) -> str:
    if not valid_iri(text):
        raise ValueError(f"not an IRI: {text!r}")
    return f"<{text}>"
