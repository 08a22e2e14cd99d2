"""Landing page, linked-data entity pages, ontology documentation and downloads, over real HTTP.

Expected figures come from the seed document's text, the build's own record
(build.json) or the public named queries, never from the pages under test.
"""

from __future__ import annotations

import html
import json
import re
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from email.utils import format_datetime
from pathlib import Path

import pytest
from pyoxigraph import RdfFormat, parse
from rdflib.namespace import OWL, RDF, RDFS

from healthkg.engine.backends import LocalBackend
from healthkg.engine.store import BuildInfo, open_store, read_info, write_store
from healthkg.ontology import BASE, HKG, ontology_graph
from healthkg.queries.catalogue import catalogue
from healthkg.queries.entities import EntityResolver

SEED_TEXT = Path(__file__).parent.parent / "data" / "documents"


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")


def get(url: str, method: str = "GET", **headers: str) -> Reply:
    request = urllib.request.Request(url, method=method, headers={k.replace("_", "-"): v for k, v in headers.items()})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return Reply(response.status, {k.lower(): v for k, v in response.headers.items()}, response.read())
    except urllib.error.HTTPError as error:
        return Reply(error.code, {k.lower(): v for k, v in error.headers.items()}, error.read())


def select(store_path: Path, text: str) -> list[dict[str, str]]:
    results = LocalBackend(open_store(store_path)).select(text)
    return [{k: v["value"] for k, v in row.items()} for row in results["results"]["bindings"]]


def named_rows(store_path: Path, name: str, **params: str) -> list[dict[str, str]]:
    resolver = EntityResolver(LocalBackend(open_store(store_path)))
    return select(store_path, catalogue()[name].render(params, resolver))


def document_lines() -> list[str]:
    (path,) = [p for p in SEED_TEXT.iterdir() if p.suffix == ".md"]
    return path.read_text(encoding="utf-8").splitlines()


def oku_amounts(text: str) -> set[Decimal]:
    """Every "<number>億円" written in a piece of document text, in yen."""
    return {Decimal(n.replace(",", "")) * 100_000_000 for n in re.findall(r"([\d,]+(?:\.\d+)?)\s*億円", text)}


def budget_rows(page: str) -> list[dict[str, str]]:
    return [dict(re.findall(r'data-([a-z-]+)="([^"]*)"', attrs))
            for attrs in re.findall(r'<tr class="budget-line"([^>]*)>', page)]


# --- landing page -----------------------------------------------------------------------------


def test_landing_page_reports_the_build_and_what_the_graph_holds(live_server, seed_store: Path) -> None:
    info = read_info(seed_store)
    reply = get(live_server.url + "/")
    assert reply.status == 200 and reply.headers["content-type"].startswith("text/html")
    page = reply.text
    assert info.version in page and info.built_at in page
    for document in info.documents:
        assert html.escape(document["title"]) in page and document["file"] in page
    shown_graphs = dict(re.findall(r'data-graph="([^"]+)" data-triples="(\d+)"', page))
    assert {g: int(n) for g, n in shown_graphs.items()} == info.graphs
    lines = named_rows(seed_store, "budget-lines")
    # counts of what the strategy is about only (issue 12): no bookkeeping classes
    counts = dict(re.findall(r'data-class="([^"]+)" data-instances="(\d+)"', page))
    (programs,) = select(seed_store, f"SELECT (COUNT(DISTINCT ?p) AS ?n) WHERE {{ ?p a <{HKG.Program}> }}")
    assert int(counts[str(HKG.Program)]) == int(programs["n"]) > 50
    (figures,) = select(seed_store, f"SELECT (COUNT(DISTINCT ?f) AS ?n) WHERE {{ ?f a ?t . "
                                    f"?t <{RDFS.subClassOf}>* <{HKG.BudgetFigure}> }}")
    assert int(counts[str(HKG.BudgetFigure)]) == int(figures["n"]) >= len(lines)
    assert not {str(HKG.CuratedFact), str(HKG.SourceLocation), str(HKG.ConceptMention), str(HKG.CuratedSource)} & set(
        counts)
    years = set(re.findall(r'class="fiscal-year" data-year="(\d+)"', page))
    assert {row["fiscal_year"] for row in lines} <= years
    for target in ("/ui", "/api/", "/ontology", "/downloads/", "/sparql", "/api/openapi.json"):
        assert f'href="{target}"' in page


def test_landing_page_lists_the_projects_of_every_plan_period_with_their_latest_budget(live_server, seed_store):
    page = get(live_server.url + "/").text
    projects = select(seed_store, f"""
        SELECT ?p ?n WHERE {{ ?p a <{HKG.IntegratedProject}> ; <{HKG.inPeriod}>/<{HKG.periodNumber}> ?n }}""")
    assert {row["n"] for row in projects} >= {"2", "3"} and len(projects) >= 14
    sections = dict(re.findall(r'<div class="period" data-period="(\d*)">(.*?)</div>', page, flags=re.DOTALL))
    for row in projects:
        assert f'data-project="{row["p"]}"' in sections[row["n"]], row
    # a project's latest budget is of the latest fiscal year any initial-budget figure of the project has
    # (a ministry's part alone is not the project's budget)
    for row in projects:
        (latest,) = select(seed_store, f"""
            SELECT (MAX(?y) AS ?year) WHERE {{
              ?f <{HKG.inProject}>|<{HKG.budgetOfProject}> <{row["p"]}> ; <{HKG.fiscalYearNumber}> ?y ;
                 <{HKG.budgetStatus}>/<{HKG.code}> "initial" .
              FILTER NOT EXISTS {{ ?f <{HKG.appropriatedBy}> ?ministry }} }}""")
        shown = re.search(rf'data-project="{re.escape(row["p"])}">(.*?)</tr>', page, re.DOTALL)
        assert shown, row
        if "year" in latest:
            assert f"FY{latest['year']}" in shown.group(1) and "億円" in shown.group(1), (row, latest)
        else:
            assert "億円" not in shown.group(1), row


def test_the_data_licence_is_on_the_landing_page_every_page_and_the_downloads(live_server):
    from healthkg.engine.licence import DATA_LICENSE

    for path in ("/", "/downloads/", "/id/project-genome-data", "/api/"):
        page = get(live_server.url + path).text
        assert f'<a href="{DATA_LICENSE}" rel="license">' in page, path
    assert "政府標準利用規約" in get(live_server.url + "/").text
    assert "Government of Japan Standard Terms of Use 2.0" in get(live_server.url + "/downloads/").text


# --- entity pages --------------------------------------------------------------------------------


def _program_with_most_lines(seed_store: Path) -> str:
    (row,) = select(seed_store, f"""
        SELECT ?program (COUNT(?line) AS ?n) WHERE {{
          ?line <{HKG.forScheme}> ?program . ?program a <{HKG.Program}> }}
        GROUP BY ?program ORDER BY DESC(?n) ?program LIMIT 1""")
    return row["program"]


def test_program_page_shows_each_budget_line_with_the_amount_its_document_line_states(live_server, seed_store):
    program = _program_with_most_lines(seed_store)
    assert program.startswith(BASE + "id/")
    reply = get(live_server.url + "/id/" + program[len(BASE + "id/"):])
    assert reply.status == 200
    rows = budget_rows(reply.text)
    (expected,) = select(seed_store, f"SELECT (COUNT(?l) AS ?n) WHERE {{ ?l <{HKG.forScheme}> <{program}> }}")
    assert len(rows) == int(expected["n"]) >= 2
    text = document_lines()
    for row in rows:
        first, last = int(row["line"]), int(row["end-line"])
        stated = "\n".join(text[first - 1:last])
        assert Decimal(row["yen"]) in oku_amounts(stated), (row, stated)
        oku = Decimal(row["yen"]) / 100_000_000
        assert f"{oku.normalize():f}" in reply.text  # the 億円 column, as the document writes it
        assert html.escape(text[first - 1].strip()[:20]) in reply.text or row["line"] in reply.text


def test_project_page_lists_the_declared_totals_of_the_reconciliation_query(live_server, seed_store):
    reconciliation = named_rows(seed_store, "budget-reconciliation")
    assert reconciliation
    for project in {r["project"] for r in reconciliation}:
        (iri,) = {r["p"] for r in select(
            seed_store, f'SELECT ?p WHERE {{ ?p <{RDFS.label}> "{project}"@ja ; a <{HKG.IntegratedProject}> }}')}
        page = get(live_server.url + "/id/" + iri[len(BASE + "id/"):]).text
        shown = {(r["fiscal-year"], Decimal(r["yen"])) for r in budget_rows(page)}
        for total in (r for r in reconciliation if r["project"] == project):
            assert (total["fiscal_year"], Decimal(total["declared_yen"])) in shown
        assert f'<span lang="ja">{project}</span>' in page


def test_entity_page_links_provenance_types_and_incoming_statements(live_server, seed_store):
    program = _program_with_most_lines(seed_store)
    page = get(live_server.url + "/id/" + program[len(BASE + "id/"):]).text
    assert 'href="/ontology#Program"' in page  # its type, dereferenced on this server
    document = read_info(seed_store).documents[0]
    slug = document["graph"].rsplit("/", 1)[-1]
    assert re.search(rf'href="/id/document/{re.escape(slug)}#L\d+(-L\d+)?"', page)  # where each figure was read
    assert 'id="incoming"' in page and f'href="/downloads/graph/document/{slug}.ttl"' in page


def test_document_page_anchors_every_line_span_its_hash_iris_name(live_server, seed_store):
    document = read_info(seed_store).documents[0]
    slug = document["graph"].rsplit("/", 1)[-1]
    page = get(f"{live_server.url}/id/document/{slug}").text
    spans = select(seed_store, f"SELECT ?s WHERE {{ ?s <{HKG.statedIn}> <{BASE}id/document/{slug}> }}")
    assert spans
    for span in spans:
        assert f'id="{span["s"].rsplit("#", 1)[1]}"' in page


@pytest.mark.parametrize(("suffix", "accept", "media_type", "rdf_format"), [
    ("", "text/turtle", "text/turtle", RdfFormat.TURTLE),
    ("", "application/n-triples;q=0.9, text/html;q=0.1", "application/n-triples", RdfFormat.N_TRIPLES),
    ("", "application/rdf+xml", "application/rdf+xml", RdfFormat.RDF_XML),
    (".ttl", "text/html", "text/turtle", RdfFormat.TURTLE),
    (".nt", "", "application/n-triples", RdfFormat.N_TRIPLES),
    (".jsonld", "", "application/ld+json", RdfFormat.JSON_LD),
])
def test_entity_iri_dereferences_to_rdf_by_accept_or_extension(live_server, seed_store, suffix, accept,
                                                               media_type, rdf_format):
    program = _program_with_most_lines(seed_store)
    headers = {"Accept": accept} if accept else {}
    reply = get(live_server.url + "/id/" + program[len(BASE + "id/"):] + suffix, **headers)
    assert reply.status == 200
    assert reply.headers["content-type"].split(";")[0] == media_type
    triples = {(q.subject.value, q.predicate.value, q.object.value)
               for q in parse(reply.body, format=rdf_format, base_iri=program)}
    labels = select(seed_store, f"SELECT ?l WHERE {{ <{program}> <{RDFS.label}> ?l }}")
    assert {(program, str(RDFS.label), row["l"]) for row in labels} <= triples
    assert any(p == str(HKG.forScheme) and o == program for _, p, o in triples)  # incoming statements too
    if not suffix:
        assert "accept" in reply.headers["vary"].lower()
        assert reply.headers["content-location"].endswith(program[len(BASE + "id/"):] + "." + {
            "text/turtle": "ttl", "application/n-triples": "nt", "application/rdf+xml": "rdf"}[media_type])


def test_json_ld_is_compacted_with_the_ontology_context(live_server, seed_store):
    program = _program_with_most_lines(seed_store)
    data = json.loads(get(live_server.url + "/id/" + program[len(BASE + "id/"):] + ".jsonld").body)
    assert "@context" in data
    triples = [q.triple for q in parse(json.dumps(data).encode(), format=RdfFormat.JSON_LD)]
    assert any(t.subject.value == program and t.predicate.value == str(RDFS.label) for t in triples)
    assert '"label"' in json.dumps(data) or '"rdfs:label"' in json.dumps(data)


def test_the_json_ld_context_has_its_own_url_linked_from_answers_and_the_ontology_page(live_server, seed_store):
    program = _program_with_most_lines(seed_store)
    reply = get(live_server.url + "/id/" + program[len(BASE + "id/"):] + ".jsonld")
    assert reply.headers["content-type"] == "application/ld+json; charset=utf-8"
    assert reply.headers["link"] == (f'<{live_server.url}/ontology/context.jsonld>; '
                                     'rel="http://www.w3.org/ns/json-ld#context"')
    context = get(live_server.url + "/ontology/context.jsonld")
    assert context.status == 200 and context.headers["content-type"] == "application/ld+json; charset=utf-8"
    assert json.loads(context.body)["@context"] == json.loads(reply.body)["@context"]
    page = get(live_server.url + "/ontology", Accept="text/html").body.decode("utf-8")
    assert 'href="/ontology/context.jsonld"' in page
    assert get(live_server.url + "/ontology.rdf").headers["content-type"] == "application/rdf+xml; charset=utf-8"


def test_html_is_the_default_and_unacceptable_types_get_406(live_server, seed_store):
    program = _program_with_most_lines(seed_store)
    url = live_server.url + "/id/" + program[len(BASE + "id/"):]
    assert get(url).headers["content-type"].startswith("text/html")
    assert get(url, Accept="*/*").headers["content-type"].startswith("text/html")
    assert get(url, Accept="image/png").status == 406
    head = get(url, method="HEAD", Accept="text/turtle")
    assert head.status == 200 and head.body == b"" and head.headers["content-type"].startswith("text/turtle")


def test_unknown_iris_get_a_404_page_and_bad_iris_a_400(live_server):
    reply = get(live_server.url + "/id/program/no-such-program")
    assert reply.status == 404 and "no-such-program" in reply.text and "<form" in reply.text
    assert get(live_server.url + "/resource?iri=" + urllib.parse.quote("urn:x:nowhere")).status == 404
    assert get(live_server.url + "/resource?iri=not%20an%20iri").status == 400


def test_any_iri_in_the_graph_can_be_browsed_by_iri(live_server, seed_store):
    reply = get(live_server.url + "/resource?" + urllib.parse.urlencode({"iri": str(OWL.Class)}))
    assert reply.status == 200
    terms = {str(s) for s in ontology_graph().subjects(RDF.type, OWL.Class) if str(s).startswith(str(HKG))}
    assert terms and all(f'href="/ontology#{t.rsplit("#", 1)[1]}"' in reply.text for t in terms)
    turtle = get(live_server.url + "/resource?" + urllib.parse.urlencode({"iri": str(OWL.Class), "format": "ttl"}))
    assert turtle.headers["content-type"].startswith("text/turtle")


# --- escaping: text from documents never becomes markup ---------------------------------------------

EVIL = "<script>alert('x')</script>"


@pytest.fixture(scope="module")
def hostile_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store whose labels and source text are HTML."""
    store = tmp_path_factory.mktemp("hostile") / "store"
    doc = f"{BASE}id/document/evil"
    hkg, graph = str(HKG), f"<{BASE}graph/document/evil>"
    quads = "\n".join(f"{t} {graph} ." for t in [
        f'<{BASE}id/program/evil> <{RDF.type}> <{hkg}Program>',
        f'<{BASE}id/program/evil> <{RDFS.label}> "{EVIL}"@ja',
        f'<{BASE}id/program/evil> <http://www.w3.org/ns/prov#wasDerivedFrom> <{doc}#L1>',
        f'<{doc}#L1> <{hkg}statedIn> <{doc}>',
        f'<{doc}#L1> <{hkg}lineNumber> "1"^^<http://www.w3.org/2001/XMLSchema#integer>',
        f'<{doc}#L1> <{hkg}sourceText> "<img src=x onerror=alert(1)>"',
        f'<{doc}> <{RDF.type}> <{hkg}PolicyDocument>',
        f'<{doc}> <http://purl.org/dc/terms/title> "{EVIL}"@ja',
        f'<{BASE}id/allocation/evil> <{hkg}forScheme> <{BASE}id/program/evil>',
        f'<{BASE}id/allocation/evil> <{RDF.type}> <{hkg}BudgetFigure>',
        f'<{BASE}id/allocation/evil> <{hkg}amountYen> "100000000"^^<http://www.w3.org/2001/XMLSchema#decimal>',
        f'<{BASE}id/allocation/evil> <{RDFS.label}> "<b onmouseover=alert(2)>line</b>"@ja',
    ])
    write_store(store, (quads + "\n").encode("utf-8"),
                BuildInfo(built_at="2024-01-01T00:00:00+00:00", version="hostile", graphs={graph[1:-1]: 12}))
    return store


@pytest.mark.parametrize("path", ["/id/program/evil", "/id/document/evil", "/"])
def test_document_text_is_escaped_in_html(hostile_store, serve_app, path):
    server = serve_app({"STORE_PATH": str(hostile_store)})
    reply = get(server.url + path)
    assert reply.status == 200
    for raw in (EVIL, "<img src=x", "<b onmouseover"):
        assert raw not in reply.text
    assert "&lt;script&gt;alert(" in reply.text  # shown as text, not dropped


# --- ontology ------------------------------------------------------------------------------------


def test_ontology_page_documents_every_class_and_property_of_the_tbox(live_server):
    reply = get(live_server.url + "/ontology", Accept="text/html")
    assert reply.status == 200 and "accept" in reply.headers["vary"].lower()
    tbox = ontology_graph()
    for kind in (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty):
        for term in tbox.subjects(RDF.type, kind):
            if not str(term).startswith(str(HKG)):
                continue
            assert f'id="{str(term).rsplit("#", 1)[1]}"' in reply.text, term
            for label in tbox.objects(term, RDFS.label):
                assert html.escape(str(label)) in reply.text
    subclass, superclass = next((s, o) for s, o in tbox.subject_objects(RDFS.subClassOf)
                                if str(s).startswith(str(HKG)) and str(o).startswith(str(HKG)))
    block = reply.text.split(f'id="{str(subclass).rsplit("#", 1)[1]}"', 1)[1].split("</article>", 1)[0]
    assert f'href="/ontology#{str(superclass).rsplit("#", 1)[1]}"' in block


@pytest.mark.parametrize(("path", "accept", "rdf_format"), [
    ("/ontology", "text/turtle", RdfFormat.TURTLE),
    ("/ontology", "application/rdf+xml", RdfFormat.RDF_XML),
    ("/ontology.ttl", "", RdfFormat.TURTLE),
    ("/ontology.owl", "", RdfFormat.RDF_XML),
    ("/ontology.rdf", "", RdfFormat.RDF_XML),
])
def test_ontology_iri_serves_the_ontology_graph_as_rdf(live_server, seed_store, path, accept, rdf_format):
    reply = get(live_server.url + path, **({"Accept": accept} if accept else {}))
    assert reply.status == 200
    quads = list(parse(reply.body, format=rdf_format))
    assert len(quads) == read_info(seed_store).graphs[f"{BASE}graph/ontology"]
    assert any(q.subject.value == BASE + "ontology" and q.object.value == str(OWL.Ontology) for q in quads)


# --- downloads -----------------------------------------------------------------------------------


def test_whole_graph_downloads_hold_every_quad_of_the_build(live_server, seed_store):
    info = read_info(seed_store)
    for path, rdf_format in (("/downloads/healthkg.nq", RdfFormat.N_QUADS), ("/downloads/healthkg.trig", RdfFormat.TRIG)):
        reply = get(live_server.url + path)
        assert reply.status == 200
        assert reply.headers["etag"].strip('"').startswith(info.version)
        quads = list(parse(reply.body, format=rdf_format))
        per_graph: dict[str, int] = {}
        for quad in quads:
            per_graph[quad.graph_name.value] = per_graph.get(quad.graph_name.value, 0) + 1
        assert per_graph == info.graphs


def test_each_named_graph_downloads_as_turtle_by_path_or_iri(live_server, seed_store):
    info = read_info(seed_store)
    for graph, count in info.graphs.items():
        by_path = get(live_server.url + "/downloads/graph/" + graph[len(BASE + "graph/") :] + ".ttl")
        by_iri = get(live_server.url + "/downloads/graph.ttl?" + urllib.parse.urlencode({"graph": graph}))
        for reply in (by_path, by_iri):
            assert reply.status == 200 and reply.headers["content-type"].startswith("text/turtle")
            assert len(list(parse(reply.body, format=RdfFormat.TURTLE))) == count
    assert get(live_server.url + "/downloads/graph/nothing.ttl").status == 404
    assert get(live_server.url + "/downloads/graph.ttl?graph=nope").status == 400


def test_downloads_answer_304_to_a_client_that_has_this_build(live_server, seed_store):
    info = read_info(seed_store)
    url = live_server.url + "/downloads/healthkg.nq"
    first = get(url)
    built = datetime.fromisoformat(info.built_at)
    assert first.headers["last-modified"] == format_datetime(built.astimezone(timezone.utc), usegmt=True)
    assert get(url, If_None_Match=first.headers["etag"]).status == 304
    assert get(url, If_None_Match='"some-older-build"').status == 200
    assert get(url, If_Modified_Since=first.headers["last-modified"]).status == 304
    earlier = format_datetime((built - timedelta(days=1)).astimezone(timezone.utc), usegmt=True)
    assert get(url, If_Modified_Since=earlier).status == 200
    graph = get(live_server.url + "/downloads/graph/ontology.ttl", If_None_Match=first.headers["etag"])
    assert graph.status == 304 and graph.body == b""


def test_query_ui_explains_how_to_install_yasgui_when_it_is_missing(seed_store, serve_app, tmp_path):
    server = serve_app({"STORE_PATH": str(seed_store), "VENDOR_DIR": str(tmp_path / "none")})
    reply = get(server.url + "/ui")
    assert reply.status == 503 and "make vendor" in reply.text and "yasgui.min.js" in reply.text
    assert get(server.url + "/vendor/yasgui/yasgui.min.js").status == 404
