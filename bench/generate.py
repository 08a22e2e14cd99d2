"""A seeded synthetic funding graph of the same shape as a real build, written as N-Quads.

The benchmark needs graphs far larger than the documents we have, but with the
shape the loaders produce (one named graph per document, every budget line a
``hkg:BudgetAllocation`` pointing at a ``hkg:SourceLocation``, programs
re-asserted in every document that lists them) so that query plans and
union-default-graph duplicates behave as they will on real data. Reference
individuals (projects, ministries, disease areas, routes, relisting statuses)
are read from the real vocabularies, never invented; the ontology, vocabulary
and calendar graphs are included as a build would include them.

Usage: ``python bench/generate.py --triples 100000 --seed 7 --out bench/out/data/100k.nq``
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import sys
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from pyoxigraph import BlankNode, DefaultGraph, Literal, NamedNode, Quad, RdfFormat, Store, parse, serialize
from rdflib import Graph
from rdflib.compare import to_canonical_graph

from healthkg.loaders.triples import fiscal_year_triples, program_iri
from healthkg.ontology import GRAPH, HKG, ID, ontology_graph, reference_graph

RDF_TYPE = NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
RDFS_LABEL = NamedNode("http://www.w3.org/2000/01/rdf-schema#label")
SKOS_ALT = "http://www.w3.org/2004/02/skos/core#altLabel"
PROV = "http://www.w3.org/ns/prov#"
DCTERMS = "http://purl.org/dc/terms/"
XSD = "http://www.w3.org/2001/XMLSchema#"
DECIMAL = NamedNode(XSD + "decimal")
INTEGER = NamedNode(XSD + "integer")
BOOLEAN = NamedNode(XSD + "boolean")
DATE = NamedNode(XSD + "date")

FIRST_YEAR, LAST_YEAR = 2000, 2024
LINES_PER_DOCUMENT = 120

# Name parts: (Japanese, English[, disease-area code]). Programs are named the way
# the plan's programs are: qualifier + topic + activity + kind of program.
QUALIFIERS = [
    ("次世代", "Next-generation"), ("革新的", "Innovative"), ("戦略的", "Strategic"), ("先進的", "Advanced"),
    ("統合的", "Integrated"), ("個別化", "Personalised"), ("国際共同", "International joint"),
    ("産学連携", "Industry-academia"), ("地域連携", "Regional"), ("若手研究者による", "Early-career"),
    ("臨床", "Clinical"), ("基盤的", "Foundational"), ("横断的", "Cross-cutting"), ("実践的", "Applied"),
]
TOPICS = [
    ("がん", "cancer", "cancer"),
    ("認知症", "dementia", "dementia"),
    ("感染症", "infectious disease", "infectious"),
    ("難病", "intractable disease", "intractable"),
    ("生活習慣病", "lifestyle disease", "lifestyle"),
    ("精神疾患", "mental disorder", "psych-neuro"),
    ("小児疾患", "paediatric disease", "child-maternal"),
    ("循環器疾患", "cardiovascular disease", "lifestyle"),
    ("糖尿病", "diabetes", "lifestyle"),
    ("希少疾患", "rare disease", "intractable"),
    ("神経変性疾患", "neurodegenerative disease", "psych-neuro"),
    ("ワクチン", "vaccine", "infectious"),
    ("免疫療法", "immunotherapy", "cancer"),
    ("周産期医療", "perinatal care", "child-maternal"),
    ("再生医療", "regenerative medicine", None),
    ("遺伝子治療", "gene therapy", None),
    ("医療機器", "medical device", None),
    ("ゲノム医療", "genomic medicine", None),
    ("創薬", "drug discovery", None),
    ("医療データ", "health data", None),
    ("人工知能", "artificial intelligence", None),
    ("バイオバンク", "biobank", None),
    ("細胞治療", "cell therapy", None),
]
ACTIVITIES = [
    ("研究開発", "research and development"),
    ("実用化研究", "translational research"),
    ("基盤整備", "infrastructure"),
    ("開発支援", "development support"),
    ("臨床研究", "clinical research"),
    ("推進", "promotion"),
    ("創出", "creation"),
    ("評価手法確立", "evaluation methods"),
    ("人材育成", "human resources"),
]
KINDS = [
    ("事業", "Program"),
    ("推進事業", "Promotion Program"),
    ("プログラム", "Programme"),
    ("研究事業", "Research Program"),
]
MINISTRY_WEIGHTS = {"mhlw": 8, "mext": 6, "meti": 3}  # by IRI suffix; others weigh 1
DISEASE_CODES = ["cancer", "lifestyle", "psych-neuro", "dementia", "intractable", "child-maternal", "infectious"]


def nn(term: object) -> NamedNode:
    return NamedNode(str(term))


@dataclass(frozen=True)
class Reference:
    """Reference individuals by code, read from the real vocabularies."""

    projects: list[NamedNode]
    ministries: list[tuple[NamedNode, str]]  # (IRI, short Japanese marker)
    diseases: dict[str, NamedNode]
    routes: dict[str, NamedNode]
    relisting: dict[str, NamedNode]
    publisher: NamedNode

    @classmethod
    def load(cls) -> Reference:
        store = Store()
        store.extend(rdflib_quads(reference_graph(), DefaultGraph()))

        def coded(kind: str) -> dict[str, NamedNode]:
            rows = store.query(f"SELECT ?x ?code WHERE {{ ?x a <{HKG[kind]}> ; <{HKG.code}> ?code }}")
            return {row["code"].value: row["x"] for row in rows}  # type: ignore[union-attr,index]

        def short_marker(iri: NamedNode, code: str) -> str:
            alts = [
                q.object.value
                for q in store.quads_for_pattern(iri, NamedNode(SKOS_ALT), None)
                if isinstance(q.object, Literal) and q.object.language == "ja"
            ]
            return min(alts, key=len) if alts else code

        ministries = [(iri, short_marker(iri, code)) for code, iri in sorted(coded("Ministry").items())]
        publisher = coded("GovernmentBody")["cas-hcp"]
        projects = coded("IntegratedProject")
        return cls(
            projects=[projects[k] for k in sorted(projects)],
            ministries=ministries,
            diseases=coded("DiseaseArea"),
            routes=coded("FundingRoute"),
            relisting=coded("RelistingStatus"),
            publisher=publisher,
        )


@dataclass
class Program:
    iri: NamedNode
    ja: str
    en: str
    ministry: tuple[NamedNode, str]
    diseases: list[NamedNode]
    home: NamedNode
    first_year: int
    last_year: int
    base_oku: float
    route: str
    relisted_in: NamedNode | None = None
    relisting: str = "duplicate"


@dataclass
class Line:
    program: Program
    year: int
    project: NamedNode
    oku: Decimal
    relisting: str
    members: list[Program] = field(default_factory=list)


class Generator:
    """Builds the dataset for ``n_programs`` programs; the same seed gives the same quads."""

    def __init__(self, seed: int, reference: Reference) -> None:
        self.seed = seed
        self.ref = reference

    def programs(self, count: int, rng: random.Random) -> list[Program]:
        seen: set[str] = set()
        programs = []
        for _ in range(count):
            q, t, a, k = rng.choice(QUALIFIERS), rng.choice(TOPICS), rng.choice(ACTIVITIES), rng.choice(KINDS)
            ja, en = f"{q[0]}{t[0]}{a[0]}{k[0]}", f"{q[1]} {t[1]} {a[1]} {k[1]}"
            phase = 1
            while ja in seen:
                phase += 1
                ja, en = f"{q[0]}{t[0]}{a[0]}{k[0]}(第{phase}期)", f"{q[1]} {t[1]} {a[1]} {k[1]} (phase {phase})"
            seen.add(ja)
            diseases = [self.ref.diseases[t[2]]] if t[2] else []
            if rng.random() < (0.2 if diseases else 0.3):
                extra = self.ref.diseases[rng.choice(DISEASE_CODES)]
                if extra not in diseases:
                    diseases.append(extra)
            first = rng.randint(FIRST_YEAR, LAST_YEAR)
            last = min(LAST_YEAR, first + rng.randint(2, 9))
            home = rng.choice(self.ref.projects)
            program = Program(
                iri=nn(program_iri(ja)),
                ja=ja,
                en=en,
                ministry=rng.choices(
                    self.ref.ministries,
                    weights=[MINISTRY_WEIGHTS.get(m.value.rsplit("-", 1)[-1], 1) for m, _ in self.ref.ministries],
                )[0],
                diseases=diseases,
                home=home,
                first_year=first,
                last_year=last,
                base_oku=round(rng.lognormvariate(2.0, 1.1), 1) + 0.1,
                route="inhouse" if rng.random() < 0.15 else "amed",
            )
            if rng.random() < 0.12:
                program.relisted_in = rng.choice([p for p in self.ref.projects if p != home])
                program.relisting = rng.choice(["duplicate", "portion"])
            programs.append(program)
        return programs

    def lines(self, programs: list[Program], rng: random.Random) -> dict[tuple[int, NamedNode, str], list[Line]]:
        """Budget lines grouped by (year, project, route): one group is one section of a deck."""
        grouped: dict[tuple[int, NamedNode, str], list[Line]] = defaultdict(list)
        for program in programs:
            amount = program.base_oku
            for year in range(program.first_year, program.last_year + 1):
                oku = Decimal(str(max(0.1, round(amount, 1))))
                grouped[(year, program.home, program.route)].append(Line(program, year, program.home, oku, "no"))
                if program.relisted_in is not None:
                    share = (
                        oku if program.relisting == "duplicate" else Decimal(str(max(0.1, round(float(oku) * 0.3, 1))))
                    )
                    grouped[(year, program.relisted_in, program.route)].append(
                        Line(program, year, program.relisted_in, share, program.relisting)
                    )
                amount *= rng.uniform(0.8, 1.25)
        for key in grouped:  # a few lines per section share one figure, as program groups do
            section = grouped[key]
            rng.shuffle(section)
            merged: list[Line] = []
            for line in section:
                if merged and line.relisting == "no" and merged[-1].relisting == "no" and rng.random() < 0.05:
                    merged[-1].members.append(line.program)
                    merged[-1].oku += line.oku
                else:
                    merged.append(line)
            grouped[key] = merged
        return grouped

    def quads(self, n_programs: int) -> Iterator[Quad]:
        rng = random.Random(self.seed)
        programs = self.programs(n_programs, rng)
        register = nn(GRAPH["synthetic/program-register"])
        for p in programs:
            yield Quad(p.iri, RDF_TYPE, nn(HKG.Program), register)
            yield Quad(p.iri, RDFS_LABEL, Literal(p.ja, language="ja"), register)
            yield Quad(p.iri, RDFS_LABEL, Literal(p.en, language="en"), register)
            yield Quad(p.iri, nn(HKG.administeredBy), p.ministry[0], register)
            for disease in p.diseases:
                yield Quad(p.iri, nn(HKG.concernsDiseaseArea), disease, register)
        grouped = self.lines(programs, rng)
        by_document: dict[tuple[int, NamedNode], list[tuple[str, list[Line]]]] = defaultdict(list)
        for (year, project, route), section in sorted(
            grouped.items(), key=lambda kv: (kv[0][0], kv[0][1].value, kv[0][2])
        ):
            by_document[(year, project)].append((route, section))
        for (year, project), sections in by_document.items():
            yield from self.documents(year, project, sections, rng)

    def documents(
        self, year: int, project: NamedNode, sections: list[tuple[str, list[Line]]], rng: random.Random
    ) -> Iterator[Quad]:
        """One deck per (year, project), split into parts of at most LINES_PER_DOCUMENT lines."""
        project_code = project.value.rsplit("/", 1)[-1]
        rows = [(route, line) for route, section in sections for line in section]
        for part, start in enumerate(range(0, len(rows), LINES_PER_DOCUMENT), start=1):
            slug = f"synthetic-fy{year}-{project_code}-{part}"
            yield from DocumentWriter(self.ref, slug, year, project, rng).write(
                rows[start : start + LINES_PER_DOCUMENT]
            )


class DocumentWriter:
    """The named graph of one synthetic deck, emitted as the loaders emit a real one."""

    def __init__(self, ref: Reference, slug: str, year: int, project: NamedNode, rng: random.Random) -> None:
        self.ref, self.slug, self.year, self.project, self.rng = ref, slug, year, project, rng
        self.graph = nn(GRAPH[f"document/{slug}"])
        self.document = nn(ID[f"document/{slug}"])
        self.line_no = 1

    def q(self, s: NamedNode | BlankNode, p: str | NamedNode, o: NamedNode | Literal) -> Quad:
        return Quad(s, p if isinstance(p, NamedNode) else NamedNode(p), o, self.graph)

    def location(self, text: str, lines: int = 1) -> tuple[NamedNode, list[Quad]]:
        first, last = self.line_no, self.line_no + lines - 1
        self.line_no = last + 1
        suffix = f"L{first}" if first == last else f"L{first}-L{last}"
        node = NamedNode(f"{self.document.value}#{suffix}")
        quads = [
            self.q(node, RDF_TYPE, nn(HKG.SourceLocation)),
            self.q(node, nn(HKG.statedIn), self.document),
            self.q(node, nn(HKG.lineNumber), Literal(str(first), datatype=INTEGER)),
            self.q(node, nn(HKG.sourceText), Literal(text)),
        ]
        if last != first:
            quads.append(self.q(node, nn(HKG.endLineNumber), Literal(str(last), datatype=INTEGER)))
        return node, quads

    def figure(self, node: NamedNode, route: str, oku: Decimal) -> list[Quad]:
        return [
            self.q(node, nn(HKG.inProject), self.project),
            self.q(node, nn(HKG.fiscalYear), nn(ID[f"fy/{self.year}"])),
            self.q(node, nn(HKG.fiscalYearNumber), Literal(str(self.year), datatype=INTEGER)),
            self.q(node, nn(HKG.fundingRoute), self.ref.routes[route]),
            self.q(node, nn(HKG.amountYen), Literal(str(int(oku * 100_000_000)), datatype=DECIMAL)),
            self.q(node, nn(HKG.precisionYen), Literal("10000000", datatype=DECIMAL)),
            self.q(node, nn(HKG.statedAmount), Literal(f"{oku}億円")),
        ]

    def write(self, rows: list[tuple[str, Line]]) -> Iterator[Quad]:
        title = (
            f"令和{self.year - 2018}年度 予算資料(合成)"
            if self.year >= 2019
            else f"平成{self.year - 1988}年度 予算資料(合成)"
        )
        digest = hashlib.sha256(f"{self.slug}:{len(rows)}".encode()).hexdigest()
        doc = self.document
        yield self.q(doc, RDF_TYPE, nn(HKG.PolicyDocument))
        yield self.q(doc, RDF_TYPE, NamedNode(PROV + "Entity"))
        yield self.q(doc, RDFS_LABEL, Literal(title, language="ja"))
        yield self.q(doc, DCTERMS + "title", Literal(title, language="ja"))
        yield self.q(doc, DCTERMS + "issued", Literal(f"{self.year}-03-{self.rng.randint(10, 28)}", datatype=DATE))
        yield self.q(doc, nn(HKG.publishedBy), self.ref.publisher)
        yield self.q(doc, DCTERMS + "language", Literal("ja"))
        yield self.q(doc, nn(HKG.fileName), Literal(f"{self.slug}.md"))
        yield self.q(doc, nn(HKG.sha256), Literal(digest))
        yield self.q(doc, nn(HKG.aboutProject), self.project)
        totals: dict[str, Decimal] = defaultdict(Decimal)
        relisted: set[str] = set()
        for route, line in rows:
            yield from self.budget_line(route, line)
            totals[route] += line.oku
            if line.relisting == "portion":
                relisted.add(route)
        for route, amount in sorted(totals.items()):
            node = nn(ID[f"total/{self.slug}/L{self.line_no}"])
            where, quads = self.location(f"{route} 総額 {amount}億円")
            yield from quads
            yield self.q(node, RDF_TYPE, nn(HKG.DeclaredBudgetTotal))
            yield self.q(node, RDFS_LABEL, Literal(f"{self.year}年度 {route} 総額 {amount}億円", language="ja"))
            yield from self.figure(node, route, amount)
            yield self.q(node, nn(HKG.partlyRelisted), Literal(str(route in relisted).lower(), datatype=BOOLEAN))
            yield self.q(node, NamedNode(PROV + "wasDerivedFrom"), where)

    def budget_line(self, route: str, line: Line) -> Iterator[Quad]:
        members = [line.program, *line.members]
        label = "・".join(p.ja for p in members)
        marker = "(再掲)" if line.relisting == "duplicate" else "(再掲:一部)" if line.relisting == "portion" else ""
        text = f"{label}【{line.program.ministry[1]}】{marker} {line.oku}億円"
        where, quads = self.location(text, lines=len(members))
        yield from quads
        for program in members:
            yield self.q(program.iri, RDF_TYPE, nn(HKG.Program))
            yield self.q(program.iri, RDFS_LABEL, Literal(program.ja, language="ja"))
            yield self.q(program.iri, nn(HKG.partOfProject), self.project)
            yield self.q(program.iri, NamedNode(PROV + "wasDerivedFrom"), where)
        scheme = line.program.iri
        if line.members:
            scheme = nn(ID[f"group/{self.slug}/L{where.value.rsplit('#L', 1)[1].split('-')[0]}"])
            yield self.q(scheme, RDF_TYPE, nn(HKG.ProgramGroup))
            yield self.q(scheme, RDFS_LABEL, Literal(label, language="ja"))
            yield self.q(scheme, NamedNode(PROV + "wasDerivedFrom"), where)
            for program in members:
                yield self.q(scheme, nn(HKG.hasMember), program.iri)
        first_line = where.value.rsplit("#L", 1)[1].split("-")[0]
        node = nn(ID[f"allocation/{self.slug}/L{first_line}"])
        yield self.q(node, RDF_TYPE, nn(HKG.BudgetAllocation))
        yield self.q(node, RDFS_LABEL, Literal(label, language="ja"))
        yield self.q(node, nn(HKG.forScheme), scheme)
        yield from self.figure(node, route, line.oku)
        yield self.q(node, nn(HKG.relistingStatus), self.ref.relisting[line.relisting])
        yield self.q(node, NamedNode(PROV + "wasDerivedFrom"), where)


def rdflib_quads(graph: Graph, name: NamedNode | DefaultGraph) -> Iterator[Quad]:
    """The graph's triples in a stable order with canonical blank-node labels, so the seed decides the bytes."""
    lines = to_canonical_graph(graph).serialize(format="nt", encoding="utf-8").splitlines(keepends=True)
    data = b"".join(sorted(lines))
    for triple in parse(data, format=RdfFormat.N_TRIPLES):
        yield Quad(triple.subject, triple.predicate, triple.object, name)


def fixed_quads() -> list[Quad]:
    """The ontology, reference and calendar graphs, as a build writes them."""
    quads = list(rdflib_quads(ontology_graph(), nn(GRAPH.ontology)))
    quads += rdflib_quads(reference_graph(), nn(GRAPH.reference))
    quads += rdflib_quads(fiscal_year_triples(range(FIRST_YEAR, LAST_YEAR + 1)), nn(GRAPH.calendar))
    return quads


def unique(quads: Iterable[Quad]) -> list[Quad]:
    seen: set[Quad] = set()
    out = []
    for quad in quads:
        if quad not in seen:
            seen.add(quad)
            out.append(quad)
    return out


def generate(target: int, seed: int) -> list[Quad]:
    """Quads totalling about ``target`` (within ~2%), sized by two calibration passes."""
    generator = Generator(seed, Reference.load())
    fixed = fixed_quads()
    n_programs = max(3, target // 130)
    quads: list[Quad] = []
    for _ in range(3):
        quads = unique([*fixed, *generator.quads(n_programs)])
        variable = len(quads) - len(fixed)
        if abs(len(quads) - target) <= 0.02 * target or variable <= 0:
            break
        n_programs = max(3, round(n_programs * (target - len(fixed)) / variable))
    return quads


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--triples", type=int, required=True, help="approximate number of quads, e.g. 100000")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, required=True, help="N-Quads file to write")
    args = parser.parse_args(argv)
    started = time.monotonic()
    quads = generate(args.triples, args.seed)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_bytes(serialize(quads, format=RdfFormat.N_QUADS) or b"")
    graphs = len({q.graph_name for q in quads if not isinstance(q.graph_name, DefaultGraph)})
    summary = {
        "file": str(args.out),
        "quads": len(quads),
        "graphs": graphs,
        "seed": args.seed,
        "seconds": round(time.monotonic() - started, 1),
    }
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
