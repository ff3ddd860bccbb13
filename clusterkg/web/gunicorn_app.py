"""Serving with gunicorn, for production: several worker processes, each with its own pool
of query processes. Settings come from ``server/gunicorn.conf.py`` plus the command line."""

from __future__ import annotations

from typing import Any

from gunicorn.app.base import BaseApplication

from clusterkg.config import REPO_ROOT, Settings


class ClusterkgApplication(BaseApplication):  # type: ignore[misc]
    def __init__(self, settings: Settings, options: dict[str, Any]) -> None:
        self.settings = settings
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        config_file = REPO_ROOT / "server" / "gunicorn.conf.py"
        if config_file.exists():
            self.load_config_from_file(str(config_file))
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        from clusterkg.web import create_app

        return create_app(self.settings)


def run_gunicorn(settings: Settings, host: str, port: int, workers: int) -> None:
    options = {"bind": f"{host}:{port}", "workers": workers}
    ClusterkgApplication(settings, options).run()
