"""The dictionary of disease-area and purpose labels finds what it should and nothing else.

The dictionary is the vocabulary's labels and aliases; these tests pin the
false-positive decisions documented in healthkg.loaders.mentions and the
unlinked mentions kept for the audit.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from rdflib import RDF, URIRef

from healthkg.engine.search import search_pattern
from healthkg.loaders.deck import parse_document
from healthkg.loaders.lexicon import default_lexicon
from healthkg.loaders.mentions import Matcher
from healthkg.loaders.normalize import match_key, normalize
from healthkg.loaders.triples import document_triples
from healthkg.ontology import HKG, ID


@pytest.fixture(scope="module")
def concepts() -> Matcher:
    lexicon = default_lexicon()
    return Matcher({**lexicon.of_type(HKG.DiseaseArea), **lexicon.of_type(HKG.DevelopmentPurpose)})


def found(matcher: Matcher, text: str) -> list[tuple[str, URIRef]]:
    return [(f.text, f.iri) for f in matcher.find(text)]


def test_labels_aliases_and_widths(concepts: Matcher) -> None:
    assert found(concepts, "認知症に関するコホート研究") == [("認知症", ID["disease-geriatrics-dementia"])]
    assert found(concepts, "ｑｏｌ向上に資する")[0][1] == ID["purpose-prognosis-qol"]  # full width, lower case
    assert found(concepts, "精神 神経疾患の研究")[0][1] == ID["disease-psychiatric-neurological"]  # ・ optional
    assert found(concepts, "research on dementia")[0][1] == ID["disease-geriatrics-dementia"]  # English label


def test_longest_match_wins(concepts: Matcher) -> None:
    # 神経・筋難病 is an alias of its own; 難病 inside it is not a second mention
    assert found(concepts, "神経・筋難病等の研究") == [("神経・筋難病", ID["disease-psychiatric-neurological"])]
    assert found(concepts, "希少・難治性疾患の解析") == [("希少・難治性疾患", ID["disease-intractable"])]


def test_decided_false_positive_cases(concepts: Matcher) -> None:
    assert found(concepts, "細胞のがん化過程を追跡")[0][1] == ID["disease-cancer"]  # がん化 is about cancer: kept
    assert found(concepts, "HAMR assay") == []  # Latin labels match whole words only
    assert found(concepts, "AMR対策")[0][1] == ID["disease-infectious"]


def test_one_character_aliases_are_not_searched() -> None:
    ministries = Matcher(default_lexicon().of_type(HKG.Ministry))
    assert all(len(f.text) > 1 for f in ministries.find("文部科学省と厚労省が総合的に経済を"))
    assert {f.iri for f in ministries.find("文部科学省と厚労省が総合的に経済を")} == {ID["org-mext"], ID["org-mhlw"]}


def test_unresolved_disease_heading_is_an_unlinked_mention(tmp_path: Path) -> None:
    deck = tmp_path / "areas.md"
    deck.write_text(
        "# 疾患研究\n\n#### がん\n\nがんの本態解明と診断法の開発を行う。\n\n"
        "#### 感染症\n\n新興感染症の研究開発を推進する。\n\n#### 希少臓器疾患\n\n臓器の研究開発を行う。\n",
        encoding="utf-8",
    )
    graph = document_triples(parse_document(deck))
    mentions = set(graph.subjects(RDF.type, HKG.ConceptMention))
    unlinked = [m for m in mentions if graph.value(m, HKG.mentionedConcept) is None]
    assert [str(graph.value(m, HKG.matchedText)) for m in unlinked] == ["希少臓器疾患"]
    linked = {graph.value(m, HKG.mentionedConcept) for m in mentions} - {None}
    # 診断法 in cancer's paragraph; がん and 感染症 naming their own area in their own paragraph are no mentions
    assert linked == {ID["purpose-diagnosis"]}


@pytest.mark.parametrize("separator", ["・", "･", "·", " ", "\u3000"])
def test_matching_and_search_ignore_the_same_separators(separator: str) -> None:
    # one definition (healthkg.ontology.labels.SEPARATOR_CLASS) for keys, the mention dictionary and search
    spaced, plain = f"バイオ{separator}バンク", "バイオバンク"
    assert match_key(spaced) == match_key(plain)
    assert [f.iri for f in Matcher({spaced: ID["x"]}).find(f"{plain}の整備")] == [
        ID["x"]
    ]  # a label's separator is optional
    assert search_pattern(spaced) == search_pattern(plain)
    assert re.search(search_pattern(plain), normalize(spaced))
