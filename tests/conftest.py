"""Shared fixtures: temporary project trees, built stores, a real Oxigraph server.

Tests never write into the repository: anything they build goes under pytest's tmp_path, and
they find the repository from this file's location, not the working directory.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from clusterkg.config import Settings

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "tests" / "fixtures"
VENV_BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url: str, seconds: float = 20.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            requests.get(url, timeout=1)
            return
        except requests.ConnectionError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not come up within {seconds} s")


def oxigraph_binary() -> str:
    found = shutil.which("oxigraph", path=str(VENV_BIN)) or shutil.which("oxigraph")
    if not found:
        raise RuntimeError(
            "the Oxigraph server binary is missing: install the test extras "
            "(pip install -e '.[test]', which brings the `oxigraph` package)"
        )
    return found


class OxigraphServer:
    """A real ``oxigraph serve`` on 127.0.0.1, started and stopped by the tests."""

    def __init__(self, location: Path, union: bool = True) -> None:
        self.port = free_port()
        args = [
            oxigraph_binary(),
            "serve",
            "--location",
            str(location),
            "--bind",
            f"127.0.0.1:{self.port}",
        ]
        if union:
            args.append("--union-default-graph")
        self.process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        self.base = f"http://127.0.0.1:{self.port}"
        wait_http(self.base + "/query?query=ASK%7B%7D")

    @property
    def query_url(self) -> str:
        return self.base + "/query"

    @property
    def update_url(self) -> str:
        return self.base + "/update"

    @property
    def gsp_url(self) -> str:
        return self.base + "/store"

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()


@pytest.fixture
def oxigraph_server(tmp_path: Path) -> Iterator[OxigraphServer]:
    server = OxigraphServer(tmp_path / "oxigraph-server")
    yield server
    server.stop()


@pytest.fixture
def mini_root(tmp_path: Path) -> Path:
    """A copy of the tiny project tree (ontology, shapes, data) that tests may break."""
    root = tmp_path / "project"
    shutil.copytree(FIXTURES / "mini", root)
    return root


@pytest.fixture
def mini_settings(mini_root: Path) -> Settings:
    return Settings(root=mini_root, var_dir=mini_root / "var", query_timeout=10.0, query_workers=1)


@pytest.fixture
def mini_built(mini_settings: Settings) -> Settings:
    from clusterkg.build import run_build

    run_build(mini_settings, docs=False)
    return mini_settings


@pytest.fixture(scope="session")
def real_built(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """The real ontology and data, built once per test session into a temporary store."""
    from clusterkg.build import run_build

    var = tmp_path_factory.mktemp("real-var")
    settings = Settings(root=REPO, var_dir=var, query_workers=2, query_timeout=60.0)
    run_build(settings)
    return settings


@pytest.fixture(scope="session")
def real_queries(real_built: Settings) -> Iterator[object]:
    from clusterkg.query import QueryService

    service = QueryService(real_built)
    yield service
    service.close()


@pytest.fixture(scope="session")
def wikidata_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A local Oxigraph server standing in for Wikidata (the fixture in its default graph);
    yields its query URL. Shared by the federation, link, enrichment and question tests."""
    from tests.fixtures.wikidata.server import load_wikidata_fixture

    server = OxigraphServer(tmp_path_factory.mktemp("wikidata"), union=False)
    try:
        yield load_wikidata_fixture(server)
    finally:
        server.stop()
