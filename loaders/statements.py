"""RDF for what a deck says besides budget figures, each statement tied to its lines.

Minted nodes (goals, themes, policies, mentions, articles) say
``prov:wasDerivedFrom`` the span they came from. Statements about reference
individuals (a project's description, its ministries, links between projects)
are asserted in the document's named graph and the individual says
``prov:wasDerivedFrom`` the lines that state them, so a reader can go from any
triple to the text.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Protocol

from rdflib import DCTERMS, PROV, RDF, RDFS, Graph, Literal, URIRef

from healthkg.loaders.deck import BudgetLine, DocumentExtract
from healthkg.loaders.lexicon import Lexicon
from healthkg.loaders.mentions import Matcher
from healthkg.loaders.normalize import digest
from healthkg.loaders.outline import outline
from healthkg.loaders.policy import FrameworkKey
from healthkg.loaders.projects import Passage
from healthkg.loaders.text import Span
from healthkg.ontology import HKG, ID

_BUILD_WORDS = re.compile(r"構築|整備|収集")
_USE_WORDS = re.compile(r"利活用|活用")
_CLAUSE_END = re.compile(r"[。]")
_NEW_INFRASTRUCTURE = re.compile(r"「(?P<quoted>[^」]+)」を構築|(?P<named>[一-龥ァ-ヶー・A-Za-z]+)の構築")
_CONNECTING = "連携"


class Emitting(Protocol):
    """What the budget emitter offers: its graph, its document and line locations."""

    graph: Graph
    slug: str
    document: URIRef

    def add(self, *triple: object) -> None: ...

    def location(self, span: Span) -> URIRef: ...


def digest_iri(kind: str, text: str) -> URIRef:
    """Entities the vocabulary lacks are named by their normalised name, so documents meet."""
    return ID[f"{kind}/{digest(text)}"]


class StatementEmitter:
    def __init__(self, out: Emitting, extract: DocumentExtract, lexicon: Lexicon,
                 project_of: Callable[[str, URIRef | None, Span], URIRef]) -> None:
        self.out = out
        self.extract = extract
        self.lexicon = lexicon
        self.project_of = project_of
        self.concepts = Matcher({**lexicon.of_type(HKG.DiseaseArea), **lexicon.of_type(HKG.DevelopmentPurpose)})
        self.organisations = Matcher(lexicon.of_type(HKG.Organization))
        self.infrastructure = Matcher(lexicon.of_type(HKG.ResearchInfrastructure))
        self.mention_count = 0
        self.frameworks: dict[FrameworkKey, URIRef] = {}

    def add(self, *triple: object) -> None:
        self.out.add(*triple)

    def derived(self, node: URIRef, span: Span) -> URIRef:
        where = self.out.location(span)
        self.add(node, PROV.wasDerivedFrom, where)
        return where

    def labelled(self, node: URIRef, kind: URIRef, label: str, span: Span) -> URIRef:
        self.add(node, RDF.type, kind)
        self.add(node, RDFS.label, Literal(label, lang="ja"))
        self.derived(node, span)
        return node

    def emit(self) -> None:
        self.repairs()
        self.names_on_lines()
        self.policy()
        self.projects()
        self.topics()
        self.connections()

    # -- repairs and names -----------------------------------------------------------
    def repairs(self) -> None:
        """Each repaired line keeps its original text; the corrected text and notes sit beside it."""
        by_line: dict[int, list] = {}
        for repair in self.extract.repairs:
            by_line.setdefault(repair.line, []).append(repair)
        for number, done in sorted(by_line.items()):
            where = self.out.location(Span(number, number, done[0].original))
            self.add(where, HKG.repairedText, Literal(done[-1].repaired))
            for repair in done:
                self.add(where, HKG.repairNote, Literal(repair.note))

    def names_on_lines(self) -> None:
        for line in self.extract.lines:
            orgs = {found.iri for found in self.organisations.find(line.text)}
            infra = {found.iri for found in self.infrastructure.find(line.text)}
            if orgs or infra:
                where = self.out.location(line.span)
                for org in sorted(orgs):
                    self.add(where, HKG.namesOrganization, org)
                for item in sorted(infra):
                    self.add(where, HKG.namesInfrastructure, item)

    # -- mentions of disease areas and purposes --------------------------------------
    def mentions(self, subject: URIRef, text: str, span: Span, also: tuple[URIRef, ...] = ()) -> None:
        """Link ``subject`` (and ``also``) to each disease area or purpose its text names, a mention per match."""
        seen = set()
        for found in self.concepts.find(text):
            if found.iri == subject or found.iri in seen:
                continue
            seen.add(found.iri)
            self.mention_count += 1
            node = ID[f"mention/{self.out.slug}/L{span.first}-{self.mention_count}"]
            self.labelled(node, HKG.ConceptMention, found.text, span)
            self.add(node, HKG.mentionedConcept, found.iri)
            self.add(node, HKG.mentionIn, subject)
            self.add(node, HKG.matchedText, Literal(found.text))
            link = HKG.mentionsDiseaseArea if self.lexicon.is_a(found.iri, HKG.DiseaseArea) else HKG.mentionsPurpose
            for linked in (subject, *also):
                self.add(linked, link, found.iri)

    def unlinked(self, text: str, span: Span) -> None:
        self.mention_count += 1
        node = ID[f"mention/{self.out.slug}/L{span.first}-{self.mention_count}"]
        self.labelled(node, HKG.ConceptMention, text, span)
        self.add(node, HKG.matchedText, Literal(text))
        self.add(node, HKG.mentionIn, self.out.document)

    # -- budget lines: mentions and infrastructure ------------------------------------
    def budget_line(self, line: BudgetLine, scheme: URIRef, members: list[URIRef], node: URIRef | None) -> None:
        for name, program in zip(line.programs, members):
            self.mentions(program, name, line.span)
        if line.description:
            self.mentions(node or scheme, line.description, line.span, () if node is None else (scheme,))
        self.infrastructure_of(line, scheme)

    def infrastructure_of(self, line: BudgetLine, scheme: URIRef) -> None:
        """Which biobank or platform a program builds or promotes: the verb after its name decides.

        The name may be in the program's own name (then the description's verbs
        decide) or in the description (then the words after it do). A name the
        text builds (``「…」を構築``, ``…の構築``) that is longer than a vocabulary
        name inside it is a new infrastructure, not that one.
        """
        description = line.description
        for match in _NEW_INFRASTRUCTURE.finditer(line.description):
            name = match["quoted"] or match["named"]
            known = self.lexicon.lookup(name)
            if known is not None and self.lexicon.is_a(known, HKG.ResearchInfrastructure):
                continue
            kind = self.lexicon.kind_of(name, (HKG.Biobank, HKG.BioresourceCollection, HKG.DataPlatform))
            if kind is None:
                continue
            infra = self.labelled(digest_iri("infrastructure", name), kind, name, line.span)
            self.add(scheme, HKG.buildsInfrastructure, infra)
            start, end = match.span()
            description = description[:start] + "〓" * (end - start) + description[end:]
        described = {found.iri: found for found in self.infrastructure.find(description)}
        for found in self.infrastructure.find(f"{line.label} {description}"):
            if found.iri in described:
                mention = described[found.iri]
                relation = self._relation(description, mention.start + len(mention.text))
            else:
                relation = self._relation(description, len(description))
            self.add(scheme, relation, found.iri)

    @staticmethod
    def _relation(text: str, after: int) -> URIRef:
        """構築/整備/収集 → builds, 利活用/活用 → promotes use; the first after ``after`` wins, else the whole text."""
        clause = _CLAUSE_END.split(text[after:], maxsplit=1)[0]
        build, use = _BUILD_WORDS.search(clause), _USE_WORDS.search(clause)
        if build and (not use or build.start() < use.start()):
            return HKG.buildsInfrastructure
        if use:
            return HKG.promotesUseOf
        return HKG.buildsInfrastructure if _BUILD_WORDS.search(text) else HKG.promotesUseOf

    def connections(self) -> None:
        """A heading naming a data platform and 連携: the biobanks listed under it are connected by it."""
        for block in outline(self.extract.lines):
            if block.heading is None or _CONNECTING not in block.title:
                continue
            platforms = [
                f.iri for f in self.infrastructure.find(block.title) if self.lexicon.is_a(f.iri, HKG.DataPlatform)
            ]
            for platform in platforms:
                for line in block.lines:
                    for found in self.infrastructure.find(line.text):
                        if self.lexicon.is_a(found.iri, HKG.Biobank):
                            self.add(platform, HKG.connects, found.iri)
                            self.derived(platform, line.span)

    # -- law, strategy, plan ----------------------------------------------------------
    def framework(self, key: FrameworkKey) -> URIRef:
        if key in self.frameworks:
            return self.frameworks[key]
        found = self.extract.policy.frameworks[key]
        iri = self.lexicon.lookup(key.label, found.kind)
        if iri is None:
            iri = self.labelled(digest_iri("framework", key.label), found.kind, key.label, found.span)
            if key.period is not None:
                self.add(iri, HKG.periodNumber, Literal(key.period))
        self.frameworks[key] = iri
        return iri

    def organisation(self, name: str, kind: URIRef, span: Span) -> URIRef:
        iri = self.lexicon.lookup(name)
        if iri is not None and self.lexicon.is_a(iri, HKG.Organization):
            return iri
        return self.labelled(digest_iri("body", name), kind, name, span)

    def law(self, name: str) -> URIRef:
        law = self.extract.policy.laws[name]
        iri = self.lexicon.lookup(name, HKG.Law)
        if iri is None:
            iri = self.labelled(digest_iri("law", name), HKG.Law, name, law.span)
            self.add(iri, HKG.lawNumber, Literal(law.number))
        return iri

    def policy(self) -> None:
        policy = self.extract.policy
        for key, found in policy.frameworks.items():
            iri = self.framework(key)
            if found.decided is not None:
                self.add(iri, HKG.decisionDate, Literal(found.decided))
                self.derived(iri, found.span)
            if found.decider is not None:
                self.add(iri, HKG.decidedBy, self.organisation(found.decider, HKG.GovernmentBody, found.span))
        for article in policy.articles:
            law = self.law(article.law)
            node = self.labelled(
                URIRef(f"{law}-article-{article.article}"),
                HKG.LawArticle,
                f"{article.law}第{article.article}条",
                article.span,
            )
            self.add(node, HKG.articleOf, law)
            self.add(node, HKG.articleNumber, Literal(article.article))
            self.add(self.out.document, HKG.citesArticle, node)
            if article.text:
                self.add(node, DCTERMS.description, Literal(article.text, lang="ja"))
            if article.basis_of is not None:
                framework = self.framework(article.basis_of)
                self.add(framework, HKG.basedOnLaw, law)
                self.add(framework, HKG.citesArticle, node)
                self.derived(framework, article.span)
        for period in policy.periods:
            framework = self.framework(period.framework)
            number = period.framework.period
            label = (
                f"第{number}期({period.first}～{period.last}年度)" if number else f"{period.first}～{period.last}年度"
            )
            node = self.lexicon.lookup(label, HKG.PlanPeriod) or self.labelled(
                ID[f"period/{period.first}-{period.last}"], HKG.PlanPeriod, label, period.span
            )
            self.add(node, HKG.firstFiscalYear, ID[f"fy/{period.first}"])
            self.add(node, HKG.lastFiscalYear, ID[f"fy/{period.last}"])
            self.derived(node, period.span)
            self.add(framework, HKG.hasPeriod, node)
            self.derived(framework, period.span)
        for item in policy.policies:
            node = self.labelled(
                ID[f"policy/{self.out.slug}/L{item.span.first}"], HKG.BasicPolicy, item.title, item.span
            )
            if item.description:
                self.add(node, DCTERMS.description, Literal(item.description, lang="ja"))
            self.add(self.framework(item.framework), HKG.hasBasicPolicy, node)
        for role in policy.agencies:
            framework = self.framework(role.framework)
            self.add(framework, HKG.coreFundingAgency if role.core else HKG.cooperatingAgency, role.agency)
            self.derived(framework, role.span)
        for body in policy.bodies:
            node = self.organisation(body.name, body.kind, body.span)
            if body.under is not None:
                self.add(node, HKG.establishedUnder, self.organisation(body.under, HKG.Council, body.span))
                self.derived(node, body.span)
        for plan, strategy, span in policy.implements:
            self.add(self.framework(plan), HKG.implementsStrategy, self.framework(strategy))
            self.derived(self.framework(plan), span)

    # -- projects and disease areas ------------------------------------------------
    def described(self, subject: URIRef, passage: Passage) -> None:
        self.add(subject, DCTERMS.description, Literal(passage.text, lang="ja"))
        self.derived(subject, passage.span)
        for text, span in passage.lines:
            self.mentions(subject, text, span)

    def projects(self) -> None:
        plans = {k for k, f in self.extract.policy.frameworks.items() if f.kind == HKG.Plan}
        for notes in self.extract.projects:
            project = self.project_of(notes.name, notes.project, notes.heading)
            for passage in notes.descriptions:
                self.described(project, passage)
            current = self.extract.policy.current.get(notes.heading.first)
            if notes.listed_in_plan and current in plans:
                self.add(project, HKG.partOfPlan, self.framework(current))
                self.derived(project, notes.heading)
            for role in notes.ministries:
                self.add(project, HKG.leadMinistry if role.lead else HKG.participatingMinistry, role.ministry)
                self.derived(project, role.span)
            for target, span in notes.links:
                self.add(project, HKG.extendsTo, target)
                self.derived(project, span)
            for goal in notes.goals:
                node = self.labelled(
                    ID[f"goal/{self.out.slug}/L{goal.span.first}"], HKG.AchievementGoal, goal.text, goal.span
                )
                self.add(node, HKG.targetYear, Literal(goal.year))
                self.add(project, HKG.hasAchievementGoal, node)
                self.mentions(node, goal.text, goal.span)
            for theme in notes.themes:
                node = self.labelled(
                    ID[f"theme/{self.out.slug}/L{theme.span.first}"], HKG.PriorityResearchTheme, theme.text, theme.span
                )
                self.add(project, HKG.hasPriorityTheme, node)
                self.mentions(node, theme.text, theme.span)

    def topics(self) -> None:
        for topic in self.extract.topics:
            if topic.concept is None:
                self.unlinked(topic.title, topic.heading)
            elif topic.description is not None:
                self.described(topic.concept, topic.description)
