"""Settings in one place, read from the environment (``CLUSTERKG_*``) or passed in.

Nothing here touches the environment at import time: ``Settings.from_env()`` is called by the
command line and the app factory, and tests build ``Settings`` directly, so two stores or two
apps can live in one process.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent

DEFAULT_BASE_IRI = "https://w3id.org/clusterkg/"


def _split(value: str) -> tuple[str, ...]:
    return tuple(v.strip() for v in value.replace(",", " ").split() if v.strip())


@dataclass(frozen=True)
class Settings:
    """What a build, a query or a server needs to know.

    ``store`` is either a directory (the embedded store's ``current`` pointer lives there) or
    an ``http(s)://`` URL of a remote SPARQL 1.1 query endpoint.

    ``writable`` (embedded store only) serves ``store`` as one plain Oxigraph directory that
    SPARQL Update may change, instead of the read-only builds under ``current``; see
    :mod:`clusterkg.executor`. Writes also need ``write_token``: without it nothing is written,
    whatever the store.
    """

    root: Path = REPO_ROOT
    var_dir: Path = REPO_ROOT / "var"
    store: str = ""
    update_endpoint: str | None = None
    gsp_endpoint: str | None = None
    base_iri: str = DEFAULT_BASE_IRI
    public_base: str | None = None
    query_timeout: float = 10.0
    max_rows: int = 10_000
    max_request_bytes: int = 1_000_000
    query_workers: int = 2
    service_allowlist: tuple[str, ...] = field(default_factory=tuple)
    write_token: str | None = None
    writable: bool = False
    keep_builds: int = 3

    def __post_init__(self) -> None:
        if not self.store:
            object.__setattr__(self, "store", str(self.var_dir / "store"))

    @property
    def is_remote(self) -> bool:
        return self.store.startswith(("http://", "https://"))

    @property
    def writes_enabled(self) -> bool:
        """Whether an authenticated client may send SPARQL Update."""
        return bool(self.write_token) and (self.is_remote or self.writable)

    @property
    def store_dir(self) -> Path:
        """Where embedded builds live: ``builds/<id>/`` and the ``current`` pointer."""
        return Path(self.store)

    def with_(self, **changes: object) -> Settings:
        return replace(self, **changes)  # type: ignore[arg-type]

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: object) -> Settings:
        env = os.environ if env is None else env
        root = Path(env.get("CLUSTERKG_ROOT", str(REPO_ROOT)))
        var_dir = Path(env.get("CLUSTERKG_VAR", str(root / "var")))
        values: dict[str, object] = {
            "root": root,
            "var_dir": var_dir,
            "store": env.get("CLUSTERKG_STORE", ""),
            "update_endpoint": env.get("CLUSTERKG_UPDATE_ENDPOINT") or None,
            "gsp_endpoint": env.get("CLUSTERKG_GSP_ENDPOINT") or None,
            "base_iri": env.get("CLUSTERKG_BASE_IRI", DEFAULT_BASE_IRI),
            "public_base": env.get("CLUSTERKG_PUBLIC_BASE") or None,
            "query_timeout": float(env.get("CLUSTERKG_QUERY_TIMEOUT", "10")),
            "max_rows": int(env.get("CLUSTERKG_MAX_ROWS", "10000")),
            "max_request_bytes": int(env.get("CLUSTERKG_MAX_REQUEST_BYTES", "1000000")),
            "query_workers": int(env.get("CLUSTERKG_QUERY_WORKERS", "2")),
            "service_allowlist": _split(env.get("CLUSTERKG_SERVICE_ALLOWLIST", "")),
            "write_token": env.get("CLUSTERKG_WRITE_TOKEN") or None,
            "writable": env.get("CLUSTERKG_WRITABLE", "").lower() in ("1", "true", "yes"),
        }
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)  # type: ignore[arg-type]
