"""End to end in headless Chromium (Debian's, driven by playwright; no browser download).

A person's path through the site: the home page, a query in the editor with its results,
a search, an entity page and a link from it, the lock-in question answered by clicking, the
comparison and the network picture, a chart. Screenshots go to test-artifacts/ (gitignored).
The pages must load no script from elsewhere and break no Content-Security-Policy rule.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fixtures.web.support import CKR, REPO, LiveServer, build_web_fixture

pytestmark = [pytest.mark.slow, pytest.mark.browser]

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = REPO / "test-artifacts"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    settings = build_web_fixture(tmp_path_factory.mktemp("browser"))
    live = LiveServer(settings)
    yield live
    live.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        raise RuntimeError("Debian's chromium is missing: scripts/test installs it")
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: object, server: LiveServer) -> Iterator[object]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})  # type: ignore[attr-defined]
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))

    def outside(request: object) -> None:
        url = request.url  # type: ignore[attr-defined]
        if not url.startswith((server.url, "data:", "blob:", "about:")):
            problems.append(f"request to {url}")

    page.on("request", outside)
    page.problems = problems  # type: ignore[attr-defined]
    yield page
    context.close()


def shot(page: object, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)  # type: ignore[attr-defined]


def test_home_search_entity_and_link(page: object, server: LiveServer) -> None:
    page.goto(server.url + "/")  # type: ignore[attr-defined]
    assert "clusterkg" in page.title()  # type: ignore[attr-defined]
    shot(page, "home")
    page.fill("header form.search input[name=q]", "tirrupur")  # type: ignore[attr-defined]
    page.press("header form.search input[name=q]", "Enter")  # type: ignore[attr-defined]
    page.wait_for_url("**/search?q=tirrupur")  # type: ignore[attr-defined]
    shot(page, "search")
    page.click("ol.hits a:has-text('Tiruppur knitwear cluster')")  # type: ignore[attr-defined]
    page.wait_for_url("**/id/tiruppur-knitwear-cluster")  # type: ignore[attr-defined]
    assert page.inner_text("h1") == "Tiruppur knitwear cluster"  # type: ignore[attr-defined]
    assert "lines 60-64" in page.inner_text("header.entity-head")  # type: ignore[attr-defined]
    shot(page, "entity")
    page.click("table.facts a:has-text('India')")  # type: ignore[attr-defined]
    page.wait_for_url("**/id/india")  # type: ignore[attr-defined]
    assert page.inner_text("h1") == "India"  # type: ignore[attr-defined]
    assert page.problems == []  # type: ignore[attr-defined]


def test_lock_in_question_by_clicking(page: object, server: LiveServer) -> None:
    page.goto(server.url + "/")  # type: ignore[attr-defined]
    page.click("text=Which clusters show signs of lock-in")  # type: ignore[attr-defined]
    page.wait_for_selector("div.lockin")  # type: ignore[attr-defined]
    text = page.inner_text("div.lockin")  # type: ignore[attr-defined]
    assert "Sinos Valley" in text and "lines 30-34" in text and "lines 40-45" in text
    shot(page, "lock-in")
    assert page.problems == []  # type: ignore[attr-defined]


def test_query_editor_runs_a_query(page: object, server: LiveServer) -> None:
    page.goto(server.url + "/editor")  # type: ignore[attr-defined]
    page.wait_for_selector(".yasqe .CodeMirror")  # type: ignore[attr-defined]
    page.click("button.example:has-text('Who supplies Gold Star Audio')")  # type: ignore[attr-defined]
    page.wait_for_selector(".yasr table tbody tr", timeout=20000)  # type: ignore[attr-defined]
    table = page.inner_text(".yasr table")  # type: ignore[attr-defined]
    assert "dongil-parts" in table and "hanil-electric" in table
    shot(page, "editor")
    assert page.problems == []  # type: ignore[attr-defined]


def test_compare_page(page: object, server: LiveServer) -> None:
    page.goto(server.url + "/compare")  # type: ignore[attr-defined]
    for name in ("sinos-valley", "tiruppur-knitwear-cluster"):
        page.check(f"input[value='{CKR}{name}']")  # type: ignore[attr-defined]
    page.click("form.compare button[type=submit]")  # type: ignore[attr-defined]
    page.wait_for_selector("table.compare")  # type: ignore[attr-defined]
    text = page.inner_text("table.compare")  # type: ignore[attr-defined]
    assert "footwear" in text and "knitwear" in text
    shot(page, "compare")
    assert page.problems == []  # type: ignore[attr-defined]


def test_network_and_chart(page: object, server: LiveServer) -> None:
    page.goto(server.url + "/network")  # type: ignore[attr-defined]
    page.select_option("select[name=iri]", label="Gold Star Audio (2 relations)")  # type: ignore[attr-defined]
    page.click("form.inline button")  # type: ignore[attr-defined]
    page.wait_for_selector("#network[data-drawn=true] canvas", timeout=20000)  # type: ignore[attr-defined]
    assert "Small Coil Works" in page.inner_text("table.list")  # type: ignore[attr-defined]
    shot(page, "network")
    page.goto(server.url + "/id/gold-star-audio")  # type: ignore[attr-defined]
    page.wait_for_selector("canvas[data-drawn=true]", timeout=20000)  # type: ignore[attr-defined]
    shot(page, "chart")
    assert page.problems == []  # type: ignore[attr-defined]


def test_hostile_page_runs_no_script(page: object, server: LiveServer) -> None:
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))  # type: ignore[attr-defined]
    page.goto(server.url + "/id/hostile-firm")  # type: ignore[attr-defined]
    page.hover("text=javascript:alert")  # type: ignore[attr-defined]
    page.goto(server.url + "/search?q=hostile")  # type: ignore[attr-defined]
    assert dialogs == []
    assert "<script>" in page.inner_text("ol.hits")  # type: ignore[attr-defined]  (as text)
    shot(page, "hostile")


def test_editor_says_when_the_answer_was_cut(
    browser: object, tmp_path_factory: pytest.TempPathFactory
) -> None:
    settings = build_web_fixture(tmp_path_factory.mktemp("browser-cap"), max_rows=3)
    live = LiveServer(settings)
    try:
        context = browser.new_context()  # type: ignore[attr-defined]
        page = context.new_page()
        page.goto(live.url + "/editor")
        page.wait_for_selector(".yasqe .CodeMirror")
        assert not page.is_visible("#truncated-note")
        page.evaluate("window.clusterkgEditor.setQuery('SELECT * WHERE { ?s ?p ?o }', true)")
        page.wait_for_selector("#truncated-note:not([hidden])", timeout=20000)
        assert "cut at 3 rows" in page.inner_text("#truncated-note")
        shot(page, "editor-truncated")
        context.close()
    finally:
        live.stop()
