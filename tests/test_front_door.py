"""The front door's HTTP side: CSV that Excel reads, the licence in VoID, the language cookie, /sparql for people."""

from __future__ import annotations

import csv
import io
import urllib.parse

from pyoxigraph import NamedNode, RdfFormat, parse

from healthkg.engine.licence import DATA_LICENSE

DCTERMS = "http://purl.org/dc/terms/"


def test_csv_answers_name_their_file_and_put_a_bom_first_on_request(live_server, http_client) -> None:
    url = f"{live_server.url}/api/queries/budget-lines?fiscal_year=2020&format=csv"
    status, headers, body = http_client.request(url)
    assert status == 200 and headers["Content-Type"].startswith("text/csv")
    assert headers["Content-Disposition"] == (
        "attachment; filename=\"budget-lines_fiscal_year-2020.csv\"; "
        "filename*=UTF-8''budget-lines_fiscal_year-2020.csv")
    assert not body.startswith(b"\xef\xbb\xbf")
    status, headers, with_bom = http_client.request(url + "&bom=1")
    assert status == 200 and with_bom == b"\xef\xbb\xbf" + body
    assert int(headers["Content-Length"]) == len(with_bom)
    rows = list(csv.DictReader(io.StringIO(with_bom.decode("utf-8-sig"))))
    assert rows and all(row["fiscal_year"] == "2020" for row in rows)
    # Japanese parameter values keep their characters in filename*, and tabs get .tsv
    name = "ゲノム・データ基盤プロジェクト"
    status, headers, _ = http_client.request(
        f"{live_server.url}/api/queries/budget-by-ministry?project={urllib.parse.quote(name)}&format=tsv")
    assert status == 200 and headers["Content-Disposition"].endswith(
        f"filename*=UTF-8''{urllib.parse.quote('budget-by-ministry_project-' + name)}.tsv")
    status, headers, _ = http_client.request(f"{live_server.url}/api/queries/budget-lines?format=json&bom=1")
    assert status == 200 and "Content-Disposition" not in headers  # JSON is for programs, not files


def test_void_states_the_data_licence_on_the_dataset_and_each_distribution(live_server, http_client) -> None:
    status, _, body = http_client.request(f"{live_server.url}/.well-known/void", headers={"Accept": "text/turtle"})
    assert status == 200
    triples = [quad.triple for quad in parse(body, format=RdfFormat.TURTLE, base_iri=live_server.url + "/")]
    licensed = {t.subject for t in triples if t.predicate == NamedNode(DCTERMS + "license")
                and t.object == NamedNode(DATA_LICENSE)}
    dataset = NamedNode(f"{live_server.url}/.well-known/void#dataset")
    distributions = {t.object for t in triples if t.subject == dataset
                     and t.predicate == NamedNode("http://www.w3.org/ns/dcat#distribution")}
    assert dataset in licensed and distributions and distributions <= licensed
    rights = [t.object.value for t in triples if t.subject == dataset and t.predicate == NamedNode(DCTERMS + "rights")]
    assert rights and "政府標準利用規約" in rights[0]


def test_the_language_switch_sets_a_cookie_and_goes_back_only_to_this_server(live_server, http_client) -> None:
    status, headers, _ = http_client.request(f"{live_server.url}/lang/en?next=/id/project-genome-data")
    assert status == 303 and headers["Location"].endswith("/id/project-genome-data")
    assert "healthkg_lang=en" in headers["Set-Cookie"] and "SameSite=Lax" in headers["Set-Cookie"]
    for hostile in ("//evil.example/", "https://evil.example/", "/\\evil.example", "javascript:alert(1)"):
        status, headers, _ = http_client.request(f"{live_server.url}/lang/en?next={urllib.parse.quote(hostile)}")
        assert status == 303 and urllib.parse.urlsplit(headers["Location"]).path == "/", hostile
        assert "evil" not in headers["Location"]
    status, _, body = http_client.request(f"{live_server.url}/", headers={"Cookie": "healthkg_lang=en"})
    assert status == 200 and '<html lang="en">' in body.decode() and "Integrated projects" in body.decode()
    status, headers, body = http_client.request(f"{live_server.url}/")
    assert '<html lang="ja">' in body.decode() and "統合プロジェクト" in body.decode()
    assert "Cookie" in headers["Vary"]


def test_sparql_sends_people_to_the_query_ui_and_programs_still_get_the_service_description(
        live_server, http_client) -> None:
    browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    status, headers, _ = http_client.request(f"{live_server.url}/sparql", headers={"Accept": browser})
    assert status == 303 and headers["Location"].endswith("/ui")
    for accept in ("*/*", "text/turtle", "application/ld+json, text/html;q=0.5"):
        status, headers, _ = http_client.request(f"{live_server.url}/sparql", headers={"Accept": accept})
        assert status == 200 and not headers["Content-Type"].startswith("text/html"), accept
    query = urllib.parse.quote("ASK {}")
    status, headers, _ = http_client.request(f"{live_server.url}/sparql?query={query}", headers={"Accept": browser})
    assert status == 200  # a query is answered, whatever the client
