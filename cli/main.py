"""The ``healthkg`` command: build the graph, check it, query it, serve it.

Libraries raise; only this module turns errors into messages and exit codes.
"""

from __future__ import annotations

import csv
import io
import json
import sys
from contextlib import ExitStack
from pathlib import Path
from typing import Any, NoReturn

import click

from healthkg.engine.backends import Backend, BackendError, LocalBackend, RemoteBackend
from healthkg.engine.store import StoreMissing, default_store_path, open_store, read_info
from healthkg.queries.catalogue import NamedQuery, ParameterError, QueryFileError, catalogue, load_query_file

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
    # Imported here: the loaders and the reasoner are the build's, and `serve` stays 10 MiB smaller without them.
    from healthkg.cli.pipeline import BuildError, build, bundled_documents, expand_documents
    from healthkg.loaders.errors import DocumentError

    with ExitStack() as stack:
        try:
            paths = expand_documents(documents) if documents else bundled_documents(stack)
            report = build(paths, store)
        except (DocumentError, BuildError) as error:
            _fail(f"{error}\nthe store at {store} was left unchanged")
    click.echo(f"built {store} (version {report.version})")
    click.echo(f"documents read: {len(report.documents)}")
    for extract in report.documents:
        click.echo(f"  {extract.path.name}: {extract.title}")
    click.echo("triples per named graph:")
    for graph, count in report.graphs.items():
        click.echo(f"  {count:>7}  {graph}")
    for extract in report.documents:
        for repair in extract.repairs:
            click.echo(f"repaired {extract.path.name}:{repair.line}: {repair.note}")
    for warning in report.warnings:
        click.echo(f"warning: {warning}")
    inconsistent = LocalBackend(report.store).select(catalogue()["audit-inconsistent-totals"].render({}))
    for row in inconsistent["results"]["bindings"]:
        cell = {key: value["value"] for key, value in row.items()}
        click.echo(f"warning: {cell['file']}:{cell['line']}: declared total {cell['declared_yen']} yen "
                   f"({cell['project']} FY{cell['fiscal_year']} {cell['route']}) but its lines add up to "
                   f"{cell['computed_yen']} yen")
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
        violations = run_qc(open_store(store))
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


def _cell(term: dict[str, str] | None) -> str:
    return "" if term is None else term["value"]


def _format_select(results: dict[str, Any], fmt: str) -> str:
    if "boolean" in results:
        return json.dumps(results, ensure_ascii=False) if fmt == "json" else str(results["boolean"]).lower()
    if fmt == "json":
        return json.dumps(results, ensure_ascii=False, indent=2)
    columns = results["head"]["vars"]
    rows = [[_cell(binding.get(c)) for c in columns] for binding in results["results"]["bindings"]]
    if fmt in ("csv", "tsv"):
        buffer = io.StringIO()
        writer = csv.writer(buffer, delimiter="," if fmt == "csv" else "\t", lineterminator="\n")
        writer.writerow(columns)
        writer.writerows(rows)
        return buffer.getvalue().rstrip("\n")
    widths = [max([len(c)] + [len(r[i]) for r in rows]) for i, c in enumerate(columns)]
    lines = [" | ".join(c.ljust(w) for c, w in zip(columns, widths)), "-+-".join("-" * w for w in widths)]
    lines += [" | ".join(v.ljust(w) for v, w in zip(row, widths)) for row in rows]
    lines.append(f"({len(rows)} rows)")
    return "\n".join(lines)


@cli.command("query")
@click.argument("file", required=False, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--name", help="A named query from the catalogue (see `healthkg queries`).")
@click.option("--param", "params", multiple=True, help="Parameter as key=value (repeatable).")
@click.option("--endpoint", help="Query this SPARQL endpoint instead of the local store.")
@click.option("--token", envvar="HEALTHKG_TOKEN", help="Bearer token for the endpoint.")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "tsv", "json"]), default="table", show_default=True)
@store_option
def query_command(file: Path | None, name: str | None, params: tuple[str, ...], endpoint: str | None,
                  token: str | None, fmt: str, store: Path) -> None:
    """Run a named query or a .rq file on the local store or a remote endpoint."""
    if bool(file) == bool(name):
        raise click.UsageError("give either FILE.rq or --name NAME")
    try:
        query: NamedQuery = load_query_file(file) if file else catalogue()[name]  # type: ignore[index]
    except KeyError:
        _fail(f"no named query {name!r}; known: {', '.join(catalogue())}")
    except QueryFileError as error:
        _fail(str(error))
    try:
        text = query.render(_parse_params(params))
    except ParameterError as error:
        _fail(str(error))
    try:
        backend: Backend = RemoteBackend(endpoint, token) if endpoint else LocalBackend(open_store(store))
        if query.kind in ("CONSTRUCT", "DESCRIBE"):
            click.echo(backend.construct(text).decode("utf-8"), nl=False)
        else:
            click.echo(_format_select(backend.select(text), fmt))
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
    for query in catalogue().values():
        params = ", ".join(f"{p.name}:{p.type}" for p in query.params)
        click.echo(f"{query.name:<28} {query.summary}" + (f"  [{params}]" if params else ""))


@cli.command("serve")
@store_option
@click.option("--host", envvar="HEALTHKG_HOST", default="127.0.0.1", show_default=True)
@click.option("--port", envvar="HEALTHKG_PORT", default=8000, type=int, show_default=True)
@click.option("--threads", envvar="HEALTHKG_THREADS", default=4, type=int, show_default=True,
              help="Request threads. On 2 cores, 4 served 10-15 % more point lookups than 8 (less contention "
                   "for the GIL). A query past QUERY_TIMEOUT gets its 503 and runs on in a query worker, "
                   "freeing its request thread.")
def serve_command(store: Path, host: str, port: int, threads: int) -> None:
    """Serve the store over SPARQL 1.1 and linked-data pages with a production WSGI server."""
    import logging

    from healthkg.server.app import create_app
    from healthkg.server.wsgi_server import make_server

    try:
        info = read_info(store)
    except StoreMissing as error:
        _fail(str(error))
    app = create_app({"STORE_PATH": str(store)})
    click.echo(f"serving {store} ({info.triples} triples, built {info.built_at}) on http://{host}:{port}/")
    logging.basicConfig()  # waitress reports its errors through logging, as waitress.serve would set up
    server = make_server(app, host, port, threads)
    server.run()


@cli.command("export")
@click.option("--format", "fmt", required=True,
              type=click.Choice(["graphml", "gexf", "cytoscape", "dot", "jsonld", "context", "prefixes"]),
              help="Property graph (graphml, gexf, cytoscape, dot), JSON-LD, the JSON-LD context itself, "
                   "or the prefix table from the installed bioregistry (ontology/prefixes.tsv; no store needed).")
@click.option("--query", "query_ref", help="A named CONSTRUCT/DESCRIBE query or a .rq file (default: the whole graph).")
@click.option("--param", "params", multiple=True, help="Query parameter as key=value (repeatable).")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Output file (default: standard output).")
@store_option
def export_command(fmt: str, query_ref: str | None, params: tuple[str, ...], out: Path | None, store: Path) -> None:
    """Export the graph, or a CONSTRUCT query's result, for Gephi, Cytoscape, yEd or JSON-LD readers.

    ``--format prefixes`` writes instead the prefix table the server reads, regenerated from bioregistry.
    """
    from healthkg.engine.export import export, parse_ntriples, store_triples
    from healthkg.engine.jsonld import context_document, dumps, packaged_context
    from healthkg.engine.prefixes import prefix_table

    if fmt == "prefixes":  # generated from the installed bioregistry, not from the store
        data = prefix_table().encode("utf-8")
    else:
        try:
            dataset = open_store(store)
        except StoreMissing as error:
            _fail(str(error))
        if fmt == "context":
            data = dumps(context_document(dataset)).encode("utf-8")
        else:
            if query_ref is None:
                triples = store_triples(dataset)
            else:
                try:
                    query = load_query_file(Path(query_ref)) if query_ref.endswith(".rq") else catalogue()[query_ref]
                    if query.kind not in ("CONSTRUCT", "DESCRIBE"):
                        raise QueryFileError(
                            f"{query_ref}: export needs a CONSTRUCT or DESCRIBE query, not {query.kind}")
                    triples = parse_ntriples(LocalBackend(dataset).construct(query.render(_parse_params(params))))
                except KeyError:
                    _fail(f"no named query {query_ref!r}; known: {', '.join(catalogue())}")
                except (OSError, QueryFileError, ParameterError) as error:
                    _fail(str(error))
                except SyntaxError as error:
                    _fail(f"{query_ref}: {error}")
            data = export(triples, fmt, dataset, packaged_context())
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
        click.echo(section.render())
        click.echo("")
