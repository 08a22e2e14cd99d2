"""The TBox, its alignment module and the reference vocabulary: labelled, defined, versioned, findable."""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path

import pytest
from rdflib import OWL, RDF, RDFS, SH, SKOS, Graph, Namespace, URIRef

from healthkg.checks.validation import shapes_graph
from healthkg.cli.pipeline import BuildReport
from healthkg.engine.backends import LocalBackend
from healthkg.engine.store import open_store
from healthkg.loaders.lexicon import default_lexicon
from healthkg.loaders.mappings import read_sssom
from healthkg.ontology import HKG, ID, MAPPING_RELATIONS, ONTOLOGY_IRI, ontology_graph, reference_graph

ANCHORS = Path("/work/shared/reference/ontology_anchors.md")
ALIGNED_NAMESPACES = {
    "http://purl.org/cerif/frapo/", "http://www.w3.org/ns/org#", "http://www.w3.org/ns/prov#",
    "http://www.w3.org/2006/time#", "http://www.w3.org/2004/02/skos/core#", "http://purl.org/dc/terms/",
    "https://schema.org/",
}


def hkg_terms(graph: Graph) -> set[URIRef]:
    kinds = (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty)
    return {s for kind in kinds for s in graph.subjects(RDF.type, kind)
            if isinstance(s, URIRef) and str(s).startswith(str(HKG))}


def test_every_term_has_one_label_and_one_definition_per_language() -> None:
    graph = ontology_graph()
    terms = hkg_terms(graph)
    assert len(terms) > 100
    for term in terms:
        for predicate in (RDFS.label, SKOS.definition):
            languages = sorted(v.language for v in graph.objects(term, predicate))
            assert languages == ["en", "ja"], f"{term} {predicate}: {languages}"


def test_labels_are_unique_per_language() -> None:
    graph = ontology_graph()
    seen: dict[tuple[str, str], URIRef] = {}
    for term in hkg_terms(graph):
        for label in graph.objects(term, RDFS.label):
            key = (str(label), label.language)
            assert key not in seen, f"{term} and {seen[key]} share the label {key}"
            seen[key] = term


def test_version_iri_matches_the_changelog() -> None:
    graph = ontology_graph()
    version = str(graph.value(URIRef(ONTOLOGY_IRI), OWL.versionInfo))
    assert graph.value(URIRef(ONTOLOGY_IRI), OWL.versionIRI) == URIRef(f"{ONTOLOGY_IRI}/releases/{version}")
    changelog = resources.files("healthkg.ontology").joinpath("CHANGELOG.md").read_text(encoding="utf-8")
    assert re.search(rf"^## {re.escape(version)} ", changelog, re.MULTILINE)


def test_alignment_uses_only_checked_vocabularies_and_no_imports() -> None:
    text = resources.files("healthkg.ontology").joinpath("healthkg-align.ttl").read_text(encoding="utf-8")
    align = Graph().parse(data=text, format="turtle")
    assert not list(align.objects(None, OWL.imports))
    external = {
        o for s, p, o in align if p in (RDFS.subClassOf, RDFS.subPropertyOf, SKOS.closeMatch, SKOS.relatedMatch)
    }
    assert external
    for iri in external:
        assert any(str(iri).startswith(ns) for ns in ALIGNED_NAMESPACES), iri
    if ANCHORS.exists():  # the research note that checked each IRI
        anchors = ANCHORS.read_text(encoding="utf-8")
        prefixes = {
            "http://purl.org/cerif/frapo/": "frapo:",
            "http://www.w3.org/ns/org#": "org:",
            "http://www.w3.org/ns/prov#": "prov:",
            "http://www.w3.org/2006/time#": "time:",
            "http://purl.org/dc/terms/": "dcterms:",
            "https://schema.org/": "schema:",
            "http://www.w3.org/2004/02/skos/core#": "skos:",
        }
        for iri in external:
            namespace = next(ns for ns in prefixes if str(iri).startswith(ns))
            local = str(iri)[len(namespace) :]
            assert f"{prefixes[namespace]}{local}" in anchors or f"`{local}`" in anchors or local in anchors, iri

HKGS = Namespace("https://w3id.org/healthkg/shapes#")


def test_reference_individuals_are_bilingual_and_found_by_short_forms() -> None:
    graph = reference_graph()
    lexicon = default_lexicon()
    expected = {
        "文科省": "org-mext",
        "厚労省": "org-mhlw",
        "バイオバンクジャパン": "infra-biobank-japan",
        "CSTI": "org-csti",
        "ＡＭＥＤ": "org-amed",
        "老年医学・認知症": "disease-geriatrics-dementia",
        "予後・QOL": "purpose-prognosis-qol",
        "健康・医療戦略推進本部": "org-hq-healthcare-policy",
        "ゲノム医療協議会": "org-council-genomic-medicine",
    }
    for text, local in expected.items():
        assert lexicon.lookup(text) == ID[local], text
    # both plans have a 医薬品プロジェクト: the short form is ambiguous until a fiscal year picks the plan
    assert lexicon.lookup("医薬品PJ") is None
    assert lexicon.lookup("医薬品PJ", fiscal_year=2021) == ID["project-pharmaceuticals"]
    assert lexicon.lookup("医薬品 PJ", fiscal_year=2026) == ID["project-3rd-pharmaceuticals"]
    # English labels are required only where the shapes require them (concepts, bodies, units): a project or
    # plan gets an English name from a source that states it, never from a translation made here
    english = set(shapes_graph().objects(HKGS.BilingualReference, SH.targetClass))
    for individual in {s for s, o in graph.subject_objects(RDF.type) if str(o).startswith(str(HKG))}:
        languages = {label.language for label in graph.objects(individual, RDFS.label)}
        assert "ja" in languages, individual
        if set(graph.objects(individual, RDF.type)) & english:
            assert "en" in languages, individual


def test_seed_has_six_projects_seven_disease_areas_four_purposes(seed_store: Path) -> None:
    backend = LocalBackend(open_store(seed_store))
    query = """
        PREFIX hkg: <https://w3id.org/healthkg/ontology#>
        SELECT (COUNT(DISTINCT ?p) AS ?projects) (COUNT(DISTINCT ?d) AS ?areas) (COUNT(DISTINCT ?u) AS ?purposes) WHERE {
          { ?p a hkg:IntegratedProject ; hkg:partOfPlan <https://w3id.org/healthkg/id/plan-2nd> }
          UNION { ?d a hkg:DiseaseArea } UNION { ?u a hkg:DevelopmentPurpose }
        }"""
    row = LocalBackend.select(backend, query)["results"]["bindings"][0]
    assert (row["projects"]["value"], row["areas"]["value"], row["purposes"]["value"]) == ("6", "7", "4")


def test_predecessor_project_belongs_to_the_first_plan(seed_build: tuple[Path, BuildReport]) -> None:
    graph = reference_graph()
    assert (ID["project-genome-data"], HKG.successorOf, ID["project-genome-medicine-1st"]) in graph
    assert graph.value(ID["project-genome-medicine-1st"], HKG.partOfPlan) == ID["plan-1st"]


def test_mapping_relations_are_the_anchored_skos_ones_and_only_those_are_read() -> None:
    assert {relation.fragment for relation in MAPPING_RELATIONS} == {
        "exactMatch",
        "closeMatch",
        "broadMatch",
        "narrowMatch",
        "relatedMatch",
    }
    if ANCHORS.exists():
        anchors = ANCHORS.read_text(encoding="utf-8")
        assert all(f"`{relation.fragment}`" in anchors for relation in MAPPING_RELATIONS)
    used = {mapping.predicate for mapping in read_sssom().mappings}
    assert used and used <= MAPPING_RELATIONS


def test_ontology_and_vocabulary_use_only_anchored_standard_terms() -> None:
    """Predicates and classes outside RDF/RDFS/OWL and healthkg must be listed in the checked anchors.

    VANN's preferredNamespaceUri and SKOS's topConceptOf are real terms but not anchored, so the
    Turtle states only vann:preferredNamespacePrefix and skos:hasTopConcept (the scheme side).
    """
    if not ANCHORS.exists():
        pytest.skip("the anchors research note is not on this machine")
    anchors = ANCHORS.read_text(encoding="utf-8")
    graph = ontology_graph() + reference_graph()
    builtin = (str(RDF), str(RDFS), str(OWL), str(HKG), "http://www.w3.org/2001/XMLSchema#")
    used = {p for _, p, _ in graph} | set(graph.objects(None, RDF.type))
    external = {str(t) for t in used if not str(t).startswith(builtin)}
    assert "http://purl.org/vocab/vann/preferredNamespacePrefix" in external
    unanchored = {
        t
        for t in external
        if f"`{t.rsplit('#', 1)[-1].rsplit('/', 1)[-1]}`" not in anchors
        and f":{t.rsplit('#', 1)[-1].rsplit('/', 1)[-1]}`" not in anchors
    }
    assert not unanchored, sorted(unanchored)


def _english_in_record(label_in_source: str) -> str:
    """The English name a reference identifier row quotes: before ' / ' (ROR's ja name) or ' (' (a note)."""
    return re.split(r" / | \(", label_in_source, maxsplit=1)[0].strip()


def test_english_names_in_the_vocabulary_are_names_a_source_states() -> None:
    """A named body's, project's, plan's or law's English rdfs:label is official: a ROR record or a label_en fact.

    Anything else English is a working translation (hkg:workingTranslation), which no query reads as a name.
    """
    import csv

    from healthkg.loaders.facts import read_facts

    records = resources.files("healthkg.data").joinpath("curated/external_ids.tsv").read_text(encoding="utf-8")
    stated = {_english_in_record(r["label_in_source"]).casefold()
              for r in csv.DictReader(records.splitlines(), delimiter="\t") if r["verified"] == "yes"}
    lexicon = default_lexicon()
    curated = {(lexicon.lookup(r.subject), r.object.casefold()) for r in read_facts() if r.predicate == "label_en"}
    graph = reference_graph()
    named = (HKG.Organization, HKG.PolicyFramework, HKG.IntegratedProject, HKG.LawArticle)
    checked = 0
    for individual in {s for s, o in graph.subject_objects(RDF.type) if str(o).startswith(str(HKG))}:
        if not any(lexicon.is_a(individual, kind) for kind in named):
            continue
        for label in graph.objects(individual, RDFS.label):
            if label.language == "en":
                checked += 1
                assert str(label).casefold() in stated or (individual, str(label).casefold()) in curated, (
                    individual, str(label))
    assert checked >= 15  # ministries, agencies, the National Centers: named by their ROR records or label_en rows
    for project in graph.subjects(HKG.partOfPlan, None):
        assert not [label for label in graph.objects(project, RDFS.label) if label.language == "en"], project
    assert str(graph.value(ID["project-pharmaceuticals"], HKG.workingTranslation)) == "Pharmaceutical Project"
