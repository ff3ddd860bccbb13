"""The command line, end to end, on the tiny project tree."""

from __future__ import annotations

import json
import shutil
import subprocess

import pyoxigraph as ox
import pytest
from click.testing import CliRunner

from clusterkg.cli import main
from clusterkg.config import Settings
from tests.conftest import OxigraphServer

COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"


def run(settings: Settings, *args: str) -> subprocess.CompletedProcess[str] | object:
    runner = CliRunner()
    env = {"CLUSTERKG_ROOT": str(settings.root), "CLUSTERKG_VAR": str(settings.var_dir)}
    return runner.invoke(main, list(args), env=env, catch_exceptions=False)


@pytest.mark.slow
def test_build_command_reports_and_fails_with_exit_code(mini_settings: Settings) -> None:
    result = run(mini_settings, "build")
    assert result.exit_code == 0, result.output
    assert "built" in result.output
    (mini_settings.root / "data" / "demo" / "bad.ttl").write_text("this is not turtle\n")
    result = run(mini_settings, "build")
    assert result.exit_code == 1
    assert "data/demo/bad.ttl:1" in result.output
    assert "served store is unchanged" in result.output


@pytest.mark.slow
def test_query_formats(mini_built: Settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    out = run(mini_built, "query", "--format", "json", "-e", COUNT)
    assert out.exit_code == 0, out.output
    n = int(json.loads(out.output)["results"]["bindings"][0]["n"]["value"])
    assert n > 30
    table = run(mini_built, "query", "-e", "SELECT ?s WHERE { ?s a ckg:LeadFirm }")
    assert "ckr:demo-lead" in table.output
    csv_out = run(
        mini_built, "query", "--format", "csv", "-e", "SELECT ?s WHERE { ?s a ckg:LeadFirm }"
    )
    assert csv_out.output.splitlines() == ["s", "https://w3id.org/clusterkg/id/demo-lead"]
    rq = tmp_path / "leads.rq"
    rq.write_text("# Which firms lead?\nSELECT ?s WHERE { ?s a ckg:LeadFirm }\n")
    from_file = run(mini_built, "query", "--format", "tsv", str(rq))
    assert "<https://w3id.org/clusterkg/id/demo-lead>" in from_file.output


@pytest.mark.slow
def test_query_errors_are_readable(mini_built: Settings) -> None:
    bad = run(mini_built, "query", "-e", "SELECT * WHERE { ?s ?p }")
    assert bad.exit_code == 1 and "syntax error at line 1" in bad.output
    update = run(mini_built, "query", "-e", "DROP ALL")
    assert update.exit_code == 1 and "read-only" in update.output


@pytest.mark.slow
def test_export_nt_parses_with_rapper(mini_built: Settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    rapper = shutil.which("rapper")
    assert rapper, "Debian's raptor2-utils (rapper) is needed: the test command installs it"
    out = run(mini_built, "export", "-f", "nt")
    path = tmp_path / "export.nt"
    path.write_text(out.output)
    checked = subprocess.run(
        [rapper, "-i", "ntriples", "-c", str(path)], capture_output=True, text=True, check=False
    )
    assert checked.returncode == 0, checked.stderr
    count = len(list(ox.parse(path=str(path), format=ox.RdfFormat.N_TRIPLES)))
    assert f"returned {count} triples" in checked.stderr
    asserted = run(mini_built, "export", "-f", "nt", "--asserted-only")
    assert len(asserted.output.splitlines()) < count


@pytest.mark.slow
@pytest.mark.parametrize("fmt", ["nq", "ttl", "trig", "jsonld"])
def test_export_formats_parse(mini_built: Settings, fmt: str) -> None:
    out = run(mini_built, "export", "-f", fmt)
    rdf_format = {
        "nq": ox.RdfFormat.N_QUADS,
        "ttl": ox.RdfFormat.TURTLE,
        "trig": ox.RdfFormat.TRIG,
        "jsonld": ox.RdfFormat.JSON_LD,
    }[fmt]
    assert len(list(ox.parse(out.output.encode(), format=rdf_format))) > 30


@pytest.mark.slow
def test_stats(mini_built: Settings) -> None:
    out = run(mini_built, "stats", "--json")
    data = json.loads(out.output)
    assert data["graphs"]["https://w3id.org/clusterkg/graph/demo"] == 9
    assert data["classes"]["https://w3id.org/clusterkg/def/LeadFirm"] == 1


@pytest.mark.slow
@pytest.mark.remote
def test_push_then_query_the_remote_store_gives_the_same_count(
    mini_built: Settings, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    server = OxigraphServer(tmp_path / "remote")
    try:
        pushed = run(mini_built, "push", "--endpoint", server.query_url)
        assert pushed.exit_code == 0, pushed.output
        local = run(mini_built, "query", "--format", "csv", "-e", COUNT)
        remote = run(
            mini_built, "query", "--endpoint", server.query_url, "--format", "csv", "-e", COUNT
        )
        assert remote.exit_code == 0, remote.output
        assert local.output == remote.output
        assert int(local.output.splitlines()[1]) > 30
        again = run(mini_built, "push", "--endpoint", server.query_url)  # replaces, no doubling
        assert again.exit_code == 0
        assert (
            run(
                mini_built, "query", "--endpoint", server.query_url, "--format", "csv", "-e", COUNT
            ).output
            == local.output
        )
    finally:
        server.stop()


@pytest.mark.slow
def test_validate_command(mini_built: Settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    ok = run(mini_built, "validate")
    assert ok.exit_code == 0, ok.output
    bad = tmp_path / "extra.ttl"
    bad.write_text(
        "@prefix ckg: <https://w3id.org/clusterkg/def/> .\n"
        "<https://w3id.org/clusterkg/id/nameless> a ckg:Firm .\n"
    )
    failed = run(mini_built, "validate", str(bad))
    assert failed.exit_code == 1
    assert "nameless" in failed.output
