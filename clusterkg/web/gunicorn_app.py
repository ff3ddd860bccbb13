"""Serving with gunicorn, for production: several worker processes, each with its own pool
of query processes. Settings come from ``server/gunicorn.conf.py`` plus the command line.

A writable embedded store (``CLUSTERKG_WRITABLE``) is owned by one query process, so it is
served by one web worker only (see :mod:`clusterkg.executor`).
"""

from __future__ import annotations

import runpy
from typing import Any

from gunicorn.app.base import BaseApplication

from clusterkg.config import REPO_ROOT, Settings


class ClusterkgApplication(BaseApplication):  # type: ignore[misc]
    def __init__(self, settings: Settings, options: dict[str, Any]) -> None:
        self.settings = settings
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        # BaseApplication has no config-file loader (that is Application's, which also parses
        # gunicorn's own command line): read the file's settings the same way.
        config_file = REPO_ROOT / "server" / "gunicorn.conf.py"
        if config_file.exists():
            for key, value in runpy.run_path(str(config_file)).items():
                if key in self.cfg.settings and value is not None:
                    self.cfg.set(key, value)
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        from clusterkg.web import create_app

        return create_app(self.settings)


def run_gunicorn(settings: Settings, host: str, port: int, workers: int) -> None:
    if settings.writable and not settings.is_remote and workers > 1:
        raise SystemExit(
            "a writable embedded store is owned by one process: serve it with --workers 1 "
            "(or without --workers)"
        )
    options = {"bind": f"{host}:{port}", "workers": workers}
    ClusterkgApplication(settings, options).run()
