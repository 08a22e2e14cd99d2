"""The ``healthkg`` command: build the graph, check it, query it, serve it.

Libraries raise; only this module turns errors into messages and exit codes.
"""

from __future__ import annotations

import sys
from contextlib import ExitStack
from pathlib import Path
from typing import NoReturn

import click

from healthkg.cli.output import GRAPH_OUTPUTS, ROW_FORMATS, FormatMismatch, check_format, default_format
from healthkg.cli.progress import StageProgress
from healthkg.cli.tables import render_table
from healthkg.engine.backends import Backend, LocalBackend, RemoteBackend
from healthkg.engine.errors import BackendError
from healthkg.engine.store import StoreMissing, default_store_path, open_store, read_info
from healthkg.queries.catalogue import NamedQuery, ParameterError, QueryFileError, catalogue, load_query_file
from healthkg.queries.entities import EntityResolver

store_option = click.option(
    "--store",
    type=click.Path(path_type=Path),
    default=default_store_path,
    show_default="$HEALTHKG_STORE or var/store",
    help="Directory of the built store.",
)


def _fail(message: str) -> NoReturn:
    click.echo(f"error: {message}", err=True)
    sys.exit(1)


@click.group()
@click.version_option(package_name="healthkg")
def cli() -> None:
    """healthkg: the knowledge graph of Japan's health and medical R&D strategy."""


@cli.command("build")
@click.option("--documents", "documents", multiple=True, type=click.Path(path_type=Path),
              help="Document file or folder (repeatable). Default: the bundled seed deck.")
@store_option
def build_command(documents: tuple[Path, ...], store: Path) -> None:
    """Parse documents, check the graph and write the store atomically."""
    # Imported here: the loaders and the reasoner are the build's, and `serve` stays smaller without them.
    from healthkg.cli.pipeline import BuildError, build, bundled_documents, expand_documents
    from healthkg.loaders.errors import DocumentError

    with ExitStack() as stack:
        try:
            paths = expand_documents(documents) if documents else bundled_documents(stack)
            with StageProgress() as progress:
                report = build(paths, store, progress)
        except (DocumentError, BuildError) as error:
            _fail(f"{error}\nthe store at {store} was left unchanged")
    click.echo(f"built {store} (version {report.version}) in {report.seconds:.1f} s")
    click.echo(f"documents read: {len(report.documents)}")
    for extract in report.documents:
        click.echo(f"  {extract.path.name}: {extract.title}")
    click.echo("triples per named graph:")
    for graph, count in report.graphs.items():
        click.echo(f"  {count:>7}  {graph}")
    for extract in report.documents:
        for repair in extract.repairs:
            click.echo(f"repaired {extract.path}:{repair.line}: {repair.note}")
    for warning in report.warnings:
        click.echo(f"warning: {warning}")
    from healthkg.checks.audit import audit_store

    click.echo(f"reasoner: HermiT found the graph consistent in {report.reasoning_seconds:.1f} s")
    click.echo("audit (details: healthkg audit):")
    for section in audit_store(report.store):
        click.echo(f"  {section.summary()}")


@cli.command("facts-import")
@click.argument("reference", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=Path("data/curated/facts.tsv"),
              show_default=True, help="The curated facts file to write.")
def facts_import_command(reference: Path, out: Path) -> None:
    """Write the curated facts file from the reference facts file (every row, with derived columns)."""
    from healthkg.loaders.facts import FactsFileError
    from healthkg.loaders.facts_reference import import_reference

    try:
        text = import_reference(reference.read_text(encoding="utf-8"), reference.name)
    except FactsFileError as error:
        _fail(str(error))
    out.write_text(text, encoding="utf-8")
    rows = sum(1 for line in text.splitlines() if line and not line.startswith("#")) - 1
    click.echo(f"wrote {out}: {rows} rows from {reference}")


@cli.command("validate")
@store_option
def validate_command(store: Path) -> None:
    """Run the build's quality checks on a built store."""
    from healthkg.checks.qc import run_qc

    try:
        with StageProgress() as progress:
            progress("opening the store")
            dataset = open_store(store)
            progress("running the quality checks")
            violations = run_qc(dataset)
    except StoreMissing as error:
        _fail(str(error))
    for violation in violations:
        click.echo(str(violation))
    if violations:
        _fail(f"{len(violations)} violations")
    click.echo(f"{store}: all quality checks pass")


def _parse_params(pairs: tuple[str, ...]) -> dict[str, str]:
    values = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep:
            raise click.BadParameter(f"{pair!r} is not key=value", param_hint="--param")
        values[key.strip()] = value
    return values


@cli.command("query")
@click.argument("file", required=False, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--name", help="A named query from the catalogue (see `healthkg queries`).")
@click.option("--param", "params", multiple=True, help="Parameter as key=value (repeatable).")
@click.option("--endpoint", help="Query this SPARQL endpoint instead of the local store.")
@click.option("--token", envvar="HEALTHKG_TOKEN", help="Bearer token for the endpoint.")
@click.option("--format", "fmt", type=click.Choice([*ROW_FORMATS, *GRAPH_OUTPUTS]),
              help="Rows (SELECT, ASK): table (default), csv, tsv, json. "
                   "A graph (CONSTRUCT, DESCRIBE): turtle (default), ntriples, jsonld, rdfxml.")
@store_option
def query_command(file: Path | None, name: str | None, params: tuple[str, ...], endpoint: str | None,
                  token: str | None, fmt: str | None, store: Path) -> None:
    """Run a named query or a .rq file on the local store or a remote endpoint."""
    from healthkg.cli.output import format_graph, format_rows

    if bool(file) == bool(name):
        raise click.UsageError("give either FILE.rq or --name NAME")
    try:
        query: NamedQuery = load_query_file(file) if file else catalogue()[name]  # type: ignore[index]
    except KeyError:
        _fail(f"no named query {name!r}; known: {', '.join(catalogue())}")
    except QueryFileError as error:
        _fail(str(error))
    fmt = fmt or default_format(query.kind)
    try:
        check_format(query.kind, fmt, str(file or name))
        backend: Backend = RemoteBackend(endpoint, token) if endpoint else LocalBackend(open_store(store))
        text = query.render(_parse_params(params), EntityResolver(backend))
    except (ParameterError, FormatMismatch) as error:
        _fail(str(error))
    except (StoreMissing, BackendError) as error:
        _fail(str(error))
    try:
        if fmt in GRAPH_OUTPUTS:
            click.echo(format_graph(backend.construct(text), fmt), nl=False)
        else:
            click.echo(format_rows(backend.select(text), fmt))
    except (StoreMissing, BackendError) as error:
        _fail(str(error))
    except SyntaxError as error:
        _fail(f"{file or name}: {error}")


@cli.command("queries")
@click.option("--markdown", is_flag=True, help="Print queries/README.md (generated from the headers).")
def queries_command(markdown: bool) -> None:
    """List the named queries with their parameters."""
    if markdown:
        from healthkg.queries.readme import render_readme

        click.echo(render_readme(catalogue().values()), nl=False)
        return
    rows = [(query.name, query.kind, query.summary, ", ".join(f"{p.name}:{p.type}" for p in query.params))
            for query in catalogue().values()]
    click.echo("\n".join(render_table(("name", "kind", "summary", "parameters"), rows)))


@cli.command("serve")
@store_option
@click.option("--host", envvar="HEALTHKG_HOST", default="127.0.0.1", show_default=True)
@click.option("--port", envvar="HEALTHKG_PORT", default=8000, type=int, show_default=True)
@click.option("--workers", type=int, default=None,
              help="HTTP worker processes, each with its own query evaluator (default: WORKERS, else one per core; "
                   "1 with writes enabled).")
def serve_command(store: Path, host: str, port: int, workers: int | None) -> None:
    """Serve the store over SPARQL 1.1 and linked-data pages with gunicorn, queries contained in killable processes."""
    from healthkg.server.app import ConfigError, create_app
    from healthkg.server.http_server import serve
    from healthkg.server.settings import workers as worker_count

    try:
        info = read_info(store)
    except StoreMissing as error:
        _fail(str(error))
    config: dict[str, object] = {"STORE_PATH": str(store)}
    if workers is not None:
        config["WORKERS"] = workers
    try:
        app = create_app(config)
    except ConfigError as error:
        _fail(f"configuration: {error}")
    count = worker_count(app.config)
    click.echo(f"serving {store} ({info.triples} triples, built {info.built_at}) on http://{host}:{port}/ "
               f"with {count} worker{'s' if count != 1 else ''}")
    serve(app, host, port, count)


@cli.command("export")
@click.option("--format", "fmt", required=True,
              type=click.Choice(["graphml", "gexf", "cytoscape", "dot", "jsonld", "context", "prefixes"]),
              help="Property graph (graphml, gexf, cytoscape, dot), JSON-LD, the JSON-LD context itself, "
                   "or the prefix table from the installed bioregistry (ontology/prefixes.tsv; no store needed).")
@click.option("--include", "include", multiple=True, type=click.Choice(["provenance", "figures", "all"]),
              help="Add to the domain (programs, projects, organisations, disease areas, purposes, budgets as "
                   "attributes): provenance (source lines, documents, curated facts), figures (budget figure "
                   "nodes) or all (every node and triple as it is). Repeatable.")
@click.option("--lang", type=click.Choice(["ja", "en"]), default="ja", show_default=True,
              help="Language of the labels (the other one where a node has none).")
@click.option("--query", "query_ref", help="A named CONSTRUCT/DESCRIBE query or a .rq file (default: the whole graph).")
@click.option("--param", "params", multiple=True, help="Query parameter as key=value (repeatable).")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Output file (default: standard output).")
@store_option
def export_command(fmt: str, include: tuple[str, ...], lang: str, query_ref: str | None, params: tuple[str, ...],
                   out: Path | None, store: Path) -> None:
    """Export the graph, or a CONSTRUCT query's result, for Gephi, Cytoscape, yEd, Graphviz or JSON-LD readers.

    The whole graph exports its domain, budgets as attributes and every node labelled; ``--include`` adds
    provenance or more. ``--format prefixes`` writes instead the prefix table the server reads, from bioregistry.
    """
    from healthkg.engine.export import export, parse_ntriples
    from healthkg.engine.jsonld import context_document, dumps, packaged_context
    from healthkg.engine.prefixes import prefix_table

    if query_ref is not None and include:
        raise click.UsageError("--include selects parts of the whole graph; with --query the query does")
    if fmt == "prefixes":  # generated from the installed bioregistry, not from the store
        data = prefix_table().encode("utf-8")
    else:
        try:
            with StageProgress() as progress:
                progress("opening the store")
                dataset = open_store(store)
                version = read_info(store).version
        except StoreMissing as error:
            _fail(str(error))
        if fmt == "context":
            data = dumps(context_document(dataset)).encode("utf-8")
        else:
            triples = None
            if query_ref is not None:
                try:
                    query = load_query_file(Path(query_ref)) if query_ref.endswith(".rq") else catalogue()[query_ref]
                    if query.kind not in ("CONSTRUCT", "DESCRIBE"):
                        raise QueryFileError(
                            f"{query_ref}: export needs a CONSTRUCT or DESCRIBE query, not {query.kind}")
                    backend = LocalBackend(dataset)
                    text = query.render(_parse_params(params), EntityResolver(backend))
                    triples = parse_ntriples(backend.construct(text))
                except KeyError:
                    _fail(f"no named query {query_ref!r}; known: {', '.join(catalogue())}")
                except (OSError, QueryFileError, ParameterError) as error:
                    _fail(str(error))
                except SyntaxError as error:
                    _fail(f"{query_ref}: {error}")
            with StageProgress() as progress:
                progress(f"exporting {query_ref or 'the graph'} as {fmt}")
                data = export(dataset, fmt, packaged_context(), triples=triples, include=include, lang=lang,
                              version=version, query=query_ref)
    if out is None:
        click.echo(data, nl=False)
    else:
        out.write_bytes(data)
        click.echo(f"wrote {out} ({fmt}, {len(data)} bytes)", err=True)


@cli.command("publish")
@click.option("--endpoint", required=True,
              help="Graph Store Protocol URL of the remote store, e.g. http://localhost:7878/store (Oxigraph) "
                   "or http://localhost:3030/ds/data (Fuseki).")
@click.option("--token", envvar="HEALTHKG_TOKEN", help="Bearer token for the remote store.")
@click.option("--timeout", default=300.0, show_default=True, help="Seconds to wait for each graph.")
@store_option
def publish_command(endpoint: str, token: str | None, timeout: float, store: Path) -> None:
    """Load the built graph into a remote store through the Graph Store Protocol, one PUT per named graph."""
    from healthkg.engine.publish import PublishError, publish

    total = 0
    try:
        for published in publish(store, endpoint, token, timeout):
            total += published.triples
            click.echo(f"{published.status}  {published.triples:>7}  {published.graph}")
    except (StoreMissing, PublishError) as error:
        _fail(str(error))
    click.echo(f"published {total} triples from {store} to {endpoint}")


@cli.command("audit")
@store_option
def audit_command(store: Path) -> None:
    """Print the audit: totals, repairs, unowned programs, unlinked mentions, disagreements, skipped rows."""
    from healthkg.checks.audit import audit_store

    try:
        sections = audit_store(open_store(store))
    except StoreMissing as error:
        _fail(str(error))
    for section in sections:
        click.echo(f"== {section.title} ({len(section.rows)})")
        if section.rows:
            click.echo("\n".join(render_table(section.columns, section.rows, indent="  ")))
        click.echo("")
