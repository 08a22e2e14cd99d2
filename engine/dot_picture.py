"""Graphviz DOT written as a picture to read, not a dump: clusters, colours, a legend, short labels.

A program sits in the box of its integrated project (the project it has the
latest budget line in, when it belongs to several; its other projects get an
edge), laid out in a few columns rather than one tall one. In the summary of
the whole graph the box stands for its project: membership edges inside it are
not drawn, nor a member's edge to a node its project links to already (the
project's coverage of a disease area says it once instead of once per
program), and parallel edges are one; the data formats keep every edge, and so
does the picture of a query's result, its edges labelled. Every node is
coloured and shaped by its kind with a legend of the kinds drawn, labels wrap
by display width (a Japanese character takes two columns) and stop after a few
lines, and summary edges carry their predicates as a tooltip rather than as
text across the picture. Nodes link to their IRI, so an SVG rendering is
clickable. Written directly, so exporting needs no Graphviz installation.
"""

from __future__ import annotations

import math
import unicodedata
from collections import defaultdict
from typing import Any

import networkx as nx

from healthkg.ontology import HKG

# (shape, fill, outline) per kind, colour-blind-safe (Okabe–Ito hues, lightened for fills).
STYLES: dict[str, tuple[str, str, str]] = {
    "project": ("box", "#fbe3b4", "#e69f00"),
    "program": ("box", "#d4ecfa", "#56b4e9"),
    "program-group": ("box", "#eef7fd", "#56b4e9"),
    "plan": ("folder", "#e6e6e6", "#777777"),
    "ministry": ("ellipse", "#c6ebdf", "#009e73"),
    "agency": ("ellipse", "#c6ebdf", "#009e73"),
    "institution": ("ellipse", "#e3f5ef", "#009e73"),
    "unit": ("ellipse", "#f1faf7", "#7fcfb9"),
    "organisation": ("ellipse", "#e3f5ef", "#009e73"),
    "disease-area": ("hexagon", "#f4d9e8", "#cc79a7"),
    "purpose": ("diamond", "#faf5c4", "#c9bb1c"),
    "infrastructure": ("cylinder", "#cce3f0", "#0072b2"),
    "budget-figure": ("note", "#f7d9c4", "#d55e00"),
}
PROVENANCE_STYLE = ("note", "#f2f2f2", "#aaaaaa")
OTHER_STYLE = ("box", "#ffffff", "#999999")
FONT = "IPAGothic,Noto Sans CJK JP,sans-serif"
WRAP_COLUMNS = 30  # display columns per label line: 15 Japanese characters
MAX_LINES = 3
CLUSTERED_KINDS = ("program", "program-group")
MEMBERSHIP = {str(HKG.hasProgram), str(HKG.partOfProject), str(HKG.inProject)}
LEGEND_TITLE = {"ja": "凡例", "en": "Legend"}
GRAPH_ATTRIBUTES = {"rankdir": "LR", "newrank": "true", "nodesep": "0.12", "ranksep": "0.5", "charset": "UTF-8",
                    "fontname": FONT, "fontsize": "9", "fontcolor": "#666666", "labelloc": "b", "labeljust": "r"}


def _width(char: str) -> int:
    return 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1


def wrap(text: str, columns: int = WRAP_COLUMNS, max_lines: int = MAX_LINES) -> str:
    """``text`` in lines of at most ``columns`` display columns, broken at spaces where it has them.

    >>> wrap("ゲノム医療実現推進プラットフォーム事業", 20)
    'ゲノム医療実現推進プ\\nラットフォーム事業'
    >>> wrap("Japan Agency for Medical Research and Development", 20, 2)
    'Japan Agency for\\nMedical Research and…'
    """
    lines: list[str] = []
    line, used = "", 0
    for word in text.replace("\n", " ").split(" "):
        word_width = sum(_width(c) for c in word)
        if line and used + 1 + word_width <= columns:
            line, used = f"{line} {word}", used + 1 + word_width
            continue
        if line:
            lines.append(line)
            line, used = "", 0
        for char in word:  # a word longer than a line (Japanese has no spaces) breaks anywhere
            if used + _width(char) > columns and line:
                lines.append(line)
                line, used = "", 0
            line, used = line + char, used + _width(char)
    if line:
        lines.append(line)
    if len(lines) > max_lines:
        lines = [*lines[:max_lines - 1], lines[max_lines - 1] + "…"]
    return "\n".join(lines)


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _attributes(values: dict[str, Any]) -> str:
    return ", ".join(f"{key}={_quote(str(value))}" for key, value in values.items() if value not in ("", None))


def _style(data: dict[str, Any]) -> tuple[str, str, str]:
    if data.get("category") == "provenance":
        return PROVENANCE_STYLE
    return STYLES.get(data.get("kind", ""), OTHER_STYLE)


def _latest_year(data: dict[str, Any]) -> int:
    years = str(data.get("fiscal_years", "")).split()
    return max((int(y) for y in years), default=0)


def clusters(graph: nx.MultiDiGraph) -> dict[str, list[str]]:
    """Project → the programs drawn inside its box: each program in one project's box.

    A program belonging to several projects goes to the one it has the latest
    budget line in (then the first in IRI order); its other memberships stay edges.
    """
    projects = {n for n, d in graph.nodes(data=True) if d.get("kind") == "project"}
    members: dict[str, list[str]] = defaultdict(list)
    for node, data in graph.nodes(data=True):
        if data.get("kind") not in CLUSTERED_KINDS:
            continue
        candidates: dict[str, int] = {}
        for source, target, edge in [*graph.out_edges(node, data=True), *graph.in_edges(node, data=True)]:
            other = target if source == node else source
            if other in projects and edge.get("predicate") in MEMBERSHIP:
                candidates[other] = max(candidates.get(other, 0), _latest_year(edge))
        if candidates:
            home = min(candidates, key=lambda p: (-candidates[p], p))
            members[home].append(node)
    return {project: sorted(members[project]) for project in sorted(projects)}


def _node_line(node: str, data: dict[str, Any], indent: str) -> str:
    shape, fill, outline = _style(data)
    label = str(data.get("label") or node)
    tooltip = " / ".join(filter(None, (label, str(data.get("kind_label", "")), str(data.get("curie", "")))))
    values = {"label": wrap(label), "tooltip": tooltip, "shape": shape, "fillcolor": fill, "color": outline,
              "URL": data.get("iri") if str(data.get("iri", "")).startswith("http") else ""}
    return f"{indent}{_quote(node)} [{_attributes(values)}];"


def _edges(graph: nx.MultiDiGraph, home: dict[str, str]) -> dict[tuple[str, str], list[str]]:
    """The edges to draw, one per pair of nodes with its predicates' labels; what a box implies left out."""
    linked: dict[str, set[str]] = defaultdict(set)
    for source, target in graph.edges():
        linked[source].add(target)
        linked[target].add(source)
    drawn: dict[tuple[str, str], list[str]] = {}
    for source, target, data in graph.edges(data=True):
        implied = False
        for member, other in ((source, target), (target, source)):
            project = home.get(member)
            if project is not None and (other == project or other in linked[project]):
                implied = True
        if implied:
            continue
        labels = drawn.setdefault((source, target), [])
        if data.get("label") and data["label"] not in labels:
            labels.append(str(data["label"]))
    return drawn


def _columns(project: str, members: list[str]) -> list[tuple[str, str]]:
    """Invisible edges that lay a box's members out right of its project, in columns of about equal height."""
    rows = max(4, math.ceil(math.sqrt(len(members) * 2)))
    first = [(project, member) for member in members[:rows]]
    return first + [(members[i], members[i + rows]) for i in range(len(members) - rows)]


def write_dot(graph: nx.MultiDiGraph, *, summarise: bool = True) -> bytes:
    """The picture's DOT source (UTF-8); the graph's metadata becomes a comment and a caption.

    Nodes are declared at the top level and only named in their boxes, so that
    readers which flatten subgraphs (networkx's pydot reader) still see them all.
    ``summarise`` leaves out the edges a box implies (see the module docstring).
    """
    info = graph.graph
    lang = info.get("lang", "ja")
    caption = " · ".join(filter(None, (info.get("attribution", "").split(",")[0], info.get("selection"),
                                       info.get("source_version"), info.get("license"))))
    lines = [f"digraph {_quote(info.get('name', 'healthkg'))} {{",
             f"  graph [{_attributes(GRAPH_ATTRIBUTES | {'comment': info.get('rights', ''), 'label': caption})}];",
             f'  node [style="filled,rounded", fontname={_quote(FONT)}, fontsize="10", margin="0.08,0.03", '
             'height="0.3"];',
             '  edge [color="#8c8c8c", arrowsize="0.5", penwidth="0.7"];']
    lines.extend(_node_line(node, data, "  ") for node, data in graph.nodes(data=True))
    home: dict[str, str] = {}
    for number, (project, members) in enumerate(clusters(graph).items()):
        label = str(graph.nodes[project].get("label", project))
        lines.append(f"  subgraph {_quote(f'cluster_{number}')} {{")
        lines.append(f'    graph [style="rounded", color="#e69f00", bgcolor="#fffaf0", label="", '
                     f"tooltip={_quote(label)}];")
        lines.append(f"    {' '.join(_quote(node) for node in (project, *members))};")
        home.update((node, project) for node in members)
        for source, target in _columns(project, members):
            lines.append(f'    {_quote(source)} -> {_quote(target)} [style="invis"];')
        lines.append("  }")
    if summarise:
        for (source, target), labels in _edges(graph, home).items():
            lines.append(f"  {_quote(source)} -> {_quote(target)} [{_attributes({'tooltip': ' / '.join(labels)})}];")
    else:
        for source, target, data in graph.edges(data=True):
            label = str(data.get("label", ""))
            lines.append(f"  {_quote(source)} -> {_quote(target)} [{_attributes({'label': label, 'tooltip': label})}];")
    lines.extend(_legend(graph, lang))
    lines.append("}")
    return ("\n".join(lines) + "\n").encode("utf-8")


def _legend(graph: nx.MultiDiGraph, lang: str) -> list[str]:
    """One sample node per kind drawn, in a box of its own."""
    kinds: dict[str, dict[str, Any]] = {}
    for _, data in graph.nodes(data=True):
        kind = data.get("kind") or ""
        if kind and kind not in kinds:
            kinds[kind] = data
    if not kinds:
        return []
    lines = ["  subgraph cluster_legend {",
             f'    graph [label={_quote(LEGEND_TITLE.get(lang, "Legend"))}, style="rounded", color="#cccccc", '
             'fontsize="10"];']
    order = [*STYLES, *sorted(set(kinds) - set(STYLES))]
    for kind in (k for k in order if k in kinds):
        shape, fill, outline = _style(kinds[kind])
        values = {"label": kinds[kind].get("kind_label") or kind, "shape": shape, "fillcolor": fill, "color": outline}
        lines.append(f"    {_quote(f'legend:{kind}')} [{_attributes(values)}];")
    lines.append("  }")
    return lines
