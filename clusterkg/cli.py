"""The ``clusterkg`` command. Thin: it parses arguments and calls the modules below."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
import pyoxigraph as ox
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from clusterkg.config import Settings
from clusterkg.sources import PREFIXES

err = Console(stderr=True)

EXPORT_FORMATS = {
    "nt": ox.RdfFormat.N_TRIPLES,
    "nq": ox.RdfFormat.N_QUADS,
    "ttl": ox.RdfFormat.TURTLE,
    "trig": ox.RdfFormat.TRIG,
    "jsonld": ox.RdfFormat.JSON_LD,
}


def _settings(ctx: click.Context) -> Settings:
    return ctx.obj["settings"]


@click.group()
@click.option(
    "--store",
    envvar="CLUSTERKG_STORE",
    default=None,
    help="Store directory (embedded) or SPARQL query endpoint URL (remote).",
)
@click.version_option(package_name="clusterkg")
@click.pass_context
def main(ctx: click.Context, store: str | None) -> None:
    """clusterkg: a knowledge graph of industrial clusters, SME networks and value chains."""
    ctx.ensure_object(dict)
    ctx.obj["settings"] = Settings.from_env(store=store)


# -- build and validate --------------------------------------------------------------------


@main.command()
@click.option("--no-reason", is_flag=True, help="Skip OWL reasoning (faster, fewer triples).")
@click.option("--no-validate", is_flag=True, help="Skip SHACL validation (not for publishing).")
@click.option(
    "--reasoner",
    type=click.Choice(["auto", "hermit", "rules"]),
    default="auto",
    show_default=True,
    help="HermiT (complete OWL 2 DL, small data) or the ontology's rules applied in the store "
    "(large data); auto picks HermiT up to 100,000 data triples.",
)
@click.option(
    "--validator",
    type=click.Choice(["auto", "pyshacl", "sparql"]),
    default="auto",
    show_default=True,
    help="pySHACL, or the shapes compiled to SPARQL queries over the store (large data); "
    "auto picks pySHACL up to 100,000 data triples.",
)
@click.pass_context
def build(
    ctx: click.Context, no_reason: bool, no_validate: bool, reasoner: str, validator: str
) -> None:
    """Load ontology/ and data/, reason, validate, and publish a new store.

    The new store replaces the served one only if every step passes.
    """
    from clusterkg.build import BuildError, run_build

    settings = _settings(ctx)
    if settings.is_remote:
        raise click.UsageError("build writes the embedded store; use `push` for a remote one")
    steps = ["load", "reason", "validate", "docs", "publish"]
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.fields[detail]}"),
        TimeElapsedColumn(),
        console=err,
        transient=False,
    ) as progress:
        task = progress.add_task("build", total=len(steps), detail="")

        def on_step(name: str) -> None:
            progress.update(
                task,
                description=name,
                detail="",
                completed=steps.index(name) if name in steps else 0,
            )

        def on_file(path: Path) -> None:
            progress.update(task, detail=path.name)

        try:
            report = run_build(
                settings,
                reason=not no_reason,
                validate=not no_validate,
                reasoner=reasoner,
                validator=validator,
                on_step=on_step,
                on_file=on_file,
            )
        except BuildError as exc:
            progress.stop()
            err.print(
                f"[red]build failed at step '{exc.step}'[/red]; the served store is unchanged."
            )
            click.echo(str(exc), err=True)
            sys.exit(1)
        progress.update(task, completed=len(steps), description="done", detail="")
    total = sum(report.triples.values())
    err.print(
        f"built {report.build_id}: {total} triples in {len(report.triples)} graphs "
        f"({report.inferred} inferred by {report.reasoner}, {report.warnings} SHACL warnings "
        f"by {report.validator}) from {report.files} files"
    )


@main.command()
@click.argument("files", nargs=-1, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--warnings/--no-warnings", default=True, help="Show warnings as well as violations.")
@click.pass_context
def validate(ctx: click.Context, files: tuple[Path, ...], warnings: bool) -> None:
    """Check the data (or FILES) against the SHACL shapes; exit 1 on violations."""
    from clusterkg.validate_cmd import validate_files

    settings = _settings(ctx)
    report = validate_files(settings.root, list(files))
    click.echo(report.format_text() if warnings else report.format_text(include_warnings=False))
    sys.exit(1 if report.violations else 0)


# -- query ---------------------------------------------------------------------------------


def _short(term: object) -> str:
    if isinstance(term, ox.NamedNode):
        for prefix, iri in PREFIXES.items():
            if term.value.startswith(iri) and len(term.value) > len(iri):
                return f"{prefix}:{term.value[len(iri) :]}"
        return f"<{term.value}>"
    if isinstance(term, ox.Literal):
        return term.value
    return "" if term is None else str(term)


@main.command()
@click.argument("file", required=False, type=click.File("r"))
@click.option("-e", "--expression", help="The query text (instead of FILE).")
@click.option("--endpoint", help="Run against this SPARQL endpoint instead of the store.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "csv", "tsv", "json", "xml"]),
    default="table",
    show_default=True,
)
@click.option("--timeout", type=float, help="Seconds before the query is stopped.")
@click.pass_context
def query(
    ctx: click.Context,
    file: click.File | None,
    expression: str | None,
    endpoint: str | None,
    fmt: str,
    timeout: float | None,
) -> None:
    """Run a SPARQL query from FILE (e.g. queries/NAME.rq) or -e TEXT."""
    from clusterkg.guard import QueryRefused, QuerySyntaxError
    from clusterkg.query import QueryFailed, QueryService, QueryTimeout

    if (file is None) == (expression is None):
        raise click.UsageError("give a query FILE or -e TEXT (one of them)")
    text = expression if expression is not None else file.read()  # type: ignore[union-attr]
    settings = _settings(ctx)
    if endpoint:
        settings = settings.with_(store=endpoint)
    service = QueryService(settings)
    bindings_format = "json" if fmt == "table" else fmt
    try:
        _, answer = service.execute(
            text, bindings_format=bindings_format, graph_format="ttl", timeout=timeout
        )
    except QuerySyntaxError as exc:
        raise click.ClickException(str(exc)) from None
    except (QueryRefused, QueryTimeout, QueryFailed) as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        service.close()
    if answer.kind != "bindings" or fmt != "table":
        if answer.kind == "boolean" and fmt == "table":
            click.echo((json.loads(answer.body)["boolean"] and "true") or "false")
        else:
            sys.stdout.buffer.write(answer.body)
            if not answer.body.endswith(b"\n"):
                sys.stdout.buffer.write(b"\n")
    else:
        parsed = ox.parse_query_results(answer.body, format=ox.QueryResultsFormat.JSON)
        names = [v.value for v in parsed.variables]
        table = Table(*names, show_lines=False)
        for sol in parsed:
            table.add_row(*(_short(sol[n]) for n in names))
        Console().print(table)
    if answer.truncated:
        err.print(f"[yellow]answer cut at {settings.max_rows} rows[/yellow]")


@main.command()
@click.option("--record", is_flag=True,
              help="Write each answer as the expected result (review the diff before committing).")
@click.argument("names", nargs=-1)
@click.pass_context
def questions(ctx: click.Context, record: bool, names: tuple[str, ...]) -> None:
    """Run the competency questions in queries/ and compare with their expected answers."""
    from clusterkg.competency import answer_csv, compare, load_questions
    from clusterkg.guard import QueryRefused, QuerySyntaxError
    from clusterkg.query import QueryFailed, QueryService, QueryTimeout

    settings = _settings(ctx)
    service = QueryService(settings)
    failures = 0
    try:
        for question in load_questions(settings.root / "queries"):
            if names and question.name not in names:
                continue
            try:
                actual = answer_csv(service, question)
            except (QueryRefused, QueryTimeout, QueryFailed, QuerySyntaxError) as exc:
                failures += 1
                click.echo(f"{'ERROR':8} {question.name}: {exc}")
                continue
            if record:
                suffix = ".json" if actual.startswith("{") else ".csv"
                question.path.with_suffix(suffix).write_text(actual, encoding="utf-8")
                click.echo(f"recorded {question.name}{suffix}")
                continue
            if question.expected_path is None:
                failures += 1
                click.echo(f"MISSING  {question.name}: no expected-results file")
                continue
            result = compare(question, actual, question.expected_path.read_text("utf-8"))
            failures += not result.ok
            click.echo(f"{'ok' if result.ok else 'FAIL':8} {question.name}: {question.question}")
            if not result.ok:
                click.echo(result.diff)
    finally:
        service.close()
    sys.exit(1 if failures else 0)


# -- export, stats, push -------------------------------------------------------------------


@main.command()
@click.option(
    "-f",
    "--format",
    "fmt",
    type=click.Choice(sorted(EXPORT_FORMATS)),
    default="nq",
    show_default=True,
)
@click.option("--asserted-only", is_flag=True, help="Leave out the reasoner's inferred triples.")
@click.pass_context
def export(ctx: click.Context, fmt: str, asserted_only: bool) -> None:
    """Write the whole published graph to stdout."""
    from clusterkg.publish import export_bytes

    sys.stdout.buffer.write(export_bytes(_settings(ctx), EXPORT_FORMATS[fmt], asserted_only))


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_context
def stats(ctx: click.Context, as_json: bool) -> None:
    """Triples per graph and entities per class."""
    from clusterkg.publish import store_stats

    data = store_stats(_settings(ctx))
    if as_json:
        click.echo(json.dumps(data, indent=2))
        return
    graphs = Table("graph", "triples")
    for g, n in data["graphs"].items():
        graphs.add_row(_short(ox.NamedNode(g)), str(n))
    graphs.add_row("[bold]all[/bold]", str(data["total"]))
    classes = Table("class", "entities")
    for c, n in data["classes"].items():
        classes.add_row(_short(ox.NamedNode(c)), str(n))
    console = Console()
    console.print(graphs)
    console.print(classes)


@main.command()
@click.option("--endpoint", required=True, help="The remote store's SPARQL query endpoint.")
@click.option("--update", "update_url", help="Its update endpoint (guessed from --endpoint).")
@click.option("--gsp", "gsp_url", help="Its Graph Store Protocol endpoint (guessed if known).")
@click.pass_context
def push(ctx: click.Context, endpoint: str, update_url: str | None, gsp_url: str | None) -> None:
    """Publish the built graph into a remote store, graph by graph (each replaced)."""
    from clusterkg.publish import push_to_remote
    from clusterkg.store import StoreError

    try:
        counts = push_to_remote(
            _settings(ctx),
            endpoint,
            update_url,
            gsp_url,
            on_graph=lambda g, n: err.print(f"pushed {n} triples to {g}"),
        )
    except StoreError as exc:
        raise click.ClickException(str(exc)) from None
    err.print(f"pushed {sum(counts.values())} triples in {len(counts)} graphs to {endpoint}")


# -- serve ---------------------------------------------------------------------------------


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option(
    "--workers",
    default=0,
    type=int,
    help="Serve with gunicorn and this many worker processes (0: a threaded server).",
)
@click.pass_context
def serve(ctx: click.Context, host: str, port: int, workers: int) -> None:
    """Serve the SPARQL endpoint and the linked-data browser."""
    settings = _settings(ctx)
    url = f"http://{host}:{port}/"
    err.print(f"clusterkg is serving {settings.store} at [bold]{url}[/bold] (SPARQL: {url}sparql)")
    if workers > 0:
        from clusterkg.web.gunicorn_app import run_gunicorn

        run_gunicorn(settings, host, port, workers)
        return
    from clusterkg.web import create_app

    app = create_app(settings)
    app.run(host=host, port=port, threaded=True, use_reloader=False)


# -- links and enrichment (issue 7) ----------------------------------------------------------


@main.command()
@click.argument("entities", nargs=-1)
@click.option("--endpoint", default="wikidata", show_default=True,
              help="Endpoint name (wikidata; see CLUSTERKG_WIKIDATA_ENDPOINT) or URL.")
@click.option("--show", "limit", default=5, show_default=True, help="Candidates shown per entity.")
@click.option("--accept-above", type=float,
              help="Accept the best candidate without asking when its score is at least this "
              "and leads the next one by 0.2 (recorded as a rule's decision).")
@click.option("--dry-run", is_flag=True, help="Show proposals; record nothing.")
@click.option("--skip-reasoned", is_flag=True,
              help="Leave out entities that carry a ckg:unlinkedReason.")
@click.option("--agent", help="Who decides, for the record (default: $USER).")
@click.option("--timeout", default=20.0, show_default=True, help="Seconds per request.")
@click.option("--mark-populations", is_flag=True,
              help="Only give every unnamed firm population the standard unlinked reason.")
@click.pass_context
def link(
    ctx: click.Context,
    entities: tuple[str, ...],
    endpoint: str,
    limit: int,
    accept_above: float | None,
    dry_run: bool,
    skip_reasoned: bool,
    agent: str | None,
    timeout: float,
    mark_populations: bool,
) -> None:
    """Propose Wikidata links for unlinked places, organisations and firms, for review.

    ENTITIES (ckr:name or IRIs) limits the run; by default every entity without a Wikidata
    link is proposed for. Accepted and rejected candidates are recorded, with who, when and
    how they matched, in data/reference/link-decisions.ttl.
    """
    import getpass

    from clusterkg import link as links
    from clusterkg.federation import FederationError, client_for

    root = _settings(ctx).root
    graph = links.load_graph(root)
    found = links.entities(graph)
    if mark_populations:
        count = links.mark_populations(root / links.UNLINKED_FILE, found)
        err.print(f"{count} firm populations carry the standard unlinked reason")
        return
    client = client_for(endpoint, timeout=timeout)
    seen = links.decided(graph)
    countries = links.country_items(found)
    who = agent or getpass.getuser()
    decisions: list[links.Decision] = []
    todo = list(links.to_review(found, only=entities, include_reasoned=not skip_reasoned))
    if entities and not todo:
        raise click.UsageError("none of those entities needs a link (unknown, or already linked)")
    try:
        for entity in todo:
            try:
                candidates = links.propose(entity, client, country_items=countries)
            except FederationError as exc:
                raise click.ClickException(str(exc)) from None
            candidates = [c for c in candidates if (entity.iri, c.item) not in seen][:limit]
            if not candidates:
                continue
            title = f"{entity.curie}  {entity.label}  ({', '.join(entity.types)})"
            if entity.unlinked_reason:
                title += f"\nunlinked because: {entity.unlinked_reason}"
            table = Table("#", "item", "label", "description", "score", "why", title=title)
            for i, cand in enumerate(candidates, 1):
                table.add_row(str(i), cand.qid, cand.label, cand.description[:60],
                              f"{cand.score:.2f}", ", ".join(cand.reasons))
            Console(stderr=True).print(table)
            if dry_run:
                continue
            best = candidates[0]
            runner_up = candidates[1].score if len(candidates) > 1 else 0.0
            if accept_above is not None:
                if best.score >= accept_above and best.score - runner_up >= 0.2:
                    decisions.append(links.Decision(
                        entity.iri, best.item, "accepted", f"{who} (rule: score >= {accept_above})",
                        "; ".join(best.reasons), best.score, client.endpoint, links.now()))
                continue
            answer = click.prompt(
                f"accept 1-{len(candidates)}, r = reject all shown, s = skip, q = quit",
                default="s", show_default=True, err=True,
            ).strip().lower()
            if answer == "q":
                break
            if answer == "r":
                decisions += [links.Decision(
                    entity.iri, c.item, "rejected", who, "; ".join(c.reasons), c.score,
                    client.endpoint, links.now()) for c in candidates]
            elif answer.isdigit() and 1 <= int(answer) <= len(candidates):
                chosen = candidates[int(answer) - 1]
                decisions.append(links.Decision(
                    entity.iri, chosen.item, "accepted", who, "; ".join(chosen.reasons),
                    chosen.score, client.endpoint, links.now()))
    finally:
        written = links.record_decisions(root / links.DECISIONS_FILE, decisions)
    accepted = sum(d.outcome == "accepted" for d in decisions)
    err.print(f"{written} decisions recorded ({accepted} accepted) in {links.DECISIONS_FILE}")


@main.command()
@click.option("--endpoint", default="wikidata", show_default=True,
              help="Endpoint name (wikidata; see CLUSTERKG_WIKIDATA_ENDPOINT) or URL.")
@click.option("--table", "table_path", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Use a CSV of GeoNames records looked up offline instead of the endpoint.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path),
              help="Cache file to write (default data/external/wikidata.ttl or geonames.ttl).")
@click.option("--timeout", default=30.0, show_default=True, help="Seconds per request.")
@click.pass_context
def enrich(
    ctx: click.Context,
    endpoint: str,
    table_path: Path | None,
    out: Path | None,
    timeout: float,
) -> None:
    """Fetch chosen facts (coordinates, population, country, inception, website) about linked
    entities into data/external/, which every build loads: builds stay offline."""
    from datetime import UTC, datetime

    from clusterkg import enrich as enrichment
    from clusterkg import link as links
    from clusterkg.federation import FederationError, client_for

    root = _settings(ctx).root
    found = links.entities(links.load_graph(root))
    if table_path is not None:
        try:
            records = enrichment.records_from_table(enrichment.read_table(table_path), found)
        except (ValueError, KeyError) as exc:
            raise click.ClickException(f"{table_path}: {exc}") from None
        target = out or root / "data" / "external" / "geonames.ttl"
        enrichment.write_cache(target, records, enrichment.table_header(table_path))
        err.print(f"wrote {len(records)} records to {target}")
        return
    client = client_for(endpoint, timeout=timeout, max_rows=10_000)
    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    linked = enrichment.linked_items(found)
    try:
        records = enrichment.fetch_wikidata(linked, client, retrieved=stamp)
    except FederationError as exc:
        raise click.ClickException(str(exc)) from None
    target = out or root / "data" / "external" / "wikidata.ttl"
    enrichment.write_cache(
        target, records, enrichment.wikidata_header(client.endpoint, stamp, len(records))
    )
    err.print(f"wrote {len(records)} records for {len(linked)} linked entities to {target}")


if __name__ == "__main__":
    main()
