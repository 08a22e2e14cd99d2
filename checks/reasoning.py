"""OWL reasoning at build time: HermiT (through owlready2) checks consistency and adds inferences.

The reasoner sees the TBox and only the ABox statements the axioms speak about
(types and healthkg properties); labels, source text and provenance cannot
change what is entailed, and leaving them out keeps HermiT's run short. What it
entails beyond the input, for the healthkg individuals, becomes the
``GRAPH.inferred`` named graph.

owlready2 keeps only one direction of inverse properties, and reports few of the
statements that hold under a super-property, so the inverse links and the
super-property statements HermiT entails are written out here from the
``owl:inverseOf`` and ``rdfs:subPropertyOf`` axioms.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from rdflib import OWL, RDF, RDFS, XSD, BNode, Graph, Literal, URIRef
from rdflib.collection import Collection

from healthkg.ontology.namespaces import HKG, ID, MAPPING_RELATIONS

_TEXT_PROPERTIES = {HKG.sourceText, HKG.quote}
_NUMERIC = {XSD.decimal, XSD.integer, XSD.int, XSD.long, XSD.double, XSD.float, XSD.nonNegativeInteger}


class ReasonerUnavailable(RuntimeError):
    """Java (which HermiT runs on) cannot be started."""


class InconsistentGraph(RuntimeError):
    """HermiT proved the graph inconsistent; ``causes`` says which statements clash."""

    def __init__(self, causes: list[str]) -> None:
        self.causes = causes
        listing = "\n".join(f"  - {cause}" for cause in causes)
        super().__init__(f"the OWL reasoner (HermiT) found the graph inconsistent:\n{listing}")


@dataclass(frozen=True)
class ReasoningResult:
    inferred: Graph
    seconds: float
    input_triples: int


def java_executable() -> str:
    """The Java binary owlready2 will start, or a clear error naming what is missing."""
    import owlready2

    java = shutil.which(owlready2.JAVA_EXE)
    if java is None:
        raise ReasonerUnavailable(
            f"the OWL reasoner HermiT needs Java, but {owlready2.JAVA_EXE!r} was not found on PATH; "
            "install a Java runtime (e.g. apt-get install default-jre-headless) and build again"
        )
    try:
        subprocess.run([java, "-version"], capture_output=True, check=True, timeout=60)
    except (OSError, subprocess.SubprocessError) as error:
        raise ReasonerUnavailable(f"the OWL reasoner HermiT needs Java, but {java} does not run: {error}") from error
    return java


def _declared(tbox: Graph, kind: URIRef) -> set[URIRef]:
    return {s for s in tbox.subjects(RDF.type, kind) if isinstance(s, URIRef)}


def reasoner_input(tbox: Graph, abox: Graph) -> Graph:
    """The TBox (without SKOS mapping links) plus the ABox statements its axioms can use."""
    properties = (_declared(tbox, OWL.ObjectProperty) | _declared(tbox, OWL.DatatypeProperty)) - _TEXT_PROPERTIES
    graph = Graph()
    for triple in tbox:
        if triple[1] not in MAPPING_RELATIONS:
            graph.add(triple)
    for s, p, o in abox:
        if isinstance(s, BNode) or isinstance(o, BNode):
            continue
        if p == RDF.type or p in properties:
            graph.add((s, p, o))
    return graph


def _is_individual(node: object) -> bool:
    return isinstance(node, URIRef) and str(node).startswith(str(ID))


def _hermit(graph: Graph, folder: Path) -> Graph:
    """Run HermiT on ``graph``; return what owlready2 records as inferred (types and property values)."""
    from owlready2 import OwlReadyInconsistentOntologyError, OwlReadyJavaError, World, sync_reasoner_hermit

    path = folder / "input.nt"
    graph.serialize(path, format="nt", encoding="utf-8")
    world = World()
    world.get_ontology(path.as_uri()).load()
    try:
        sync_reasoner_hermit(world, infer_property_values=True, debug=0, ignore_unsupported_datatypes=True)
    except OwlReadyInconsistentOntologyError:
        raise InconsistentGraph(explain_inconsistency(graph)) from None
    except OwlReadyJavaError as error:
        raise ReasonerUnavailable(f"HermiT failed to run: {error}") from error
    inferred = Graph()
    for s, p, o in world.get_ontology("http://inferrences/").get_triples():
        subject, predicate = world._unabbreviate(s), world._unabbreviate(p)
        if isinstance(o, int) and o > 0:  # owlready2 stores IRIs as positive ids; literals are not inferred here
            inferred.add((URIRef(subject), URIRef(predicate), URIRef(world._unabbreviate(o))))
    world.close()
    return inferred


def _inverse_pairs(tbox: Graph) -> Iterator[tuple[URIRef, URIRef]]:
    for a, b in tbox.subject_objects(OWL.inverseOf):
        if isinstance(a, URIRef) and isinstance(b, URIRef):
            yield a, b
            yield b, a


def _with_inverses(tbox: Graph, graph: Graph) -> Graph:
    inverses = dict(_inverse_pairs(tbox))
    closed = Graph()
    closed += graph
    for s, p, o in graph:
        if p in inverses and isinstance(o, URIRef):
            closed.add((o, inverses[p], s))
    return closed


def _super_properties(tbox: Graph) -> dict[URIRef, set[URIRef]]:
    """Each healthkg object or datatype property → its healthkg super-properties (transitively)."""
    properties = _declared(tbox, OWL.ObjectProperty) | _declared(tbox, OWL.DatatypeProperty)
    closure: dict[URIRef, set[URIRef]] = {}
    for prop in {sub for sub in tbox.subjects(RDFS.subPropertyOf) if sub in properties}:
        found = {URIRef(sup) for sup in tbox.transitive_objects(prop, RDFS.subPropertyOf)
                 if sup != prop and sup in properties and str(sup).startswith(str(HKG))}
        if found:
            closure[URIRef(prop)] = found
    return closure


def _with_super_properties(tbox: Graph, graph: Graph) -> Graph:
    """Every statement also under its super-properties (mentionsDiseaseArea ⊑ concernsDiseaseArea, …).

    HermiT entails these, but owlready2 reports only some of them; the one property a user
    asks (concernsDiseaseArea, budgetOf) must hold for every way the link is known.
    """
    supers = _super_properties(tbox)
    closed = Graph()
    closed += graph
    for s, p, o in graph:
        for sup in supers.get(p, ()):  # type: ignore[call-overload]
            closed.add((s, sup, o))
    return closed


def infer(tbox: Graph, abox: Graph) -> ReasoningResult:
    """Check consistency and return the entailed statements about healthkg individuals not already stated."""
    java_executable()
    graph = reasoner_input(tbox, abox)
    start = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="healthkg-hermit-") as folder:
        entailed = _hermit(graph, Path(folder))
    seconds = time.monotonic() - start
    everything = Graph()
    everything += graph
    everything += entailed
    closed = _with_inverses(tbox, _with_super_properties(tbox, everything))
    inferred = Graph()
    for s, p, o in closed:
        if not _is_individual(s) or (s, p, o) in abox:
            continue
        if p == RDF.type and not str(o).startswith(str(HKG)):
            continue
        inferred.add((s, p, o))
    inferred.bind("hkg", HKG)
    inferred.bind("id", ID)
    return ReasoningResult(inferred, seconds, len(graph))


# ---------------------------------------------------------------------------
# Explaining an inconsistency: HermiT says only "inconsistent"; these checks
# find the clashing statements for the axiom kinds the TBox uses.


def _superclasses(tbox: Graph) -> dict[URIRef, set[URIRef]]:
    """Each class with a superclass → itself and every class above it; other classes → nothing."""
    classes = {c for c in tbox.subjects(RDFS.subClassOf) if isinstance(c, URIRef)}
    closure = {c: {d for d in tbox.transitive_objects(c, RDFS.subClassOf) if isinstance(d, URIRef)} for c in classes}
    return defaultdict(set, closure)


def _types(graph: Graph) -> dict[URIRef, dict[URIRef, str]]:
    """Each individual's classes (closed upward), each with the statement that gives it."""
    supers = _superclasses(graph)
    domains = {p: d for p, d in graph.subject_objects(RDFS.domain) if isinstance(d, URIRef)}
    ranges = {p: r for p, r in graph.subject_objects(RDFS.range) if isinstance(r, URIRef)}
    found: dict[URIRef, dict[URIRef, str]] = defaultdict(dict)

    def give(node: object, cls: URIRef, why: str) -> None:
        if isinstance(node, URIRef):
            for each in supers[cls] | {cls}:
                found[node].setdefault(each, why)

    for s, p, o in graph:
        if not _is_individual(s):
            continue
        if p == RDF.type and isinstance(o, URIRef):
            give(s, o, f"<{s}> a <{o}>")
        if p in domains:
            give(s, domains[p], f"<{s}> <{p}> … (domain <{domains[p]}>)")
        if p in ranges and isinstance(o, URIRef):
            give(o, ranges[p], f"… <{p}> <{o}> (range <{ranges[p]}>)")
    return found


def _disjoint_sets(graph: Graph) -> Iterable[list[URIRef]]:
    for node in graph.subjects(RDF.type, OWL.AllDisjointClasses):
        members = graph.value(node, OWL.members)
        if members is not None:
            yield [m for m in Collection(graph, members) if isinstance(m, URIRef)]
    for a, b in graph.subject_objects(OWL.disjointWith):
        if isinstance(a, URIRef) and isinstance(b, URIRef):
            yield [a, b]


def _literal_fits(literal: Literal, datatype: URIRef) -> bool:
    if datatype in _NUMERIC:
        return literal.datatype in _NUMERIC and not literal.ill_typed
    if datatype == XSD.string:
        return literal.datatype in (None, XSD.string) and literal.language is None
    return literal.datatype == datatype and not literal.ill_typed


def explain_inconsistency(graph: Graph) -> list[str]:
    """Human-readable causes of an inconsistency, one per clashing pair of statements."""
    causes: list[str] = []
    types = _types(graph)
    for members in _disjoint_sets(graph):
        for individual, classes in types.items():
            clash = [m for m in members if m in classes]
            if len(clash) > 1:
                reasons = "; ".join(classes[c] for c in clash[:2])
                causes.append(f"<{individual}> is both <{clash[0]}> and <{clash[1]}>, which are disjoint ({reasons})")
    functional = set(graph.subjects(RDF.type, OWL.FunctionalProperty))
    functional &= set(graph.subjects(RDF.type, OWL.DatatypeProperty))
    for prop in functional:
        values: dict[object, set[object]] = defaultdict(set)
        for s, o in graph.subject_objects(prop):
            values[s].add(o.toPython() if isinstance(o, Literal) else o)
        for subject, distinct in values.items():
            if len(distinct) > 1:
                shown = ", ".join(sorted(map(str, distinct)))
                causes.append(f"<{subject}> has {len(distinct)} values for functional property <{prop}>: {shown}")
    for prop, datatype in graph.subject_objects(RDFS.range):
        if (prop, RDF.type, OWL.DatatypeProperty) not in graph or not isinstance(datatype, URIRef):
            continue
        for s, o in graph.subject_objects(prop):
            if isinstance(o, Literal) and not _literal_fits(o, datatype):
                causes.append(f"<{s}> <{prop}> {o.n3()} is not a <{datatype}> (the property's range)")
    return causes or ["no single clashing pair of statements was found; check the TBox axioms changed last"]
