"""RDF as a property graph: nodes with attributes, edges named by their predicate.

Graph tools (Gephi, Cytoscape, yEd, Graphviz) want nodes and edges with
attributes, not triples. The projection: every selected IRI or blank node that
is a subject, or the object of a link, becomes a node; links between selected
nodes become edges named by their predicate; ``rdf:type`` and literal values
become node attributes (ja/en labels, ``amount_yen``, ``fiscal_year``, the rest
keyed by their predicate's CURIE), and so do links to nodes nobody selected
(a fiscal year, a funding route, a role), written as the target's label.

The whole graph exports its *domain* by default (``export_queries/node-kinds.rq``
says what that is): programs, projects, plans, organisations, disease areas,
purposes and research infrastructure, each link drawn once (an inverse property
turned around), and the budget figures folded into attributes of what they are
the budget of (``budget_yen_FY2020`` on a program, ``allocation_yen_FY2020`` on
the program's link to a project; ``export_queries/budget-figures.rq``).
Provenance (source lines, documents, curated facts and their sources, concept
mentions) and the figure nodes themselves come on request; ``all`` keeps every
node and triple as it is. Every node is labelled in the language asked for,
then the other one; a node without a label is named by what it is (a source
line as ``file:line``, a curated fact by its statement), a CURIE only as the
last resort.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import networkx as nx
from pyoxigraph import BlankNode, Literal, NamedNode, QuerySolutions, Store, Triple

from healthkg.engine.prefixes import compact
from healthkg.ontology import GRAPH, HKG

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDF_TYPE = RDF + "type"
RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
AMOUNT = str(HKG.amountYen)
YEAR = str(HKG.fiscalYearNumber)
LINE, END_LINE, STATED_IN, FILE_NAME = (str(HKG[n]) for n in ("lineNumber", "endLineNumber", "statedIn", "fileName"))
IN_PROJECT = str(HKG.inProject)
# Numeric attributes keep their type, so that Gephi can size and filter by them.
NUMERIC_ATTRIBUTES = {AMOUNT: ("amount_yen", float), YEAR: ("fiscal_year", int)}
# The TBox is drawn by the ontology diagram; in an instance picture its classes
# would become hubs that every node links to.
SCHEMA_GRAPHS = (str(GRAPH.ontology),)
LANGUAGES = ("ja", "en")
DOMAIN, FIGURE, PROVENANCE, OTHER = "domain", "figure", "provenance", "other"
# What --include adds to the domain: parts of the graph, or everything as it is.
INCLUDES = {"provenance": PROVENANCE, "figures": FIGURE, "all": None}

Node = NamedNode | BlankNode
Selector = Callable[[Node], bool]


def node_key(term: Node) -> str:
    return term.value if isinstance(term, NamedNode) else f"_:{term.value}"


def _short(iri: str) -> str:
    return compact(iri) or iri


@dataclass(frozen=True)
class NodeKind:
    """What a node is (``kind``), its part of the graph (``category``) and its class's labels."""

    kind: str
    category: str
    class_ja: str = ""
    class_en: str = ""

    def class_label(self, lang: str) -> str:
        return (self.class_ja if lang == "ja" else self.class_en) or self.class_en or self.class_ja or self.kind


UNKNOWN = NodeKind("", OTHER)


@cache
def export_query(name: str) -> str:
    """The text of one of ``export_queries/*.rq``."""
    return resources.files("healthkg.engine").joinpath("export_queries", f"{name}.rq").read_text(encoding="utf-8")


def select(store: Store, name: str) -> list[dict[str, Any]]:
    """Rows of an export query over the union of the store's graphs, as terms by variable name."""
    solutions = store.query(export_query(name), use_default_graph_as_union=True)
    assert isinstance(solutions, QuerySolutions)
    names = [variable.value for variable in solutions.variables]
    return [{n: term for n, term in zip(names, solution) if term is not None} for solution in solutions]


def node_kinds(store: Store) -> dict[str, NodeKind]:
    """Each typed node's most specific kind (lowest rank in node-kinds.rq), by node key."""
    best: dict[str, tuple[int, NodeKind]] = {}
    for row in select(store, "node-kinds"):
        rank = int(row["rank"].value)
        key = node_key(row["node"])
        if key not in best or rank < best[key][0]:
            kind = NodeKind(row["kind"].value, row["category"].value,
                            row["class_ja"].value if "class_ja" in row else "",
                            row["class_en"].value if "class_en" in row else "")
            best[key] = (rank, kind)
    return {key: kind for key, (_, kind) in best.items()}


def store_triples(store: Store, *, exclude_graphs: Iterable[str] = SCHEMA_GRAPHS) -> list[Triple]:
    """Every distinct triple of the store's named graphs, except the schema's."""
    excluded = set(exclude_graphs)
    seen: set[Triple] = set()
    for quad in store.quads_for_pattern(None, None, None, None):
        graph = quad.graph_name
        if isinstance(graph, NamedNode) and graph.value in excluded:
            continue
        seen.add(quad.triple)
    return sorted(seen, key=str)


def inverse_properties(store: Store) -> dict[str, str]:
    """Inverse property → the property it inverts (the subject side of owl:inverseOf)."""
    return {row["inverse"].value: row["property"].value for row in select(store, "inverse-properties")}


def labels_of(values: Iterable[Any]) -> tuple[str, str]:
    """The ja and en labels among literals; a label without a language counts as en."""
    ja = en = ""
    for value in sorted(values, key=str):
        if isinstance(value, Literal):
            if value.language == "ja" and not ja:
                ja = value.value
            elif value.language == "en" and not en:
                en = value.value
            elif not value.language and not en:
                en = value.value
    return ja, en


def pick(ja: str, en: str, lang: str) -> str:
    """The label in ``lang``, else the other one."""
    return (ja or en) if lang == "ja" else (en or ja)


class Labels:
    """Labels of any node or predicate, from the store, for nodes and links the triples leave bare."""

    def __init__(self, store: Store | None, lang: str) -> None:
        self.store = store
        self.lang = lang

    def values(self, node: Node, predicate: str) -> list[NamedNode | BlankNode | Literal]:
        if self.store is None:
            return []
        found = {q.object for q in self.store.quads_for_pattern(node, NamedNode(predicate), None, None)}
        return sorted(found, key=str)  # type: ignore[arg-type]

    def first(self, node: Node, predicate: str) -> Any:
        values = self.values(node, predicate)
        return values[0] if values else None

    def both(self, node: Node) -> tuple[str, str]:
        return labels_of(self.values(node, RDFS_LABEL))

    def of(self, term: Any) -> str:
        """A term's label in ``lang`` (a literal's value; a bare node's CURIE or IRI)."""
        if isinstance(term, Literal):
            return term.value
        if not isinstance(term, (NamedNode, BlankNode)):
            return str(term)
        return pick(*self.both(term), self.lang) or self.described(term) or self.identifier(term)

    def described(self, node: Node) -> str:
        """A name for an unlabelled node from what it is: a source line, a reified statement."""
        line = self.first(node, LINE)
        if isinstance(line, Literal):
            end = self.first(node, END_LINE)
            document = self.first(node, STATED_IN)
            name = self.first(document, FILE_NAME) if isinstance(document, (NamedNode, BlankNode)) else None
            where = name.value if isinstance(name, Literal) else (self.of(document) if document is not None else "")
            span = f"{line.value}–{end.value}" if isinstance(end, Literal) and end.value != line.value else line.value
            return f"{where}:{span}" if where else f"L{span}"
        parts = [self.first(node, RDF + part) for part in ("subject", "predicate", "object")]
        if all(part is not None for part in parts):
            subject, predicate, obj = (self._plain(part) for part in parts)
            return f"{subject} – {predicate} → {obj}"
        return ""

    def _plain(self, term: Any) -> str:
        if isinstance(term, (NamedNode, BlankNode)):
            return pick(*self.both(term), self.lang) or self.identifier(term)
        return str(term.value) if isinstance(term, Literal) else str(term)

    @staticmethod
    def identifier(node: Node) -> str:
        return _short(node.value) if isinstance(node, NamedNode) else node_key(node)


def property_graph(triples: Iterable[Triple], store: Store | None = None, *, lang: str = "ja",
                   kinds: dict[str, NodeKind] | None = None, selected: Selector | None = None,
                   inverses: dict[str, str] | None = None) -> nx.MultiDiGraph:
    """Nodes and edges with attributes.

    ``store`` (optional) fills in labels, types and amounts the triples lack;
    ``selected`` keeps only some nodes (links to the others become attributes,
    or vanish when the other node is provenance or a figure left out);
    ``inverses`` turns links by an inverse property around, so each is drawn once.
    """
    labels = Labels(store, lang)
    kinds = kinds or {}
    literals: dict[Node, dict[str, list[Literal]]] = defaultdict(lambda: defaultdict(list))
    links: dict[Node, dict[str, set[Node]]] = defaultdict(lambda: defaultdict(set))
    types: dict[Node, set[str]] = defaultdict(set)
    edges: set[tuple[Node, str, Node]] = set()
    nodes: set[Node] = set()
    for triple in triples:
        subject, predicate, obj = triple.subject, triple.predicate.value, triple.object
        if not isinstance(subject, (NamedNode, BlankNode)) or (selected and not selected(subject)):
            continue  # RDF-star quoted triples have no place in a property graph
        nodes.add(subject)
        if predicate == RDF_TYPE and isinstance(obj, NamedNode):
            types[subject].add(obj.value)
        elif isinstance(obj, Literal):
            literals[subject][predicate].append(obj)
        elif isinstance(obj, (NamedNode, BlankNode)):
            if selected is None or selected(obj):
                nodes.add(obj)
                if inverses and predicate in inverses:
                    edges.add((obj, inverses[predicate], subject))
                else:
                    edges.add((subject, predicate, obj))
            elif kinds.get(node_key(obj), UNKNOWN).category == OTHER:
                links[subject][predicate].add(obj)

    graph = nx.MultiDiGraph(name="healthkg")
    for node in sorted(nodes, key=node_key):
        own = literals.get(node, {})
        for predicate in (RDFS_LABEL, AMOUNT, YEAR):
            if predicate not in own:
                found = [v for v in labels.values(node, predicate) if isinstance(v, Literal)]
                if found:
                    own = {**own, predicate: found}
        node_types = types.get(node) or {v.value for v in labels.values(node, RDF_TYPE) if isinstance(v, NamedNode)}
        attributes = _node_attributes(node, node_types, own, labels, kinds.get(node_key(node), UNKNOWN))
        for predicate, targets in sorted(links.get(node, {}).items()):
            name = _short(predicate).replace(":", "_")
            values = sorted({labels.of(target) for target in targets})
            attributes[name] = " | ".join(filter(None, [attributes.get(name, ""), *values]))
        graph.add_node(node_key(node), **attributes)
    for subject, predicate, obj in sorted(edges, key=lambda e: (node_key(e[0]), e[1], node_key(e[2]))):
        add_edge(graph, node_key(subject), predicate, node_key(obj), labels)
    return graph


def add_edge(graph: nx.MultiDiGraph, source: str, predicate: str, target: str, labels: Labels) -> None:
    """An edge keyed by its predicate's CURIE, labelled in the graph's language."""
    curie = _short(predicate)
    ja, en = labels.both(NamedNode(predicate))
    local = curie.split(":")[-1]
    graph.add_edge(source, target, key=curie, predicate=predicate, curie=curie,
                   label=pick(ja, en, labels.lang) or local, label_ja=ja, label_en=en or local)


def _node_attributes(node: Node, node_types: set[str], own: dict[str, list[Literal]], labels: Labels,
                     kind: NodeKind) -> dict[str, Any]:
    iri = node_key(node)
    ja, en = labels_of(own.get(RDFS_LABEL, ()))
    type_curies = sorted((_short(t) for t in node_types), key=lambda c: (not c.startswith("hkg:"), c))
    attributes: dict[str, Any] = {
        "iri": iri,
        "curie": labels.identifier(node),
        "label": pick(ja, en, labels.lang) or labels.described(node) or labels.identifier(node),
        "label_ja": ja,
        "label_en": en,
        "kind": kind.kind,
        "kind_label": kind.class_label(labels.lang) if kind.kind else "",
        "category": kind.category,
        "type": " ".join(type_curies),
    }
    for predicate, (name, cast) in NUMERIC_ATTRIBUTES.items():
        values = own.get(predicate)
        if values:
            attributes[name] = cast(values[0].value)
    for predicate, values in sorted(own.items()):
        if predicate in (RDFS_LABEL, *NUMERIC_ATTRIBUTES):
            continue
        name = _short(predicate).replace(":", "_")
        attributes[name] = " | ".join(sorted({v.value for v in values}))
    return attributes


def included(include: Collection[str], base: Collection[str] = (DOMAIN,)) -> set[str] | None:
    """The categories of nodes an export keeps: ``base`` and the parts ``include`` names (None: everything)."""
    unknown = set(include) - set(INCLUDES)
    if unknown:
        raise ValueError(f"unknown part of the graph {sorted(unknown)}; one of {', '.join(INCLUDES)}")
    if "all" in include:
        return None
    return {*base} | {category for part in include if (category := INCLUDES[part])}


def selector(kinds: dict[str, NodeKind], include: Collection[str]) -> Selector | None:
    """Which nodes the whole-graph export keeps: the domain plus the parts ``include`` names (None: all)."""
    categories = included(include)
    if categories is None:
        return None
    return lambda node: kinds.get(node_key(node), UNKNOWN).category in categories


def fold_figures(graph: nx.MultiDiGraph, store: Store, labels: Labels, *, add_links: bool = True) -> None:
    """Budget figures as numeric attributes of what they are the budget of (see budget-figures.rq).

    Attribute names say kind, fiscal year and, when not the default, funding
    route and budget stage (``allocation_yen_FY2020_inhouse``), so figures of
    different stages never share a name and nothing is added up. Where two
    figures state the same thing (a 億円-rounded and a 千円-exact source), the
    finer one is kept. ``budget_latest_yen`` and ``budget_latest_fy`` give a
    node's own latest default-stage budget, for sizing; ``fiscal_years`` lists
    the years any figure on a node, its links or a link is for. A program's
    line in a project it has no edge to gets one (``hkg:inProject``, as the
    figure says) unless ``add_links`` is false, where the edges are the triples.
    """
    chosen: dict[tuple[str, str, str, str], tuple[float, str, float, int]] = {}
    for row in select(store, "budget-figures"):
        holder = node_key(row["holder"])
        project = node_key(row["project"]) if "project" in row else ""
        if holder not in graph or (project and project not in graph):
            continue
        year = int(row["fiscal_year"].value)
        name = "_".join(filter(None, (f"{row['figure_kind'].value}_yen_FY{year}", row["route"].value,
                                      row["stage"].value)))
        precision = float(row["precision"].value) if "precision" in row else float("inf")
        candidate = (precision, row["figure"].value, float(row["amount"].value), year)
        key = (holder, project, name, row["figure_kind"].value)
        if key not in chosen or candidate < chosen[key]:
            chosen[key] = candidate
    years: dict[str, set[int]] = defaultdict(set)
    latest: dict[str, tuple[int, float]] = {}
    for (holder, project, name, kind), (_, _, amount, year) in sorted(chosen.items()):
        years[holder].add(year)
        if not project:
            graph.nodes[holder][name] = amount
            if kind == "budget" and name == f"budget_yen_FY{year}" and year >= latest.get(holder, (0, 0.0))[0]:
                latest[holder] = (year, amount)
            continue
        years[project].add(year)
        if add_links and not (graph.has_edge(holder, project) or graph.has_edge(project, holder)):
            add_edge(graph, holder, IN_PROJECT, project, labels)
        for source, target in ((holder, project), (project, holder)):
            for data in (graph.get_edge_data(source, target) or {}).values():
                data[name] = amount
                data["fiscal_years"] = " ".join(sorted({*data.get("fiscal_years", "").split(), str(year)}))
    for node, (year, amount) in latest.items():
        graph.nodes[node]["budget_latest_yen"] = amount
        graph.nodes[node]["budget_latest_fy"] = year
    for node, found in years.items():
        graph.nodes[node]["fiscal_years"] = " ".join(str(year) for year in sorted(found))


def whole_graph(store: Store, *, include: Collection[str] = (), lang: str = "ja") -> nx.MultiDiGraph:
    """The store's graph for export: its domain, with what ``include`` adds (see the module docstring)."""
    kinds = node_kinds(store)
    keep = selector(kinds, include)
    inverses = None if keep is None else inverse_properties(store)
    graph = property_graph(store_triples(store), store, lang=lang, kinds=kinds, selected=keep, inverses=inverses)
    fold_figures(graph, store, Labels(store, lang), add_links=keep is not None)
    return graph


def query_graph(triples: Iterable[Triple], store: Store | None, *, lang: str = "ja") -> nx.MultiDiGraph:
    """A CONSTRUCT result as it is, its nodes named and typed from the store."""
    return property_graph(triples, store, lang=lang, kinds=node_kinds(store) if store is not None else {})
