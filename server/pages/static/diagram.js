// Ontology diagram: the TBox as drawn from /ontology/diagram.json (generated, not drawn by hand).
(function () {
  "use strict";
  const container = document.getElementById("diagram");
  window.healthkgDiagram = { cy: null, ready: false };
  fetch(container.dataset.source, { headers: { Accept: "application/json" } })
    .then((response) => response.json())
    .then((data) => {
      for (const node of data.elements.nodes) {
        const attributes = node.data.attributes.length ? "\n" + node.data.attributes.join("\n") : "";
        node.data.text = node.data.label + (node.data.label_ja ? " " + node.data.label_ja : "") + attributes;
      }
      const cy = cytoscape({
        container: container,
        elements: data.elements,
        wheelSensitivity: 0.3,
        style: [
          { selector: "node", style: {
            "shape": "round-rectangle", "label": "data(text)", "text-wrap": "wrap", "font-size": 9,
            "text-valign": "center", "background-color": "#eef3fb", "border-color": "#1f5fa8", "border-width": 1,
            "width": "label", "height": "label", "padding": 6 } },
          { selector: "edge", style: {
            "label": "data(label)", "font-size": 8, "curve-style": "bezier", "target-arrow-shape": "triangle",
            "line-color": "#8899aa", "target-arrow-color": "#8899aa", "color": "#445" } },
          { selector: "edge[kind = 'subclass']", style: {
            "line-style": "dashed", "target-arrow-shape": "triangle-backcurve", "label": "" } },
        ],
        layout: { name: "cose", animate: false, nodeRepulsion: 40000, idealEdgeLength: 140 },
      });
      window.healthkgDiagram = { cy: cy, ready: true };
    });
})();
